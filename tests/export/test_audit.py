"""An audit that explains itself: what kind of value, from where, found in which section;
whole tokens; identifiers too short to search are named in a note."""

from __future__ import annotations

import warnings
from pathlib import Path

import nbformat
import pydicom
import pytest
from builders import knee_case_folder

from workbench.case import open_case
from workbench.errors import ExportError, WorkbenchWarning
from workbench.export.audit import Forbidden, audit_notes, audit_page, forbidden_values
from workbench.export.opinion import export_opinion
from workbench.notebook.build import ANSWER_PLACEHOLDER, build_review_notebook
from workbench.notebook.contract import CellTag, cell_meta, cell_tags

PAGE = (
    "<html><head><title>T</title></head><body><header><h1>Second opinion</h1>"
    "<dd>{cover}</dd></header><section><h2>What is missing</h2><p>{missing}</p></section>"
    "<figure><figcaption>{caption}</figcaption></figure></body></html>"
)


def page(cover: str = "", missing: str = "", caption: str = "") -> str:
    return PAGE.format(cover=cover, missing=missing, caption=caption)


def test_finding_names_kind_source_and_section() -> None:
    ids = [Forbidden("AB1234", "PatientID", "the ultrasound study")]
    findings = audit_page(page(missing="ref AB1234."), forbidden=ids, title="T")
    assert ("PatientID of the ultrasound study ('AB1234') appears in the section "
            "'What is missing'") in findings  # fmt: skip
    findings = audit_page(page(caption="AB1234 knee"), forbidden=ids, title="T")
    assert any("the key image caption 'AB1234 knee'" in f for f in findings)
    findings = audit_page(page(cover="AB1234"), forbidden=ids, title="T")
    assert any("appears in the cover" in f for f in findings)


def test_identifiers_match_whole_tokens_only() -> None:
    ids = [Forbidden("12345", "PatientID"), Forbidden("Wang", "patient name")]
    clean = page(missing="Study 123456 of 2012345; Wangfujing; x12345")
    assert [f for f in audit_page(clean, forbidden=ids, title="T") if "appears" in f] == []
    dirty = page(missing="ID 12345, Mr wang.")
    found = [f for f in audit_page(dirty, forbidden=ids, title="T") if "appears" in f]
    assert len(found) == 2


@pytest.mark.parametrize("value", ["1", "42", "AB", "2021"])
def test_short_identifiers_are_named_not_searched(value: str) -> None:
    ids = [Forbidden(value, "PatientID", "the ultrasound study")]
    text = page(missing=f"Measured 1 and 42 mm on 2021-03-04 (AB) {value}")
    assert [f for f in audit_page(text, forbidden=ids, title="T") if "appears" in f] == []
    assert audit_notes(ids) == [
        f"PatientID of the ultrasound study {value!r} is too short to search the page for "
        "safely; check the page by eye"
    ]


def test_a_two_character_chinese_name_is_searched() -> None:
    ids = [Forbidden("演示", "patient name", "case.yaml")]
    assert audit_notes(ids) == []
    assert any("appears" in f for f in audit_page(page(missing="演示先生"), forbidden=ids,
                                                  title="T"))  # fmt: skip


def _case_with_patient_id(root: Path, patient_id: str):
    folder = knee_case_folder(root / "case")
    ds = pydicom.dcmread(folder / "knee.dcm")
    ds.PatientID = patient_id
    ds.save_as(folder / "knee.dcm")
    case = open_case(folder, workspace=root / "ws")
    nb_path = build_review_notebook(case, root / "review.ipynb")
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if CellTag.ANSWER in cell_tags(cell):
            cell.source = cell.source.replace(ANSWER_PLACEHOLDER, "Yes, 1 of 2 options.")
        elif cell_meta(cell).get("template"):
            cell.source = cell.source.split("\n", 1)[0] + "\n\nMeasured in 2021, 1 mm."
    nbformat.write(nb, nb_path)
    return case, nb_path


def test_export_names_the_study_and_section_of_a_leaked_id(tmp_path: Path) -> None:
    case, nb_path = _case_with_patient_id(tmp_path, "PX-778812")
    named = [f for f in forbidden_values(case, include_name=False, extra_paths=[])
             if f.kind == "PatientID"]  # fmt: skip
    assert [f.describe() for f in named] == [
        "PatientID of the standing X-ray study of 10 March 2024"
    ]
    nb = nbformat.read(nb_path, as_version=4)
    missing = next(c for c in nb.cells if cell_meta(c).get("section") == "missing")
    missing.source += "\n- Ask about PX-778812."
    nbformat.write(nb, nb_path)
    with pytest.raises(ExportError, match=r"PatientID of the standing X-ray study of 10 March 2024 "
                       r"\('PX-778812'\) appears in the section 'What is missing"):  # fmt: skip
        export_opinion(nb_path, dicom=False)


def test_export_with_a_one_character_patient_id_warns_instead_of_blocking(tmp_path: Path) -> None:
    _, nb_path = _case_with_patient_id(tmp_path, "1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = export_opinion(nb_path, dicom=False)
    assert "1 mm" in out.read_text()
    notes = [str(w.message) for w in caught if issubclass(w.category, WorkbenchWarning)]
    assert any("PatientID of the standing X-ray study" in n and "'1' is too short" in n
               for n in notes)  # fmt: skip
