"""Viewer speed: slider change → encoded frame bytes, first slice on screen, peak memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_viewer.py [--slices 600] [--keep DIR]

Builds a synthetic case with pydicom (a 600-slice 512² CT and five 3000×2500
radiographs, uncompressed), opens it, and drives :class:`workbench.SeriesViewer` as
a user would: the time of setting a slider's ``.value`` until the kernel has sent the
new view to the browser canvas (slice codes or "show", window, overlay) is measured in
Python (synchronous in the kernel). The browser side is measured by
``bench_reading_room.py``.
Targets: ≤ 15 ms median per CT slice change, ≤ 40 ms per radiograph change shown at
≤ 1000 px, ≤ 0.5 s from selecting the 600-slice series to its first slice on screen,
peak memory within the volume cache budget.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pydicom.dataset import FileMetaDataset
from pydicom.uid import (
    CTImageStorage,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    generate_uid,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydicom.dataset import Dataset

import workbench
from workbench.imaging.volume import DEFAULT_CACHE_BYTES
from workbench.widgets.series_viewer import SeriesViewer


def _base(sop_class: str, modality: str, study: str, series: str, date: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.PatientName, ds.PatientID = "Bench^Viewer", "BENCH001"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.StudyDate = ds.SeriesDate = date
    ds.Modality = modality
    ds.BodyPartExamined = "KNEE"
    ds.Laterality = "R"
    ds.SamplesPerPixel = 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    return ds


def write_ct(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    yy, xx = np.mgrid[-256:256, -256:256]
    disc = ((xx**2 + yy**2) < 200**2).astype(np.int16)
    rng = np.random.default_rng(0)
    for k in range(n):
        ds = _base(CTImageStorage, "CT", study, series, "20240101")
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesDescription = "AX 1MM"
        ds.FrameOfReferenceUID = frame
        ds.Rows = ds.Columns = 512
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PixelRepresentation = 1
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.PixelSpacing = [0.7, 0.7]
        ds.SliceThickness = 1.0
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [-179.2, -179.2, float(k)]
        ds.InstanceNumber = k + 1
        ds.WindowCenter, ds.WindowWidth = 40, 400
        bone = ((xx - 40 * np.sin(k / 40)) ** 2 + yy**2 < 40**2) * 900
        pixels = 1024 + disc * 40 + bone + rng.integers(0, 20, (512, 512))
        ds.PixelData = pixels.astype(np.int16).tobytes()
        ds.save_as(folder / f"CT{k:04d}.dcm", enforce_file_format=True)


def write_xray(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    study, series = generate_uid(), generate_uid()
    yy, xx = np.mgrid[0:3000, 0:2500]
    rng = np.random.default_rng(1)
    for k in range(n):
        ds = _base(DigitalXRayImageStorageForPresentation, "DX", study, series, "20230101")
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesDescription = "KNEE RT AP STANDING"
        ds.Rows, ds.Columns = 3000, 2500
        ds.PhotometricInterpretation = "MONOCHROME1"
        ds.PixelRepresentation = 0
        ds.ImagerPixelSpacing = [0.139, 0.139]
        ds.PatientOrientation = ["L", "F"]
        ds.InstanceNumber = k + 1
        bone = ((xx - 1250) ** 2 / 500**2 + (yy - 1500) ** 2 / (1300 + 50 * k) ** 2) < 1
        pixels = 600 + bone * 2000 + rng.integers(0, 200, (3000, 2500))
        ds.PixelData = pixels.astype(np.uint16).tobytes()
        ds.save_as(folder / f"DX{k:02d}.dcm", enforce_file_format=True)


def vm_hwm_mb() -> float:
    """Peak resident memory of this process (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed_changes(viewer: SeriesViewer, setter, values) -> list[float]:
    out = []
    for v in values:
        before = viewer.canvas.view
        t = time.perf_counter()
        setter(v)
        out.append((time.perf_counter() - t) * 1000)
        assert viewer.canvas.view != before
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=600)
    parser.add_argument("--keep", type=Path, help="build the case here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench_viewer_"))
    case_dir = root / "case"
    try:
        if not (case_dir / "ct").exists():
            t = time.perf_counter()
            write_ct(case_dir / "ct", args.slices)
            write_xray(case_dir / "xray", 5)
            print(f"wrote synthetic case in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        case = workbench.open_case(case_dir, workspace=root / "ws")
        print(f"open_case: {time.perf_counter() - t:.1f} s, {len(case.instances)} images")
        base_mb = vm_hwm_mb()
        xr_study = case.studies.loc[case.studies["modality"] == "DX", "study_key"].iloc[0]
        ct_study = case.studies.loc[case.studies["modality"] == "CT", "study_key"].iloc[0]

        viewer = SeriesViewer(case, study_key=xr_study, size=1000)
        xr_scroll = timed_changes(
            viewer, lambda v: setattr(viewer.slider, "value", v), [1, 2, 3, 4, 0]
        )
        xr_window = timed_changes(
            viewer, lambda v: setattr(viewer.width, "value", v), np.linspace(500, 3000, 30)
        )
        viewer.tool_buttons["zoom_in"].click()
        xr_zoomed = timed_changes(
            viewer, lambda v: setattr(viewer.center, "value", v), np.linspace(800, 2000, 30)
        )

        ct_viewer = SeriesViewer(case, study_key=xr_study, size=512)
        t = time.perf_counter()
        ct_viewer.study.value = ct_study  # thumbnails + the series' middle slice on screen
        first = time.perf_counter() - t
        assert ct_viewer.volume is not None and ct_viewer.volume.n_frames == args.slices
        rng = np.random.default_rng(2)
        ct_scroll = timed_changes(
            ct_viewer,
            lambda v: setattr(ct_viewer.slider, "value", int(v)),
            rng.permutation(args.slices)[:200],
        )
        ct_step = timed_changes(
            ct_viewer, lambda v: setattr(ct_viewer.slider, "value", int(v)), range(100, 300)
        )
        ct_window = timed_changes(
            ct_viewer, lambda v: setattr(ct_viewer.center, "value", v), np.linspace(-200, 300, 50)
        )
        ct_cached = timed_changes(
            ct_viewer, lambda v: setattr(ct_viewer.slider, "value", int(v)), range(298, 100, -1)
        )
        peak = vm_hwm_mb()

        def show(name: str, values: list[float], target: float | None = None) -> None:
            med = statistics.median(values)
            p90 = sorted(values)[int(0.9 * (len(values) - 1))]
            mark = "" if target is None else ("  ok" if med <= target else "  OVER TARGET")
            print(f"{name:<46} median {med:6.1f} ms  p90 {p90:6.1f} ms  (n={len(values)}){mark}")

        print(
            f"\nframe sizes: CT {ct_viewer.volume.shape}, X-ray shown at "
            f"{viewer._frame.size if viewer._frame else None}"
        )
        show("CT 512² slider, random slices (decode)", ct_scroll, 15)
        show("CT 512² slider, next slice (decode)", ct_step, 15)
        show("CT 512² slider, cached slices", ct_cached, 15)
        show("CT 512² window level slider", ct_window, 15)
        show("X-ray 3000×2500 → 1000 px, next image (decode)", xr_scroll)
        show("X-ray 3000×2500 → 1000 px, window slider", xr_window, 40)
        show("X-ray zoomed ×1.25, level slider", xr_zoomed, 40)
        print(
            f"{'600-slice CT: select study → first slice shown':<46} {first * 1000:6.0f} ms"
            f"{'  ok' if first <= 0.5 else '  OVER TARGET'}"
        )
        cache = ct_viewer.volume.cache_info()
        print(
            f"peak memory (VmHWM) {peak:.0f} MB; {base_mb:.0f} MB after open_case; growth "
            f"{peak - base_mb:.0f} MB; CT cache {cache['bytes'] / 2**20:.0f} MB of "
            f"{DEFAULT_CACHE_BYTES / 2**20:.0f} MB budget per volume"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
