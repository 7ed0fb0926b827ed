"""Measurements as sentences a patient reads, in English, Chinese or both.

"Length: 2.1 mm, measured on the standing X-ray of 3 September 2024." Labels come from
:mod:`workbench.i18n`; numbers, units and dates are formatted, never translated.

>>> measurement_sentence({"kind": "length", "value": 2.13, "unit": "mm"},
...                      {"date": "2024-09-03", "modality": "DX", "weight_bearing": True})
'Length: 2.1 mm, measured on the standing X-ray of 3 September 2024'
>>> measurement_sentence({"kind": "length", "value": 2.13, "unit": "mm"},
...                      {"date": "2024-09-03", "modality": "DX", "weight_bearing": True}, "zh")
'长度：2.1 mm，测量于2024年9月3日的站立位X线片'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from workbench.i18n import Lang, label

__all__ = ["film_label", "format_date", "measurement_sentence", "value_text"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_XRAY = {"CR", "DX", "RG", "XR", "PX", "RF"}


def _langs(lang: str) -> list[str]:
    return ["en", "zh"] if lang == Lang.EN_ZH else [lang]


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        return None


def format_date(value: Any, lang: str = "en") -> str:
    """``3 September 2024`` / ``2024年9月3日`` (both, joined by " / ", for ``en+zh``)."""
    day = _date(value)
    if day is None:
        return ""
    out = []
    for x in _langs(lang):
        if x == "zh":
            out.append(f"{day.year}年{day.month}月{day.day}日")
        else:
            out.append(f"{day.day} {_MONTHS[day.month - 1]} {day.year}")
    return " / ".join(dict.fromkeys(out))


def _truthy(value: Any) -> bool:
    return value is not None and not (not isinstance(value, str) and pd.isna(value)) and bool(value)


def film_label(study: Mapping[str, Any] | None, lang: str = "en") -> str:
    """What kind of image a study is, for a patient: standing X-ray, X-ray, MRI ..."""
    study = study or {}
    modality = str(study.get("modality") or study.get("Modality") or "").upper()
    if modality in _XRAY:
        key = "export.film.standing" if _truthy(study.get("weight_bearing")) else "export.film.xray"
    elif modality == "MR":
        key = "export.film.mri"
    elif modality == "CT":
        key = "export.film.ct"
    elif modality == "US":
        key = "export.film.ultrasound"
    else:
        key = "export.film.image"
    return label(key, lang)


def value_text(record: Mapping[str, Any], lang: str = "en") -> str:
    """``2.1 mm``, ``12.5°``, ``45.0 ± 3.1 HU``; pixels say they are not calibrated."""
    value = float(record.get("value") or 0.0)
    unit = str(record.get("unit") or "")
    if unit == "deg":
        return f"{value:.1f}°"
    if record.get("kind") == "roi" and record.get("sd") is not None:
        return f"{value:.1f} ± {float(record['sd']):.1f} {unit}"
    if unit == "px":
        return f"{value:.0f} px ({label('export.not_calibrated', lang)})"
    return f"{value:.1f} {unit}".strip()


def _name(record: Mapping[str, Any], lang: str) -> str:
    own = str(record.get("label") or record.get("name") or "").strip()
    if own:
        return own  # the reviewer's own words: never translated
    kind = str(record.get("kind") or "other")
    key = f"export.measure.{kind}"
    try:
        return label(key, lang)
    except KeyError:
        return label("export.measure.other", lang)


def measurement_sentence(
    record: Mapping[str, Any], study: Mapping[str, Any] | None = None, lang: str = "en"
) -> str:
    """One measurement as a sentence, with the image it was measured on and its date."""
    parts = []
    for x in _langs(lang):
        name, value = _name(record, x), value_text(record, x)
        film = film_label(study, x)
        when = format_date((study or {}).get("date"), x)
        if x == "zh":
            where = f"，测量于{when}的{film}" if when else f"，测量于{film}"
            parts.append(f"{name}：{value}{where}")
        else:
            where = f", measured on the {film} of {when}" if when else f", measured on the {film}"
            parts.append(f"{name}: {value}{where}")
    return " / ".join(parts)
