"""Volumes, geometry and windowing on real files from pydicom and pydicom-data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import dicom_file
from imaging_builders import AXIAL, SAGITTAL, ct_stack, only_series, open_folder, projection
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut, apply_windowing

from workbench.errors import PixelDataError
from workbench.imaging import volume as imaging
from workbench.imaging.volume import Volume, area_reduce, load_series, reduction_factor
from workbench.imaging.windowing import PRESETS, auto_window, orientation_labels, window_to_uint8


def volume_of(make_case, workspace: Path, *names: str, **kwargs) -> Volume:
    case = open_folder(make_case(*names), workspace)
    return load_series(case, only_series(case), **kwargs)


def reference(name: str, index: int | None = None) -> tuple[np.ndarray, pydicom.Dataset]:
    """pydicom's own decode + modality LUT of a test file."""
    ds = pydicom.dcmread(dicom_file(name))
    arr = ds.pixel_array if index is None else ds.pixel_array[index]
    return apply_modality_lut(arr, ds), ds


def eight_bit(center: float, width: float, photometric: str = "MONOCHROME2") -> Dataset:
    ds = Dataset()
    ds.PhotometricInterpretation = photometric
    ds.BitsStored, ds.PixelRepresentation = 8, 0
    ds.WindowCenter, ds.WindowWidth = center, width
    return ds


def pydicom_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """The reference: pydicom's apply_windowing into 0-255, rounded."""
    return np.rint(apply_windowing(values.astype(np.float64), eight_bit(center, width))).astype(
        np.uint8
    )


class CountingDecode:
    """Stands in for imaging._decode and records what it was asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self._real = imaging._decode

    def __call__(self, source, index):
        self.calls.append((str(getattr(source, "filename", source)), index))
        return self._real(source, index)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingDecode:
    counter = CountingDecode()
    monkeypatch.setattr(imaging, "_decode", counter)
    return counter


# --- geometry and order -----------------------------------------------------------------


def test_frames_sorted_along_the_normal_not_by_name_or_number(tmp_path, workspace):
    positions = ct_stack(tmp_path / "case", 10, spacing=3.0)
    case = open_folder(tmp_path / "case", workspace)
    volume = load_series(case, only_series(case))
    assert volume.shape == (10, 128, 128)
    np.testing.assert_allclose(volume.geometry.positions, positions, atol=1e-3)
    # slice k was written with 10 k - 24 HU: the display order follows position
    assert [float(volume.frame(i)[64, 64]) for i in range(10)] == [10 * k - 24 for k in range(10)]
    assert volume.geometry.slice_spacing == pytest.approx(3.0)
    assert volume.geometry.uniform and volume.geometry.issues == ()
    rows = case.instances.set_index("SOPInstanceUID")
    z = [rows.loc[uid, "ImagePositionPatient"][2] for uid, _ in volume.sop_uids]
    assert z == sorted(z)
    assert [frame for _, frame in volume.sop_uids] == [1] * 10


def test_positions_and_nearest_index(tmp_path, workspace):
    ct_stack(tmp_path / "case", 5, spacing=2.5)
    case = open_folder(tmp_path / "case", workspace)
    volume = load_series(case, only_series(case))
    first = volume.slice_position(0)
    assert volume.slice_position(4) == pytest.approx(first + 10.0)
    assert volume.nearest_index(first + 5.4) == 2
    assert volume.nearest_index(first - 100) == 0


def test_gap_is_detected_and_named(tmp_path, workspace):
    ct_stack(tmp_path / "case", 13, spacing=3.0, skip=[11])
    case = open_folder(tmp_path / "case", workspace)
    geometry = load_series(case, only_series(case)).geometry
    assert not geometry.uniform
    assert geometry.issues[0].startswith("gap of 6.0 mm between slices 11 and 12")
    assert geometry.slice_spacing == pytest.approx(3.0)


def test_gantry_tilt_is_detected(tmp_path, workspace):
    shift = (0.0, 3.0 * np.tan(np.radians(12.0)), 0.0)  # each slice slides 0.64 mm forwards
    ct_stack(tmp_path / "case", 6, spacing=3.0, shift=shift)
    case = open_folder(tmp_path / "case", workspace)
    geometry = load_series(case, only_series(case)).geometry
    assert not geometry.uniform
    assert any(issue.startswith("gantry tilt 12.0°") for issue in geometry.issues)


def test_uneven_spacing_and_repeated_positions(tmp_path, workspace):
    from workbench.imaging.geometry import describe_stack

    uneven = np.array([[0, 0, z] for z in (0.0, 3.0, 6.0, 8.5, 11.5)])
    _, uniform, issues = describe_stack(uneven, AXIAL)
    assert not uniform and issues == ("slice spacing varies from 2.50 to 3.00 mm",)
    repeated = np.array([[0, 0, z] for z in (0.0, 3.0, 3.0, 6.0)])
    _, uniform, issues = describe_stack(repeated, AXIAL)
    assert not uniform and "repeat a position" in issues[0]


def test_mixed_sizes_keep_the_main_stack(tmp_path, workspace):
    folder = tmp_path / "case"
    ct_stack(folder, 4, series_uid="1.2.826.0.1.3680043.8.498.1")
    localizer = pydicom.dcmread(next(folder.glob("*.dcm")))
    localizer.SOPInstanceUID = pydicom.uid.generate_uid()
    localizer.Rows = localizer.Columns = 64
    localizer.PixelData = np.zeros((64, 64), np.int16).tobytes()
    localizer.save_as(folder / "localizer.dcm")
    case = open_folder(folder, workspace)
    volume = load_series(case, only_series(case))
    assert volume.n_frames == 4
    assert "1 images of another size are left out (series is 128 × 128)" in volume.geometry.issues


def test_projection_geometry(make_case, workspace):
    volume = volume_of(make_case, workspace, "RG3_UNCR.dcm")
    geometry = volume.geometry
    assert geometry.orientation is None and geometry.positions is None
    assert geometry.patient_orientation == ("R", "F")
    assert geometry.pixel_spacing is None and geometry.spacing_source == "none"
    assert volume.slice_position(0) is None
    with pytest.raises(PixelDataError, match="no slice positions"):
        volume.nearest_index(0.0)


@pytest.mark.parametrize(
    ("kwargs", "spacing", "source"),
    [
        ({"pixel_spacing": (0.5, 0.5)}, (0.5, 0.5), "PixelSpacing"),
        (
            {"imager_spacing": (0.2, 0.2), "magnification": 1.25},
            (0.16, 0.16),
            "ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor",
        ),
        ({"imager_spacing": (0.2, 0.2)}, (0.2, 0.2), "ImagerPixelSpacing"),
        ({}, None, "none"),
    ],
)
def test_spacing_source(tmp_path, workspace, kwargs, spacing, source):
    projection(tmp_path / "case" / "xr.dcm", **kwargs)
    case = open_folder(tmp_path / "case", workspace)
    geometry = load_series(case, only_series(case)).geometry
    assert geometry.pixel_spacing == (pytest.approx(spacing) if spacing else None)
    assert geometry.spacing_source == source


# --- lazy decoding and the cache --------------------------------------------------------


def test_loading_decodes_nothing_and_frame_decodes_one_file(tmp_path, workspace, counting):
    ct_stack(tmp_path / "case", 10)
    case = open_folder(tmp_path / "case", workspace)
    volume = load_series(case, only_series(case))
    assert counting.calls == []
    volume.frame(0)
    assert len(counting.calls) == 1
    first_uid = volume.sop_uids[0][0]
    assert pydicom.dcmread(counting.calls[0][0]).SOPInstanceUID == first_uid
    volume.frame(0)
    volume.display_frame(0, max_size=64)
    assert len(counting.calls) == 1  # cached


def test_array_is_preallocated_and_reuses_decoded_frames(tmp_path, workspace, counting):
    ct_stack(tmp_path / "case", 6)
    case = open_folder(tmp_path / "case", workspace)
    volume = load_series(case, only_series(case))
    frames = [volume.frame(i).copy() for i in (0, 1)]
    whole = volume.array()
    assert len(counting.calls) == 6  # frames 0 and 1 were not decoded twice
    assert whole.shape == (6, 128, 128) and whole.dtype == np.float32
    assert not whole.flags.writeable
    np.testing.assert_array_equal(whole[:2], frames)
    assert np.shares_memory(volume.frame(3), whole)  # frames are now views of the volume
    assert volume.array() is whole


def test_cache_budget_evicts_least_recently_used(tmp_path, workspace, counting):
    ct_stack(tmp_path / "case", 6)
    case = open_folder(tmp_path / "case", workspace)
    frame_bytes = 128 * 128 * 4
    volume = load_series(case, only_series(case), cache_bytes=2 * frame_bytes)
    for i in range(5):
        volume.frame(i)
    info = volume.cache_info()
    assert info["entries"] == 2 and info["bytes"] <= 2 * frame_bytes
    assert info["evictions"] == 3
    volume.frame(4)  # still cached
    assert len(counting.calls) == 5
    volume.frame(0)  # evicted: decoded again
    assert len(counting.calls) == 6
    whole = volume.array()  # larger than the budget: returned, not kept
    assert whole.shape[0] == 6 and volume.cache_info()["bytes"] <= 2 * frame_bytes


def test_frames_are_read_only(make_case, workspace):
    volume = volume_of(make_case, workspace, "CT_small.dcm")
    with pytest.raises(ValueError, match="read-only"):
        volume.frame(0)[0, 0] = 1


# --- decoding: modality LUT, multi-frame, compression, colour ---------------------------


def test_ct_in_hounsfield_units(make_case, workspace):
    volume = volume_of(make_case, workspace, "CT_small.dcm")
    expected, _ = reference("CT_small.dcm")
    assert volume.modality == "CT" and volume.frame(0).dtype == np.float32
    np.testing.assert_array_equal(volume.frame(0), expected.astype(np.float32))


def test_multi_frame_file(make_case, workspace):
    volume = volume_of(make_case, workspace, "emri_small.dcm")
    ds = pydicom.dcmread(dicom_file("emri_small.dcm"))
    assert volume.shape == (10, 64, 64)
    assert [frame for _, frame in volume.sop_uids] == list(range(1, 11))
    np.testing.assert_array_equal(volume.frame(7), ds.pixel_array[7])
    np.testing.assert_array_equal(volume.array(), ds.pixel_array)


def test_multi_frame_file_is_read_once(make_case, workspace, monkeypatch):
    reads = []
    real = imaging._read_file
    monkeypatch.setattr(imaging, "_read_file", lambda p: reads.append(p) or real(p))
    volume = volume_of(make_case, workspace, "emri_small_jpeg_2k_lossless.dcm")
    for i in range(10):
        volume.frame(i)
    assert len(reads) == 1


@pytest.mark.parametrize(
    ("compressed", "original"),
    [
        ("MR_small_jp2klossless.dcm", "MR_small.dcm"),
        ("MR_small_RLE.dcm", "MR_small.dcm"),
        ("MR_small_jpeg_ls_lossless.dcm", "MR_small.dcm"),
        ("emri_small_jpeg_2k_lossless.dcm", "emri_small.dcm"),
        ("emri_small_RLE.dcm", "emri_small.dcm"),
        ("RG3_J2KR.dcm", "RG3_UNCR.dcm"),
    ],
)
def test_lossless_compression_decodes_to_the_original(make_case, tmp_path, compressed, original):
    left = volume_of(make_case, tmp_path / "ws1", compressed)
    right = volume_of(lambda *n: make_case(*n, folder="other"), tmp_path / "ws2", original)
    np.testing.assert_array_equal(left.array(), right.array())


@pytest.mark.parametrize(
    "name",
    ["JPEG2000.dcm", "JPEG-LL.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm", "SC_rgb_jpeg_dcmtk.dcm"],
)
def test_compressed_matches_pydicom(make_case, workspace, name):
    volume = volume_of(make_case, workspace, name)
    expected, _ = reference(name)
    np.testing.assert_array_equal(volume.frame(0), expected.astype(np.float32))


def test_decoder_failure_is_a_pixel_data_error_naming_the_file(make_case, workspace):
    # 12-bit JPEG Extended that none of the installed plugins decodes
    volume = volume_of(make_case, workspace, "JPEG-lossy.dcm")
    with pytest.raises(PixelDataError, match=r"'JPEG-lossy.dcm' \(frame 1\) cannot be decoded"):
        volume.frame(0)


def test_signed_data_keeps_negative_values(make_case, workspace):
    volume = volume_of(make_case, workspace, "JPEG2000.dcm")  # PixelRepresentation 1
    ds = pydicom.dcmread(dicom_file("JPEG2000.dcm"))
    assert ds.PixelRepresentation == 1
    assert volume.frame(0).min() == ds.pixel_array.min() < 0


def test_rgb(make_case, workspace):
    volume = volume_of(make_case, workspace, "SC_rgb.dcm")
    assert volume.is_color and volume.shape == (1, 100, 100, 3)
    frame = volume.frame(0)
    assert frame.dtype == np.uint8
    np.testing.assert_array_equal(frame, pydicom.dcmread(dicom_file("SC_rgb.dcm")).pixel_array)
    assert window_to_uint8(frame, 0, 1, photometric="RGB") is frame


def test_rgb_16_bit_is_scaled_to_8(make_case, workspace):
    volume = volume_of(make_case, workspace, "SC_rgb_16bit.dcm")
    raw = pydicom.dcmread(dicom_file("SC_rgb_16bit.dcm")).pixel_array
    np.testing.assert_array_equal(volume.frame(0), (raw >> 8).astype(np.uint8))


@pytest.mark.parametrize("name", ["SC_rgb_jpeg_dcmtk.dcm", "SC_ybr_full_uncompressed.dcm"])
def test_ybr_is_shown_as_rgb(make_case, workspace, name):
    volume = volume_of(make_case, workspace, name)
    rgb = pydicom.dcmread(dicom_file("SC_rgb.dcm")).pixel_array
    assert volume.photometric == "YBR_FULL" and volume.is_color
    assert np.abs(volume.frame(0).astype(int) - rgb).max() <= 8  # YCbCr rounding


def test_rle_rgb_and_ultrasound_rgb(make_case, tmp_path):
    rle = volume_of(make_case, tmp_path / "ws1", "SC_rgb_rle.dcm")
    np.testing.assert_array_equal(
        rle.frame(0), pydicom.dcmread(dicom_file("SC_rgb.dcm")).pixel_array
    )
    us = volume_of(lambda *n: make_case(*n, folder="us"), tmp_path / "ws2", "US1_UNCR.dcm")
    assert us.shape == (1, 480, 640, 3) and us.frame(0).dtype == np.uint8


@pytest.mark.parametrize("name", ["OBXXXX1A.dcm", "gdcm-US-ALOKA-16.dcm"])
def test_palette_colour(make_case, workspace, name):
    volume = volume_of(make_case, workspace, name)
    ds = pydicom.dcmread(dicom_file(name))
    assert ds.PhotometricInterpretation == "PALETTE COLOR"
    assert volume.is_color and volume.shape == (1, ds.Rows, ds.Columns, 3)
    expected = (apply_color_lut(ds.pixel_array, ds) >> 8).astype(np.uint8)  # 16-bit entries
    np.testing.assert_array_equal(volume.frame(0), expected)


def test_multi_frame_ybr_422_cine(make_case, workspace):
    volume = volume_of(make_case, workspace, "color3d_jpeg_baseline.dcm")
    assert volume.shape == (120, 480, 640, 3)
    assert volume.frame(60).dtype == np.uint8
    assert volume.geometry.positions is None


def test_modality_lut_sequence(make_case, workspace):
    volume = volume_of(make_case, workspace, "mlut_18.dcm")
    expected, ds = reference("mlut_18.dcm")
    assert "ModalityLUTSequence" in ds
    np.testing.assert_array_equal(volume.frame(0), expected.astype(np.float32))
    assert volume.is_integral(0)


def test_undecodable_series_raises_with_the_reason(tmp_path, workspace):
    folder = tmp_path / "case"
    ct_stack(folder, 1)
    path = next(folder.glob("*.dcm"))
    path.write_bytes(path.read_bytes()[:-5000])  # truncated pixel data
    case = open_folder(folder, workspace)
    with pytest.raises(PixelDataError, match="no image that can be decoded"):
        load_series(case, only_series(case))


def test_header_dataset_for_the_panel(make_case, workspace):
    volume = volume_of(make_case, workspace, "CT_small.dcm")
    ds = volume.dataset(0)
    assert "PixelData" not in ds and ds.Modality == "CT"
    assert volume.dataset(0) is ds


def test_unknown_index_is_an_index_error(make_case, workspace):
    volume = volume_of(make_case, workspace, "CT_small.dcm")
    with pytest.raises(IndexError, match="outside series"):
        volume.frame(1)


# --- reduction for display --------------------------------------------------------------


def test_display_frame_is_area_reduced_and_cached(make_case, workspace):
    volume = volume_of(make_case, workspace, "RG1_UNCR.dcm")  # 1955 × 1841
    full = volume.frame(0)
    small = volume.display_frame(0, max_size=1000)
    assert reduction_factor(full.shape, 1000) == 2
    assert small.shape == (977, 920)
    block = full[:2, :2].astype(np.float64).mean()
    assert small[0, 0] == np.rint(block)  # whole numbers kept for the fast window path
    assert volume.display_frame(0, max_size=1000) is small
    assert volume.display_frame(0, max_size=4000) is full


def test_area_reduce_colour_stays_uint8():
    rgb = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
    out = area_reduce(rgb, 2)
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    assert out[0, 0, 0] == np.rint(rgb[:2, :2, 0].mean())


# --- windowing --------------------------------------------------------------------------


@pytest.mark.parametrize(("center", "width"), [(40, 400), (500, 2000), (-600, 1500), (40, 80)])
def test_window_equals_pydicom_on_ct(make_case, workspace, center, width):
    volume = volume_of(make_case, workspace, "CT_small.dcm")
    hu, ds = reference("CT_small.dcm")
    ours = window_to_uint8(volume.frame(0), center, width, photometric="MONOCHROME2")
    np.testing.assert_array_equal(ours, pydicom_window(hu, center, width))
    # the same through the file's own VOI module, scaled from its output range to 0-255
    ds.WindowCenter, ds.WindowWidth = center, width
    native = apply_windowing(hu, ds)
    low = -(2 ** (ds.BitsStored - 1)) * ds.RescaleSlope + ds.RescaleIntercept
    span = (2**ds.BitsStored - 1) * ds.RescaleSlope
    scaled = np.rint((native - low) / span * 255)
    assert np.abs(ours.astype(int) - scaled).max() <= 1


def test_window_on_non_integral_values_uses_pydicom_directly():
    values = np.linspace(-3.7, 5.3, 64 * 64, dtype=np.float32).reshape(64, 64)
    ours = window_to_uint8(values, 0.4, 6.1, photometric="MONOCHROME2")
    np.testing.assert_array_equal(ours, pydicom_window(values, 0.4, 6.1))


def test_window_functions_and_width_floor():
    values = np.arange(-50, 50, dtype=np.float32).reshape(10, 10)
    for function in ("LINEAR_EXACT", "SIGMOID"):
        ds = eight_bit(3.0, 20.0)
        ds.VOILUTFunction = function
        expected = np.rint(apply_windowing(values.astype(np.float64), ds)).astype(np.uint8)
        ours = window_to_uint8(values, 3.0, 20.0, function=function)
        np.testing.assert_array_equal(ours, expected)
    assert set(np.unique(window_to_uint8(values, 0.0, 0.0))) <= {0, 255}


def test_window_header_default_on_mr(make_case, workspace):
    volume = volume_of(make_case, workspace, "MR_small.dcm")
    ds = pydicom.dcmread(dicom_file("MR_small.dcm"))
    assert volume.default_window == (float(ds.WindowCenter), float(ds.WindowWidth))
    assert auto_window(volume, 0) == volume.default_window
    center, width = volume.default_window
    np.testing.assert_array_equal(
        window_to_uint8(volume.frame(0), center, width),
        pydicom_window(ds.pixel_array, center, width),
    )


def test_auto_window_from_percentiles_without_header(make_case, workspace):
    volume = volume_of(make_case, workspace, "CT_small.dcm")
    assert volume.default_window is None
    low, high = np.percentile(volume.frame(0)[::2, ::2], [1, 99])
    center, width = auto_window(volume, 0)
    assert center == pytest.approx((low + high) / 2) and width == pytest.approx(high - low)


def test_monochrome1_is_inverted(make_case, workspace):
    volume = volume_of(make_case, workspace, "RG1_UNCR.dcm")
    ds = pydicom.dcmread(dicom_file("RG1_UNCR.dcm"))
    assert volume.photometric == ds.PhotometricInterpretation == "MONOCHROME1"
    center, width = volume.default_window
    frame = volume.display_frame(0, max_size=512)
    plain = pydicom_window(frame, center, width)
    shown = window_to_uint8(frame, center, width, photometric=volume.photometric)
    np.testing.assert_array_equal(shown, 255 - plain)
    raw = volume.frame(0)
    center, width = np.percentile(raw, 50), 2000.0  # the header window spans all values
    shown = window_to_uint8(raw, center, width, photometric="MONOCHROME1")
    above, below = raw > center + width / 2, raw < center - width / 2
    assert above.any() and below.any()
    assert (shown[above] == 0).all() and (shown[below] == 255).all()  # high values dark


def test_voi_lut_sequence(make_case, workspace):
    volume = volume_of(make_case, workspace, "vlut_04.dcm")
    voi = volume.voi_lut(0)
    assert voi is not None
    ds = pydicom.dcmread(dicom_file("vlut_04.dcm"))
    expected = np.rint(apply_voi_lut(ds.pixel_array, ds) / 65535 * 255).astype(np.uint8)
    np.testing.assert_array_equal(window_to_uint8(volume.frame(0), 0, 1, voi_lut=voi), expected)
    item_only = window_to_uint8(volume.frame(0), 0, 1, voi_lut=ds.VOILUTSequence[0])
    np.testing.assert_array_equal(item_only, expected)
    ct = volume_of(lambda *n: make_case(*n, folder="ct"), workspace / "ct", "CT_small.dcm")
    assert ct.voi_lut(0) is None


def test_presets():
    assert PRESETS["ct_soft_tissue"] == (40, 400)
    assert PRESETS["ct_lung"] == (-600, 1500)
    assert PRESETS["ct_brain"] == (40, 80)
    assert PRESETS["ct_bone"][1] >= 1500


# --- orientation labels -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["MR_small.dcm", "CT_small.dcm"])
def test_axial_labels(make_case, workspace, name):
    volume = volume_of(make_case, workspace, name)
    labels = orientation_labels(volume.geometry)
    assert labels == {"left": "R", "right": "L", "top": "A", "bottom": "P"}


def test_sagittal_labels(tmp_path, workspace):
    ct_stack(tmp_path / "case", 4, orientation=SAGITTAL)
    case = open_folder(tmp_path / "case", workspace)
    labels = orientation_labels(load_series(case, only_series(case)).geometry)
    assert labels == {"left": "A", "right": "P", "top": "H", "bottom": "F"}


def test_oblique_labels_combine_letters(tmp_path, workspace):
    c = s = float(np.sqrt(0.5))
    ct_stack(tmp_path / "case", 3, orientation=(c, -s, 0.0, s, c, 0.0))
    case = open_folder(tmp_path / "case", workspace)
    labels = orientation_labels(load_series(case, only_series(case)).geometry)
    assert labels == {"left": "RP", "right": "LA", "top": "RA", "bottom": "LP"}


def test_projection_labels_from_patient_orientation(make_case, workspace):
    volume = volume_of(make_case, workspace, "RG3_UNCR.dcm")
    labels = orientation_labels(volume.geometry)
    assert labels == {"left": "L", "right": "R", "top": "H", "bottom": "F"}


def test_no_orientation_gives_empty_labels(make_case, workspace):
    labels = orientation_labels(volume_of(make_case, workspace, "SC_rgb.dcm").geometry)
    assert labels == {"left": "", "right": "", "top": "", "bottom": ""}


# --- layering ---------------------------------------------------------------------------


def test_imaging_modules_stay_in_the_core():
    modules = [
        "workbench.imaging.volume", "workbench.imaging.geometry", "workbench.imaging.windowing",
        "workbench.view.state", "workbench.imaging.mpr", "workbench.imaging.measure",
    ]  # fmt: skip
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('matplotlib', 'ipywidgets', 'nbconvert', 'nbformat', 'IPython'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_volume_repr(make_case, workspace):
    volume = volume_of(make_case, workspace, "CT_small.dcm")
    assert "CT" in repr(volume) and "PixelSpacing" in repr(volume)


def test_projection_case_with_monochrome1_radiograph(tmp_path, workspace):
    projection(tmp_path / "case" / "xr.dcm", photometric="MONOCHROME1", pixel_spacing=(0.1, 0.1))
    case = open_folder(tmp_path / "case", workspace)
    volume = load_series(case, only_series(case))
    assert volume.photometric == "MONOCHROME1" and volume.default_window == (2048.0, 4096.0)
    assert orientation_labels(volume.geometry)["right"] == "L"
    assert AXIAL  # the axial constant is shared with the MPR tests


def test_enhanced_multi_frame_uses_functional_groups(tmp_path, workspace):
    from pydicom.dataset import Dataset as Item
    from pydicom.uid import generate_uid

    ds = pydicom.dcmread(dicom_file("emri_small.dcm"))
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4.1"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()

    def group(**sequences: Item) -> Item:
        item = Item()
        for name, value in sequences.items():
            setattr(item, name, [value])
        return item

    def item(**values) -> Item:
        out = Item()
        for name, value in values.items():
            setattr(out, name, value)
        return out

    ds.SharedFunctionalGroupsSequence = [
        group(
            PixelMeasuresSequence=item(PixelSpacing=[0.9, 0.9], SliceThickness=2.0),
            PlaneOrientationSequence=item(ImageOrientationPatient=[1, 0, 0, 0, 1, 0]),
            PixelValueTransformationSequence=item(
                RescaleSlope=2, RescaleIntercept=-5, RescaleType="US"
            ),
            FrameVOILUTSequence=item(WindowCenter=300, WindowWidth=600),
        )
    ]
    # frames stored head first: frame k at z = 18 - 2 k
    ds.PerFrameFunctionalGroupsSequence = [
        group(PlanePositionSequence=item(ImagePositionPatient=[0, 0, 18 - 2 * k]))
        for k in range(10)
    ]
    folder = tmp_path / "case"
    folder.mkdir()
    ds.save_as(folder / "enhanced.dcm")
    case = open_folder(folder, workspace)
    volume = load_series(case, only_series(case))
    raw = pydicom.dcmread(dicom_file("emri_small.dcm")).pixel_array
    assert [frame for _, frame in volume.sop_uids] == list(range(10, 0, -1))
    np.testing.assert_array_equal(volume.frame(0), raw[9] * 2.0 - 5)
    geometry = volume.geometry
    assert geometry.pixel_spacing == (0.9, 0.9) and geometry.slice_spacing == pytest.approx(2.0)
    assert geometry.uniform and volume.default_window == (300.0, 600.0)
    assert orientation_labels(geometry)["left"] == "R"
