"""The key images for the hospital: a Key Object Selection document and one GSPS each.

The KOS (document title *For Referring Provider*) lists every key image with the
reviewer's captions in its description. Each key image gets a Grayscale Softcopy
Presentation State carrying the reviewer's window and the chosen measurements drawn as
graphics with their values as text, so a PACS viewer opens the image as the reviewer
saw it. The presentation state copies (0020,0060) *Laterality* from the image for paired
body parts (knee, hip, shoulder ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.valuerep import DA, TM

from workbench.imaging.measure import Measurement
from workbench.report.codes import PAIRED, ROI_KINDS
from workbench.report.evidence import Evidence
from workbench.report.review import MANUFACTURER, MODEL, Review
from workbench.report.shapes import pieces
from workbench.report.uids import stable_uid

__all__ = ["KeyView", "key_object_selection", "presentation_state", "value_text"]

KOS_SERIES_NUMBER = 9902
GSPS_SERIES_NUMBER = 9903
SOFTWARE_VERSION = "1"
_SIDE_CODE = {"left": "L", "right": "R"}


@dataclass(frozen=True)
class KeyView:
    """One key image as the reviewer chose it.

    Attributes
    ----------
    number : int
        1-based position among the key images.
    sop_uid : str
    frame : int
    caption : str
    window : (center, width) or None
    measurements : list of Measurement
        The ones the reviewer chose for this image.
    side : str or None
    """

    number: int
    sop_uid: str
    frame: int
    caption: str
    window: tuple[float, float] | None
    measurements: Sequence[Measurement] = field(default_factory=tuple)
    side: str | None = None


def value_text(m: Measurement) -> str:
    """A measurement's value for a graphic annotation: ``"21.3 mm"``, ``"12.5°"``."""
    if m.unit == "deg":
        return f"{m.value:.1f}°"
    if m.kind in ROI_KINDS:
        sd = f" ± {m.sd:.1f}" if m.sd is not None else ""
        return f"{m.value:.1f}{sd} {m.unit}"
    return f"{m.value:.1f} {m.unit}"


def _xy(points: Sequence[tuple[float, float]]) -> np.ndarray:
    return np.array([[c + 0.5, r + 0.5] for r, c in points], dtype=float)


def _graphics(m: Measurement) -> list[hd.pr.GraphicObject]:
    pixel = hd.pr.AnnotationUnitsValues.PIXEL
    if m.kind == "cobb" and len(m.points) == 4:  # drawn as its two endplate lines
        return [
            hd.pr.GraphicObject(hd.pr.GraphicTypeValues.POLYLINE, _xy(m.points[:2]), pixel),
            hd.pr.GraphicObject(hd.pr.GraphicTypeValues.POLYLINE, _xy(m.points[2:]), pixel),
        ]
    out = []
    for graphic, points in pieces(m.kind, m.points):
        if graphic == "MULTIPOINT":  # a presentation state has POINTs, not MULTIPOINT
            point = hd.pr.GraphicTypeValues.POINT
            out += [hd.pr.GraphicObject(point, _xy([p]), pixel) for p in points]
        else:
            out.append(hd.pr.GraphicObject(hd.pr.GraphicTypeValues(graphic), _xy(points), pixel))
    return out


def _label(m: Measurement, rows: int, cols: int) -> hd.pr.TextObject:
    x, y = (float(v) for v in _xy(m.points[-1:])[0])
    x = min(max(x + 8.0, 1.0), cols - 1.0)
    y = min(max(y - 8.0, 1.0), rows - 1.0)
    return hd.pr.TextObject(
        value_text(m), hd.pr.AnnotationUnitsValues.PIXEL, anchor_point=(x, y),
        anchor_point_visible=False,
    )  # fmt: skip


def _laterality(ds: Dataset, row: Mapping[str, Any] | None, side: str | None) -> str | None:
    row = {} if row is None else row
    body_part = str(row.get("body_part") or "")
    if body_part not in PAIRED:
        return None
    for keyword in ("Laterality", "ImageLaterality"):
        value = str(ds.get(keyword) or "").upper()
        if value in {"L", "R"}:
            return value
    return _SIDE_CODE.get(str(side or row.get("side") or ""))


def presentation_state(
    view: KeyView, evidence: Evidence, review: Review
) -> hd.pr.GrayscaleSoftcopyPresentationState:
    """The GSPS of one key image: window, measurement graphics, values, laterality.

    Raises
    ------
    ValueError
        The image is not greyscale (a GSPS applies to MONOCHROME images only).
    """
    ds = evidence.headers[view.sop_uid]
    photometric = str(ds.get("PhotometricInterpretation") or "")
    if not photometric.startswith("MONOCHROME"):
        raise ValueError(
            f"key image {view.number} is {photometric or 'not greyscale'}: a grayscale "
            "presentation state applies to MONOCHROME images only"
        )
    rows, cols = int(ds.Rows), int(ds.Columns)
    multi = int(getattr(ds, "NumberOfFrames", 1) or 1) > 1
    layer = hd.pr.GraphicLayer(layer_name="MEASUREMENTS", order=1,
                               description="The reviewer's measurements")  # fmt: skip
    annotations = []
    drawn = [m for m in view.measurements if m.sop_uid == view.sop_uid and m.points]
    if drawn:
        annotations.append(hd.pr.GraphicAnnotation(
            referenced_images=[ds], graphic_layer=layer,
            referenced_frame_number=view.frame if multi else None,
            graphic_objects=[g for m in drawn for g in _graphics(m)],
            text_objects=[_label(m, rows, cols) for m in drawn],
        ))  # fmt: skip
    voi = None
    if view.window is not None and all(math.isfinite(v) for v in view.window):
        center, width = view.window
        voi = [hd.pr.SoftcopyVOILUTTransformation(
            window_center=float(center), window_width=max(float(width), 1.0),
            window_explanation="Reviewer's window",
        )]  # fmt: skip
    content = "|".join([view.sop_uid, str(view.frame), str(view.window), view.caption,
                        *(m.id for m in drawn)])  # fmt: skip
    gsps = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ds],
        series_instance_uid=stable_uid(review.key, "gsps-series", ds.StudyInstanceUID),
        series_number=GSPS_SERIES_NUMBER,
        sop_instance_uid=stable_uid(review.key, "gsps", content),
        instance_number=view.number,
        manufacturer=MANUFACTURER,
        manufacturer_model_name=MODEL,
        software_versions=SOFTWARE_VERSION,
        device_serial_number="0",
        content_label=f"KEY_IMAGE_{view.number}"[:16],
        content_description=(view.caption or f"Key image {view.number}")[:64],
        graphic_annotations=annotations or None,
        graphic_layers=[layer] if annotations else None,
        content_creator_name=review.observer_name,
        voi_lut_transformations=voi,
        series_description="Second-opinion key images",
    )
    # Type 2C: the side for paired body parts, empty where unknown or not paired
    gsps.Laterality = _laterality(ds, evidence.rows.get(view.sop_uid), view.side) or ""
    if review.dicom_date:
        gsps.PresentationCreationDate = review.dicom_date
        gsps.PresentationCreationTime = "000000"
    return gsps


def key_object_selection(
    views: Sequence[KeyView], evidence: Evidence, review: Review
) -> hd.ko.KeyObjectSelectionDocument:
    """The KOS listing the key images with their captions (in the current study).

    Raises
    ------
    ValueError
        No key image.
    """
    if not views:
        raise ValueError("No key image to list: take one with viewer.snapshot(caption=...).")
    datasets = list({v.sop_uid: evidence.headers[v.sop_uid] for v in views}.values())
    current = max(datasets, key=lambda ds: (str(ds.get("StudyDate") or ""), ds.StudyInstanceUID))
    datasets.sort(key=lambda ds: ds.StudyInstanceUID != current.StudyInstanceUID)
    lines = [f"{v.number}. {v.caption or 'Key image'}" for v in views]
    description = "\n".join(lines)[:1024]
    content = hd.ko.KeyObjectSelection(
        document_title=codes.DCM.ForReferringProvider,
        referenced_objects=datasets,
        observer_person_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Person,
            observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                name=review.observer_name
            ),
        ),
        description=description,
    )
    key = "|".join(f"{v.sop_uid}:{v.frame}:{v.caption}" for v in views)
    # highdicom refuses references into more than one other study; it is handed copies
    # labelled with the document's study, and the evidence list is then written right
    as_current = []
    for ds in datasets:
        copy = Dataset()
        copy.update(ds)
        copy.StudyInstanceUID = current.StudyInstanceUID
        as_current.append(copy)
    kos = hd.ko.KeyObjectSelectionDocument(
        evidence=as_current,
        content=content,
        series_instance_uid=stable_uid(review.key, "kos-series", current.StudyInstanceUID),
        series_number=KOS_SERIES_NUMBER,
        sop_instance_uid=stable_uid(review.key, "kos", key),
        instance_number=1,
        manufacturer=MANUFACTURER,
        series_description="Second-opinion key images",
    )
    # the KOS IOD lists every referenced image here, whatever its study (highdicom keeps
    # only those of the document's own study)
    kos.CurrentRequestedProcedureEvidenceSequence = _evidence_sequence(datasets)
    if review.dicom_date:
        kos.ContentDate = DA(review.dicom_date)
        kos.ContentTime = TM("000000")
    return kos


def _evidence_sequence(datasets: Sequence[Dataset]) -> list[Dataset]:
    """Hierarchical SOP Instance Reference Macro items: study → series → instances."""
    studies: dict[str, dict[str, list[Dataset]]] = {}
    for ds in datasets:
        studies.setdefault(ds.StudyInstanceUID, {}).setdefault(ds.SeriesInstanceUID, []).append(ds)
    items = []
    for study_uid, series in studies.items():
        study = Dataset()
        study.StudyInstanceUID = study_uid
        study.ReferencedSeriesSequence = []
        for series_uid, members in series.items():
            item = Dataset()
            item.SeriesInstanceUID = series_uid
            item.ReferencedSOPSequence = []
            for ds in members:
                ref = Dataset()
                ref.ReferencedSOPClassUID = ds.SOPClassUID
                ref.ReferencedSOPInstanceUID = ds.SOPInstanceUID
                item.ReferencedSOPSequence.append(ref)
            study.ReferencedSeriesSequence.append(item)
        items.append(study)
    return items
