"""OCR offline: a photographed Chinese report, a scanned English PDF, a photo of a film.

Pages are rendered with Pillow and the CJK font, then "photographed" (rotated, blurred,
JPEG-compressed). OCR takes seconds per page, so the case is built and opened once per
module, with networking blocked to prove nothing is downloaded.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from builders import dx_knee
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from workbench.case import open_case

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="needs fonts-wqy-microhei")

ZH_REPORT = [
    "磁共振检查报告",
    "检查日期：二〇二四年三月十日",
    "检查部位：右膝关节",
    "影像所见：内侧半月板后角撕裂。",
    "诊断意见：右膝内侧半月板撕裂。",
]
EN_REPORT = [
    "RADIOLOGY REPORT",
    "Exam date: 12-Mar-2024",
    "MRI LEFT KNEE",
    "Findings: tear of the anterior cruciate ligament.",
    "Impression: complete ACL tear.",
]


def page(lines: list[str], size: tuple[int, int] = (900, 520)) -> Image.Image:
    font = ImageFont.truetype(str(FONT), 30)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((50, 40 + i * 80), line, fill=(20, 20, 20), font=font)
    return image


def photographed(image: Image.Image, path: Path) -> None:
    """Tilted, slightly blurred, JPEG noise: what a phone makes of a printed page."""
    tilted = image.rotate(4, expand=True, fillcolor=(235, 232, 225), resample=Image.BICUBIC)
    tilted.filter(ImageFilter.GaussianBlur(0.8)).save(path, quality=55)


@pytest.fixture(scope="module")
def ocr_case(tmp_path_factory):
    root = tmp_path_factory.mktemp("ocr") / "case"
    root.mkdir()
    dx_knee(root / "knee.dcm", side="R", date="20240310")
    photographed(page(ZH_REPORT), root / "IMG_0001.jpg")
    page(EN_REPORT).save(root / "scan.pdf")  # an image-only PDF: no text layer
    film = Image.new("L", (600, 700), 15)
    ImageDraw.Draw(film).ellipse((200, 150, 400, 550), fill=150)  # a bone on a dark film
    film.save(root / "IMG_0002.jpg", quality=80)
    workspace = tmp_path_factory.mktemp("ocr_ws")
    blocked = pytest.MonkeyPatch()

    def no_network(*args, **kwargs):
        raise OSError("network is blocked in this test")

    blocked.setattr(socket.socket, "connect", no_network)
    blocked.setattr(socket, "create_connection", no_network)
    try:
        case = open_case(root, workspace=workspace)
    finally:
        blocked.undo()
    return root, workspace, case


def _doc(case, path: str):
    rows = case.documents[case.documents["path"] == path]
    assert len(rows) == 1, case.documents[["path", "doc_type"]].to_string()
    return rows.iloc[0]


def test_photo_of_a_chinese_report_becomes_a_document(ocr_case):
    _, _, case = ocr_case
    row = _doc(case, "IMG_0001.jpg")
    assert row["text_source"] == "ocr" and row["ocr_confidence"] > 0.8
    assert row["doc_type"] == "imaging_report" and row["language"] == "zh"
    assert (row["side"], row["body_part"], str(row["date"].date())) == (
        "right",
        "knee",
        "2024-03-10",
    )
    assert "半月板" in row["text"]
    # a report photo is a document, not a photo of imaging
    assert "IMG_0001.jpg" not in " ".join(case.studies["description"].astype(str))


def test_scanned_pdf_is_read_by_ocr(ocr_case):
    _, _, case = ocr_case
    row = _doc(case, "scan.pdf")
    assert row["text_source"] == "ocr" and "ACL" in row["text"]
    assert (row["side"], row["modality"], str(row["date"].date())) == ("left", "MR", "2024-03-12")
    assert "no_text_layer" not in set(case.problems["kind"])


def test_photo_of_a_film_stays_a_photo_study(ocr_case):
    _, _, case = ocr_case
    assert "IMG_0002.jpg" not in set(case.documents["path"])
    photos = case.studies[case.studies["source"] == "photo"]
    assert list(photos["description"]) == ["Photo: IMG_0002.jpg"]


def test_ocr_results_are_cached_as_json_and_reused(ocr_case, monkeypatch):
    root, workspace, case = ocr_case
    cached = sorted((workspace / "cache" / "ocr").glob("*.json"))
    assert len(cached) == 3
    data = json.loads(cached[0].read_text(encoding="utf-8"))
    assert data["version"] == 1 and "text" in data["result"]
    from workbench.record import ocr

    monkeypatch.setattr(ocr, "_MEMO", {})
    monkeypatch.setattr(ocr, "ocr_image", lambda image: pytest.fail("OCR ran again"))
    (workspace / "tables" / "fingerprint.json").unlink()
    again = open_case(root, workspace=workspace)
    assert list(again.documents["text_source"]) == list(case.documents["text_source"])


def test_ocr_can_be_skipped(ocr_case, tmp_path):
    root, _, _ = ocr_case
    case = open_case(root, workspace=tmp_path / "ws", ocr=False)
    assert "no_text_layer" in set(case.problems["kind"])
    [scan] = case.documents.itertuples(index=False)
    assert (scan.path, scan.text, scan.text_source) == ("scan.pdf", "", None)
    assert set(case.studies[case.studies["source"] == "photo"]["description"]) == {
        "Photo: IMG_0001.jpg",
        "Photo: IMG_0002.jpg",
    }
