"""The sample reviewer's opinion is data beside the samples, and it passes the refusals."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from workbench import samples
from workbench.case import open_case
from workbench.cli.demo import GENERIC_SECTION, demo_review, prepare_notebook, reviewed_samples
from workbench.export.refusals import check_ready


def test_the_knee_review_is_a_yaml_file() -> None:
    assert "knee_oa_right" in reviewed_samples()
    review = demo_review("knee_oa_right")
    assert len(review["answers"]) == 4 and set(review["sections"]) >= {"images", "options"}
    assert review["key_images"][0]["modality"] == "DX"
    assert demo_review("no_such_sample") == {}


@pytest.mark.parametrize("sample", ["knee_oa_right", "lumbar_spine_zh"])
def test_prepared_notebook_is_ready_to_export(sample: str, tmp_path: Path) -> None:
    case = open_case(samples.path(sample), workspace=tmp_path / "ws")
    path = prepare_notebook(case, tmp_path / "review.ipynb", sample)
    nb = nbformat.read(path, as_version=4)
    conflicts = case.gaps.loc[case.gaps["code"] == "side_conflict", "study_key"]
    assert check_ready(nb, [str(k) for k in conflicts]) == []
    text = path.read_text(encoding="utf-8")
    review = demo_review(sample)
    if review:
        assert review["answers"][0][:60] in text
    else:
        assert GENERIC_SECTION[:40] in text
    assert prepare_notebook(case, path, sample) == path  # the demo makes its notebook again
