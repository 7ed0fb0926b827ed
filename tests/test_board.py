"""The case board, the observer of measurements and notebooks, per-reviewer files."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from workbench import samples
from workbench.board import BOARD_COLUMNS, case_board
from workbench.case import open_case
from workbench.cli.main import main
from workbench.errors import WorkspaceError
from workbench.imaging.measure import Measurement, MeasurementStore
from workbench.notebook.build import (
    build_review_notebook,
    notebook_metadata,
    reviewer_notebook_path,
)
from workbench.observer import current_observer, observer_slug
from workbench.workspace import default_workspace


def _length(value: float = 5.0) -> Measurement:
    return Measurement("length", ((0, 0), (0, 10)), "1.2.3", 1, value, "mm", "PixelSpacing")


# --- who is reading ------------------------------------------------------------------------


def test_observer_comes_from_the_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("WORKBENCH_OBSERVER", raising=False)
    assert current_observer() == ""
    monkeypatch.setenv("WORKBENCH_OBSERVER", "dr-li")
    assert current_observer() == "dr-li"
    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    assert current_observer() == "ana"


def test_slugs_keep_reviewers_apart() -> None:
    names = ["ana", "Ana", "ben_2", "ben-2", "王医生", "李医生", "../etc", ""]
    slugs = [observer_slug(n) for n in names]
    assert len(set(slugs)) == len(slugs)
    assert all(s and "/" not in s and not s.startswith(".") for s in slugs)
    assert observer_slug("ana") == "ana"


def test_two_reviewers_in_one_workspace_keep_their_measurements(tmp_path: Path) -> None:
    ana = MeasurementStore(tmp_path, observer="ana")
    ben = MeasurementStore(tmp_path, observer="ben")
    ana.add(_length(5.0))
    ben.add(_length(7.0))
    ana.add(_length(6.0))  # ana's store, written again after ben's: ben's survives
    assert ana.path != ben.path
    assert [m.value for m in MeasurementStore(tmp_path, observer="ben")] == [7.0]
    assert [m.observer for m in MeasurementStore(tmp_path, observer="ana")] == ["ana", "ana"]
    both = MeasurementStore.all_observers(tmp_path)
    assert sorted(zip(both["observer"], both["value"], strict=True)) == [
        ("ana", 5.0), ("ana", 6.0), ("ben", 7.0)
    ]  # fmt: skip


def test_without_an_observer_the_store_is_where_it_was(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("WORKBENCH_OBSERVER", raising=False)
    store = MeasurementStore(tmp_path)
    store.add(_length())
    assert store.path == tmp_path / "measurements.json"
    assert json.loads(store.path.read_text())["measurements"]["1.2.3"]["1"][0]["observer"] == ""
    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    assert MeasurementStore(tmp_path).path == tmp_path / "reviewers" / "ana" / "measurements.json"


def test_a_notebook_records_its_reviewer_and_is_never_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = open_case(samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    shared = tmp_path / "ws" / "review.ipynb"
    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    build_review_notebook(case, shared)
    assert notebook_metadata(shared)["reviewer"] == "ana"
    build_review_notebook(case, shared)  # ana may rebuild her own
    monkeypatch.setenv("JUPYTERHUB_USER", "ben")
    mine = reviewer_notebook_path(case.workspace)
    with pytest.raises(WorkspaceError, match=r"is ana's review notebook.*write yours to .*ben"):
        build_review_notebook(case, shared)
    assert notebook_metadata(shared)["reviewer"] == "ana"
    build_review_notebook(case, mine)
    assert mine == tmp_path / "ws" / "reviewers" / "ben" / "review.ipynb"
    assert notebook_metadata(mine)["reviewer"] == "ben"


# --- the board -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Six cases in four states, in one folder, and the workbench home they are read from."""
    root = tmp_path_factory.mktemp("cases")
    home = tmp_path_factory.mktemp("home")
    for name in ("knee_oa_right", "lumbar_spine_zh"):
        shutil.copytree(samples.path(name), root / name)
    shutil.copytree(samples.path("knee_oa_right"), root / "knee_exported")
    shutil.copytree(samples.path("lumbar_spine_zh"), root / "spine_exported")
    shutil.copy(samples.path("messy_upload"), root / "messy.zip")  # a side conflict: blocker
    (root / "empty").mkdir()  # nothing usable: its row says so
    (root / ".hidden").mkdir()
    old = os.environ.get("JUPYTERHUB_USER")
    try:
        os.environ["JUPYTERHUB_USER"] = "ana"
        in_review = open_case(
            root / "lumbar_spine_zh", workspace=_space(home, root / "lumbar_spine_zh")
        )
        MeasurementStore(in_review.workspace).add(_length())
        os.environ["JUPYTERHUB_USER"] = "ben"
        done = open_case(root / "knee_exported", workspace=_space(home, root / "knee_exported"))
        notebook = build_review_notebook(done, reviewer_notebook_path(done.workspace))
        (notebook.with_name("opinion.html")).write_text("<html></html>")
        os.environ["JUPYTERHUB_USER"] = "chen"  # exported elsewhere: the copy in outputs/
        spine = open_case(root / "spine_exported", workspace=_space(home, root / "spine_exported"))
        build_review_notebook(spine, reviewer_notebook_path(spine.workspace))
        (spine.workspace / "outputs").mkdir()
        (spine.workspace / "outputs" / "opinion.html").write_text("<html></html>")
    finally:
        if old is None:
            os.environ.pop("JUPYTERHUB_USER", None)
        else:
            os.environ["JUPYTERHUB_USER"] = old
    return root, home


def _space(home: Path, source: Path) -> Path:
    return home / "workspaces" / default_workspace(source).name


def test_every_case_has_its_state(cases: tuple[Path, Path]) -> None:
    root, home = cases
    board = case_board(root, homes=[home])
    assert list(board.columns) == BOARD_COLUMNS
    state = dict(zip(board["case"], board["state"], strict=True))
    assert state == {
        "messy.zip": "waiting_for_records",
        "empty": "waiting_for_records",
        "knee_oa_right": "ready_for_review",
        "lumbar_spine_zh": "in_review",
        "knee_exported": "opinion_exported",
        "spine_exported": "opinion_exported",
    }
    rows = board.set_index("case")
    assert "side" in rows.loc["messy.zip", "missing"]
    assert "No files found" in rows.loc["empty", "missing"]
    assert rows.loc["lumbar_spine_zh", "reviewers"] == "ana"
    assert rows.loc["knee_exported", "exported_by"] == "ben"
    assert rows.loc["spine_exported", "exported_by"] == "chen"
    assert rows.loc["knee_exported", "exported"].endswith("+00:00")
    assert rows.loc["knee_oa_right", "n_images"] > 0
    # sorted by state (the board's order), then case
    assert list(board["case"]) == [
        "empty", "messy.zip", "knee_oa_right", "lumbar_spine_zh", "knee_exported", "spine_exported"
    ]  # fmt: skip


def test_the_board_sorts_by_any_column(cases: tuple[Path, Path]) -> None:
    root, home = cases
    board = case_board(root, homes=[home], sort_by="case", ascending=False)
    assert list(board["case"]) == sorted(board["case"], reverse=True)
    with pytest.raises(ValueError, match="cannot sort by"):
        case_board(root, homes=[home], sort_by="nonsense")


def test_cases_command_prints_a_table_and_csv(cases: tuple[Path, Path], capsys) -> None:
    root, home = cases
    assert main(["cases", str(root), "--home", str(home)]) == 0
    table = capsys.readouterr().out
    assert "waiting for records" in table and "opinion exported" in table and "ben" in table
    assert main(["cases", str(root), "--home", str(home), "--lang", "zh"]) == 0
    assert "意见已导出" in capsys.readouterr().out
    assert main(["cases", str(root), "--home", str(home), "--csv", "--sort", "case"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["case"] for r in rows] == sorted(r["case"] for r in rows)
    assert set(rows[0]) == set(BOARD_COLUMNS)
    assert main(["cases", str(root), "--sort", "nonsense"]) == 2
    assert main(["cases", str(root / "missing")]) == 2


def test_the_opinion_page_names_the_reviewer(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.export.opinion import _opinion_resources

    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    assert _opinion_resources({"reviewer": "ben"}, "en", None)["reviewer"] == "ben"
    assert _opinion_resources({"reviewer": ""}, "en", None)["reviewer"] == "ana"
    monkeypatch.delenv("JUPYTERHUB_USER")
    monkeypatch.delenv("WORKBENCH_OBSERVER", raising=False)
    assert _opinion_resources({}, "en", None)["reviewer"] == "—"
