"""The walker's memory of the last file never changes what a header reads as.

:func:`workbench.dicom.header.read_header` skips the elements a file shares byte for byte
with the file read before it. Every header here is read twice: after another file (the
template in place) and in a process state where the walker remembers nothing; the two
must be equal, issues and errors included.
"""

from __future__ import annotations

import mmap
import os
import random
from pathlib import Path
from typing import Any

import pytest
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from workbench.dicom import header as walker
from workbench.dicom.header import HeaderError, read_header

#: pydicom's bundled files: plain, implicit VR, sequences, no meta, compressed (and below,
#: its character set files: Chinese, Japanese, Korean, Russian ... with escapes).
TESTDATA = (
    "CT_small.dcm",
    "MR_small.dcm",
    "rtplan.dcm",
    "rtdose.dcm",
    "ExplVR_LitEndNoMeta.dcm",
    "MR_small_implicit.dcm",
    "no_meta.dcm",
    "JPEG2000.dcm",
    "SC_rgb_small_odd.dcm",
)


def _outcome(path: Path, *, mapped: bool = False) -> Any:
    """What reading *path* gives (from its first 64 kB, or *mapped*: a read-only map of the
    whole file, as a pool worker reads): the header, or the error's kind and detail."""
    with open(path, "rb") as fh:
        if mapped:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as whole:
                return _read(path, whole, len(whole))
        size = os.fstat(fh.fileno()).st_size
        return _read(path, fh.read(64 * 1024), size)


def _read(path: Path, head: Any, size: int) -> Any:
    try:
        return read_header(path, head, size)
    except HeaderError as exc:
        return ("error", exc.kind, exc.detail)


def _fresh(path: Path, *, mapped: bool = False) -> Any:
    """:func:`_outcome` with the walker remembering no earlier file."""
    saved = dict(walker._TEMPLATES)
    walker._TEMPLATES.clear()
    try:
        return _outcome(path, mapped=mapped)
    finally:
        walker._TEMPLATES.clear()
        walker._TEMPLATES.update(saved)


def _slice(folder: Path, n: int, **changes: Any) -> Path:
    """One CT slice of a series; *changes* set or (value None) delete elements."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = changes.pop("syntax", ExplicitVRLittleEndian)
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyDate = "20240102"
    ds.Modality = "CT"
    ds.StudyDescription = "KNEE R"
    ds.PatientName = "Buc^Jérôme"
    ds.PatientID = "P1"
    ds.ReferencedImageSequence = [Dataset()]
    ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "1.2.3"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.InstanceNumber = n
    ds.ImagePositionPatient = [0, 0, n * 0.8]
    ds.PixelSpacing = [0.5, 0.5]
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = 16
    ds.PixelData = b"\0" * 32
    for keyword, value in changes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    path = folder / f"IM{n:04d}_{len(list(folder.iterdir()))}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def _files(tmp_path: Path) -> list[Path]:
    series = [_slice(tmp_path, n) for n in range(1, 5)]
    variants = [
        # the same bytes for PatientName under another character set decode otherwise
        _slice(tmp_path, 5, SpecificCharacterSet="ISO_IR 144"),
        _slice(tmp_path, 6, SpecificCharacterSet=None),  # undeclared: an issue each time
        _slice(tmp_path, 7, StudyDescription="KNEE L"),  # same length, one byte apart
        _slice(tmp_path, 8, Laterality="R"),  # one element more: the slots shift
        _slice(tmp_path, 9, StudyDate=None),  # one element less
        _slice(tmp_path, 10, syntax=ImplicitVRLittleEndian),
        _slice(tmp_path, 11, ReferencedImageSequence=[]),
    ]
    bundled = [Path(get_testdata_file(name)) for name in TESTDATA]
    charsets = [Path(name) for name in sorted(get_charset_files("chr*.dcm"))]
    return [*series, *variants, *bundled, *charsets]


def _damaged(tmp_path: Path, source: Path, seed: int) -> list[Path]:
    """*source* cut short at several places and with header bytes flipped."""
    data = source.read_bytes()
    rng = random.Random(seed)
    out = []
    for k, cut in enumerate((len(data) // 3, len(data) // 2, len(data) - 5, 300)):
        path = tmp_path / f"cut{seed}_{k}.dcm"
        path.write_bytes(data[:cut])
        out.append(path)
    for k in range(12):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(132, min(len(buf), 1200))] = rng.randrange(256)
        path = tmp_path / f"flip{seed}_{k}.dcm"
        path.write_bytes(bytes(buf))
        out.append(path)
    return out


def test_a_series_reads_the_same_after_its_neighbours(tmp_path: Path) -> None:
    files = _files(tmp_path)
    for before in files:
        for path in files:
            _outcome(before)
            assert _outcome(path) == _fresh(path), (before.name, path.name)


def test_the_character_set_in_force_decides_even_for_the_same_bytes(tmp_path: Path) -> None:
    latin1 = _slice(tmp_path, 1, PatientName="Buc^J\u00e9r\u00f4me")
    cyrillic = tmp_path / "cyrillic.dcm"
    # byte for byte the same file but for the character set term (same length)
    cyrillic.write_bytes(latin1.read_bytes().replace(b"ISO_IR 100", b"ISO_IR 144"))
    _outcome(latin1)
    second = _outcome(cyrillic)
    assert second == _fresh(cyrillic)
    assert second.values["PatientName"] != _fresh(latin1).values["PatientName"]


@pytest.mark.parametrize("seed", range(3))
def test_damaged_copies_report_what_they_report_alone(tmp_path: Path, seed: int) -> None:
    sources = [_slice(tmp_path, 1), Path(get_testdata_file("CT_small.dcm"))]
    for source in sources:
        for path in _damaged(tmp_path, source, seed):
            _outcome(source)  # the intact file as the template
            assert _outcome(path) == _fresh(path), path.name


def test_most_of_a_series_is_found_in_the_template(tmp_path: Path) -> None:
    """The point of it: the second slice of a series is mostly compared, not walked."""
    first, second = _slice(tmp_path, 1), _slice(tmp_path, 2)
    walker._TEMPLATES.clear()
    _outcome(first)
    elements = len(walker._TEMPLATES[False])
    _outcome(second)
    runs = walker._TEMPLATES[False]
    assert len(runs) < elements / 2, (len(runs), elements)
    assert any(len(known[3]) > 3 for known in runs), "no run of several elements"


def test_fuzz_mutants_read_the_same_after_their_intact_seed(tmp_path: Path) -> None:
    """The fuzzer's mutants (flips, cuts, huge lengths, swapped VRs, deep nesting ...), each
    read right after the intact file it was made from: the closest template there is."""
    from fuzz.mutate import mutants, seed_bytes

    seeds = seed_bytes()
    seed_file, mutant_file = tmp_path / "seed.dcm", tmp_path / "mutant.dcm"
    for mutant in mutants(450, seed=3):
        seed_file.write_bytes(seeds[mutant.seed_name])
        mutant_file.write_bytes(mutant.data)
        _outcome(seed_file)
        assert _outcome(mutant_file) == _fresh(mutant_file), mutant.name


def test_a_memory_map_reads_as_the_bytes_do(tmp_path: Path) -> None:
    """Pool workers walk a mapped file: the same header, issues and errors as from bytes,
    also after a template (a series read in order) and for damaged copies."""
    from fuzz.mutate import mutants

    files = [*_files(tmp_path), *_damaged(tmp_path, _slice(tmp_path, 1), 7)]
    for i, mutant in enumerate(mutants(150, seed=5)):
        path = tmp_path / f"mutant{i}.dcm"
        path.write_bytes(mutant.data)
        files.append(path)
    for path in files:
        if path.stat().st_size == 0:
            continue  # an empty file is never mapped
        assert _fresh(path, mapped=True) == _fresh(path), path.name
    series = [_slice(tmp_path, n) for n in range(20, 26)]
    for path in series:  # in order, each with the last one's template
        assert _outcome(path, mapped=True) == _fresh(path), path.name
