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

from workbench import samples
from workbench.case import Case, open_case
from workbench.cli.report import check_report, ingest_report
from workbench.export.opinion import chromium, export_opinion
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
    return apply_demo_review(case, path, sample)


def apply_demo_review(case: Case, path: Path, sample: str) -> Path:
    """Put the demo reviewer's answers and key-image cells into the case notebook at *path*."""
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


def execute_notebook(path: Path, *, timeout: int = 300) -> Path:
    """Run every cell in a fresh kernel; widget state is not stored in the notebook."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    client.execute()
    nbformat.write(nb, path)
    return path


def run(sample: str, workspace: Path) -> dict[str, Path]:
    """The whole job; returns the paths it wrote."""
    started = time.perf_counter()
    case = open_case(samples.path(sample), workspace=workspace / "case", progress=True)
    print(ingest_report(case), "\n")
    print(check_report(case, case.triage()), "\n")
    notebook = prepare_notebook(case, workspace / "review.ipynb", sample)
    execute_notebook(notebook)
    page = export_opinion(notebook, workspace / "opinion.html", lang="en",
                          pdf=chromium() is not None)  # fmt: skip
    out = {"workspace": case.workspace, "notebook": notebook, "opinion": page}
    if page.with_suffix(".pdf").exists():
        out["pdf"] = page.with_suffix(".pdf")
    print(f"Done in {time.perf_counter() - started:.1f} s:")
    for name, path in out.items():
        print(f"  {name:10s} {path}")
    return out


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
