"""The ``workbench`` command: argument parsing only; the work is done by the package."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from workbench.cli.shutdown import exit_now
from workbench.errors import WorkbenchError
from workbench.safe_text import terminal_text
from workbench.workspace import is_workspace_fault, workspace_error

if TYPE_CHECKING:
    from workbench.export.context import ExportContext
    from workbench.notebook.kernel import Kernel


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Orthopedic second-opinion workbench: turn an upload into a reviewable case.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="index a folder, zip or DICOMDIR into tables")
    ingest.add_argument("source", type=Path, help="folder, .zip or DICOMDIR of the upload")
    ingest.add_argument("--workspace", type=Path, help="where derived files go")
    ingest.add_argument("--verify", action="store_true", help="also decode every image frame")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--no-ocr", action="store_true", help="do not read scanned PDFs and photos by OCR"
    )
    timeline = sub.add_parser("timeline", help="print the case timeline in date order")
    timeline.add_argument("source", type=Path)
    timeline.add_argument("--workspace", type=Path)
    check = sub.add_parser(
        "check", help="record gaps and triage; exit 0 when ready for review, 3 with blockers"
    )
    check.add_argument("source", type=Path)
    check.add_argument("--workspace", type=Path)
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--lang", choices=["en", "zh"], default="en")
    organize = sub.add_parser("organize", help="write a clean, verified copy for the reviewer")
    organize.add_argument("source", type=Path)
    organize.add_argument("dest", type=Path)
    organize.add_argument("--workspace", type=Path)
    notebook = sub.add_parser("notebook", help="write the reviewer's case notebook")
    notebook.add_argument("source", type=Path)
    notebook.add_argument("-o", "--output", type=Path, default=Path("review.ipynb"))
    notebook.add_argument("--workspace", type=Path)
    notebook.add_argument(
        "--execute", action="store_true", help="also run every cell (a fresh kernel) and save"
    )
    notebook.add_argument(
        "--force", action="store_true", help="overwrite the notebook even when it was edited"
    )
    export = sub.add_parser("export", help="export a case notebook as the patient's opinion page")
    export.add_argument("notebook", type=Path)
    export.add_argument("-o", "--output", type=Path, help="HTML file (default opinion.html)")
    export.add_argument("--lang", choices=["en", "zh", "en+zh"], default="en")
    export.add_argument("--pdf", action="store_true", help="also print it to PDF (Chromium)")
    export.add_argument("--include-name", action="store_true", help="show the patient's name")
    export.add_argument(
        "--execute", action="store_true", help="run every cell first (a fresh kernel) and save"
    )
    export.add_argument(
        "--force",
        action="store_true",
        help="export the file on disk even when JupyterLab holds newer content",
    )
    deid = sub.add_parser(
        "deid", help="write a de-identified copy of a case (DICOM PS3.15 Basic Profile)"
    )
    deid.add_argument("source", type=Path, help="folder, .zip or DICOMDIR of the upload")
    deid.add_argument("dest", type=Path, help="new folder for the de-identified copy")
    dates = deid.add_mutually_exclusive_group()
    dates.add_argument("--keep-dates", action="store_true", help="keep dates unchanged")
    dates.add_argument("--shift-dates", type=int, metavar="N", help="move every date by N days")
    deid.add_argument("--pseudonym", help="replaces the patient's name and ID")
    deid.add_argument(
        "--keep-comments",
        action="store_true",
        help="keep comment attributes (ImageComments, PatientComments ...) cleaned, not removed",
    )
    deid.add_argument("--workspace", type=Path)
    push = sub.add_parser("push", help="send a case's DICOM files to a DICOMweb server (STOW-RS)")
    push.add_argument("source", type=Path)
    push.add_argument("url", help="dicomweb+http://host:8042/dicom-web")
    push.add_argument("--workspace", type=Path)
    cases = sub.add_parser(
        "cases", help="the case board: every case under a folder or in the PACS, and its state"
    )
    cases.add_argument(
        "sources", nargs="+", metavar="SOURCE",
        help="a folder of cases (one sub-folder or .zip each) and/or dicomweb+http(s)://…",
    )  # fmt: skip
    cases.add_argument(
        "--home", action="append", type=Path, metavar="PATH",
        help="a workbench home to find workspaces in (repeat: one per reviewer); "
        "default $WORKBENCH_HOME",
    )  # fmt: skip
    cases.add_argument(
        "--sort", action="append", metavar="COLUMN",
        help="sort by this column (repeat for ties; default: state, then case)",
    )  # fmt: skip
    cases.add_argument("--descending", action="store_true", help="reverse the order")
    cases.add_argument("--csv", action="store_true", help="every column, as CSV on stdout")
    cases.add_argument("--lang", choices=["en", "zh", "en+zh"], default="en")
    new_case = sub.add_parser("new-case", help="write a commented case.yaml template")
    new_case.add_argument("folder", type=Path, help="the case folder (created if missing)")
    return parser


def run() -> NoReturn:
    """The ``workbench`` command (console script, ``python -m workbench``).

    :func:`main`, then :func:`~workbench.cli.shutdown.exit_now`: the process ends once
    its threads, exit handlers and output are done, without the interpreter's teardown
    of every loaded module (start-up's other end).
    """
    exit_now(main())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "ingest":
            return _ingest(args)
        if args.command == "timeline":
            return _timeline(args)
        if args.command == "new-case":
            return _new_case(args)
        if args.command == "notebook":
            return _notebook(args)
        if args.command == "export":
            return _export(args)
        if args.command == "deid":
            from workbench.cli.deid_cmd import deid_main

            return deid_main(args)
        if args.command == "push":
            from workbench.cli.push_cmd import push_main

            return push_main(args)
        if args.command == "cases":
            from workbench.cli.cases_cmd import cases_main

            return cases_main(args)
        if args.command == "check":
            return _check(args)
        if args.command == "organize":
            return _organize(args)
    except WorkbenchError as exc:
        print(f"workbench: {terminal_text(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        if not is_workspace_fault(exc):
            raise
        # a disk, quota or permission failure writing an output (a notebook, an export, an
        # organized copy): the same one sentence as for the workspace, naming the folder
        folder = Path(exc.filename).parent if exc.filename else Path.cwd()
        print(f"workbench: {terminal_text(str(workspace_error(folder, exc)))}", file=sys.stderr)
        return 2
    return 1


def _ingest(args: argparse.Namespace) -> int:
    from workbench.case import open_case
    from workbench.cli.report import ingest_report

    case = open_case(
        args.source,
        workspace=args.workspace,
        verify=args.verify,
        progress=not args.no_progress,
        ocr=not args.no_ocr,
    )
    print(ingest_report(case))
    usable = (
        len(case.instances) or (case.files["kind"].isin(["pdf", "image", "text", "docx"])).any()
    )
    if not usable:
        print(
            f"workbench: nothing usable in '{args.source}': no DICOM image, report or photo "
            f"among {len(case.files)} files. See the problems above.",
            file=sys.stderr,
        )
        return 1
    return 0


def _timeline(args: argparse.Namespace) -> int:
    from workbench.case import open_case
    from workbench.cli.report import timeline_report

    case = open_case(args.source, workspace=args.workspace)
    print(timeline_report(case))
    return 0


#: ``workbench check`` exits with this when blockers remain.
EXIT_BLOCKERS = 3


def _check(args: argparse.Namespace) -> int:
    import json

    from workbench.case import open_case
    from workbench.cli.report import check_report

    case = open_case(args.source, workspace=args.workspace)
    triage = case.triage()
    if args.json:
        payload = {
            "ready": case.ready_for_review(),
            "gaps": case.gaps.where(case.gaps.notna(), None).to_dict(orient="records"),
            "triage": {
                "decision": triage.decision,
                "label": triage.label(args.lang),
                "reasons": triage.reasons_in(args.lang),
                "signs": list(triage.signs),
            },
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(check_report(case, triage, args.lang))
    return 0 if case.ready_for_review() else EXIT_BLOCKERS


def _organize(args: argparse.Namespace) -> int:
    from workbench.case import open_case
    from workbench.organize import organize

    case = open_case(args.source, workspace=args.workspace)
    dest = organize(case, args.dest)
    print(f"Organized copy written to {dest} (see MANIFEST.csv, summary.html, gaps.csv).")
    return 0


def _without_format_grammar() -> None:
    """Keep jsonschema from compiling its RFC 3987 grammar in this process (about a second).

    See :func:`workbench.notebook.without_format_grammar` (done when that package is
    imported; called again here in case jsonschema was unloaded in between).
    """
    from workbench.notebook import without_format_grammar

    without_format_grammar()


def _notebook(args: argparse.Namespace) -> int:
    _without_format_grammar()
    kernel = _early_kernel(args.output.parent) if args.execute else None
    with _fewer_full_collections():
        from workbench.case import open_case
        from workbench.hints import jupyter_lab, workbench
        from workbench.notebook.build import build_review_notebook

        case = open_case(args.source, workspace=args.workspace)
        path = build_review_notebook(case, args.output, force=args.force)
    ran = ""
    if kernel is not None:
        from workbench.notebook.run import execute_notebook

        execute_notebook(path, kernel=kernel)
        ran = " and ran every cell"
    print(f"Wrote {path}{ran}. Open it in JupyterLab: `{jupyter_lab(path)}`; write the opinion "
          f"there, then export it: `{workbench('export', path)}`.")  # fmt: skip
    return 0


def _early_kernel(folder: Path) -> Kernel:
    """A kernel started before the command's own work, so that both proceed at once."""
    from workbench.notebook.kernel import start_kernel  # jupyter_client only: launched first

    return start_kernel(folder.resolve())


def _execute_and_prepare(notebook: Path, kernel: Kernel) -> ExportContext | None:
    """Run the notebook in *kernel* while a thread prepares its export (on the other core).

    The kernel's start-up, imports and cells take seconds in its own process; meanwhile
    this process imports the export's libraries, opens the case and compiles the page
    templates (:func:`workbench.export.context.prepare_export`). A preparation that
    fails is dropped: the export then does that work itself and reports what is wrong.
    """
    from concurrent.futures import ThreadPoolExecutor

    from workbench.notebook.run import execute_notebook

    # full collections while the export's libraries load walk everything imported so far,
    # holding the lock the thread handling the kernel's messages needs (1.2 s in 7 passes)
    with (
        _fewer_full_collections(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare-export") as pool,
    ):
        prepared = pool.submit(_prepare, notebook)
        # the kernel is shut down by a thread while the page is made
        execute_notebook(notebook, kernel=kernel, shutdown="later")
        return prepared.result()


@contextmanager
def _fewer_full_collections() -> Iterator[None]:
    """Full garbage collections rarer inside the block (a bounded, import-heavy command).

    Each full pass walks every object the imported libraries hold; young objects are
    still collected as usual. As in the batch kernel
    (:data:`workbench.notebook.FULL_COLLECTION_EVERY`).
    """
    from workbench.notebook import FULL_COLLECTION_EVERY

    threshold = gc.get_threshold()
    gc.set_threshold(threshold[0], threshold[1], max(threshold[2], FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def _prepare(notebook: Path) -> ExportContext | None:
    from workbench.export.context import prepare_export

    try:
        context = prepare_export(notebook)
    except Exception:  # the export redoes this work and reports the error
        return None
    gc.freeze()  # what was loaded stays for the command: later collections skip it
    return context


def _export(args: argparse.Namespace) -> int:
    _without_format_grammar()
    context = None
    if args.execute:
        if not args.notebook.is_file():
            print(f"workbench: notebook '{args.notebook}' does not exist.", file=sys.stderr)
            return 2
        kernel = _early_kernel(args.notebook.parent)
        context = _execute_and_prepare(args.notebook, kernel)
    from workbench.export.opinion import export_opinion

    out = export_opinion(args.notebook, args.output, lang=args.lang, pdf=args.pdf,
                         include_name=args.include_name, force=args.force,
                         context=context)  # fmt: skip
    print(f"Opinion page: {out}" + (f" and {out.with_suffix('.pdf')}" if args.pdf else ""))
    return 0


def _new_case(args: argparse.Namespace) -> int:
    from workbench.record.manifest import write_template

    args.folder.mkdir(parents=True, exist_ok=True)
    path = write_template(args.folder)
    print(f"Wrote {path}; fill it in (pain history, treatments, 3 to 5 questions).")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
