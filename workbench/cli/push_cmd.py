"""``workbench push``: send a (de-identified) case to a DICOMweb server (command line)."""

from __future__ import annotations

import os
import sys
from typing import Any

from workbench.case import open_case
from workbench.pacs.dicomweb import push, split_url


def push_main(args: Any) -> int:
    """``workbench push SOURCE URL``: send a (de-identified) case to a DICOMweb server.

    Credentials come from the URL or from ``WORKBENCH_PACS_USER`` and
    ``WORKBENCH_PACS_PASSWORD``. Exit code 0 when every instance is on the
    server, 1 when some failed (run again to resume).
    """
    user = os.environ.get("WORKBENCH_PACS_USER")
    auth = (user, os.environ.get("WORKBENCH_PACS_PASSWORD", "")) if user else None
    case = open_case(args.source, workspace=getattr(args, "workspace", None))
    result = push(case, args.url, auth=auth)
    counts = result["status"].value_counts()
    print(
        f"{counts.get('stored', 0)} stored, {counts.get('already_present', 0)} already on the "
        f"server, {counts.get('failed', 0)} failed ({split_url(args.url)[0]})."
    )
    failed = result[result["status"] == "failed"]
    for row in failed.itertuples():
        print(f"  {row.path}: {row.message}", file=sys.stderr)
    return 1 if len(failed) else 0
