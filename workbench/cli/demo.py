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
from typing import Any

import nbformat
import yaml
from nbclient import NotebookClient
from traitlets.config import Config

from workbench import hints, samples
from workbench.case import Case, open_case
from workbench.cli.report import check_report, ingest_report
from workbench.export.clean import figures_of
from workbench.export.opinion import CHROMIUM_MISSING, chromium, export_opinion
from workbench.notebook.build import ANSWER_PLACEHOLDER, build_review_notebook
from workbench.notebook.contract import CellTag, cell_meta, cell_tags
from workbench.notebook.run import encryption

#: The sample reviewer's opinions: ``sample_cases/reviews/<sample>.yaml`` (answers by
#: question number, sections by key, key images to take).
REVIEWS = samples.SAMPLE_ROOT / "reviews"


def demo_review(sample: str) -> dict[str, Any]:
    """The sample reviewer's opinion on *sample* (empty when there is none)."""
    path = REVIEWS / f"{sample}.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def reviewed_samples() -> list[str]:
    """The samples the demo reviewer has written an opinion for."""
    return sorted(p.stem for p in REVIEWS.glob("*.yaml"))


GENERIC_ANSWER = (
    "Based on the images and records sent, see the sections below. This sample answer was "
    "written by the workbench's example script, not by a surgeon."
)
GENERIC_SECTION = (
    "This sample text was written by the workbench's example script, not by a surgeon; a "
    "reviewer writes this section after reading the images."
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
    build_review_notebook(case, path, force=True)  # the demo's own notebook, made again
    return apply_demo_review(case, path, sample)


def apply_demo_review(case: Case, path: Path, sample: str) -> Path:
    """Put the demo reviewer's answers and key-image cells into the case notebook at *path*."""
    nb = nbformat.read(path, as_version=4)
    review = demo_review(sample)
    answers = list(review.get("answers") or [])
    images = list(review.get("key_images") or [])
    sections: dict[str, str] = dict(review.get("sections") or {})
    for cell in nb.cells:
        tags, meta = cell_tags(cell), cell_meta(cell)
        if CellTag.ANSWER in tags:
            i = meta["question"]
            text = answers[i] if i < len(answers) else GENERIC_ANSWER
            cell.source = cell.source.replace(ANSWER_PLACEHOLDER, text)
        elif CellTag.OPINION in tags and (meta.get("section") in sections or meta.get("template")):
            heading = cell.source.split("\n", 1)[0]
            cell.source = f"{heading}\n\n{sections.get(meta['section'], GENERIC_SECTION)}"
        elif CellTag.FIGURE in tags and images:
            image = images[0]
            cell.source = _key_image_source(case, str(image["caption"]), str(image["modality"]),
                                            int(image.get("which", -1)))  # fmt: skip
        elif CellTag.SIDE_CONFLICT in tags:
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), str(CellTag.SIDE_CHECKED)]
    nb.metadata["workbench"]["reviewer"] = "Sample Reviewer (not a clinician)"
    nbformat.write(nb, path)
    return path


def kernel_config() -> Config:
    """Kernel settings for nbclient: encrypted sockets where supported
    (:func:`workbench.notebook.run.encryption`)."""
    config = Config()
    for name, value in encryption().items():
        setattr(config.KernelManager, name, value)
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
    figure_cells = [c for c in nb.cells if CellTag.FIGURE in cell_tags(c)]
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
    review = demo_review(sample)
    reviewed = ", ".join(reviewed_samples())
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
            f"the demo reviewer writes the opinion for {reviewed} only; here its sections hold "
            f"a generic sample sentence{answers}: write them in the notebook, then export "
            "again."
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
