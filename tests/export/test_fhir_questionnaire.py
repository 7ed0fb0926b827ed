"""Questionnaires and answers exported as FHIR resources, validated by fhir.resources."""

from __future__ import annotations

import pytest

pytest.importorskip("fhir.resources")
from fhir.resources.questionnaire import Questionnaire
from fhir.resources.questionnaireresponse import QuestionnaireResponse

from workbench.errors import ExportError
from workbench.export.fhir_questionnaire import (
    questionnaire,
    questionnaire_response,
)
from workbench.record.manifest import ScoreEntry
from workbench.record.scores import instruments


@pytest.mark.parametrize("instrument", sorted(instruments()))
def test_every_shipped_instrument_exports_a_valid_questionnaire(instrument):
    data = questionnaire(instrument)
    parsed = Questionnaire.model_validate(data)  # validated again, independently
    keys = [i.linkId for i in parsed.item]
    definition = instruments()[instrument]
    assert keys[: len(definition.items)] == definition.item_keys
    assert {k for k in keys if k.startswith("score.")} == {
        f"score.{s.id}" for s in definition.scales
    }
    assert parsed.copyright == definition.licence


def test_response_carries_answers_and_computed_scores():
    answers = {f"P{i}": 1 for i in range(1, 10)} | {"Q1": 2, "Q2": 2, "S1": 9}
    data = questionnaire_response(
        ScoreEntry(instrument="koos", date="2024-05-02", answers=answers), subject="Patient/p1"
    )
    parsed = QuestionnaireResponse.model_validate(data)
    assert parsed.status == "completed" and str(parsed.authored) == "2024-05-02"
    assert parsed.subject.reference == "Patient/p1"
    by_id = {item.linkId: item.answer[0] for item in parsed.item}
    assert by_id["P1"].valueInteger == 1
    assert "S1" not in by_id  # 9 is outside 0-4: not exported as an answer
    assert float(by_id["score.pain"].valueDecimal) == 75.0
    assert float(by_id["score.qol"].valueDecimal) == 50.0
    assert "score.adl" not in by_id  # not enough items answered: no score
    links = {i["linkId"] for i in questionnaire("koos")["item"]}
    assert set(by_id) <= links
    assert "subject" not in questionnaire_response(ScoreEntry(instrument="pain_nrs"))


def test_unknown_instrument_is_refused():
    with pytest.raises(ExportError, match="'odi' has no definition"):
        questionnaire_response(ScoreEntry(instrument="odi", score=20))
