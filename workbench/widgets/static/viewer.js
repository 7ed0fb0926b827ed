// The reading-room viewport of the workbench (anywidget front end; plain ES module, no build).
//
// The kernel sends each slice once as integer codes (custom message "slice" with a binary
// buffer: Int16 or Uint16, value = code * scale + offset, or RGB bytes) and keeps the view
// state and the measurement store. This module windows the codes through a look-up table
// (pydicom's LINEAR / LINEAR_EXACT / SIGMOID formulas, rounded half to even as numpy does,
// MONOCHROME1 inverted, or a VOI LUT table computed by the kernel), draws the image and the
// overlay on a canvas, and owns the pointer: wheel scrolls, drag pans, right-drag (or
// shift-drag) windows, ctrl-wheel zooms at the pointer, double-click resets, Esc cancels.
// Finished actions go back to the kernel as custom messages ("index", "view", "measure",
// "move", "delete", "rename", "key_image", "key_image_remove"); the kernel validates and
// stores them.
// A large radiograph arrives reduced (about 1,000 px); zoomed past that resolution, the
// browser asks for the visible part at full resolution ("need_region" with the view
// rectangle in full-resolution pixel edges) and draws the "region" the kernel sends
// (codes at native resolution, windowed here like the slice) over the reduced image.

const CACHE = 24; // slices kept in the browser
const NEAR = 8; // CSS px: a pointer this close to a point grabs it
const REGIONS = 4; // full-resolution regions kept in the browser
const REGION_WAIT = 80; // ms without zoom or pan before a region is asked for

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function typed(dtype, view) {
  // a buffer arrives as a DataView; copy when its offset does not suit the element size
  let buf = view.buffer, off = view.byteOffset, len = view.byteLength;
  if (dtype === "rgb8") return new Uint8Array(buf, off, len);
  if (off % 2) {
    buf = buf.slice(off, off + len);
    off = 0;
  }
  return dtype === "int16" ? new Int16Array(buf, off, len / 2) : new Uint16Array(buf, off, len / 2);
}

function rint(y) {
  // numpy's rint: round half to even
  const r = Math.round(y);
  return Math.abs(y % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function windowValue(x, c, w, fn) {
  if (fn === "SIGMOID") return 255 / (1 + Math.exp((-4 * (x - c)) / w));
  if (fn === "LINEAR") {
    c -= 0.5;
    w -= 1;
  }
  if (x <= c - w / 2) return 0;
  if (x > c + w / 2) return 255;
  return ((x - c) / w + 0.5) * 255;
}

function buildLut(slice, win) {
  // one packed RGBA entry per code of the slice's range
  const m = slice.meta;
  const n = m.code_max - m.code_min + 1;
  const lut = new Uint32Array(n);
  const table = slice.voi;
  for (let i = 0; i < n; i++) {
    const code = m.code_min + i;
    let y = table ? table[i] : rint(windowValue(code * m.scale + m.offset, win.center, win.width, win.function));
    y = Math.min(255, Math.max(0, y));
    if (win.invert) y = 255 - y;
    lut[i] = 0xff000000 | (y << 16) | (y << 8) | y;
  }
  return lut;
}

export default {
  render({ model, el: root }) {
    root.classList.add("wb-viewer");
    root.tabIndex = 0;
    const toolbar = el("div", "wb-toolbar");
    const topbar = el("div", "wb-topbar");
    const badge = el("span", "wb-badge");
    const title = el("span", "wb-title");
    const corner = el("span", "wb-corner");
    topbar.append(badge, title, corner);
    const stage = el("div", "wb-stage");
    const canvas = el("canvas", "wb-canvas");
    stage.append(canvas);
    const bottombar = el("div", "wb-bottombar");
    const readout = el("span", "wb-readout", "\u00a0");
    const calib = el("span", "wb-calibration");
    const status = el("span", "wb-status");
    bottombar.append(readout, calib, status);
    const list = el("table", "wb-list");
    const keys = el("div", "wb-keys"); // the key images of this series made with the ★ button
    root.append(toolbar, keys, topbar, stage, bottombar, list);

    const image = document.createElement("canvas"); // native resolution, never shown itself
    const ctx = canvas.getContext("2d");
    const cache = new Map(); // key -> {meta, codes, voi}
    let slice = null; // the slice on screen
    let view = { ...model.get("view") }; // local copy, moved by the pointer
    let lut = null, lutKey = "";
    let points = []; // points of the measurement being placed
    let hover = null; // pointer position in image space
    let drag = null;
    let selected = null;
    const picked = new Set(); // measurements ticked for the next key image
    let painted = 0;
    const stats = { paints: [], stored: [], regions: [] };
    let regions = []; // full-resolution regions, oldest first: {key, box, meta, codes, voi, canvas}
    let region = null; // the region drawn over the reduced image now
    let regionTimer = null, regionAsked = null; // {key, since}: the view waiting for a region
    let imagePainted = { slice: null, key: "" }; // what the reduced image canvas holds
    // Actions that move the view are numbered (``seq``); the kernel echoes the number of the
    // last one it carried out in every view it sends. ``mine[field]`` is the number of the
    // page's latest change of a view field (Infinity while unsent): a view from the kernel
    // older than that is its answer to an earlier action and must not take the field back.
    let seq = (model.get("view") || {}).seq || 0;
    const mine = {};
    const FIELDS = ["zoom", "pan", "center", "width", "voi_lut", "index"];
    const touch = (...fields) => { for (const f of fields) mine[f] = Infinity; };
    const unsent = () => FIELDS.filter((f) => mine[f] === Infinity);
    function sendNumbered(msg, fields) {
      seq += 1;
      for (const f of fields) mine[f] = seq;
      send({ ...msg, seq });
    }
    const keyOf = (v) => `${v.series_key}|${v.plane}|${v.index}`;

    const send = (msg) => model.send(msg);
    const sizeMax = () => model.get("size") || 640;

    // --- geometry: image space is full-resolution pixels (x = col + 0.5, y = (row + 0.5) * aspect)
    function dims() {
      const m = slice ? slice.meta : { rows: 1, cols: 1, aspect: 1 };
      const wi = m.cols, hi = m.rows * (m.aspect || 1);
      const quarter = ((view.rotate || 0) / 90) % 2 === 1;
      return { wi, hi, wd: quarter ? hi : wi, hd: quarter ? wi : hi };
    }
    function cssSize() {
      const { wd, hd } = dims();
      const avail = Math.max(120, Math.min(sizeMax(), (root.clientWidth || sizeMax()) - 2));
      const k = Math.min(avail / wd, sizeMax() / hd);
      return { w: Math.max(1, Math.round(wd * k)), h: Math.max(1, Math.round(hd * k)) };
    }
    function matrix(css) {
      const { wi, hi, wd, hd } = dims();
      const fit = Math.min(css.w / wd, css.h / hd);
      const k = fit * view.zoom;
      const cx = wd * (0.5 + view.pan[1]), cy = hd * (0.5 + view.pan[0]);
      return new DOMMatrix()
        .translate(css.w / 2, css.h / 2)
        .scale(k)
        .translate(-cx, -cy)
        .translate(wd / 2, hd / 2)
        .scale(view.flip_h ? -1 : 1, view.flip_v ? -1 : 1)
        .rotate(view.rotate || 0)
        .translate(-wi / 2, -hi / 2);
    }
    function toImage(event) {
      const rect = canvas.getBoundingClientRect();
      const css = { w: parseFloat(canvas.style.width), h: parseFloat(canvas.style.height) };
      const px = ((event.clientX - rect.left) * css.w) / rect.width;
      const py = ((event.clientY - rect.top) * css.h) / rect.height;
      const q = matrix(css).inverse().transformPoint(new DOMPoint(px, py));
      const { wi, hi } = dims();
      const aspect = slice ? slice.meta.aspect || 1 : 1;
      return {
        x: q.x, y: q.y, css: { x: px, y: py },
        row: q.y / aspect - 0.5, col: q.x - 0.5,
        inside: q.x >= 0 && q.y >= 0 && q.x <= wi && q.y <= hi,
      };
    }
    function toCss(rc, M) {
      const aspect = slice ? slice.meta.aspect || 1 : 1;
      return M.transformPoint(new DOMPoint(rc[1] + 0.5, (rc[0] + 0.5) * aspect));
    }
    function clampPan(pan, zoom) {
      const lim = 0.5 - 0.5 / zoom;
      return [Math.min(lim, Math.max(-lim, pan[0])), Math.min(lim, Math.max(-lim, pan[1]))];
    }

    // --- pixels
    function windowKey() {
      const w = model.get("window");
      return [slice && slice.key, view.center, view.width, w.function, w.invert, view.voi_lut].join("|");
    }
    function windowInto(target, s, table) {
      // the codes of *s* (a slice or a region) windowed into the canvas *target*
      const m = s.meta;
      if (target.width !== m.width || target.height !== m.height) {
        target.width = m.width;
        target.height = m.height;
      }
      const ictx = target.getContext("2d");
      const data = ictx.createImageData(m.width, m.height);
      const out32 = new Uint32Array(data.data.buffer);
      const codes = s.codes;
      if (m.dtype === "rgb8") {
        const inv = view.invert;
        const px = data.data;
        for (let i = 0, j = 0; i < out32.length; i++, j += 3) {
          px[4 * i] = inv ? 255 - codes[j] : codes[j];
          px[4 * i + 1] = inv ? 255 - codes[j + 1] : codes[j + 1];
          px[4 * i + 2] = inv ? 255 - codes[j + 2] : codes[j + 2];
          px[4 * i + 3] = 255;
        }
      } else {
        const lo = m.code_min;
        for (let i = 0; i < codes.length; i++) out32[i] = table[codes[i] - lo];
      }
      ictx.putImageData(data, 0, 0);
    }
    function tableFor(s) {
      const w = model.get("window");
      const useVoi = view.voi_lut && s.voi;
      return buildLut(useVoi ? s : { ...s, voi: null }, {
        center: view.center, width: Math.max(1, view.width), function: w.function,
        invert: w.invert,
      });
    }
    function paintImage() {
      if (!slice) return;
      const key = windowKey() + "|" + view.invert;
      let fresh = false; // the window changed (or a reset asked for a new table)
      if (key !== lutKey) {
        lut = slice.meta.dtype === "rgb8" ? null : tableFor(slice);
        lutKey = key;
        fresh = true;
      }
      if (region) {
        if (fresh || region.painted !== key) {
          windowInto(region.canvas, region, region.meta.dtype === "rgb8" ? null : tableFor(region));
          region.painted = key;
        }
        if (region.whole) {
          // the region fills the view: the reduced image is windowed when it shows again
          if (fresh) imagePainted = { slice: null, key: "" };
          return;
        }
      }
      if (!fresh && imagePainted.slice === slice && imagePainted.key === key) return;
      windowInto(image, slice, lut);
      imagePainted = { slice, key };
    }

    // --- the full-resolution region of a zoomed, reduced image
    function visibleRect(M, css) {
      // [top, left, bottom, right] of the canvas in full-resolution pixel edges
      const inv = M.inverse();
      const aspect = slice.meta.aspect || 1;
      const rows = [], cols = [];
      for (const [x, y] of [[0, 0], [css.w, 0], [0, css.h], [css.w, css.h]]) {
        const q = inv.transformPoint(new DOMPoint(x, y));
        rows.push(q.y / aspect);
        cols.push(q.x);
      }
      return [Math.min(...rows), Math.min(...cols), Math.max(...rows), Math.max(...cols)];
    }
    function wantsRegion(css) {
      // reduced, acquired, and one reduced pixel covers more than one device pixel
      const m = slice.meta;
      if (m.width >= m.cols && m.height >= m.rows) return false;
      if (!slice.key.includes("|acquired|")) return false;
      const { wd, hd } = dims();
      const scale = Math.min(css.w / wd, css.h / hd) * view.zoom * (window.devicePixelRatio || 1);
      const aspect = m.aspect || 1;
      return Math.max((scale * m.cols) / m.width, (scale * aspect * m.rows) / m.height) > 1 + 1e-6;
    }
    function covers(box, rect, m) {
      const top = Math.max(0, Math.floor(rect[0])), left = Math.max(0, Math.floor(rect[1]));
      const bottom = Math.min(m.rows, Math.ceil(rect[2])), right = Math.min(m.cols, Math.ceil(rect[3]));
      return box[0] <= top && box[1] <= left && box[2] >= bottom && box[3] >= right;
    }
    function chooseRegion(event) {
      // the region to draw for this view; ask the kernel when none covers it
      region = null;
      if (!slice) return;
      const css = cssSize();
      if (!wantsRegion(css)) {
        clearTimeout(regionTimer);
        regionAsked = null;
        return;
      }
      const rect = visibleRect(matrix(css), css);
      const mine = regions.filter((r) => r.key === slice.key);
      const whole = mine.filter((r) => covers(r.box, rect, slice.meta));
      region = whole.length ? whole[whole.length - 1] : mine.length ? mine[mine.length - 1] : null;
      if (region) region.whole = whole.length > 0;
      if (whole.length) return;
      if (!regionAsked || regionAsked.key !== slice.key) {
        regionAsked = { key: slice.key, since: event && event.timeStamp ? event.timeStamp : performance.now() };
      }
      clearTimeout(regionTimer);
      const key = slice.key;
      regionTimer = setTimeout(() => {
        if (slice && slice.key === key) send({ type: "need_region", key, rect });
      }, REGION_WAIT);
    }

    function paint(event) {
      const css = cssSize();
      const dpr = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(css.w * dpr) || canvas.height !== Math.round(css.h * dpr)) {
        canvas.width = Math.round(css.w * dpr);
        canvas.height = Math.round(css.h * dpr);
      }
      canvas.style.width = css.w + "px";
      canvas.style.height = css.h + "px";
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, css.w, css.h);
      if (!slice) return;
      const M = matrix(css);
      const { wi, hi } = dims();
      ctx.save();
      ctx.setTransform(new DOMMatrix().scale(dpr).multiply(M));
      ctx.imageSmoothingEnabled = true;
      if (!region || !region.whole) ctx.drawImage(image, 0, 0, wi, hi);
      if (region) {
        const [r0, c0, r1, c1] = region.box, a = slice.meta.aspect || 1;
        ctx.drawImage(region.canvas, c0, r0 * a, c1 - c0, (r1 - r0) * a);
      }
      ctx.restore();
      if (region && region.whole && regionAsked && regionAsked.key === slice.key) {
        stats.regions.push(performance.now() - regionAsked.since);
        regionAsked = null;
      }
      drawOverlay(M, css);
      painted += 1;
      if (event) stats.paints.push(performance.now() - event.timeStamp);
      updateText();
    }

    let frameAsked = false;
    function schedule(event) {
      // one paint per animation frame; the first event of the frame is the one timed
      if (frameAsked) return;
      frameAsked = true;
      const first = event;
      requestAnimationFrame(() => {
        frameAsked = false;
        chooseRegion(first);
        paintImage();
        paint(first);
      });
    }

    // --- overlay
    function line(M, pts, colour, dash) {
      ctx.beginPath();
      pts.forEach((p, i) => {
        const q = toCss(p, M);
        if (i) ctx.lineTo(q.x, q.y);
        else ctx.moveTo(q.x, q.y);
      });
      ctx.strokeStyle = colour;
      ctx.setLineDash(dash ? [6, 4] : []);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    function label(text, q, colour) {
      if (!text) return;
      ctx.font = "13px sans-serif";
      const w = ctx.measureText(text).width;
      ctx.fillStyle = "rgba(0,0,0,0.6)";
      ctx.fillRect(q.x + 6, q.y - 16, w + 6, 18);
      ctx.fillStyle = colour;
      ctx.fillText(text, q.x + 9, q.y - 3);
    }
    function shape(M, kind, pts, colour, text) {
      ctx.lineWidth = 1.6;
      if ((kind === "roi_ellipse" || kind === "roi_rectangle" || kind === "roi") && pts.length >= 2) {
        let [a, b] = pts;
        if (kind === "roi") {
          const r = Math.hypot(b[0] - a[0], b[1] - a[1]);
          b = [a[0] + r, a[1] + r];
          a = [a[0] - r, a[1] - r];
        }
        const n = 48, ring = [];
        const r0 = (a[0] + b[0]) / 2, c0 = (a[1] + b[1]) / 2;
        const rr = Math.abs(b[0] - a[0]) / 2, rc = Math.abs(b[1] - a[1]) / 2;
        if (kind === "roi_rectangle") ring.push(a, [a[0], b[1]], b, [b[0], a[1]], a);
        else for (let i = 0; i <= n; i++) ring.push([r0 + rr * Math.sin((2 * Math.PI * i) / n), c0 + rc * Math.cos((2 * Math.PI * i) / n)]);
        line(M, ring, colour);
        label(text, toCss(b, M), colour);
        return;
      }
      if (kind === "angle" || kind === "hka" || kind === "center_edge") line(M, pts.slice(0, 3), colour);
      else if (kind === "polyline") line(M, pts, colour);
      else for (let i = 0; i + 1 < pts.length; i += 2) line(M, [pts[i], pts[i + 1]], colour, kind === "calibration");
      if (kind === "arrow" && pts.length >= 2) {
        const tip = toCss(pts[1], M), tail = toCss(pts[0], M);
        const ang = Math.atan2(tip.y - tail.y, tip.x - tail.x);
        ctx.beginPath();
        for (const s of [-1, 1]) {
          ctx.moveTo(tip.x, tip.y);
          ctx.lineTo(tip.x - 12 * Math.cos(ang + s * 0.4), tip.y - 12 * Math.sin(ang + s * 0.4));
        }
        ctx.stroke();
      }
      for (const p of pts) {
        const q = toCss(p, M);
        ctx.fillStyle = colour;
        ctx.fillRect(q.x - 2.5, q.y - 2.5, 5, 5);
      }
      if (pts.length) label(text, toCss(pts[kind === "arrow" ? 0 : pts.length - 1], M), colour);
    }
    // --- layouts hook: reference lines and crosshair of a linked MPR pane (trait "guides")
    function drawGuides(M, css) {
      const g = model.get("guides");
      if (!g || !g.plane || !slice) return;
      const { wi, hi } = dims();
      const at = (x, y) => M.transformPoint(new DOMPoint(x, y));
      ctx.save();
      ctx.lineWidth = 1;
      ctx.setLineDash([]);
      for (const l of g.lines || []) {
        const [a, b] = l.axis === "row" ? [at(0, l.at * hi), at(wi, l.at * hi)] : [at(l.at * wi, 0), at(l.at * wi, hi)];
        ctx.strokeStyle = l.colour || "#fff";
        ctx.beginPath();
        ctx.moveTo(a.x, a.y);
        ctx.lineTo(b.x, b.y);
        ctx.stroke();
      }
      if (g.point) {
        const q = toCss(g.point, M);
        ctx.strokeStyle = "#ffeb3b";
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(q.x, q.y, 6, 0, 2 * Math.PI);
        ctx.stroke();
      }
      ctx.strokeStyle = g.colour || "#fff";
      ctx.lineWidth = 3;
      ctx.strokeRect(1.5, 1.5, css.w - 3, css.h - 3);
      ctx.restore();
    }
    // --- end of the layouts hook

    function drawOverlay(M, css) {
      drawGuides(M, css);
      for (const m of model.get("measurements")) {
        const colour = m.id === selected ? "#ffd400" : m.kind === "calibration" ? "#4fc3f7" : "#7CFC00";
        shape(M, m.kind, m.points, colour, (m.label ? m.label + ": " : "") + m.text);
      }
      const tool = currentTool();
      if (tool && points.length) {
        const pts = hover ? [...points, [hover.row, hover.col]] : points;
        shape(M, tool.kind || tool.name, pts, "#ff9800", tool.hint_after ? "" : "");
      }
      const labels = model.get("overlay").labels || {};
      ctx.font = "bold 14px sans-serif";
      const put = (text, x, y) => {
        if (!text) return;
        const w = ctx.measureText(text).width;
        ctx.fillStyle = "rgba(0,0,0,0.55)";
        ctx.fillRect(x - w / 2 - 3, y - 10, w + 6, 20);
        ctx.fillStyle = "#ffeb3b";
        ctx.fillText(text, x - w / 2, y + 5);
      };
      put(labels.left, 14, css.h / 2);
      put(labels.right, css.w - 14, css.h / 2);
      put(labels.top, css.w / 2, 14);
      put(labels.bottom, css.w / 2, css.h - 14);
    }
    function updateText() {
      const o = model.get("overlay");
      badge.textContent = o.side_text || "";
      badge.style.background = o.side_colour || "#777";
      title.textContent = o.title || "";
      const parts = [];
      if (o.n > 1) parts.push(`${(o.plane && o.plane !== "acquired") ? o.plane + " " : ""}${view.index + 1}/${o.n}`);
      if (!model.get("window").colour) parts.push(`C ${+view.center.toPrecision(6)}  W ${+view.width.toPrecision(6)}`);
      if (view.zoom > 1) parts.push(`×${view.zoom.toFixed(1)}`);
      corner.textContent = parts.join(" · ");
      calib.textContent = o.calibration || "";
      status.textContent = model.get("status") || "";
    }

    // --- toolbar and list
    function currentTool() {
      return model.get("tools").find((t) => t.name === model.get("tool") && t.points > 0) || null;
    }
    const fields = {};
    function buildToolbar() {
      toolbar.replaceChildren();
      for (const t of model.get("tools")) {
        const b = el("button", "wb-tool", t.label);
        b.title = t.hint || t.label;
        b.dataset.tool = t.name;
        if (t.name === model.get("tool")) b.classList.add("wb-active");
        b.onclick = () => setTool(t.name);
        toolbar.append(b);
      }
      const field = (name, placeholder, type, width) => {
        const f = el("input", "wb-field");
        f.type = type;
        f.placeholder = placeholder;
        f.title = placeholder;
        f.dataset.field = name;
        f.style.width = width;
        f.addEventListener("keydown", (e) => e.stopPropagation());
        fields[name] = f;
        return f;
      };
      toolbar.append(field("known_mm", "known mm", "number", "6em"), field("text", "arrow text", "text", "9em"));
      const sep = el("span", "wb-sep", "|");
      const cap = field("caption", "key-image caption", "text", "14em");
      const key = el("button", "wb-tool wb-key", "★ key image");
      key.title = "key image of this view with the ticked measurements";
      key.onclick = () => {
        const here = new Set(model.get("measurements").map((m) => m.id));
        send({ type: "key_image", caption: cap.value, ids: [...picked].filter((id) => here.has(id)) });
      };
      toolbar.append(sep, cap, key);
    }
    function buildKeys() {
      keys.replaceChildren();
      const made = model.get("key_images") || [];
      if (!made.length) return;
      keys.append(el("span", "wb-keys-title", "key images:"));
      for (const k of made) {
        const chip = el("span", "wb-keyimg");
        chip.dataset.number = k.number;
        const go = el("button", "wb-keygo", `★${k.number} ${k.caption || "(no caption)"} · ${k.index + 1}`);
        go.title = "go to this key image's slice";
        go.onclick = () => {
          if (k.plane === view.plane) showIndex(k.index);
        };
        const del = el("button", "wb-keydel", "×");
        del.title = "take this key image back (it leaves the export; the workspace keeps a record)";
        del.onclick = () => send({ type: "key_image_remove", number: k.number });
        chip.append(go, del);
        keys.append(chip);
      }
    }
    function setTool(name) {
      points = [];
      model.set("tool", name);
      model.save_changes();
      for (const b of toolbar.querySelectorAll("button[data-tool]")) b.classList.toggle("wb-active", b.dataset.tool === name);
      const t = currentTool();
      status.textContent = t ? t.hint || "" : "";
      schedule();
    }
    function buildList() {
      list.replaceChildren();
      const rows = model.get("measurements");
      if (!rows.length) return;
      const head = el("tr");
      for (const h of ["key", "label", "kind", "value", "calibration", "note", ""]) head.append(el("th", "", h));
      list.append(head);
      for (const m of rows) {
        const tr = el("tr", m.id === selected ? "wb-selected" : "");
        tr.dataset.id = m.id;
        const pick = el("input", "wb-pick");
        pick.type = "checkbox";
        pick.dataset.id = m.id;
        pick.checked = picked.has(m.id); // ticks survive the list being drawn again
        pick.onchange = () => (pick.checked ? picked.add(m.id) : picked.delete(m.id));
        const name = el("input", "wb-label");
        name.value = m.label || "";
        name.placeholder = "label";
        name.addEventListener("keydown", (e) => e.stopPropagation());
        name.onchange = () => send({ type: "rename", id: m.id, label: name.value });
        const del = el("button", "wb-delete", "×");
        del.title = "delete this measurement";
        del.onclick = () => send({ type: "delete", id: m.id });
        const note = el("span", "wb-note", m.note || ""); // e.g. joint space on a film not known to be weight-bearing
        const cells = [pick, name, m.kind, m.text, m.calibration, note, del];
        for (const c of cells) {
          const td = el("td");
          if (typeof c === "string") td.textContent = c;
          else td.append(c);
          tr.append(td);
        }
        tr.onclick = (e) => {
          if (e.target.tagName === "TD") {
            selected = m.id;
            buildList();
            schedule();
          }
        };
        list.append(tr);
      }
    }

    // --- actions sent to the kernel
    function sendView() {
      const fields = unsent().filter((f) => f !== "index");
      if (!fields.length) return;
      const changed = {};
      for (const f of fields) changed[f] = f === "pan" ? [...view.pan] : view[f];
      sendNumbered({ type: "view", view: changed }, fields);
    }
    function showIndex(index) {
      const o = model.get("overlay");
      index = Math.min(Math.max(0, index), Math.max(0, (o.n || 1) - 1));
      if (index === view.index) return;
      view.index = index;
      points = [];
      const key = `${o.series_key}|${o.plane}|${index}`;
      if (cache.has(key)) {
        slice = cache.get(key);
        lutKey = "";
        schedule(lastEvent);
      }
      sendNumbered({ type: "index", index }, ["index"]);
    }
    function finish(tool) {
      const msg = { type: "measure", tool: tool.name, points: points.map((p) => [p[0], p[1]]), t0: performance.now() };
      if (tool.name === "calibration") msg.known_mm = parseFloat(fields.known_mm.value);
      if (tool.name === "arrow") msg.text = fields.text.value;
      points = [];
      send(msg);
    }

    // --- pointer
    let lastEvent = null;
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("pointerdown", (e) => {
      root.focus({ preventScroll: true });
      if (!slice) return;
      const p = toImage(e);
      const tool = currentTool();
      const windowing = e.button === 2 || (e.button === 0 && e.shiftKey) || (e.button === 0 && model.get("tool") === "window");
      canvas.setPointerCapture(e.pointerId);
      if (windowing && !model.get("window").colour) {
        drag = { mode: "window", x: e.clientX, y: e.clientY, c: view.center, w: view.width };
        return;
      }
      if (e.button === 0 && model.get("tool") === "crosshair") { // layouts hook: linked MPR
        if (p.inside) send({ type: "point", point: [p.row, p.col], t0: performance.now() });
        else status.textContent = "That point is outside the image: click on the image.";
        return;
      }
      if (e.button === 0 && tool) {
        if (!p.inside) {
          status.textContent = "That point is outside the image: click on the image.";
          return;
        }
        points.push([p.row, p.col]);
        if (points.length >= tool.points) finish(tool);
        schedule(e);
        return;
      }
      if (e.button === 0 || e.button === 1) {
        const grab = grabHandle(e);
        if (grab) {
          drag = { mode: "handle", ...grab };
          return;
        }
        pick(e);
        drag = { mode: "pan", x: e.clientX, y: e.clientY, pan: [...view.pan] };
      }
    });
    function grabHandle(e) {
      const css = { w: parseFloat(canvas.style.width), h: parseFloat(canvas.style.height) };
      const M = matrix(css);
      const here = toImage(e).css;
      for (const m of model.get("measurements")) {
        if (m.id !== selected) continue;
        for (let i = 0; i < m.points.length; i++) {
          const q = toCss(m.points[i], M);
          if (Math.hypot(q.x - here.x, q.y - here.y) < NEAR) return { id: m.id, i, pts: m.points.map((p) => [...p]) };
        }
      }
      return null;
    }
    function pick(e) {
      const css = { w: parseFloat(canvas.style.width), h: parseFloat(canvas.style.height) };
      const M = matrix(css);
      const here = toImage(e).css;
      let best = null, bestD = NEAR;
      for (const m of model.get("measurements")) {
        for (const p of m.points) {
          const q = toCss(p, M);
          const d = Math.hypot(q.x - here.x, q.y - here.y);
          if (d < bestD) {
            best = m.id;
            bestD = d;
          }
        }
      }
      if (best !== selected) {
        selected = best;
        buildList();
        schedule();
      }
    }
    canvas.addEventListener("pointermove", (e) => {
      lastEvent = e;
      const p = toImage(e);
      hover = p.inside ? p : null;
      showReadout(p);
      if (!drag) {
        if (points.length) schedule(e);
        return;
      }
      const css = { w: parseFloat(canvas.style.width), h: parseFloat(canvas.style.height) };
      if (drag.mode === "window") {
        const s = Math.max(drag.w, 1) / 200;
        touch("center", "width", "voi_lut");
        view.width = Math.max(1, drag.w + (e.clientX - drag.x) * s);
        view.center = drag.c + (e.clientY - drag.y) * s;
        view.voi_lut = false;
      } else if (drag.mode === "pan") {
        const { wd, hd } = dims();
        const k = Math.min(css.w / wd, css.h / hd) * view.zoom;
        touch("pan");
        view.pan = clampPan([drag.pan[0] - (e.clientY - drag.y) / k / hd, drag.pan[1] - (e.clientX - drag.x) / k / wd], view.zoom);
      } else if (drag.mode === "handle") {
        if (!p.inside) return;
        drag.pts[drag.i] = [p.row, p.col];
        const m = model.get("measurements").find((x) => x.id === drag.id);
        if (m) m.points = drag.pts;
      }
      schedule(e);
    });
    canvas.addEventListener("pointerup", (e) => {
      if (!drag) return;
      const d = drag;
      drag = null;
      if (d.mode === "window" || d.mode === "pan") {
        sendView(); // only what the drag moved (nothing for a click without a move)
      } else if (d.mode === "handle") {
        send({ type: "move", id: d.id, points: d.pts });
      }
    });
    canvas.addEventListener("pointerleave", () => {
      hover = null;
      readout.textContent = "\u00a0";
      if (points.length) schedule();
    });
    canvas.addEventListener("dblclick", () => {
      points = [];
      clearTimeout(canvas._zoomTimer);
      view.zoom = 1;
      view.pan = [0, 0];
      // the kernel resets the window too: its answer brings it (a zoom not yet sent is dropped)
      sendNumbered({ type: "reset" }, ["zoom", "pan"]);
      schedule();
    });
    canvas.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        lastEvent = e;
        if (!slice) return;
        if (e.ctrlKey || e.metaKey) {
          const css = { w: parseFloat(canvas.style.width), h: parseFloat(canvas.style.height) };
          const { wd, hd } = dims();
          const fit = Math.min(css.w / wd, css.h / hd);
          const p = toImage(e).css;
          const k0 = fit * view.zoom;
          const zoom = Math.min(32, Math.max(1, view.zoom * Math.exp(-e.deltaY * 0.0015)));
          const k1 = fit * zoom;
          const dx = wd * (0.5 + view.pan[1]) + (p.x - css.w / 2) / k0;
          const dy = hd * (0.5 + view.pan[0]) + (p.y - css.h / 2) / k0;
          const cx = dx - (p.x - css.w / 2) / k1, cy = dy - (p.y - css.h / 2) / k1;
          touch("zoom", "pan");
          view.zoom = zoom;
          view.pan = clampPan([cy / hd - 0.5, cx / wd - 0.5], zoom);
          schedule(e);
          clearTimeout(canvas._zoomTimer);
          canvas._zoomTimer = setTimeout(sendView, 150);
          return;
        }
        let delta = e.deltaY * (e.deltaMode === 1 ? 40 : 1);
        if (!delta) return;
        const steps = Math.max(1, Math.min(10, Math.round(Math.abs(delta) / 120)));
        showIndex(view.index + (delta > 0 ? steps : -steps));
      },
      { passive: false },
    );
    function showReadout(p) {
      if (!slice || !p.inside) {
        readout.textContent = "\u00a0";
        return;
      }
      const m = slice.meta;
      const r = Math.round(p.row), c = Math.round(p.col);
      const br = Math.min(m.height - 1, Math.floor(((p.row + 0.5) * m.height) / m.rows));
      const bc = Math.min(m.width - 1, Math.floor(((p.col + 0.5) * m.width) / m.cols));
      // the full-resolution region's own pixel where it has one, else the reduced one
      let src = slice, at = br * m.width + bc;
      const fr = Math.floor(p.row + 0.5), fc = Math.floor(p.col + 0.5);
      if (region && fr >= region.box[0] && fr < region.box[2] && fc >= region.box[1] && fc < region.box[3]) {
        src = region;
        at = (fr - region.box[0]) * region.meta.width + (fc - region.box[1]);
      }
      const sm = src.meta;
      let value = "";
      if (m.dtype === "rgb8") {
        const j = 3 * at;
        value = `RGB ${src.codes[j]},${src.codes[j + 1]},${src.codes[j + 2]}`;
      } else {
        const v = src.codes[at] * sm.scale + sm.offset;
        value = `${+v.toPrecision(6)}${m.unit ? " " + m.unit : ""}`;
      }
      const sp = model.get("overlay").spacing;
      const mm = sp ? ` · ${(p.col * sp[1]).toFixed(1)}, ${(p.row * sp[0]).toFixed(1)} mm` : "";
      readout.textContent = `(${r}, ${c}) px${mm} · ${value}`;
      root.dataset.readout = readout.textContent;
    }

    // --- keyboard
    root.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        points = [];
        drag = null;
        selected = null;
        status.textContent = "";
        buildList();
        schedule();
      } else if (e.key === "ArrowDown" || e.key === "ArrowRight" || e.key === "PageDown") {
        lastEvent = e;
        showIndex(view.index + (e.key === "PageDown" ? 10 : 1));
      } else if (e.key === "ArrowUp" || e.key === "ArrowLeft" || e.key === "PageUp") {
        lastEvent = e;
        showIndex(view.index - (e.key === "PageUp" ? 10 : 1));
      } else if ((e.key === "Delete" || e.key === "Backspace") && selected) {
        send({ type: "delete", id: selected });
        selected = null;
      } else if (/^[1-9]$/.test(e.key)) {
        const p = model.get("presets")[parseInt(e.key, 10) - 1];
        if (!p) return;
        view.center = p.center;
        view.width = p.width;
        view.voi_lut = !!p.voi_lut;
        sendNumbered({ type: "preset", name: p.name }, ["center", "width", "voi_lut"]);
        schedule(e);
      } else return;
      e.preventDefault();
      e.stopPropagation();
    });

    // --- messages from the kernel
    model.on("msg:custom", (msg, buffers) => {
      if (msg.type === "slice") {
        const s = { key: msg.key, meta: msg.meta, codes: typed(msg.meta.dtype, buffers[0]), voi: null };
        if (buffers.length > 1) s.voi = new Uint8Array(buffers[1].buffer, buffers[1].byteOffset, buffers[1].byteLength);
        cache.delete(msg.key);
        cache.set(msg.key, s);
        while (cache.size > CACHE) cache.delete(cache.keys().next().value);
        if (msg.show && msg.key === keyOf(view)) { // else a stale answer: cached, not shown
          slice = s;
          lutKey = "";
          schedule(lastEvent);
        }
      } else if (msg.type === "region") {
        const r = {
          key: msg.key, box: msg.meta.box, meta: msg.meta, codes: typed(msg.meta.dtype, buffers[0]),
          voi: buffers.length > 1 ? new Uint8Array(buffers[1].buffer, buffers[1].byteOffset, buffers[1].byteLength) : null,
          canvas: document.createElement("canvas"), painted: "", whole: false,
        };
        regions = regions.filter((x) => !(x.key === r.key && x.box.join() === r.box.join()));
        regions.push(r);
        while (regions.length > REGIONS) regions.shift();
        schedule();
      } else if (msg.type === "show" && msg.key === keyOf(view)) {
        const s = cache.get(msg.key);
        if (!s) send({ type: "need", key: msg.key });
        else if (s !== slice) {
          slice = s;
          lutKey = "";
          schedule();
        }
      } else if (msg.type === "stored") {
        if (msg.t0 !== undefined) stats.stored.push(performance.now() - msg.t0);
        status.textContent = msg.text || "";
      } else if (msg.type === "error") {
        status.textContent = msg.text;
      }
    });
    model.on("change:view", () => {
      const v = model.get("view");
      const acked = v.seq || 0;
      const old = view;
      view = { ...v, pan: [...v.pan] };
      const samePlane = v.series_key === old.series_key && v.plane === old.plane;
      for (const f of FIELDS) {
        // the page's own changes the kernel has not carried out yet stay on screen
        if (samePlane && (mine[f] || 0) > acked) view[f] = f === "pan" ? [...old.pan] : old[f];
        else delete mine[f];
      }
      if (!samePlane) clearTimeout(canvas._zoomTimer);
      if (view.index !== old.index) points = [];
      const key = keyOf(view), s = cache.get(key);
      if (s && s !== slice) slice = s;
      else if (!s && (!slice || slice.key !== key) && view.index === v.index) send({ type: "need", key });
      lutKey = "";
      schedule();
    });
    model.on("change:window", () => {
      lutKey = "";
      schedule();
    });
    model.on("change:measurements", () => {
      buildList();
      schedule();
    });
    model.on("change:overlay", () => schedule());
    model.on("change:guides", () => schedule()); // layouts hook
    model.on("change:status", () => updateText());
    model.on("change:tools", buildToolbar);
    model.on("change:key_images", buildKeys);
    model.on("change:tool", () => setTool(model.get("tool")));
    const observer = new ResizeObserver(() => schedule());
    observer.observe(root);

    buildToolbar();
    buildKeys();
    buildList();
    root.wbViewer = { stats, image, canvas, get view() { return view; }, get slice() { return slice; }, get painted() { return painted; }, get region() { return region; }, get kernelView() { return model.get("view"); }, get seq() { return seq; }, matrix: () => matrix({ w: parseFloat(canvas.style.width), h: parseFloat(canvas.style.height) }) };
    send({ type: "hello" });
    paint();
    return () => observer.disconnect();
  },
};
