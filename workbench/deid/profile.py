"""The action table of DICOM PS3.15 Annex E, with the options the workbench uses.

The Basic Application Level Confidentiality Profile column of Table E.1-1 comes
from the table-driven ``dicom-anonymizer`` package (its newest
``dicomfields_*`` database, transcribed from the standard). The columns of the
three options the workbench applies come from ``data/ps3.15_table_e1-1_options.csv``
(extracted from the standard's published table, see the file's header):

* Retain Patient Characteristics (sex, age, size, weight ...): ``K`` keeps, ``C`` cleans.
* Retain Longitudinal Temporal Information, with full dates (``K``) or with
  modified (shifted) dates (``C``). Section E.3.6 applies the option to every
  date and time; attributes with a DA, DT or TM value representation that a
  newer edition added to the Basic Profile are therefore treated the same,
  except the patient's birth date and time, which the standard never retains.
* Clean Descriptors: free-text descriptions are kept with identifying text removed.

Action codes (PS3.15 Table E.1-1 legend): ``K`` keep, ``X`` remove, ``Z`` zero
length, ``D`` dummy value, ``U`` consistent UID replacement, ``C`` clean. The
table keeps the combined codes (``X/Z``, ``Z/D``, ``X/D``, ``X/Z/D``, ``X/Z/U*``):
they choose by the attribute's Type in the object's IOD, which
:mod:`workbench.deid.iod` looks up per file. Where the IOD is unknown,
:func:`resolve` picks the choice valid for every Type: ``Z`` where Type 2 is
allowed, ``D`` where the code offers no empty value, and a recursive clean for
``X/Z/U*`` sequences.

>>> table = action_table(dates="remove")
>>> table.action(0x00100010), table.action(0x00100040), table.action(0x0020000D)
('Z', 'K', 'U')
>>> action_table(dates="keep").action(0x00080020), action_table(dates="shift").action(0x00080020)
('K', 'C')
"""

from __future__ import annotations

import csv
import importlib
import io
import pkgutil
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

from pydicom.datadict import DicomDictionary, dictionary_VR

__all__ = [
    "COMMENT_KEYWORDS",
    "ActionTable",
    "DateMode",
    "action_table",
    "basic_profile",
    "resolve",
]

DateMode = Literal["remove", "keep", "shift"]

#: Column names of the Basic Profile categories in dicom-anonymizer's databases.
_CATEGORIES = {
    "D_TAGS": "D",
    "Z_TAGS": "Z",
    "X_TAGS": "X",
    "U_TAGS": "U",
    "Z_D_TAGS": "Z/D",
    "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D",
    "X_Z_D_TAGS": "X/Z/D",
    "X_Z_U_STAR_TAGS": "X/Z/U*",
}

#: Never retained by any option (Table E.1-1 gives them no K in the date columns).
_BIRTH = frozenset({0x00100030, 0x00100032})
_TEMPORAL_VRS = frozenset({"DA", "DT", "TM"})
_OPTIONS_FILE = "ps3.15_table_e1-1_options.csv"
_FREE_TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})

#: Free-text attributes a reviewer does not need: every ``...Comments`` attribute of
#: the data dictionary with a text VR, and (0010,21B0) *Additional Patient History*.
#: Removed (or emptied where the IOD requires them) unless comments are kept cleaned.
COMMENT_KEYWORDS = frozenset(
    entry[4]
    for entry in DicomDictionary.values()
    if entry[4].endswith("Comments") and entry[0] in _FREE_TEXT_VRS
) | {"AdditionalPatientHistory"}


@dataclass(frozen=True)
class ActionTable:
    """Resolved actions for one set of options.

    Attributes
    ----------
    exact : dict of int to str
        Tag (as ``0xGGGGEEEE``) to its code: ``K X Z D U C`` or a combined code
        such as ``X/Z``, resolved per IOD when a file is cleaned.
    masked : tuple of (int, int, str)
        Repeating-group entries (curves, overlays): ``(value, mask, action)``;
        a tag matches when ``tag & mask == value``.
    edition : str
        Which dicom-anonymizer database gave the Basic Profile column.
    """

    exact: dict[int, str]
    masked: tuple[tuple[int, int, str], ...] = ()
    edition: str = ""
    options: tuple[str, ...] = field(default=())

    def action(self, tag: int) -> str | None:
        """The action for *tag*, or None when Table E.1-1 does not list it."""
        found = self.exact.get(tag)
        if found is not None:
            return found
        for value, mask, code in self.masked:
            if tag & mask == value:
                return code
        return None


def resolve(code: str) -> str:
    """One action for a combined Table E.1-1 code, valid whatever the attribute's Type.

    >>> [resolve(c) for c in ("X/Z", "Z/D", "X/D", "X/Z/D", "X/Z/U*", "D")]
    ['Z', 'Z', 'D', 'Z', 'U*', 'D']
    """
    return {"X/Z": "Z", "Z/D": "Z", "X/D": "D", "X/Z/D": "Z", "X/Z/U*": "U*"}.get(code, code)


@cache
def basic_profile() -> tuple[dict[int, str], tuple[tuple[int, int, str], ...], str]:
    """The Basic Profile column: exact tags, masked repeating groups, and the edition.

    Reads the newest ``dicomfields_*`` database shipped by dicom-anonymizer.
    """
    package = importlib.import_module("dicomanonymizer.dicom_anonymization_databases")
    editions = sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("dicomfields_")
    )
    if not editions:  # pragma: no cover - a broken install
        raise ImportError("dicom-anonymizer ships no dicomfields_* database; reinstall it.")
    edition = editions[-1]
    module = importlib.import_module(f"{package.__name__}.{edition}")
    exact: dict[int, str] = {}
    masked: list[tuple[int, int, str]] = []
    for category, code in _CATEGORIES.items():
        for entry in getattr(module, category):
            if len(entry) == 2:
                exact[(entry[0] << 16) | entry[1]] = code
            else:
                group, element, gmask, emask = entry
                mask = (gmask << 16) | emask
                masked.append((((group << 16) | element) & mask, mask, code))
    return exact, tuple(masked), edition


@cache
def option_columns() -> dict[int, dict[str, str]]:
    """The option columns of Table E.1-1, by tag (only rows an option changes)."""
    text = resources.files("workbench").joinpath("data", _OPTIONS_FILE).read_text("utf-8")
    body = "".join(line for line in io.StringIO(text) if not line.startswith("#"))
    out: dict[int, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(body)):
        out[int(row["tag"], 16)] = {k: v for k, v in row.items() if k not in ("tag", "name")}
    return out


def _vr(tag: int) -> str | None:
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return None


@cache
def action_table(
    *,
    dates: DateMode = "remove",
    patient_characteristics: bool = True,
    clean_descriptors: bool = True,
) -> ActionTable:
    """Table E.1-1 resolved for the Basic Profile plus the chosen options.

    Parameters
    ----------
    dates : {"remove", "keep", "shift"}
        Basic Profile dates, Retain Longitudinal Temporal Information with Full
        Dates (``keep``), or with Modified Dates (``shift``).
    patient_characteristics : bool
        Apply the Retain Patient Characteristics Option.
    clean_descriptors : bool
        Apply the Clean Descriptors Option.

    Returns
    -------
    ActionTable
    """
    basic, masked, edition = basic_profile()
    columns = option_columns()
    exact: dict[int, str] = {}
    for tag in sorted(set(basic) | set(columns)):
        code = basic.get(tag) or columns[tag]["basic"]
        row = columns.get(tag, {})
        if patient_characteristics and row.get("rtn_pat_chars"):
            code = row["rtn_pat_chars"]
        temporal = row.get("rtn_long_full_dates") == "K" or (
            _vr(tag) in _TEMPORAL_VRS and tag not in _BIRTH
        )
        if dates == "keep" and temporal:
            code = "K"
        elif dates == "shift" and temporal:
            code = "C"
        if clean_descriptors and row.get("clean_desc") == "C" and code != "K":
            code = "C"
        exact[tag] = code
    options = [
        name
        for name, on in (
            ("patient_characteristics", patient_characteristics),
            ("clean_descriptors", clean_descriptors),
            (f"dates_{dates}", dates != "remove"),
        )
        if on
    ]
    return ActionTable(
        exact=exact,
        masked=masked,
        edition=edition,
        options=tuple(options),
    )
