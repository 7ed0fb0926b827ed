// Pain map front end (anywidget ES module, no build step).
// The kernel sends the SVG outline (`svg`), the marks (`marks`: [{region, side, kind}]),
// the kinds with their labels (`kinds`: [[value, label, colour]]) and the chosen kind.
// A click on a region toggles a mark of the chosen kind on that region and side.

function key(mark) {
  return `${mark.region}|${mark.side || ""}`;
}

function render({ model, el }) {
  el.classList.add("wb-pain-map");
  const bar = document.createElement("div");
  bar.className = "wb-pain-kinds";
  const figure = document.createElement("div");
  figure.innerHTML = model.get("svg");
  el.append(bar, figure);

  function drawKinds() {
    bar.replaceChildren();
    for (const [value, text, colour] of model.get("kinds")) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.dataset.kind = value;
      button.style.borderLeft = `10px solid ${colour}`;
      button.style.marginRight = "4px";
      button.setAttribute("aria-pressed", String(model.get("kind") === value));
      button.style.fontWeight = model.get("kind") === value ? "bold" : "normal";
      button.addEventListener("click", () => {
        model.set("kind", value);
        model.save_changes();
      });
      bar.append(button);
    }
  }

  function colourOf(kind) {
    const found = model.get("kinds").find(([value]) => value === kind);
    return found ? found[2] : "#999999";
  }

  function drawMarks() {
    const marks = new Map(model.get("marks").map((m) => [key(m), m]));
    for (const shape of figure.querySelectorAll("[data-region]")) {
      const mark = marks.get(key({ region: shape.dataset.region, side: shape.dataset.side }));
      shape.setAttribute("fill", mark ? colourOf(mark.kind) : "#ffffff");
      shape.classList.toggle("wb-marked", Boolean(mark));
      if (mark) shape.dataset.kind = mark.kind;
      else delete shape.dataset.kind;
    }
  }

  figure.addEventListener("click", (event) => {
    const shape = event.target.closest("[data-region]");
    if (!shape) return;
    const mark = { region: shape.dataset.region, side: shape.dataset.side || null };
    const kind = model.get("kind");
    const marks = model.get("marks").filter((m) => key(m) !== key(mark));
    const old = model.get("marks").find((m) => key(m) === key(mark));
    if (!old || old.kind !== kind) marks.push({ ...mark, kind });
    model.set("marks", marks);
    model.save_changes();
  });
  for (const shape of figure.querySelectorAll("[data-region]")) shape.style.cursor = "pointer";

  model.on("change:marks", drawMarks);
  model.on("change:kind", drawKinds);
  model.on("change:kinds", () => { drawKinds(); drawMarks(); });
  drawKinds();
  drawMarks();
}

export default { render };
