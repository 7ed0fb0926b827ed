"""Questionnaires and answers as FHIR ``Questionnaire`` / ``QuestionnaireResponse`` (R5).

Each instrument definition (:mod:`workbench.record.scores`) becomes a
``Questionnaire`` with one integer item per question (``minValue``/``maxValue``
extensions from the definition's answer range) and one read-only decimal item per
scale (``score.<scale>``); each ``scores[]`` entry of case.yaml becomes a
``QuestionnaireResponse`` with the answers and the computed scale scores. Both are
validated by ``fhir.resources`` (the optional extra ``fhir``) before they are returned.
Item text is the definition's (a site that supplies the official wording gets it in
the export); without it the item key is the text.

>>> from workbench.record.manifest import ScoreEntry
>>> resource = questionnaire_response(ScoreEntry(instrument="pain_nrs", answers={"nrs": 4}))
>>> resource["resourceType"], resource["item"][0]["answer"]
('QuestionnaireResponse', [{'valueInteger': 4}])
"""

from __future__ import annotations

from typing import Any

from workbench.errors import ExportError
from workbench.record.manifest import ScoreEntry
from workbench.record.scores import Instrument, instruments, score_entry

__all__ = ["CANONICAL_BASE", "questionnaire", "questionnaire_response"]

CANONICAL_BASE = "urn:workbench:questionnaire:"
_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"


def _validated(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    try:  # optional dependency: fhir.resources (pip install 'workbench[fhir]')
        from fhir.resources.questionnaire import Questionnaire
        from fhir.resources.questionnaireresponse import QuestionnaireResponse
    except ImportError as exc:
        raise ImportError(
            "FHIR export needs fhir.resources; install the extra: pip install 'workbench[fhir]'"
        ) from exc
    try:
        model: Any = Questionnaire if kind == "Questionnaire" else QuestionnaireResponse
        resource = model.model_validate(data)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ExportError(f"The FHIR {kind} for '{data.get('id')}' is invalid: {exc}") from exc
    return dict(resource.model_dump(mode="json", exclude_none=True))


def _text(text: Any, fallback: str) -> str:
    return str(text.en or text.zh or fallback)


def questionnaire(instrument: Instrument | str) -> dict[str, Any]:
    """The instrument as a validated FHIR ``Questionnaire`` (a JSON-ready dict)."""
    inst = instruments()[instrument] if isinstance(instrument, str) else instrument
    low, top = inst.answers.min, inst.answers.max
    items: list[dict[str, Any]] = [
        {
            "linkId": item.key,
            "text": _text(item.text, item.key),
            "type": "integer",
            "extension": [
                {"url": _MIN, "valueInteger": low},
                {"url": _MAX, "valueInteger": top},
            ],
        }
        for item in inst.items
    ]
    items += [
        {
            "linkId": f"score.{scale.id}",
            "text": _text(scale.label, scale.id),
            "type": "decimal",
            "readOnly": True,
        }
        for scale in inst.scales
    ]
    data = {
        "resourceType": "Questionnaire",
        "id": inst.id.replace("_", "-"),
        "url": CANONICAL_BASE + inst.id,
        "name": inst.id,
        "title": _text(inst.title, inst.id),
        "status": "active",
        "copyright": inst.licence,
        "item": items,
    }
    return _validated("Questionnaire", data)


def questionnaire_response(entry: ScoreEntry, *, subject: str | None = None) -> dict[str, Any]:
    """One case.yaml ``scores[]`` entry as a validated ``QuestionnaireResponse``.

    Parameters
    ----------
    entry : ScoreEntry
    subject : str, optional
        A FHIR reference to the patient (``Patient/123``); left out by default, so
        the export carries no identifier unless asked to.
    """
    result = score_entry(entry)
    known = instruments()
    if entry.instrument not in known:
        raise ExportError(
            f"Questionnaire '{entry.instrument}' has no definition; add one as a YAML file "
            "in $WORKBENCH_INSTRUMENTS to export its answers."
        )
    inst = known[entry.instrument]
    items: list[dict[str, Any]] = [
        {"linkId": key, "answer": [{"valueInteger": value}]}
        for key, value in entry.answers.items()
        if value is not None
        and key in inst.item_keys
        and inst.answers.min <= value <= inst.answers.max
    ]
    items += [
        {"linkId": f"score.{scale}", "answer": [{"valueDecimal": value}]}
        for scale, value in result.scales.items()
        if value is not None and scale != "reported"
    ]
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": CANONICAL_BASE + inst.id,
        "status": "completed",
        "item": items,
    }
    if entry.date is not None:
        data["authored"] = str(entry.date)
    if subject:
        data["subject"] = {"reference": subject}
    return _validated("QuestionnaireResponse", data)
