"""Deterministic mutants of pydicom's own test files, and a harness that runs them.

Mutations model what damaged and hostile uploads hold: bit flips, truncations, huge
length fields, swapped VRs, relabelled transfer syntaxes, removed delimiters, deeply
nested sequences, and junk inserted or zeroed. Mutant *n* of a run with seed *s* is
always the same bytes (``random.Random(f"{s}:{n}")``), so an escape found in CI is
reproduced on a laptop from its two numbers.

The harness feeds each mutant to the header walker and pydicom fallback
(:func:`workbench.dicom.header.read_header`: only ``HeaderError`` may come out) and to
:func:`workbench.ingest.inventory.scan_file` (nothing may come out), and opens batches of
mutants as cases with :func:`workbench.open_case` (no exception; every mutant listed).
Anything else is an *escape*. A mutant that runs longer than a time limit is an escape
too.
"""

from __future__ import annotations

import contextlib
import random
import signal
import struct
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.data import get_testdata_file

#: Small, varied seeds: explicit/implicit/big endian, deflated, no meta, encapsulated
#: (JPEG, JPEG 2000, RLE), sequences (nested, private, UN), 1-bit, RGB, DICOMDIR, SR, RT.
SEEDS = (
    "CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "MR_small_bigendian.dcm",
    "no_meta.dcm", "liver_1frame.dcm", "SC_rgb_small_odd.dcm", "image_dfl.dcm",
    "nested_priv_SQ.dcm", "UN_sequence.dcm", "rtdose.dcm", "SC_rgb_rle.dcm", "DICOMDIR",
    "ExplVR_BigEnd.dcm", "SC_jpeg_no_color_transform.dcm", "693_J2KI.dcm", "rtstruct.dcm",
    "SC_rgb_small_odd_jpeg.dcm", "ExplVR_LitEndNoMeta.dcm", "no_meta_group_length.dcm",
    "meta_missing_tsyntax.dcm", "reportsi.dcm", "test-SR.dcm", "MR_truncated.dcm",
)  # fmt: skip

SYNTAXES = (
    "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.80", "1.2.3.4.5.6", "",
)  # fmt: skip

_VRS = (b"OB", b"OW", b"SQ", b"UN", b"UT", b"CS", b"LO", b"US", b"UL", b"FD", b"XX", b"\x00\x00")
_LONG = (b"OB", b"OW", b"OF", b"SQ", b"UN", b"UT", b"UC", b"UR", b"OD", b"OL", b"OV")
_DELIMITERS = (b"\xfe\xff\x0d\xe0", b"\xfe\xff\xdd\xe0")
_HUGE = (0xFFFFFFF0, 0xFFFFFFFE, 0x7FFFFFFF, 0x80000000, 0x0FFFFFFF, 0xFFFF)


def seed_bytes() -> dict[str, bytes]:
    """The seed files' bytes, by name (pydicom's bundled test files)."""
    out = {}
    for name in SEEDS:
        found = get_testdata_file(name)
        if found is not None:
            out[name] = Path(str(found)).read_bytes()
    return out


def _vr_positions(data: bytes) -> list[int]:
    """Offsets of explicit VRs (two capital letters after a plausible tag)."""
    out = []
    for i in range(4, min(len(data) - 2, 64 * 1024)):
        if 65 <= data[i] <= 90 and 65 <= data[i + 1] <= 90 and data[i - 4 : i - 2] != b"\x00\x00":
            out.append(i)
    return out


def bit_flips(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(buf))
        buf[at] ^= 1 << rng.randrange(8)
    return bytes(buf)


def truncation(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def huge_length(rng: random.Random, data: bytes) -> bytes:
    positions = _vr_positions(data)
    if not positions:
        return bit_flips(rng, data)
    at = rng.choice(positions)
    buf = bytearray(data)
    if bytes(buf[at : at + 2]) in _LONG and at + 8 <= len(buf):
        struct.pack_into("<I", buf, at + 4, rng.choice(_HUGE))
    elif at + 4 <= len(buf):
        struct.pack_into("<H", buf, at + 2, rng.choice((0xFFFF, 0xFFFE, 0x8001)))
    return bytes(buf)


def implicit_huge_length(rng: random.Random, data: bytes) -> bytes:
    """A 4-byte length anywhere after the meta set to a huge value (implicit VR files)."""
    buf = bytearray(data)
    at = rng.randrange(132, max(len(buf) - 8, 133)) & ~1
    if at + 8 <= len(buf):
        struct.pack_into("<I", buf, at + 4, rng.choice(_HUGE))
    return bytes(buf)


def vr_swap(rng: random.Random, data: bytes) -> bytes:
    positions = _vr_positions(data)
    if not positions:
        return bit_flips(rng, data)
    buf = bytearray(data)
    for at in rng.sample(positions, min(len(positions), rng.randint(1, 3))):
        buf[at : at + 2] = rng.choice(_VRS)
    return bytes(buf)


def syntax_swap(rng: random.Random, data: bytes) -> bytes:
    """(0002,0010) rewritten to another transfer syntax; the data set left as it was."""
    at = data.find(b"\x02\x00\x10\x00UI")
    if at < 0:
        return bit_flips(rng, data)
    (length,) = struct.unpack_from("<H", data, at + 6)
    uid = rng.choice(SYNTAXES).encode()
    value = uid + b"\x00" * (len(uid) % 2)
    element = struct.pack("<HH2sH", 2, 0x10, b"UI", len(value)) + value
    out = bytearray(data[:at] + element + data[at + 8 + length :])
    if out[128:132] == b"DICM" and out[132:136] == b"\x02\x00\x00\x00":
        (group,) = struct.unpack_from("<I", data, 140)
        struct.pack_into("<I", out, 140, group + len(element) - 8 - length)
    return bytes(out)


def delimiter_removal(rng: random.Random, data: bytes) -> bytes:
    spots = [i for d in _DELIMITERS for i in _find_all(data, d)]
    if not spots:
        return truncation(rng, data)
    at = rng.choice(spots)
    return data[:at] + data[at + 8 :]


def deep_sequence(rng: random.Random, data: bytes) -> bytes:
    """Insert a private sequence nested hundreds deep (undefined or defined lengths)."""
    depth = rng.choice((40, 200, 1000, 5000))
    undefined = rng.random() < 0.5
    if undefined:
        open_ = struct.pack("<HH2sHI", 0x0009, 0x1010, b"SQ", 0, 0xFFFFFFFF)
        item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
        body = (open_ + item) * depth + (
            b"\xfe\xff\x0d\xe0\x00\x00\x00\x00" + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
        ) * depth
    else:
        body = b""
        for _ in range(depth):
            item = struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body
            body = struct.pack("<HH2sHI", 0x0009, 0x1010, b"SQ", 0, len(item)) + item
    at = _dataset_start(data)
    after = data.find(b"\x10\x00", at)  # before group 0010, so the order stays plausible
    at = after if after > at else at
    return data[:at] + body + data[at:]


def junk(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    if rng.random() < 0.5:
        return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + data[at:]
    n = rng.randint(1, 256)
    return data[:at] + b"\x00" * min(n, len(data) - at) + data[at + n :]


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "bit_flips": bit_flips,
    "truncation": truncation,
    "huge_length": huge_length,
    "implicit_huge_length": implicit_huge_length,
    "vr_swap": vr_swap,
    "syntax_swap": syntax_swap,
    "delimiter_removal": delimiter_removal,
    "deep_sequence": deep_sequence,
    "junk": junk,
}


def _find_all(data: bytes, needle: bytes) -> list[int]:
    out, at = [], data.find(needle)
    while at >= 0 and len(out) < 256:
        out.append(at)
        at = data.find(needle, at + 1)
    return out


def _dataset_start(data: bytes) -> int:
    if data[128:132] == b"DICM" and data[132:136] == b"\x02\x00\x00\x00":
        (group,) = struct.unpack_from("<I", data, 140)
        return min(144 + group, len(data))
    return 0


@dataclass(frozen=True)
class Mutant:
    """One mutant: which seed file, which mutation, its number in the run, its bytes."""

    number: int
    seed_name: str
    mutation: str
    data: bytes

    @property
    def name(self) -> str:
        return f"m{self.number:06d}_{self.mutation}_{self.seed_name}"


def mutants(count: int, seed: int = 0, start: int = 0) -> Iterator[Mutant]:
    """Mutants ``start`` .. ``start + count - 1`` of the run *seed* (deterministic)."""
    seeds = seed_bytes()
    names = sorted(seeds)
    kinds = sorted(MUTATIONS)
    for n in range(start, start + count):
        rng = random.Random(f"{seed}:{n}")
        name = names[n % len(names)]
        data = seeds[name]
        mutation = kinds[n % len(kinds)]  # 9 kinds, 25 seeds: every pairing within 225
        for _ in range(rng.choice((1, 1, 1, 2))):  # sometimes two mutations stacked
            if len(data) < 16:
                break  # too little left to mutate again
            data = MUTATIONS[mutation](rng, data) or data[:1]
        yield Mutant(n, name, mutation, data)


# --- the harness --------------------------------------------------------------------------


@dataclass
class Report:
    """What a fuzzing run found."""

    tried: int = 0
    escapes: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    problem_rows: int = 0
    memory_refusals: int = 0
    cases_opened: int = 0
    seconds: float = 0.0

    def peak_memory_mib(self) -> float:
        """VmHWM of this process (``ru_maxrss`` misreports under large parents)."""
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def summary(self) -> str:
        return (
            f"{self.tried} mutants tried, {len(self.escapes)} escapes, "
            f"{self.cases_opened} cases opened, {self.problem_rows} problem rows "
            f"({self.memory_refusals} refused allocations), slowest file "
            f"{self.slowest[1] or '-'} {self.slowest[0] * 1000:.0f} ms, peak memory (VmHWM) "
            f"{self.peak_memory_mib():.0f} MiB, {self.seconds:.1f} s"
        )


class _TooSlow(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _TooSlow


def run(
    count: int,
    folder: Path,
    *,
    seed: int = 0,
    batch: int = 40,
    verify_every: int = 5,
    time_limit_s: int = 20,
) -> Report:
    """Fuzz *count* mutants in *folder*; every *verify_every*-th also with ``verify=True``."""
    from workbench.case import open_case
    from workbench.dicom.header import HeaderError, read_header
    from workbench.ingest.inventory import scan_file
    from workbench.ingest.sources import SourceFile

    report = Report()
    began = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, _alarm)
    caught = warnings.catch_warnings()
    caught.__enter__()
    warnings.simplefilter("ignore")  # pydicom warns about every damaged value
    case_dir: Path | None = None
    pending = 0
    try:
        for mutant in mutants(count, seed):
            report.tried += 1
            if case_dir is None:
                case_dir = folder / f"case{mutant.number:06d}"
                case_dir.mkdir(parents=True)
            path = case_dir / f"{mutant.name}"
            path.write_bytes(mutant.data)
            st = path.stat()
            source = SourceFile(path.name, str(path), st.st_size, st.st_mtime_ns)
            t0 = time.perf_counter()
            signal.alarm(time_limit_s)
            try:
                with contextlib.suppress(HeaderError):  # the one exception it may raise
                    read_header(path, mutant.data[: 64 * 1024], len(mutant.data))
                scanned = scan_file(source, verify=mutant.number % verify_every == 0)
            except _TooSlow:
                report.escapes.append(f"{mutant.name}: slower than {time_limit_s} s")
                continue
            except BaseException as exc:  # an escape is whatever comes out
                if isinstance(exc, KeyboardInterrupt):
                    raise
                report.escapes.append(f"{mutant.name}: {_describe(exc)}")
                continue
            finally:
                signal.alarm(0)
            elapsed = time.perf_counter() - t0
            if elapsed > report.slowest[0]:
                report.slowest = (elapsed, mutant.name)
            report.problem_rows += len(scanned.problems)
            report.memory_refusals += sum(
                "memory" in p.message or p.kind == "absurd_length" for p in scanned.problems
            )
            pending += 1
            if pending >= batch:
                _open_batch(open_case, case_dir, folder, report, time_limit_s)
                case_dir, pending = None, 0
        if case_dir is not None and pending:
            _open_batch(open_case, case_dir, folder, report, time_limit_s)
    finally:
        caught.__exit__(None, None, None)
        signal.signal(signal.SIGALRM, previous)
        report.seconds = time.perf_counter() - began
    return report


def _open_batch(open_case, case_dir: Path, folder: Path, report: Report, limit: int) -> None:
    signal.alarm(limit * 10)
    try:
        case = open_case(case_dir, workspace=folder / f"ws-{case_dir.name}")
        listed = set(case.files["path"])
        missing = {p.name for p in case_dir.iterdir()} - listed
        if missing:
            report.escapes.append(f"{case_dir.name}: {len(missing)} mutants not listed")
        report.cases_opened += 1
    except _TooSlow:
        report.escapes.append(f"{case_dir.name}: open_case slower than {limit * 10} s")
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        report.escapes.append(f"{case_dir.name}: open_case raised {_describe(exc)}")
    finally:
        signal.alarm(0)


def _describe(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
    return f"{type(exc).__name__}: {str(exc)[:160]}{at}"
