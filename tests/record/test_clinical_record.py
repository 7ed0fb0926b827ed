"""case.yaml, documents, photos, report ↔ study matching, the timeline and the intake form."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import knee_case_folder, write_pdf
from PIL import Image

from workbench.case import open_case
from workbench.cli.main import main
from workbench.record.manifest import load_manifest
from workbench.widgets.intake_form import IntakeForm


@pytest.fixture
def knee_case(tmp_path: Path) -> Path:
    return knee_case_folder(tmp_path / "case")


def test_documents_matching_and_report_only_studies(knee_case, tmp_path):
    case = open_case(knee_case, workspace=tmp_path / "ws")
    docs = case.documents.set_index("path")
    assert docs.loc["xr_report.pdf", "doc_type"] == "imaging_report"
    assert docs.loc["mri_report.txt", "language"] == "zh"
    assert docs.loc["mri_report.txt", "date"] == pd.Timestamp("2023-11-02")
    assert docs.loc["op_note.txt", "doc_type"] == "operation_note"
    # the X-ray report (one day after the images) is matched to the DICOM study
    dicom_key = case.studies.loc[case.studies["source"] == "dicom", "study_key"].item()
    assert docs.loc["xr_report.pdf", "study_key"] == dicom_key
    assert bool(docs.loc["xr_report.pdf", "side_agrees"]) is True
    # the MRI report has no images on the media: a report-only study
    mri = case.studies[case.studies["source"] == "report"].iloc[0]
    assert (mri["modality"], mri["body_part"], mri["side"]) == ("MR", "knee", "right")
    assert bool(mri["has_report"]) and not bool(mri["has_original_dicom"])
    assert case.studies["has_report"].all()
    assert case.studies["date"].is_monotonic_increasing


def test_report_side_contradicting_images_is_compared_not_matched_away(knee_case, tmp_path):
    write_pdf(
        knee_case / "xr_report.pdf",
        [
            "RADIOLOGY REPORT",
            "Exam date: 2024-03-10",
            "X-RAY LEFT KNEE",
            "Impression: osteoarthritis of the left knee.",
        ],
    )
    case = open_case(knee_case, workspace=tmp_path / "ws")
    doc = case.documents.set_index("path").loc["xr_report.pdf"]
    assert doc["side"] == "left"
    assert doc["study_key"].startswith("st-")  # still the study it describes
    assert bool(doc["side_agrees"]) is False


def test_timeline_in_date_order_and_undated_kept(knee_case, tmp_path):
    case = open_case(knee_case, workspace=tmp_path / "ws")
    tl = case.timeline
    dated = tl[tl["date"].notna()]
    assert dated["date"].is_monotonic_increasing
    assert {"symptom", "treatment", "imaging", "report", "surgery"} <= set(tl["kind"])
    onset = tl[tl["kind"] == "symptom"].iloc[0]
    assert onset["date"] == pd.Timestamp("2022-05-01") and onset["date_precision"] == "month"
    undated = tl[tl["date"].isna()]
    assert list(undated["label"]) == ["physiotherapy: undated sessions"]
    assert tl.index[tl["date"].isna()].min() > tl.index[tl["date"].notna()].max()


def test_photo_of_film_becomes_a_study_without_dicom(knee_case, tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(knee_case / "IMG_left_knee_film.jpg", quality=80)
    case = open_case(knee_case, workspace=tmp_path / "ws")
    photo = case.studies[case.studies["source"] == "photo"].iloc[0]
    assert not bool(photo["has_original_dicom"])
    assert (photo["body_part"], photo["side"]) == ("knee", "left")


def test_broken_case_yaml_names_key_and_line_and_case_still_opens(knee_case, tmp_path):
    text = (knee_case / "case.yaml").read_text().replace("side: right", "side: rigth")
    (knee_case / "case.yaml").write_text(text + "pain_histroy: {}\n")
    case = open_case(knee_case, workspace=tmp_path / "ws")
    messages = case.problems[case.problems["stage"] == "manifest"]["message"].tolist()
    assert any(
        "line 4" in m and "complaint.side" in m and "left, right, bilateral" in m for m in messages
    )
    assert any("pain_histroy" in m and "pain_history" in m for m in messages)
    assert case.manifest.case_id == "T-1"
    assert len(case.instances) == 1


def test_intake_form_writes_a_valid_file_with_backup(knee_case):
    form = IntakeForm(knee_case)
    assert form.case_id.value == "T-1"
    assert form.questions[0].value == "Is replacement needed now?"
    form.questions[3].value = "Would an MRI change the plan?"
    form.function.value = "Walks 20 minutes; stairs one at a time"
    form.treatments[2]["kind"].value = "medication"
    form.treatments[2]["date"].value = "2024-01"
    form.treatments[2]["response"].value = "little effect"
    form.save_button.click()
    assert form.status.value.startswith("Saved")
    manifest, problems = load_manifest(knee_case / "case.yaml")
    assert problems == []
    assert len(manifest.questions) == 4
    assert manifest.pain_history.function.startswith("Walks 20")
    assert manifest.treatments[2].response == "little effect"
    assert "rigth" not in (knee_case / "case.yaml.bak").read_text()
    assert (knee_case / "case.yaml.bak").read_text().startswith("case_id: T-1")


def test_intake_form_refuses_bad_values(knee_case):
    form = IntakeForm(knee_case)
    form.onset.value = "2024-13-45"
    before = (knee_case / "case.yaml").read_bytes()
    form.save_button.click()
    assert "Not saved" in form.status.value and "onset" in form.status.value
    assert (knee_case / "case.yaml").read_bytes() == before


def test_cli_timeline_and_new_case(knee_case, tmp_path, capsys):
    assert main(["timeline", str(knee_case), "--workspace", str(tmp_path / "ws")]) == 0
    out = capsys.readouterr().out
    assert out.index("2019-05-04") < out.index("2024-03-10")
    assert main(["new-case", str(tmp_path / "new")]) == 0
    manifest, problems = load_manifest(tmp_path / "new" / "case.yaml")
    assert problems == [] and manifest.is_empty
    assert (
        main(["ingest", str(knee_case), "--workspace", str(tmp_path / "ws"), "--no-progress"]) == 0
    )
    out = capsys.readouterr().out
    assert "imaging reports" in out and "matched" in out


def test_plot_timeline_draws_cjk_without_tofu(knee_case, tmp_path):
    from workbench.render.timeline_plot import cjk_font, plot_timeline

    case = open_case(knee_case, workspace=tmp_path / "ws")
    fig = plot_timeline(case, lang="zh")
    texts = [t.get_text() for t in fig.texts]
    assert any("康复理疗" in t for t in texts)  # undated listed beside, not plotted
    if cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-wqy-microhei)")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would be tofu
        fig.savefig(tmp_path / "tl.png")
    assert (tmp_path / "tl.png").stat().st_size > 10_000


def test_originals_unchanged(knee_case, tmp_path):
    from conftest import checksums

    before = checksums(knee_case)
    open_case(knee_case, workspace=tmp_path / "ws")
    assert checksums(knee_case) == before
    shutil.rmtree(tmp_path / "ws")
