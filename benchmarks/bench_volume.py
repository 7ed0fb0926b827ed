"""Volume and windowing speed: the hot path under the viewers, side by side with SimpleITK.

Run from the repository root::

    .venv/bin/python benchmarks/bench_volume.py [--slices 600] [--no-sitk]

Generates (once, under ``benchmarks/.data/volume/``) a 600-slice 512² CT, one file
per slice, uncompressed, and a 3000×2500 12-bit radiograph, then measures:

- windowing a 512² CT slice to uint8 (:func:`workbench.imaging.windowing.window_to_uint8`): the
  same window again (table cached), a new window on every call (a window drag), and
  pydicom's ``apply_windowing`` called directly on the frame for reference;
- the radiograph shown at ≤ 1000 px: first display (decode, modality LUT, area
  reduction, window, JPEG encode) and each later window change (window the cached
  reduced frame, JPEG encode); target ≤ 40 ms;
- the 600-slice CT: ``load_series`` plus the first slice decoded and windowed (target
  ≤ 0.5 s), with the case already indexed;
- the whole CT volume (``Volume.array()``) against SimpleITK's ``ImageSeriesReader``:
  seconds and peak memory (VmHWM of a child process over its resident size before
  loading), as multiples of the volume's float32 / int16 size.

Results are printed and written to ``benchmarks/results/volume.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    CTImageStorage,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    generate_uid,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / ".data" / "volume"
RESULTS = ROOT / "benchmarks" / "results" / "volume.json"


# --- data -------------------------------------------------------------------------------


def _base(sop_class: UID, modality: str, series: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.PatientName, ds.PatientID = "Bench^Volume", "BENCH002"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.77"
    ds.SeriesInstanceUID = series
    ds.StudyDate = ds.SeriesDate = "20240312"
    ds.Modality = modality
    ds.BodyPartExamined = "KNEE"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    return ds


def make_ct(folder: Path, slices: int, size: int = 512) -> None:
    """A knee-like phantom: soft tissue disc, bone ring, noise; HU = stored - 1024."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:size, :size]
    r = np.hypot(yy - size / 2, xx - size / 2)
    base = np.where(r < size * 0.42, 1024 + 40, 24).astype(np.int16)
    base[(r > size * 0.15) & (r < size * 0.2)] = 1024 + 1200
    series = generate_uid()
    for k in range(slices):
        ds = _base(CTImageStorage, "CT", series)
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [-150.0, -150.0, -300.0 + 0.8 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.6, 0.6]
        ds.SliceThickness = 0.8
        ds.Rows = ds.Columns = size
        ds.PixelRepresentation = 1
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.WindowCenter, ds.WindowWidth = 500, 2000
        noise = rng.normal(0, 12, (size, size)).astype(np.int16)
        ds.PixelData = (base + noise).tobytes()
        ds.save_as(folder / f"CT{k:04d}.dcm", enforce_file_format=True)


def make_radiograph(path: Path, rows: int = 3000, cols: int = 2500) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _base(DigitalXRayImageStorageForPresentation, "DX", generate_uid())
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Rows, ds.Columns = rows, cols
    ds.PixelRepresentation = 0
    ds.ImagerPixelSpacing = [0.143, 0.143]
    ds.EstimatedRadiographicMagnificationFactor = 1.1
    ds.PatientOrientation = ["L", "F"]
    ds.WindowCenter, ds.WindowWidth = 2048, 3000
    yy, xx = np.mgrid[:rows, :cols]
    signal = 1500 + 1200 * np.exp(-(((xx - cols / 2) / (cols / 5)) ** 2))
    noise = np.random.default_rng(5).normal(0, 30, (rows, cols))
    ds.PixelData = np.clip(signal + noise + yy * 0.1, 0, 4095).astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def ensure_data(slices: int) -> tuple[Path, Path]:
    ct = DATA / f"ct{slices}"
    xr = DATA / "xr" / "radiograph.dcm"
    if len(list(ct.glob("*.dcm"))) != slices:
        print(f"generating {slices}-slice CT under {ct} ...", flush=True)
        make_ct(ct, slices)
    if not xr.exists():
        print("generating 3000x2500 radiograph ...", flush=True)
        make_radiograph(xr)
    return ct, xr


# --- timing -----------------------------------------------------------------------------


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def jpeg(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def bench_window() -> dict[str, float]:
    from pydicom.pixels import apply_windowing

    from workbench.imaging.windowing import _window_dataset, window_to_uint8

    rng = np.random.default_rng(1)
    frame = np.rint(rng.normal(40, 400, (512, 512))).astype(np.float32)
    centers = iter(range(10**6))
    return {
        "window_512_same_ms": median_ms(lambda: window_to_uint8(frame, 40, 400), 200),
        "window_512_new_window_ms": median_ms(
            lambda: window_to_uint8(frame, next(centers) % 1000, 400), 200
        ),
        "pydicom_apply_windowing_512_ms": median_ms(
            lambda: apply_windowing(frame, _window_dataset(40, 400, "LINEAR")), 50
        ),
    }


def bench_radiograph(xr: Path) -> dict[str, Any]:
    from workbench.imaging.volume import load_files
    from workbench.imaging.windowing import window_to_uint8

    t = time.perf_counter()
    volume = load_files([xr])
    small = volume.display_frame(0, max_size=1000)
    center, width = volume.default_window or (2048.0, 3000.0)
    jpeg(window_to_uint8(small, center, width, photometric=volume.photometric))
    first = (time.perf_counter() - t) * 1000
    centers = iter(range(10**6))

    def change() -> bytes:
        c = 1500 + next(centers) % 1000
        return jpeg(window_to_uint8(small, c, width, photometric=volume.photometric))

    return {
        "xr_display_shape": list(small.shape),
        "xr_first_display_ms": first,
        "xr_window_change_with_jpeg_ms": median_ms(change, 50),
        "xr_window_only_ms": median_ms(
            lambda: window_to_uint8(small, 2000, width, photometric=volume.photometric), 50
        ),
    }


def bench_first_slice(ct: Path) -> dict[str, Any]:
    from workbench.case import open_case
    from workbench.imaging.volume import load_series
    from workbench.imaging.windowing import auto_window, window_to_uint8

    workspace = DATA / "ws"
    t = time.perf_counter()
    case = open_case(ct, workspace=workspace)
    index_s = time.perf_counter() - t
    key = str(case.series["series_key"].iloc[0])
    t = time.perf_counter()
    volume = load_series(case, key)
    loaded = time.perf_counter() - t
    middle = volume.n_frames // 2
    window_to_uint8(volume.frame(middle), *auto_window(volume, middle))
    first = time.perf_counter() - t
    return {
        "ct_open_case_s": index_s,
        "ct_load_series_ms": loaded * 1000,
        "ct_first_slice_ms": first * 1000,
        "ct_frames": volume.n_frames,
    }


_CHILD_WORKBENCH = """
import sys, time
sys.path.insert(0, {root!r})
from workbench.case import open_case
from workbench.imaging.volume import load_series
def rss(field):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
case = open_case({ct!r}, workspace={ws!r})
volume = load_series(case, str(case.series['series_key'].iloc[0]))
before = rss('VmRSS')
t = time.perf_counter()
array = volume.array()
seconds = time.perf_counter() - t
print(seconds, rss('VmHWM') - before, array.nbytes)
"""

_CHILD_SITK = """
import time, SimpleITK as sitk
def rss(field):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
reader = sitk.ImageSeriesReader()
names = reader.GetGDCMSeriesFileNames({ct!r})
reader.SetFileNames(names)
before = rss('VmRSS')
t = time.perf_counter()
image = reader.Execute()
array = sitk.GetArrayFromImage(image)
seconds = time.perf_counter() - t
print(seconds, rss('VmHWM') - before, array.nbytes)
"""


def _child(code: str) -> tuple[float, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[-3]), int(out[-2]), int(out[-1])


def bench_full_volume(ct: Path, sitk: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    seconds, peak, nbytes = _child(
        _CHILD_WORKBENCH.format(root=str(ROOT), ct=str(ct), ws=str(DATA / "ws"))
    )
    results.update(
        workbench_array_s=seconds,
        workbench_peak_over_volume=peak / nbytes,
        workbench_volume_mb=nbytes / 2**20,
    )
    if sitk:
        try:
            seconds, peak, nbytes = _child(_CHILD_SITK.format(ct=str(ct)))
        except subprocess.CalledProcessError as exc:
            results["sitk_error"] = exc.stderr[-300:]
        else:
            results.update(
                sitk_s=seconds,
                sitk_peak_over_volume=peak / nbytes,
                sitk_volume_mb=nbytes / 2**20,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=600)
    parser.add_argument("--no-sitk", action="store_true", help="skip the SimpleITK comparison")
    args = parser.parse_args()
    ct, xr = ensure_data(args.slices)
    results: dict[str, Any] = {
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    for step in (
        bench_window,
        lambda: bench_radiograph(xr),
        lambda: bench_first_slice(ct),
        lambda: bench_full_volume(ct, not args.no_sitk),
    ):
        found = step()
        for key, value in found.items():
            shown = f"{value:.2f}" if isinstance(value, float) else value
            print(f"{key:36s} {shown}", flush=True)
        results.update(found)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
