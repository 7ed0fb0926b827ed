"""hypothesis drives the header walker: whatever the bytes, only HeaderError comes out.

Three strategies: random bytes behind a real preamble and file meta, a real header
with a hypothesis-chosen region overwritten, and a real header cut at any point.
The walker must return a Header (or None for files it leaves to pydicom) or raise
HeaderError, quickly and without allocating more than the bytes given.
"""

from __future__ import annotations

import struct

from conftest import dicom_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.dicom.header import Header, HeaderError, looks_like_dicom, walk_bytes

CT = dicom_file("CT_small.dcm").read_bytes()
MR = dicom_file("MR_small.dcm").read_bytes()
_META_END = 144 + struct.unpack_from("<I", CT, 140)[0]
SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


def _walk(data: bytes) -> None:
    try:
        result = walk_bytes(data)
    except HeaderError as exc:
        assert exc.kind and exc.detail
        return
    assert result is None or isinstance(result, Header)
    looks_like_dicom(data[:256])


@SETTINGS
@given(st.binary(max_size=4096))
def test_random_data_set_behind_a_real_meta(tail):
    _walk(CT[:_META_END] + tail)


@SETTINGS
@given(
    st.sampled_from([CT, MR]),
    st.integers(min_value=0, max_value=6000),
    st.binary(min_size=1, max_size=16),
)
def test_overwritten_region(seed, at, patch):
    at = min(at, len(seed) - 1)
    _walk(seed[:at] + patch + seed[at + len(patch) :])


@SETTINGS
@given(st.sampled_from([CT, MR]), st.integers(min_value=0, max_value=40_000))
def test_cut_anywhere(seed, at):
    _walk(seed[: min(at, len(seed))])


@SETTINGS
@given(
    st.integers(min_value=132, max_value=3000),
    st.sampled_from([0xFFFFFFF0, 0xFFFFFFFF, 0x7FFFFFFF, 0xFFFF, 0x10000]),
)
def test_huge_length_anywhere(at, length):
    data = bytearray(CT[:8000])
    struct.pack_into("<I", data, at & ~1, length)
    _walk(bytes(data))
