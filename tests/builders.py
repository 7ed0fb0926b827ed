"""Builders of small realistic cases in tmp_path, shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pydicom
from conftest import dicom_file
from fpdf import FPDF


def write_pdf(path: Path, lines: list[str]) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in lines:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def dx_knee(path: Path, *, side: str, date: str, description: str | None = None) -> None:
    """A real DX-like file from pydicom's CT_small, relabelled as a knee radiograph."""
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.Modality = "DX"
    ds.BodyPartExamined = "KNEE"
    ds.Laterality = side
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = date
    ds.StudyDescription = ""
    ds.SeriesDescription = description or f"KNEE {'RT' if side == 'R' else 'LT'} AP STANDING"
    ds.StudyInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[date, side])
    ds.SeriesInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[date, side, "s"])
    ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[date, side, "i"])
    ds.save_as(path)


def knee_case_folder(root: Path) -> Path:
    root.mkdir()
    dx_knee(root / "knee.dcm", side="R", date="20240310")
    write_pdf(
        root / "xr_report.pdf",
        [
            "RADIOLOGY REPORT",
            "Exam date: 2024-03-11",
            "X-RAY RIGHT KNEE STANDING",
            "Findings: medial joint space narrowing.",
            "Impression: osteoarthritis.",
        ],
    )
    (root / "mri_report.txt").write_bytes(
        "磁共振检查报告\n检查日期：2023年11月2日\n检查部位：右膝关节MRI\n"
        "诊断意见：内侧半月板后角撕裂。\n".encode("gb18030")
    )
    (root / "op_note.txt").write_text(
        "OPERATION NOTE\nDate of operation: 2019-05-04\nProcedure: right knee arthroscopy, "
        "partial medial meniscectomy.\n",
        encoding="utf-16",
    )
    (root / "case.yaml").write_text(
        "case_id: T-1\ncase_type: knee_replacement\nmain_concern: Right knee pain\n"
        "complaint: {body_part: knee, side: right}\n"
        "pain_history:\n  onset: 2022-05\n  onset_kind: gradual\n"
        "treatments:\n  - kind: injection\n    date: 2023-06-01\n    response: six weeks relief\n"
        "  - kind: physiotherapy\n    detail: undated sessions\n"
        "questions:\n  - Is replacement needed now?\n  - Can it wait?\n  - What else can I try?\n",
        encoding="utf-8",
    )
    return root


#: A knee case.yaml that leaves no record gap of its own: complaint, a full pain history, a
#: treatment with its response, the proposed operation and three questions.
COMPLETE_KNEE_YAML = """\
case_id: T-2
case_type: knee_replacement
main_concern: Right knee pain for three years
complaint: {body_part: knee, side: right}
pain_history:
  location: inner right knee
  onset: 2022-05
  onset_kind: gradual
  triggers: [stairs]
  pattern: [pain after activity]
  function: Walks 20 minutes; stairs one at a time
treatments:
  - {kind: injection, date: 2023-06-01, response: six weeks relief}
proposed_treatment: Right total knee replacement
questions:
  - Is a replacement needed now?
  - Can it wait a year?
  - What else can I try?
"""


def complete_knee_folder(root: Path, report: list[str]) -> Path:
    """A right-knee case: one standing film (2024-03-10), its *report* as a PDF, the yaml."""
    root.mkdir()
    dx_knee(root / "knee.dcm", side="R", date="20240310")
    write_pdf(root / "report.pdf", report)
    (root / "case.yaml").write_text(COMPLETE_KNEE_YAML, encoding="utf-8")
    return root
