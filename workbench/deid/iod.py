"""Attribute Types by IOD, from the standard's module tables as highdicom ships them.

PS3.15 Table E.1-1 gives combined actions (``X/Z``, ``X/D``, ``X/Z/D``, ``Z/D``,
``X/Z/U*``) that choose by the attribute's Type in the object's IOD: remove it
where the IOD makes it optional (Type 3, or not in the IOD at all), empty it
where it is Type 2, put a dummy where it is Type 1. The Types come from PS3.3's
IOD and module tables; highdicom distributes them as JSON
(``highdicom/_standard/sop_class_iod_map.json``, ``iod_module_map.json``,
``module_attribute_map.json``) generated from the standard's DocBook source.

>>> types = iod_types("1.2.840.10008.5.1.4.1.1.2")   # CT Image Storage
>>> types.type_of((), "AccessionNumber"), types.type_of((), "ImageComments")
('2', '3')
>>> types.type_of((), "ReferencedStudySequence"), types.type_of((), "PatientName")
('3', '2')
>>> types.type_of((), "NoSuchKeyword") is None, iod_types("1.2.3") is None
(True, True)
>>> resolve_for_type("X/Z", "3"), resolve_for_type("X/Z", "2"), resolve_for_type("X/Z/D", "1")
('X', 'Z', 'D')
"""

from __future__ import annotations

import json
import pkgutil
from dataclasses import dataclass
from functools import cache

__all__ = ["IodTypes", "iod_types", "resolve_for_type"]

#: Strongest first: a keyword listed by several modules gets the strictest Type.
_ORDER = {"1": 0, "1C": 1, "2": 2, "2C": 3, "3": 4}


@cache
def _tables() -> tuple[dict[str, str], dict[str, list[dict[str, str]]], dict[str, list]]:
    def load(name: str) -> object:
        data = pkgutil.get_data("highdicom", f"_standard/{name}")
        if data is None:  # pragma: no cover - a broken highdicom install
            raise FileNotFoundError(f"highdicom ships no _standard/{name}; reinstall highdicom.")
        return json.loads(data.decode("utf-8"))

    return (
        load("sop_class_iod_map.json"),  # type: ignore[return-value]
        load("iod_module_map.json"),
        load("module_attribute_map.json"),
    )


@dataclass(frozen=True)
class IodTypes:
    """The Type of every attribute of one IOD, by sequence path and keyword."""

    iod: str
    by_path: dict[tuple[str, ...], str]
    by_parent: dict[tuple[str, str], str]

    def type_of(self, path: tuple[str, ...], keyword: str) -> str | None:
        """The Type (``1``, ``1C``, ``2``, ``2C``, ``3``) of *keyword* inside the sequences
        *path* (keywords, outermost first), or None when the IOD does not define it there.

        A nested attribute whose full path the tables do not list (content trees,
        macros nested deeper than listed) is looked up by its parent sequence.
        """
        found = self.by_path.get((*path, keyword))
        if found is None and path:
            found = self.by_parent.get((path[-1], keyword))
        return found

    def is_known_path(self, path: tuple[str, ...]) -> bool:
        """True when items at *path* are described by the tables (top level always is)."""
        return not path or path in self.by_path or self.type_of(path[:-1], path[-1]) is not None


def _stronger(old: str | None, new: str) -> str:
    if old is None:
        return new
    return new if _ORDER.get(new, 9) < _ORDER.get(old, 9) else old


@cache
def iod_types(sop_class_uid: str) -> IodTypes | None:
    """The attribute Types of the IOD of *sop_class_uid*, or None for an unknown SOP Class."""
    sop_map, iod_map, module_map = _tables()
    iod = sop_map.get(str(sop_class_uid).strip())
    if iod is None or iod not in iod_map:
        return None
    by_path: dict[tuple[str, ...], str] = {}
    by_parent: dict[tuple[str, str], str] = {}
    for module in iod_map[iod]:
        for attr in module_map.get(module["key"], []):
            path = (*attr["path"], attr["keyword"])
            by_path[path] = _stronger(by_path.get(path), attr["type"])
            if attr["path"]:
                key = (attr["path"][-1], attr["keyword"])
                by_parent[key] = _stronger(by_parent.get(key), attr["type"])
    return IodTypes(iod, by_path, by_parent)


def resolve_for_type(code: str, attribute_type: str | None) -> str:
    """One action for a Table E.1-1 code, given the attribute's Type in the IOD.

    *attribute_type* None means the IOD does not define the attribute: it is
    optional there. ``Z`` alone on an optional attribute also becomes ``X``
    (an absent Type 3 attribute says the same as an empty one, and an empty
    sequence is not a valid Type 3 value).
    """
    choices = code.split("/")
    optional = attribute_type in (None, "3")
    if optional and ("X" in choices or code == "Z"):
        return "X"
    if attribute_type in ("1", "1C"):
        for pick in ("D", "U*", "Z"):
            if pick in choices:
                return pick
    for pick in ("Z", "D", "U*", "X"):
        if pick in choices:
            return pick
    return code
