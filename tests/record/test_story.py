"""The patient's story in case.yaml: medications, labs, function, pain map, scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.errors import InstrumentError, ManifestError
from workbench.i18n import BODY_REGIONS, LABELS
from workbench.record.manifest import (
    Manifest,
    ScoreEntry,
    dump_manifest,
    load_manifest,
    parse_manifest,
)
from workbench.record.scores import instruments, score_entry
from workbench.record.timeline import build_timeline
from workbench.vocab import BodyPart, PainKind, PainRegion, Side

STORY = """\
function:
  walking_distance_m: 500 m
  standing_time_min: "20"
  stairs: with rail
  sleep: wakes_with_pain
  work: modified
  sport: stopped
medications:
  - name: ibuprofen
    dose: 400 mg
    frequency: three times a day
    since: 2024-03
    stopped: 2024-05-02
    response: partly helped
    side_effects: heartburn
labs:
  - {test: CRP, value: 12.5, unit: mg/L, reference_range: "<5", date: 2024-04-02}
  - {test: rheumatoid factor, value: negative, date: 2024-04-02}
pain_map:
  - {region: knee_medial, side: 左, kind: pain}
  - {region: lower_back, kind: numbness}
scores:
  - {instrument: pain_nrs, date: 2024-04-01, side: left, answers: {nrs: 7}}
"""


def test_story_sections_load():
    m = parse_manifest(STORY)
    assert m.function is not None
    assert m.function.walking_distance_m == 500 and m.function.standing_time_min == 20
    assert m.function.stairs == "with_rail" and m.function.is_recorded
    med = m.medications[0]
    assert (str(med.since), str(med.stopped), med.side_effects) == (
        "2024-03",
        "2024-05-02",
        ["heartburn"],
    )
    assert m.labs[0].numeric_value == 12.5 and m.labs[1].numeric_value is None
    assert m.pain_map[0].region is PainRegion.KNEE_MEDIAL and m.pain_map[0].side is Side.LEFT
    assert m.pain_map[1].kind is PainKind.NUMBNESS and m.pain_map[1].side is None
    assert m.scores[0].answers == {"nrs": 7}


def test_story_round_trips_through_dump(tmp_path: Path):
    path = dump_manifest(parse_manifest(STORY), tmp_path / "case.yaml")
    again, problems = load_manifest(path)
    assert problems == [] and again == parse_manifest(STORY)


def test_region_table_is_complete_and_bilingual():
    assert {r.value for r in PainRegion} == set(BODY_REGIONS)
    for key, (view, part, paired, en, zh) in BODY_REGIONS.items():
        assert view in ("front", "back") and BodyPart(part) and en and zh, key
        assert isinstance(paired, bool)
    for required in ("knee_medial", "knee_lateral", "anterior_knee", "hip_groin", "lateral_hip"):
        assert required in BODY_REGIONS
    for kind in PainKind:
        assert f"pain_kind.{kind.value}" in LABELS


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("pain_map:\n  - {region: kneee, side: left}\n", 2, ["pain_map[0].region", "knee_medial"]),
        ("pain_map:\n  - {region: neck, side: left}\n", 2, ["midline"]),
        ("pain_map:\n  - {region: calf, kind: ache}\n", 2, ["pain_map[0].kind", "tingling"]),
        ("function:\n  stairs: sometimes\n", 2, ["function.stairs", "one_at_a_time"]),
        ("function:\n  walking_distance_m: far\n", 2, ["function.walking_distance_m"]),
        ("medications:\n  - {name: x, since: soon}\n", 2, ["medications[0].since", "YYYY"]),
        ("labs:\n  - {test: CRP, dosage: 1}\n", 2, ["unknown key 'dosage'", "labs[0]"]),
        ("scores:\n  - {instrument: koos, answers: {P1: lots}}\n", 2, ["scores[0].answers"]),
    ],
)
def test_bad_story_values_name_key_and_line_in_both_languages(text, line, words):
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, lang="en+zh")
    message = str(info.value)
    assert message.count("\n") == 0, message  # one problem, one message (no follow-on noise)
    assert f"line {line}:" in message and f"第 {line} 行" in message
    assert all(word in message for word in words), message
    with pytest.raises(ManifestError) as english:
        parse_manifest(text)
    assert "第" not in str(english.value)


def test_bad_mark_is_dropped_and_the_rest_kept(tmp_path: Path):
    path = tmp_path / "case.yaml"
    path.write_text(
        "pain_map:\n  - {region: kneee, side: left}\n  - {region: calf, side: right}\n",
        encoding="utf-8",
    )
    m, problems = load_manifest(path)
    assert [mark.region for mark in m.pain_map] == [PainRegion.CALF]
    assert len(problems) == 1 and "line 2" in problems[0].message


def test_timeline_has_medications_labs_and_scores():
    m = parse_manifest(STORY)
    empty = pd.DataFrame(columns=["study_key", "date", "modality", "body_part", "side"])
    studies = empty.assign(source=[], weight_bearing=[], description=[])
    documents = pd.DataFrame(columns=["path", "doc_type", "date", "side", "title"])
    timeline = build_timeline(m, studies, documents)
    kinds = dict(zip(timeline["label"], timeline["kind"], strict=True))
    assert kinds["Medication: ibuprofen 400 mg three times a day (partly helped)"] == "treatment"
    assert kinds["Stopped: ibuprofen"] == "treatment"
    assert kinds["Lab: CRP 12.5 mg/L (ref <5)"] == "lab"
    assert kinds["Score pain_nrs: pain 7"] == "score"
    score = timeline[timeline["kind"] == "score"].iloc[0]
    assert score["date"] == pd.Timestamp("2024-04-01") and score["side"] == "left"


# --- scoring: worked examples computed by hand from the published rules -------------------


def koos_answers(**by_scale: list[int | None]) -> dict[str, int | None]:
    prefix = {"pain": "P", "symptoms": "S", "adl": "A", "sport_rec": "SP", "qol": "Q"}
    return {
        f"{prefix[scale]}{i + 1}": value
        for scale, values in by_scale.items()
        for i, value in enumerate(values)
    }


def test_koos_subscales_follow_the_2012_manual():
    # KOOS Scoring 2012: subscale = 100 - mean(items) * 100 / 4.
    answers = koos_answers(
        pain=[2, 1, 1, 3, 1, 2, 0, 1, 2],  # sum 13 of 9 items -> 100 - 13/9*25
        symptoms=[1, 1, 0, 2, 2, 3, 1],  # sum 10 of 7
        adl=[2] * 17,  # mean 2 -> 50
        sport_rec=[4, 4, 3, 4, 4],  # sum 19 of 5
        qol=[3, 2, 3, 2],  # mean 2.5 -> 37.5
    )
    result = score_entry(ScoreEntry(instrument="koos", answers=answers))
    assert result.problems == []
    assert result.scales["pain"] == pytest.approx(100 - 13 / 9 * 25, abs=1e-3)
    assert result.scales["symptoms"] == pytest.approx(100 - 10 / 7 * 25, abs=1e-3)
    assert result.scales["adl"] == 50.0
    assert result.scales["sport_rec"] == pytest.approx(100 - 19 / 5 * 25, abs=1e-3)
    assert result.scales["qol"] == 37.5
    assert result.primary == result.scales["pain"]


def test_koos_missing_items_need_half_of_each_subscale():
    # 2012 rule: Pain needs 5 of 9, Symptoms 4 of 7, ADL 9 of 17, Sport/Rec 3 of 5, QOL 2 of 4.
    answers = koos_answers(
        pain=[4, 4, 4, 4, 4, None, None, None, None],  # 5 answered: scored, from those only
        symptoms=[1, 1, 1, None, None, None, None],  # 3 answered: no score
        sport_rec=[0, 0, 0],  # 3 of 5: scored
        qol=[1],  # 1 of 4: no score
    )
    result = score_entry(ScoreEntry(instrument="koos", answers=answers))
    assert result.scales["pain"] == 0.0
    assert result.scales["symptoms"] is None and result.scales["adl"] is None
    assert result.scales["sport_rec"] == 100.0 and result.scales["qol"] is None
    assert any("symptoms: 3 of 7 items answered, 4 needed" in p for p in result.problems)


def test_hoos_subscales_and_item_counts():
    hoos = instruments()["hoos"]
    assert {s.id: len(s.items) for s in hoos.scales} == {
        "pain": 10,
        "symptoms": 5,
        "adl": 17,
        "sport_rec": 4,
        "qol": 4,
    }
    answers = {f"P{i}": 1 for i in range(1, 11)} | {"S1": 4, "S2": 2, "S3": 3}
    result = score_entry(ScoreEntry(instrument="hoos", answers=answers))
    assert result.scales["pain"] == 75.0
    assert result.scales["symptoms"] == pytest.approx(100 - 9 / 3 * 25, abs=1e-3)  # 3 of 5 ok


def test_pain_nrs_range_and_unknown_items():
    assert score_entry(ScoreEntry(instrument="pain_nrs", answers={"nrs": 0})).primary == 0.0
    bad = score_entry(ScoreEntry(instrument="pain_nrs", answers={"nrs": 11, "x": 1}))
    assert bad.primary is None
    assert any("allowed 0 to 10" in p for p in bad.problems)
    assert any("unknown item 'x'" in p for p in bad.problems)
    unknown = score_entry(ScoreEntry(instrument="odi", score=30))
    assert unknown.scales == {"reported": 30} and "unknown instrument 'odi'" in unknown.problems[0]


def test_no_unlicensed_instrument_ships():
    assert not {"odi", "womac", "dash", "quickdash"} & set(instruments())


SITE_TABLE = """\
id: site_short_form
title: {en: A site's short form}
licence: the site's own
answers: {min: 0, max: 2}
items: [a, b]
scales:
  - id: total
    items: [a, b]
    method: conversion_table
    table: {0: 100.0, 1: 80.0, 2: 55.5, 3: 30.0, 4: 0.0}
"""


def test_a_site_adds_a_conversion_table_instrument(tmp_path: Path, monkeypatch):
    (tmp_path / "site.yaml").write_text(SITE_TABLE, encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_INSTRUMENTS", str(tmp_path))
    entry = ScoreEntry(instrument="site_short_form", answers={"a": 1, "b": 1})
    assert score_entry(entry).primary == 55.5
    partial = score_entry(ScoreEntry(instrument="site_short_form", answers={"a": 1}))
    assert partial.primary is None  # a conversion table needs every item


def test_a_broken_definition_is_named(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text(SITE_TABLE.replace("3: 30.0, ", ""), encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"bad.yaml.*lacks raw scores \[3\]"):
        instruments([tmp_path])


def test_empty_story_stays_empty():
    assert Manifest().is_empty and parse_manifest("pain_map:\nmedications:\n").is_empty


def test_lab_text_table_lines_become_lab_rows():
    from workbench.record.lab_table import parse_lab_text
    from workbench.record.manifest import PartialDate

    text = (
        "检验报告单\n"
        "项目 结果 单位 参考范围\n"
        "血沉 ESR   30 ↑  mm/h   0-20\n"
        "白细胞计数 WBC  6.2  10^9/L  3.5~9.5\n"
        "Rheumatoid factor  <10  IU/mL  <20\n"
        "Patient age 63 years\n"
        "Result 2024 pending\n"
    )
    labs = parse_lab_text(text, date=PartialDate.parse("2024-04-02"))
    rows = [(lab.test, lab.value, lab.unit, lab.reference_range) for lab in labs]
    assert rows == [
        ("血沉 ESR", "30", "mm/h", "0-20"),
        ("白细胞计数 WBC", "6.2", "10^9/L", "3.5~9.5"),
        ("Rheumatoid factor", "<10", "IU/mL", "<20"),
    ]
    assert all(str(lab.date) == "2024-04-02" for lab in labs)


def test_region_words_in_english_and_chinese_and_clear_messages():
    m = parse_manifest("pain_map:\n  - {region: 膝内侧, side: 左}\n  - {region: Back of knee}\n")
    assert [p.region for p in m.pain_map] == [PainRegion.KNEE_MEDIAL, PainRegion.POSTERIOR_KNEE]
    with pytest.raises(ManifestError, match=r"pain_map\[0\]\.region is missing"):
        parse_manifest("pain_map:\n  - {side: left}\n")
    with pytest.raises(ManifestError, match=r"answers is \['1', '2'\]; expected 'item: answer'"):
        parse_manifest("scores:\n  - {instrument: koos, answers: [1, 2]}\n")
    with pytest.raises(ManifestError, match=r"walking_distance_m is '1.5 km'; expected a number"):
        parse_manifest("function: {walking_distance_m: 1.5 km}\n")
