"""``workbench cases``: the coordinators' case board (command line; printing only)."""

from __future__ import annotations

import os
import sys
from typing import Any

import pandas as pd

from workbench.board import case_board, state_label
from workbench.workspace import csv_safe

#: The columns of the printed table (``--csv`` writes every column of the board).
TABLE = ["case", "state", "missing", "reviewers", "exported", "exported_by", "n_images"]


def cases_main(args: Any) -> int:
    """``workbench cases SOURCE [SOURCE]``: one folder of cases and/or one DICOMweb URL.

    PACS credentials come from the URL or from ``WORKBENCH_PACS_USER`` and
    ``WORKBENCH_PACS_PASSWORD``, as for ``workbench push``. Exit code 0.
    """
    urls = [s for s in args.sources if s.startswith("dicomweb+")]
    folders = [s for s in args.sources if not s.startswith("dicomweb+")]
    if len(urls) > 1 or len(folders) > 1:
        print(
            "workbench: give at most one folder of cases and one dicomweb+http(s):// address",
            file=sys.stderr,
        )
        return 2
    user = os.environ.get("WORKBENCH_PACS_USER")
    auth = (user, os.environ.get("WORKBENCH_PACS_PASSWORD", "")) if user else None
    try:
        board = case_board(
            folders[0] if folders else None,
            pacs=urls[0] if urls else None,
            auth=auth,
            homes=args.home or None,
            sort_by=args.sort or ["state", "case"],
            ascending=not args.descending,
        )
    except ValueError as exc:  # an unknown --sort column
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    if args.csv:
        csv_safe(board).to_csv(sys.stdout, index=False)
        return 0
    print(board_table(board, args.lang))
    return 0


def board_table(board: pd.DataFrame, lang: str = "en", width: int = 48) -> str:
    """The board as a plain-text table, states in words, long cells shortened."""
    if board.empty:
        return "No cases."
    shown = board[TABLE].astype("string").fillna("")
    shown["state"] = [state_label(s, lang) for s in shown["state"]]
    shown["exported"] = shown["exported"].str.replace("+00:00", "Z", regex=False)
    shown = shown.map(lambda v: v if len(v) <= width else v[: width - 1] + "…")
    return shown.to_string(index=False)
