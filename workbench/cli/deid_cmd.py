"""``workbench deid``: de-identify a case, then verify the copy (command line)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.case import open_case
from workbench.deid.pipeline import LOG_NAME, deidentify, review_folder
from workbench.deid.verify import compare_dciodvfy, verify_deidentified


def deid_main(args: argparse.Namespace) -> int:
    """``workbench deid SOURCE DEST [--keep-dates | --shift-dates N] [--pseudonym ID]
    [--keep-comments]``.

    Opens SOURCE, writes the de-identified copy to DEST, then verifies it: a scan
    of every output file and every header-cleaned review copy for the original
    identifying values and with the identifier detectors, and, when dciodvfy is
    installed, a comparison of its errors with the originals'. Exit code 0 when
    nothing was found, 1 when the scan found something.
    """
    case = open_case(args.source, workspace=getattr(args, "workspace", None))
    log = deidentify(
        case,
        args.dest,
        keep_dates=bool(getattr(args, "keep_dates", False)),
        shift_dates=getattr(args, "shift_dates", None),
        pseudonym=getattr(args, "pseudonym", None),
        keep_comments=bool(getattr(args, "keep_comments", False)),
    )
    counts = log["status"].value_counts()
    print(
        f"Wrote {counts.get('written', 0)} files to {args.dest} "
        f"({counts.get('held_back', 0)} held back, {counts.get('dropped', 0)} dropped, "
        f"{counts.get('duplicate', 0)} duplicates); see {Path(args.dest) / LOG_NAME}."
    )
    held = log[log["status"] == "held_back"]
    if len(held):
        print(
            f"Held back for review ({len(held)}), not in {args.dest}; header-cleaned copies of "
            f"the DICOM images are in {review_folder(case)}:",
            file=sys.stderr,
        )
        for row in held.itertuples():
            print(f"  {row.source_path}: {row.reason}", file=sys.stderr)
    leaks = verify_deidentified(case, args.dest)
    if len(leaks):
        print(
            f"workbench: {len(leaks)} identifying values found in the output or the review copies:",
            file=sys.stderr,
        )
        columns = ["path", "where", "tag", "what", "encoding", "match"]
        print(leaks[columns].to_string(index=False), file=sys.stderr)
    else:
        print(
            "Verified: no identifying value found in any output file or review copy "
            "(original values and identifier detectors)."
        )
    errors = compare_dciodvfy(case, args.dest)
    if "note" in errors.attrs:
        print(errors.attrs["note"])
    elif len(errors):
        print(f"dciodvfy: {len(errors)} new errors compared with the originals:")
        print(errors.to_string(index=False))
    else:
        print("dciodvfy: no new errors compared with the originals.")
    return 1 if len(leaks) else 0
