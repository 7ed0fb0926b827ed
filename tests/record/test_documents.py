"""Reading reports and notes: PDF, text in several encodings, Word; dates, types, sides."""

from __future__ import annotations

import glob
import io
import os
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from workbench.record import documents
from workbench.record.dates import document_date, extract_dates
from workbench.record.documents import (
    DOC_TYPES,
    DOCUMENT_SUFFIXES,
    classify_doc_type,
    detect_language,
    read_document,
)

fpdf = pytest.importorskip("fpdf")
pypdf = pytest.importorskip("pypdf")
docx = pytest.importorskip("docx")

CJK_FONT_GLOBS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/*.tt[cf]",
    "/usr/share/fonts/opentype/noto/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/noto-cjk/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/truetype/arphic/*.tt[cf]",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.tt[cf]",
)

EN_REPORT = """\
MRI RIGHT KNEE WITHOUT CONTRAST
Patient: Test Patient    Date of birth: 01/02/1960
Exam date: 10/03/2024
Technique: sagittal and coronal PD fat-saturated sequences.
Findings: oblique tear of the posterior horn of the medial meniscus.
The left knee was not imaged.
Impression: medial meniscus tear, right knee.
"""

ZH_REPORT = """\
某某人民医院放射科
右膝关节MRI检查报告
检查日期：2024年3月10日  报告日期：2024年3月11日
检查所见：右膝内侧半月板后角见线状高信号，达关节面。
诊断意见：右膝内侧半月板后角撕裂。
"""

ZH_NOTE = (
    "门诊病历\n就诊日期：2024-05-06\n主诉：左膝疼痛三月，上下楼梯加重。\n处理意见：理疗，复诊。\n"
)


def _cjk_font() -> str | None:
    for pattern in CJK_FONT_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    if shutil.which("fc-list"):
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False
        ).stdout
        for line in out.splitlines():
            path = line.split(":")[0].strip()
            if path.lower().endswith((".ttf", ".ttc", ".otf")) and os.path.exists(path):
                return path
    return None


@pytest.fixture(scope="module")
def cjk_font() -> str:
    font = _cjk_font()
    if font is None:
        pytest.skip("no CJK font found (install fonts-wqy-microhei) to write a Chinese PDF")
    return font


def make_pdf(path: Path, text: str, font: str | None = None) -> Path:
    pdf = fpdf.FPDF()
    pdf.add_page()
    if font:
        pdf.add_font("cjk", "", font)
        pdf.set_font("cjk", size=11)
    else:
        pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 7, text)
    pdf.output(str(path))
    return path


def read(path: Path, **kwargs: int) -> tuple[dict | None, list]:
    return read_document(path, display_path=path.name, **kwargs)


def kinds(problems: list) -> list[str]:
    return [p.kind for p in problems]


# --- PDF ------------------------------------------------------------------------------


def test_english_pdf_report(tmp_path: Path) -> None:
    row, problems = read(make_pdf(tmp_path / "report.pdf", EN_REPORT))
    assert problems == []
    assert row is not None
    assert row["path"] == "report.pdf"
    assert row["doc_type"] == "imaging_report"
    assert row["date"] == pd.Timestamp("2024-03-10")  # day-first; the birth date is skipped
    assert row["date_text"] == "10/03/2024"
    assert row["date_ambiguous"] is True
    assert (row["side"], row["body_part"], row["modality"]) == ("right", "knee", "MR")
    assert row["sides_mentioned"] == "left,right"
    assert row["language"] == "en"
    assert row["title"] == "MRI RIGHT KNEE WITHOUT CONTRAST"
    assert row["n_pages"] == 1
    assert row["encoding"] is None
    assert "medial meniscus" in row["text"]
    assert "\r" not in row["text"]


def test_chinese_pdf_report(tmp_path: Path, cjk_font: str) -> None:
    row, problems = read(make_pdf(tmp_path / "mri.pdf", ZH_REPORT, font=cjk_font))
    assert problems == []
    assert row is not None
    assert row["language"] == "zh"
    assert row["doc_type"] == "imaging_report"
    assert row["date"] == pd.Timestamp("2024-03-10")  # exam date, not report date
    assert row["date_ambiguous"] is False
    assert (row["side"], row["body_part"], row["modality"]) == ("right", "knee", "MR")
    assert "半月板" in row["text"]


def test_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_fill_color(40, 40, 40)
    pdf.rect(20, 20, 150, 200, style="F")
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    row, problems = read(path)
    assert kinds(problems) == ["no_text_layer"]
    assert "OCR" in problems[0].message and "scan.pdf" in problems[0].message
    assert row is not None
    assert row["text"] == "" and row["doc_type"] == "other" and row["language"] is None
    assert row["date"] is pd.NaT


def test_encrypted_pdf(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", EN_REPORT)
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(plain))
    writer.encrypt("secret")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    row, problems = read(path)
    assert row is None
    assert kinds(problems) == ["pdf_encrypted"]
    assert "unprotected copy" in problems[0].message


def test_aes_pdf_without_cryptography(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", EN_REPORT)
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner")
    path = tmp_path / "aes.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)

    def no_aes(self: object, password: str) -> None:
        raise pypdf.errors.DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", no_aes)
    row, problems = read(path)
    assert row is None and kinds(problems) == ["pdf_encrypted"]
    assert "cryptography" in problems[0].message


def test_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", EN_REPORT)
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner")
    path = tmp_path / "owner_only.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    row, problems = read(path)
    assert problems == []
    assert row is not None and row["doc_type"] == "imaging_report"


@pytest.mark.parametrize("damage", ["truncated", "random", "empty", "header_only"])
def test_broken_pdf_is_a_problem_not_an_exception(tmp_path: Path, damage: str) -> None:
    good = make_pdf(tmp_path / "good.pdf", EN_REPORT).read_bytes()
    content = {
        "truncated": good[: len(good) // 3],
        "random": os.urandom(5000),
        "empty": b"",
        "header_only": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    }[damage]
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    row, problems = read(path)
    assert row is None or row["text"] == ""
    assert kinds(problems)[0] in {"pdf_unreadable", "no_text_layer"}
    if damage in {"random", "empty"}:
        assert row is None and kinds(problems) == ["pdf_unreadable"]
        assert "broken.pdf" in problems[0].message and "original" in problems[0].message


def test_pdf_with_too_many_pages(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter()
    for _ in range(600):
        writer.add_blank_page(width=200, height=200)
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    row, problems = read(path)
    assert row is None
    assert kinds(problems) == ["pdf_too_many_pages"]
    assert "600" in problems[0].message


def test_pdf_over_byte_limit(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "big.pdf", EN_REPORT)
    row, problems = read(path, max_bytes=100)
    assert row is None and kinds(problems) == ["pdf_too_large"]


# --- text files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # Python writes a BOM
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
    ],
)
def test_chinese_text_in_each_encoding(tmp_path: Path, codec: str, expected: str) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(ZH_NOTE.replace("\n", "\r\n").encode(codec))
    row, problems = read(path)
    assert problems == []
    assert row is not None
    assert row["encoding"] == expected
    assert row["text"].startswith("门诊病历\n")
    assert row["language"] == "zh"
    assert row["doc_type"] == "outpatient_note"
    assert row["date"] == pd.Timestamp("2024-05-06")
    assert row["side"] == "left" and row["body_part"] == "knee"
    assert row["n_pages"] is None


def test_latin1_text_is_not_read_as_chinese(tmp_path: Path) -> None:
    text = "Clinic letter.\nThe patient, a naïve café owner, was seen on 3 June 2024. " * 5
    path = tmp_path / "letter.md"
    path.write_bytes(text.encode("cp1252"))
    row, problems = read(path)
    assert row is not None and problems == []
    assert row["encoding"] != "gb18030"
    assert "café" in row["text"]
    assert row["language"] == "en"


@pytest.mark.parametrize(
    "content",
    [
        b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4,
        bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16]) * 50 + b"text",
    ],
)
def test_binary_named_txt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    row, problems = read(path)
    assert row is None
    assert kinds(problems) == ["binary_text"]
    assert "notes.txt" in problems[0].message


def test_unsupported_and_missing_files_do_not_raise(tmp_path: Path) -> None:
    row, problems = read(tmp_path / "scan.jpg")
    assert row is None and kinds(problems) == ["unsupported_document"]
    row, problems = read(tmp_path / "gone.txt")
    assert row is None and kinds(problems) == ["file_unreadable"]


def test_empty_text_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    row, problems = read(path)
    assert row is not None and row["text"] == "" and row["doc_type"] == "other"
    assert kinds(problems) == ["empty_document"]


# --- Word -----------------------------------------------------------------------------


def test_chinese_docx_operation_note(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("手术记录")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "手术日期"
    table.cell(0, 1).text = "2023年11月2日"
    table.cell(1, 0).text = "手术名称"
    table.cell(1, 1).text = "左膝关节镜下前交叉韧带重建术"
    document.add_paragraph("麻醉方式：全身麻醉。术中所见：左膝前交叉韧带完全断裂，内侧半月板完整。")
    document.add_paragraph("术后处理：支具保护，康复锻炼。")
    path = tmp_path / "op.docx"
    document.save(str(path))
    row, problems = read(path)
    assert problems == []
    assert row is not None
    assert row["language"] == "zh"
    assert row["doc_type"] == "operation_note"
    assert row["date"] == pd.Timestamp("2023-11-02")
    assert row["date_text"] == "2023年11月2日"
    assert (row["side"], row["body_part"]) == ("left", "knee")
    assert row["title"] == "手术记录"
    assert "手术日期\t2023年11月2日" in row["text"]


def test_docx_that_is_another_zip(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images/xray.txt", "not a word document")
    row, problems = read(path)
    assert row is None and kinds(problems) == ["docx_invalid"]
    assert "report.docx" in problems[0].message


def test_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # an old .doc
    row, problems = read(path)
    assert row is None and kinds(problems) == ["docx_invalid"]


def test_docx_with_wrong_content_type(tmp_path: Path) -> None:
    path = tmp_path / "sheet.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    row, problems = read(path)
    assert row is None and kinds(problems) == ["docx_invalid"]


def test_docx_zip_bomb_is_refused_before_opening(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * 2_000_000)
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert path.stat().st_size < 50_000
    original = documents.MAX_DOCX_UNCOMPRESSED
    documents.MAX_DOCX_UNCOMPRESSED = 1_000_000
    try:
        row, problems = read(path)
    finally:
        documents.MAX_DOCX_UNCOMPRESSED = original
    assert row is None and kinds(problems) == ["docx_too_large"]


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "matched", "ambiguous"),
    [
        ("Exam date: 2024-03-10", "2024-03-10", "2024-03-10", False),
        ("2024/03/10", "2024-03-10", "2024/03/10", False),
        ("2024.03.10", "2024-03-10", "2024.03.10", False),
        ("10/03/2024", "2024-03-10", "10/03/2024", True),  # day-first by default
        ("25/03/2024", "2024-03-25", "25/03/2024", False),
        ("03/25/2024", "2024-03-25", "03/25/2024", False),
        ("10.03.2024", "2024-03-10", "10.03.2024", True),
        ("10 March 2024", "2024-03-10", "10 March 2024", False),
        ("10-Mar-2024", "2024-03-10", "10-Mar-2024", False),
        ("March 10, 2024", "2024-03-10", "March 10, 2024", False),
        ("2024年3月10日", "2024-03-10", "2024年3月10日", False),
        ("2024年03月10日", "2024-03-10", "2024年03月10日", False),
        ("２０２４年３月１０日", "2024-03-10", "２０２４年３月１０日", False),
        ("05/05/2024", "2024-05-05", "05/05/2024", False),  # same either way
    ],
)
def test_date_forms(text: str, expected: str, matched: str, ambiguous: bool) -> None:
    [(stamp, found, flag)] = extract_dates(text)
    assert stamp == pd.Timestamp(expected)
    assert found == matched
    assert flag is ambiguous


def test_invalid_dates_are_skipped() -> None:
    assert extract_dates("2024-02-30 and 31/04/2024 and 2023年13月1日") == []
    assert [t for _, t, _ in extract_dates("2024-02-29, 30/02/2023")] == ["2024-02-29"]


def test_ambiguous_date_follows_month_first_evidence_in_the_document() -> None:
    dates = extract_dates("Seen 03/04/2024. Follow-up 12/25/2024.")
    assert dates[0][0] == pd.Timestamp("2024-03-04")
    assert dates[0][2] is True  # still flagged for a person to check


def test_ambiguous_date_follows_day_first_evidence_in_the_document() -> None:
    dates = extract_dates("Seen 03/04/2024. Follow-up 25/12/2024.")
    assert dates[0][0] == pd.Timestamp("2024-04-03")
    assert extract_dates("03/04/2024", day_first=False)[0][0] == pd.Timestamp("2024-03-04")


def test_chinese_text_reads_ambiguous_dates_day_first() -> None:
    [(stamp, _, ambiguous)] = extract_dates("检查日期：03/04/2024")
    assert stamp == pd.Timestamp("2024-04-03") and ambiguous


def test_document_date_prefers_labels_and_skips_birth_dates() -> None:
    text = "DOB: 1985-06-01\nPrevious MRI 2019-01-01 reviewed.\nExam date: 2024-03-10\n"
    found = document_date(text, "imaging_report")
    assert found is not None and found.date == pd.Timestamp("2024-03-10")
    # without a label: the earliest plausible date, never the birth date
    found = document_date("出生日期：1985-06-01\n2022-07-01 复查，2021-05-03 初诊")
    assert found is not None and found.date == pd.Timestamp("2021-05-03")


def test_discharge_summary_prefers_discharge_date() -> None:
    text = "出院小结\n入院日期：2024-01-02\n出院日期：2024-01-09\n出院诊断：右髋骨关节炎"
    assert classify_doc_type(text) == "discharge_summary"
    found = document_date(text, "discharge_summary")
    assert found is not None and found.date == pd.Timestamp("2024-01-09")


def test_document_date_ignores_implausible_dates() -> None:
    text = "Date: 2031-01-01\nReviewed 1975-04-04 and 2020-02-02"
    found = document_date(text, today=date(2025, 1, 1))
    assert found is not None and found.date == pd.Timestamp("2020-02-02")
    assert document_date("no dates at all") is None


def test_label_on_the_line_above() -> None:
    found = document_date("检查日期\n2024-03-10\n报告日期\n2024-03-12", "imaging_report")
    assert found is not None and found.label == "exam"
    assert found.date == pd.Timestamp("2024-03-10")


# --- types, language, side ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (EN_REPORT, "imaging_report"),
        (ZH_REPORT, "imaging_report"),
        (
            "CT LUMBAR SPINE\nFindings: L4-5 disc protrusion.\nImpression: as above.",
            "imaging_report",
        ),
        (
            "OPERATION NOTE\nProcedure performed: right total knee arthroplasty.\n"
            "Surgeon: A. Smith. Tourniquet 90 min. Blood loss 200 ml. Closure in layers.",
            "operation_note",
        ),
        ("手术记录\n手术名称：右膝关节置换术\n术中所见：关节软骨磨损。", "operation_note"),
        (
            "DISCHARGE SUMMARY\nDate of admission: 2024-01-02\nDate of discharge: 2024-01-09\n"
            "Hospital course: uneventful. Physiotherapy started on day 1.",
            "discharge_summary",
        ),
        (
            "出院记录\n入院诊断：右股骨颈骨折\n诊疗经过：行手术治疗\n出院医嘱：门诊随访",
            "discharge_summary",
        ),
        (
            "Orthopaedic clinic letter\nChief complaint: left knee pain.\n"
            "Assessment and plan: MRI and physiotherapy.",
            "outpatient_note",
        ),
        (ZH_NOTE, "outpatient_note"),
        (
            "LABORATORY REPORT\nCRP 12 mg/L (reference range 0-5)\nESR 30 mm/h\nWBC 7.2",
            "lab",
        ),
        ("检验报告单\n项目 结果 参考值\nC反应蛋白 12 mg/L\n血沉 30", "lab"),
        (
            "Physiotherapy record\nSession 4: quadriceps exercises, knee brace advised.",
            "treatment_record",
        ),
        ("康复治疗记录\n右膝关节腔注射玻璃酸钠 第3次\n理疗：超短波", "treatment_record"),
        ("Dear colleague, thank you.", "other"),
        ("", "other"),
    ],
)
def test_doc_types(text: str, expected: str) -> None:
    assert expected in DOC_TYPES
    assert classify_doc_type(text) == expected


def test_filename_counts_like_a_title() -> None:
    text = "Small effusion.\nNo fracture."
    assert classify_doc_type(text, "MRI_report_left_knee.pdf") == "imaging_report"
    assert classify_doc_type(text, "notes.txt") == "other"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Right knee pain after a fall.", "en"),
        ("右膝关节疼痛三月，MRI示半月板撕裂。", "zh"),
        ("Right knee MRI. 右膝关节磁共振检查，内侧半月板后角撕裂。 Medial meniscus tear.", "mixed"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def _analyse(text: str, filename: str = "") -> dict:
    return documents.analyse_text(text, filename=filename)


def test_side_from_exam_line_beats_majority() -> None:
    text = (
        "X-RAY LEFT KNEE STANDING AP AND LATERAL\n"
        "Compared with the right knee MRI of 2023: right knee replaced, right knee stable.\n"
        "Left knee: medial joint space narrowing."
    )
    result = _analyse(text)
    assert (result["side"], result["body_part"], result["modality"]) == ("left", "knee", "DX")
    assert result["weight_bearing"] is True
    assert result["sides_mentioned"] == "left,right"


def test_side_from_labelled_exam_line() -> None:
    result = _analyse("某医院\n姓名：张三\n检查部位：左髋关节\n检查方法：CT平扫\n右侧未见异常。")
    assert (result["side"], result["body_part"], result["modality"]) == ("left", "hip", "CT")


def test_side_by_majority_and_ties() -> None:
    result = _analyse("Clinic note\nPain in the right knee. Right knee swollen. Left knee fine.")
    assert result["side"] == "right"
    tie = _analyse("Clinic note\nRight knee sore. Left knee sore.")
    assert tie["side"] is None  # a left/right tie is left to a person
    both = _analyse("双膝关节X线负重位\n双膝关节间隙变窄。")
    assert both["side"] == "bilateral" and both["weight_bearing"] is True


def test_modality_words() -> None:
    assert documents.modality_from_text("右膝关节MRI平扫") == "MR"
    assert documents.modality_from_text("磁共振检查") == "MR"
    assert documents.modality_from_text("Mr Smith was seen") is None
    assert documents.modality_from_text("腰椎正侧位DR") == "DX"
    assert documents.modality_from_text("Knee radiograph") == "DX"
    assert documents.modality_from_text("肩关节彩超") == "US"
    assert documents.modality_from_text("Shoulder ultrasound") == "US"
    assert documents.modality_from_text("SPECT bone scan") == "NM"
    assert documents.modality_from_text("PET-CT") == "CT"


def test_operation_note_does_not_take_modality_from_its_body() -> None:
    result = _analyse("OPERATION NOTE\nPreoperative MRI showed a tear. Partial weight bearing.")
    assert result["doc_type"] == "operation_note"
    assert result["modality"] is None and result["weight_bearing"] is None


def test_suffixes() -> None:
    assert {".pdf", ".txt", ".md", ".docx"} == set(DOCUMENT_SUFFIXES)


def test_long_title_is_trimmed() -> None:
    assert len(_analyse("x" * 500)["title"]) == 120


def test_docx_in_memory_roundtrip_has_no_problems(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Radiology report")
    document.add_paragraph("Study date: 2 February 2024")
    document.add_paragraph("MRI of the lumbar spine: L4-5 disc protrusion.")
    document.save(buffer)
    path = tmp_path / "r.docx"
    path.write_bytes(buffer.getvalue())
    row, problems = read(path)
    assert problems == [] and row is not None
    assert row["doc_type"] == "imaging_report" and row["body_part"] == "lumbar_spine"
    assert row["date"] == pd.Timestamp("2024-02-02") and row["modality"] == "MR"
    assert row["side"] is None
