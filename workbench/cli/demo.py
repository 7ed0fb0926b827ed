"""The main job on a bundled sample case, end to end (``make demo``).

Ingest → check → build the case notebook → put in the sample reviewer's key images and
answers → execute the notebook (nbclient, widget state off) → export the opinion page
and its PDF → print where everything is.

Run: ``python -m workbench.cli.demo [SAMPLE] [--workspace DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

from workbench import hints, samples
from workbench.case import Case, open_case
from workbench.cli.report import check_report, ingest_report
from workbench.export.clean import figures_of
from workbench.export.opinion import CHROMIUM_MISSING, chromium, export_opinion
from workbench.notebook.build import ANSWER_PLACEHOLDER, UNCHECKED, build_review_notebook

#: What the demo reviewer writes: answers by question number, then key images to take.
DEMO_REVIEW: dict[str, dict[str, object]] = {
    "knee_oa_right": {
        "answers": [
            "The standing X-rays of 2023 and 2024 show the inner (medial) joint space of the "
            "right knee narrowing further, with bone rubbing on bone in the latest film. That "
            "is enough wear to make a replacement a reasonable choice now; it is not urgent, "
            "so waiting is also safe if the pain is bearable.",
            "Yes, it is worth asking about. The wear is on the inner side and the outer side "
            "and kneecap joint look preserved on these films; a partial replacement also needs "
            "intact ligaments, which an examination in person confirms.",
            "No. A degenerative meniscus tear in a worn knee is very common and keyhole "
            "surgery for it rarely helps; it is not a reason to delay or add an operation.",
            "Weight loss where relevant, a strengthening programme and an unloading brace are "
            "reasonable. Waiting does not usually make the later operation harder, but pain "
            "and stiffness can slowly reduce what you can do.",
        ],
        "sections": {
            "images": "Medial joint-space narrowing of the right knee on standing films, "
            "progressing between June 2023 and September 2024; the MRI of March 2024 shows "
            "cartilage loss on the inner side and a degenerative meniscus tear.",
            "match": "Yes: the inner-knee pain on stairs and after walking fits the wear seen "
            "on the inner side.",
            "proposed": "A total or partial knee replacement is supported by the images and "
            "the history of treatments tried. The timing is your choice.",
            "options": "Strengthening exercises, weight management, an unloading brace, and "
            "pain relief as advised by your doctor.",
        },
        "key_images": [("Standing AP, right knee, latest film", "DX", -1)],
    },
}
GENERIC_ANSWER = (
    "Based on the images and records sent, see the sections below. This sample answer was "
    "written by the workbench's example script, not by a surgeon."
)


def _key_image_source(case: Case, caption: str, modality: str, which: int) -> str:
    studies = case.studies[(case.studies["source"] == "dicom")
                           & (case.studies["modality"] == modality)]  # fmt: skip
    if studies.empty:
        return "# no study for the demo key image"
    key = str(studies["study_key"].iloc[which])
    return (
        f"viewer = workbench.SeriesViewer(case, study_key={key!r})\n"
        f"viewer.snapshot(caption={caption!r})"
    )


def prepare_notebook(case: Case, path: Path, sample: str) -> Path:
    """Write the case notebook with the demo reviewer's answers and key-image cells."""
    build_review_notebook(case, path)
    nb = nbformat.read(path, as_version=4)
    review = DEMO_REVIEW.get(sample, {})
    answers = list(review.get("answers", []))  # type: ignore[call-overload]
    images = list(review.get("key_images", []))  # type: ignore[call-overload]
    sections: dict[str, str] = dict(review.get("sections", {}))  # type: ignore[call-overload]
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "workbench-answer" in tags:
            i = cell.metadata["workbench"]["question"]
            text = answers[i] if i < len(answers) else GENERIC_ANSWER
            cell.source = cell.source.replace(ANSWER_PLACEHOLDER, text)
        elif cell.metadata.get("workbench", {}).get("section") in sections:
            heading = cell.source.split("\n", 1)[0]
            cell.source = f"{heading}\n\n{sections[cell.metadata['workbench']['section']]}"
        elif "workbench-figure" in tags and images:
            caption, modality, which = images[0]
            cell.source = _key_image_source(case, caption, modality, which)
        elif "workbench-side-conflict" in tags:
            cell.source = cell.source.replace(UNCHECKED.split("]")[0], "- [x")
    nb.metadata["workbench"]["reviewer"] = "Sample Reviewer (not a clinician)"
    nbformat.write(nb, path)
    return path


def kernel_config() -> Config:
    """Kernel settings for nbclient: CurveZMQ encryption of the kernel's sockets when
    jupyter_client (8.10 and later), pyzmq and the kernelspec support it. Without it
    ipykernel warns "Kernel is running over TCP without encryption", rightly: code and
    outputs, patient data included, would cross the loopback sockets in plain text. The
    warning stays where encryption is not available, because there it matters."""
    import zmq
    from jupyter_client.manager import KernelManager

    config = Config()
    if "transport_encryption" in KernelManager.class_trait_names() and zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    return config


def execute_notebook(path: Path, *, timeout: int = 300) -> Path:
    """Run every cell in a fresh kernel; widget state is not stored in the notebook."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}},
                            config=kernel_config())  # fmt: skip
    client.execute()
    nbformat.write(nb, path)
    return path


def key_images(path: Path) -> int:
    """How many key images the executed notebook holds (what the export will show)."""
    nb = nbformat.read(path, as_version=4)
    figure_cells = [c for c in nb.cells if "workbench-figure" in c.metadata.get("tags", [])]
    return sum(len(figures_of(cell)) for cell in figure_cells)


def run(sample: str, workspace: Path) -> dict[str, Path]:
    """The whole job; prints what it made and what it skipped, why, and the fix.

    Returns the paths it wrote this time (``pdf`` only when the PDF was printed).
    """
    started = time.perf_counter()
    case = open_case(samples.path(sample), workspace=workspace / "case", progress=True)
    print(ingest_report(case), "\n")
    print(check_report(case, case.triage()), "\n")
    notebook = prepare_notebook(case, workspace / "review.ipynb", sample)
    execute_notebook(notebook)
    browser = chromium()
    page = export_opinion(notebook, workspace / "opinion.html", lang="en",
                          pdf=browser is not None)  # fmt: skip
    images = key_images(notebook)
    made: dict[str, tuple[Path, str]] = {
        "workspace": (case.workspace, "tables, caches, unpacked archives"),
        "notebook": (notebook, "executed"),
        "opinion": (page, f"{images} key image{'s' * (images != 1)}"),
    }
    skipped: dict[str, str] = {}
    if browser is not None:
        made["pdf"] = (page.with_suffix(".pdf"), f"printed by {browser}")
    else:
        again = hints.python_module("workbench.cli.demo", sample, "--workspace", workspace.parent)
        skipped["pdf"] = f"{CHROMIUM_MISSING}, then run `{again}` again."
        if page.with_suffix(".pdf").exists():
            skipped["pdf"] += f" The {page.with_suffix('.pdf').name} there is from an earlier run."
    review = DEMO_REVIEW.get(sample, {})
    reviewed = ", ".join(DEMO_REVIEW)
    if not images:
        why = (
            "the case has no study for the demo's key image"
            if review.get("key_images")
            else f"the demo reviewer picks key images for {reviewed} only"
        )
        skipped["key image"] = (
            f"{why}; take one in the notebook (`viewer.snapshot(caption=...)` in the cell "
            "tagged workbench-figure), then export again."
        )
    if not review:
        count = len(case.manifest.questions)
        answers = f" and the {count} answers are a generic sentence" if count else ""
        skipped["opinion"] = (
            f"the demo reviewer writes the opinion for {reviewed} only; here its sections keep "
            f"the template's text{answers}: write them in the notebook, then export again."
        )
    print(f"Done in {time.perf_counter() - started:.1f} s. Made:")
    for name, (path, note) in made.items():
        print(f"  {name:10s} {path}  ({note})")
    print("Skipped:" if skipped else "Skipped: nothing.")
    for name, reason in skipped.items():
        print(f"  {name:10s} {reason}")
    export = hints.workbench("export", notebook, *(["--pdf"] if browser else []))
    print("Next:")
    print(f"  open the notebook in JupyterLab:  {hints.jupyter_lab(notebook)}")
    print(f"  export it again after editing:    {export}")
    return {name: path for name, (path, _) in made.items()}


def main(argv: list[str] | None = None) -> int:
    """Command line of the demo."""
    parser = argparse.ArgumentParser(prog="python -m workbench.cli.demo", description=__doc__)
    parser.add_argument("sample", nargs="?", default="knee_oa_right", choices=samples.names())
    parser.add_argument("--workspace", type=Path, default=Path("workspace"))
    args = parser.parse_args(argv)
    run(args.sample, args.workspace.resolve() / args.sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
