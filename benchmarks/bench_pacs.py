"""Opening a 500-instance study from a local Orthanc over DICOMweb.

Targets: the tables within 3 s, the first slice within 1 s.

    python benchmarks/bench_pacs.py [--instances 500] [--size 512]

Starts a throw-away Orthanc (``apt-get install orthanc orthanc-dicomweb``),
pushes one synthetic CT study (``--size``² int16 slices), then times, each from
a cold cache folder:

* ``first slice``: QIDO-RS list of the study's instances, then WADO-RS of the
  middle instance and its pixel array;
* ``fetch``: :func:`workbench.pacs.dicomweb.fetch_to_folder` of the whole study;
* ``tables``: ``open_case`` of the fetched folder (the index);
* ``fetch + tables``: what ``open_case("dicomweb+http://...")`` costs the first time;
* ``again``: ``fetch_to_folder`` + ``open_case`` with everything cached.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from orthanc_server import OrthancServer

from workbench.case import open_case
from workbench.pacs.dicomweb import _Server, fetch_to_folder, push


def synthetic_study(folder: Path, n: int, size: int) -> str:
    """*n* CT slices of *size*² pixels in one series; returns the Study Instance UID."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    rng = np.random.default_rng(0)
    base = (rng.normal(40, 20, (size, size))).astype(np.int16)
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.PatientName, ds.PatientID, ds.Modality = "Bench^Mark", "BENCH-1", "CT"
        ds.StudyDate, ds.SeriesNumber, ds.InstanceNumber = "20240101", 1, k + 1
        ds.StudyDescription, ds.SeriesDescription = "CT right knee", "AX 1mm"
        ds.BodyPartExamined, ds.Laterality = "KNEE", "R"
        ds.ImagePositionPatient = [0, 0, float(k)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [0.5, 0.5], 1
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.PixelData = (base + k).tobytes()
        ds.save_as(folder / f"{k:04d}.dcm", enforce_file_format=True)
    return study


def first_slice(url: str, auth: tuple[str, str], study: str) -> np.ndarray:
    """List the study's instances, retrieve the middle one, decode it."""
    server = _Server(url, auth)
    listed = server.client.search_for_instances(
        study_instance_uid=study, fields=["SeriesInstanceUID", "InstanceNumber"]
    )
    item = sorted(listed, key=lambda i: i["00200013"]["Value"][0])[len(listed) // 2]
    path = "/studies/{}/series/{}/instances/{}".format(
        study, item["0020000E"]["Value"][0], item["00080018"]["Value"][0]
    )
    data = next(server.get_multipart(path))
    return pydicom.dcmread(io.BytesIO(data)).pixel_array


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, OrthancServer(Path(tmp) / "orthanc") as server:
        root = Path(tmp)
        study = synthetic_study(root / "study", args.instances, args.size)
        t = time.perf_counter()
        result = push(open_case(root / "study", workspace=root / "ws0"), server.dicomweb_url,
                      auth=server.auth)  # fmt: skip
        print(f"push {len(result)} instances: {time.perf_counter() - t:.2f} s "
              f"({(result['status'] == 'stored').sum()} stored)")  # fmt: skip
        t = time.perf_counter()
        pixels = first_slice(server.dicomweb_url, server.auth, study)
        print(f"first slice ({pixels.shape}): {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        cache = fetch_to_folder(server.dicomweb_url, root / "cache", study=study, auth=server.auth)
        fetched = time.perf_counter() - t
        t = time.perf_counter()
        case = open_case(cache, workspace=root / "ws1")
        tables = time.perf_counter() - t
        print(f"fetch: {fetched:.2f} s; tables: {tables:.2f} s; fetch + tables: "
              f"{fetched + tables:.2f} s ({len(case.instances)} instances)")  # fmt: skip
        t = time.perf_counter()
        fetch_to_folder(server.dicomweb_url, root / "cache", study=study, auth=server.auth)
        open_case(cache, workspace=root / "ws1")
        print(f"again (cached): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
