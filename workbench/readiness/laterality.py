"""Laterality cross-check: every side signal of a study, compared.

Left/right errors are the orthopedic never-event. For each study this gathers
what every source says about the side: the DICOM laterality elements of its
series, the series and study descriptions, the lead marker burned into a radiograph (read by
:mod:`workbench.imaging.markers`), the matched reports, for the body part of the
complaint, the complaint side in case.yaml, and the pain map's side for studies of the
body part it marks. Two sources naming
different single sides are a conflict; a bilateral film conflicts with nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from workbench import vocab
from workbench.i18n import label

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord


class SideSignal(NamedTuple):
    """One source's statement about a study's side."""

    study_key: str
    source: str  # e.g. "DICOM Laterality (series KNEE LT AP)", "report report_knee.pdf"
    side: str
    kind: str = "other"  # one of SIGNAL_KINDS: what sort of source it is


#: Kinds of side signal, strongest evidence first (a lead marker burned into the film).
SIGNAL_KINDS = ("image_marker", "dicom", "description", "report", "photo", "complaint", "other")


def side_signals(case: CaseRecord) -> list[SideSignal]:
    """Every side signal for every study of the case."""
    signals: list[SideSignal] = []
    inst = case.instances
    for s in case.series.itertuples(index=False):
        label = str(s.SeriesDescription or s.series_key)
        rows = inst[inst["series_key"] == s.series_key]
        for col in ("Laterality", "ImageLaterality"):
            for code in sorted(set(rows[col].dropna())):
                side = vocab.side_from_code(code)
                if side:
                    signals.append(
                        SideSignal(s.study_key, f"DICOM {col} of '{label}'", side, "dicom")
                    )
        marker = getattr(s, "image_marker", None)
        paired = getattr(s, "body_part", None) in vocab.PAIRED_BODY_PARTS
        # on a spine or pelvis film the marker orients the view; on a limb it names the limb
        if isinstance(marker, str) and marker and paired:
            text = getattr(s, "image_marker_text", None) or marker
            source = f"film marker '{text}' on '{label}'"
            signals.append(SideSignal(s.study_key, source, marker, "image_marker"))
        side = vocab.side_from_text(s.SeriesDescription)
        if side:
            signals.append(
                SideSignal(s.study_key, f"series description '{label}'", side, "description")
            )
    for st in case.studies.itertuples(index=False):
        if st.source == "dicom":
            side = vocab.side_from_text(st.description)
            if side:
                signals.append(
                    SideSignal(
                        st.study_key, f"study description '{st.description}'", side, "description"
                    )
                )
        elif isinstance(st.side, str):
            kind = "photo" if st.source == "photo" else "report"
            signals.append(
                SideSignal(st.study_key, f"{st.source} '{st.description}'", st.side, kind)
            )
    for d in case.documents.itertuples(index=False):
        key = d.study_key
        if isinstance(key, str) and isinstance(d.side, str) and not key.startswith("rp-"):
            signals.append(SideSignal(key, f"report '{d.path}'", d.side, "report"))
    complaint = case.manifest.complaint
    if complaint is not None and complaint.side is not None:
        for st in case.studies.itertuples(index=False):
            if complaint.body_part is None or st.body_part == complaint.body_part.value:
                signals.append(
                    SideSignal(
                        st.study_key, "complaint in case.yaml", complaint.side.value, "complaint"
                    )
                )
    signals += pain_map_signals(case)
    return signals


def pain_map_signals(case: CaseRecord) -> list[SideSignal]:
    """The pain map's side for each study of the same body part (``pain map: left knee``).

    Marks on both sides of one body part say ``bilateral``, which conflicts with nothing.
    """
    sides: dict[str, set[str]] = {}
    for mark in case.manifest.pain_map:
        if mark.side is not None:
            part = vocab.region_body_part(mark.region.value)
            sides.setdefault(part, set()).add(mark.side.value)
    signals = []
    for part, found in sides.items():
        single = found - {vocab.Side.BILATERAL.value}
        side = single.pop() if len(single) == 1 and len(found) == 1 else vocab.Side.BILATERAL.value
        for st in case.studies.itertuples(index=False):
            if st.body_part == part:
                source = f"pain map in case.yaml: {side} {vocab.term(part)}"
                signals.append(SideSignal(st.study_key, source, side, "complaint"))
    return signals


def side_conflicts(case: CaseRecord) -> pd.DataFrame:
    """One row per study whose signals name both left and right: study_key, detail."""
    signals = side_signals(case)
    rows = []
    for key in dict.fromkeys(s.study_key for s in signals):
        mine = [s for s in signals if s.study_key == key]
        single = {s.side for s in mine} - {vocab.Side.BILATERAL.value}
        if len(single) > 1:
            by_side = {side: [s.source for s in mine if s.side == side] for side in single}
            by_side = dict(sorted(by_side.items()))
            detail = "; ".join(
                f"{side}: " + ", ".join(sources) for side, sources in by_side.items()
            )
            rows.append({"study_key": key, "detail": detail})
    return pd.DataFrame(rows, columns=["study_key", "detail"])


def disputed_sides(case: CaseRecord) -> dict[str, dict[str, list[str]]]:
    """Per study whose signals name both left and right: side -> kinds of source naming it."""
    out: dict[str, dict[str, list[str]]] = {}
    signals = side_signals(case)
    for key in dict.fromkeys(s.study_key for s in signals):
        mine = [s for s in signals if s.study_key == key]
        single = {s.side for s in mine} - {vocab.Side.BILATERAL.value}
        if len(single) > 1:
            out[key] = {
                side: list(dict.fromkeys(s.kind for s in mine if s.side == side))
                for side in sorted(single)
            }
    return out


def side_display(side: object, dispute: dict[str, list[str]] | None, lang: str = "en") -> str:
    """A study's side as shown to people: ``LEFT? report says RIGHT`` when disputed.

    >>> side_display("left", {"left": ["dicom"], "right": ["report", "complaint"]})
    'LEFT? report, complaint says RIGHT'
    >>> side_display("right", None, "zh")
    '右'
    """
    shown = side if isinstance(side, str) and side else None
    if not dispute:
        return vocab.term(shown, lang) if shown else "\u2014"
    if shown not in dispute:
        shown = next(iter(dispute))
    others = []
    for other, kinds in dispute.items():
        if other == shown:
            continue
        sources = label("gap.list_sep", lang).join(label(f"signal.{k}", lang) for k in kinds)
        side_text = vocab.term(other, lang)
        others.append(
            label("summary.side_says", lang).format(
                source=sources, side=side_text.upper() if lang != "zh" else side_text
            )
        )
    main = vocab.term(shown, lang)
    return label("summary.side_disputed", lang).format(
        side=main.upper() if lang != "zh" else main, others="; ".join(others)
    )
