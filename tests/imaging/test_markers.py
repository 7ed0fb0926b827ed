"""Burned-in lead side markers on synthetic radiographs: read, and compared with the header."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from builders import dx_knee
from PIL import Image, ImageDraw, ImageFont

from workbench.case import open_case
from workbench.imaging.markers import marker_candidates, read_marker

BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
pytestmark = pytest.mark.skipif(not BOLD.exists(), reason="needs fonts-dejavu")


def radiograph(letter: str | None, angle: float = 0, size: int = 900) -> np.ndarray:
    """A knee-like film: dark background, two bones, noise, and a bright lead letter."""
    image = Image.new("L", (size, size), 25)
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * 0.35, size * 0.05, size * 0.62, size * 0.5), fill=150)  # femur
    draw.ellipse((size * 0.37, size * 0.52, size * 0.6, size * 0.97), fill=140)  # tibia
    if letter:
        font = ImageFont.truetype(str(BOLD), 80)
        tile = Image.new("L", (170, 170), 0)
        ImageDraw.Draw(tile).text((40, 30), letter, fill=255, font=font)
        tile = tile.rotate(angle)
        image.paste(Image.new("L", tile.size, 245), (size - 220, 40), tile)
    noisy = np.asarray(image, dtype=float) + np.random.default_rng(1).normal(0, 5, (size, size))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def test_no_marker_on_plain_anatomy():
    assert marker_candidates(radiograph(None)) == []
    assert read_marker(radiograph(None)) is None


@pytest.mark.parametrize(("letter", "angle", "side"), [("L", 0, "left"), ("R", 90, "right")])
def test_burned_in_letter_is_read_upright_or_turned(letter, angle, side):
    marker = read_marker(radiograph(letter, angle))
    assert marker is not None and (marker.side, marker.text) == (side, letter)
    x0, y0, x1, y1 = marker.box
    assert x0 >= 900 - 220 and x1 <= 900 - 220 + 170 and y0 >= 40 and y1 <= 210


def _film(path: Path, letter: str, *, header_side: str, monochrome1: bool = False) -> None:
    dx_knee(path, side=header_side, date="20240310")
    ds = pydicom.dcmread(path)
    pixels = radiograph(letter).astype(np.uint16) * 16  # 12-bit detector values
    if monochrome1:
        pixels = 4095 - pixels
    ds.set_pixel_data(pixels, "MONOCHROME1" if monochrome1 else "MONOCHROME2", 12)
    ds.save_as(path)


def test_a_marker_contradicting_the_header_is_a_side_conflict(tmp_path):
    root = tmp_path / "case"
    root.mkdir()
    _film(root / "knee.dcm", "L", header_side="R", monochrome1=True)
    case = open_case(root, workspace=tmp_path / "ws")
    assert list(case.series["image_marker"]) == ["left"]
    conflict = case.gaps[case.gaps["code"] == "side_conflict"]
    assert len(conflict) == 1
    message = conflict.iloc[0]["message"]
    assert "left: film marker 'L' on 'KNEE RT AP STANDING'" in message
    assert "right: DICOM Laterality of 'KNEE RT AP STANDING'" in message
    assert "RIGHT? film marker says LEFT" in str(case.summary())
    # skipping OCR skips the marker too
    assert set(open_case(root, workspace=tmp_path / "ws2", ocr=False).series["image_marker"]) == {
        None
    }
    # the viewer's badge says so too
    from workbench.widgets.series_viewer import SeriesViewer

    viewer = SeriesViewer(case, size=256)
    assert "RIGHT? film marker says LEFT" in viewer.badge.value
