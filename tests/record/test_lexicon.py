"""The clinical lexicon: every phrase of the data file, negation, time, word boundaries."""

from __future__ import annotations

import pytest
import yaml

from workbench.record.lexicon import LEXICON_PATH, affirmed, expand_phrase, find_mentions, lexicon

DATA = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
PHRASES = [
    pytest.param(concept, lang, phrase, id=f"{concept}-{lang}-{phrase}")
    for concept, entry in DATA["concepts"].items()
    for lang in ("en", "zh")
    for phrase in entry.get(lang) or ()
]


def _variants(phrase: str, lang: str) -> list[str]:
    filler = " left " if lang == "en" else "部"
    return [v.replace("...", filler).replace("  ", " ") for v in expand_phrase(phrase)]


@pytest.mark.parametrize(("concept", "lang", "phrase"), PHRASES)
def test_every_phrase_is_found_and_negation_and_time_remove_it(concept, lang, phrase):
    for variant in _variants(phrase, lang):
        if lang == "en":
            present = f"Since the fall, {variant} most days"
            absent = [f"No {variant} since May", f"denies {variant}", f"{variant} has resolved"]
            absent.append(f"He used to {variant}")
        else:
            present = f"近两月{variant}"
            absent = [f"否认{variant}", f"无{variant}", f"{variant}已消失", f"以前{variant}，"]
        assert concept in affirmed(present), (variant, present)
        for text in absent:
            assert concept not in affirmed(text), (variant, text)
            assert any(m.concept == concept and m.negated for m in find_mentions(text)), text


def test_lexicon_labels_routes_and_combinations_are_complete():
    lex = lexicon()
    for concept in lex.concepts.values():
        assert concept.label("en") and concept.label("zh") != concept.label("en")
        assert concept.en and concept.zh, concept.name
    assert {c.route for c in lex.combinations.values()} == {"urgent"}
    for combination in lex.combinations.values():
        assert set(combination.all) <= set(lex.concepts)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("knee gave way twice on stairs", "instability"),
        ("Still feels unstable after 3 months of physio", "instability"),
        ("my knee gives out when I pivot", "instability"),
        ("The knee buckled stepping off a kerb", "instability"),
        ("下楼时膝盖发软", "instability"),
        ("偶有打软腿", "instability"),
        ("It catches and locks when I squat", "locking"),
        ("蹲起时膝关节卡住", "locking"),
        ("偶有交锁", "locking"),
        ("pain shoots down the back of my left leg to the little toe", "nerve_symptoms"),
        ("foot drop since the operation", "nerve_symptoms"),
        ("I cannot lift my foot", "nerve_symptoms"),
        ("pins and needles in two fingers", "nerve_symptoms"),
        ("腰痛伴左下肢放射痛", "nerve_symptoms"),
        ("无明显诱因出现左下肢麻木", "nerve_symptoms"),
        ("Lost control of my bladder last week", "cauda_equina"),
        ("numbness around my groin", "cauda_equina"),
        ("近3天大小便失禁", "cauda_equina"),
        ("sudden new weakness of the left leg", "sudden_weakness"),
    ],
)
def test_everyday_phrasing(text, concept):
    assert concept in affirmed(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("No giving way, no locking", "instability"),
        ("No giving way, no locking", "locking"),
        ("Numbness has resolved", "nerve_symptoms"),
        ("The numbness in my left foot has completely resolved", "nerve_symptoms"),
        ("denies numbness or tingling", "nerve_symptoms"),
        ("It used to give way, before the brace", "instability"),
        ("No longer gives way", "instability"),
        ("The knee doesn't give way", "instability"),
        ("麻木已缓解", "nerve_symptoms"),
        ("否认下肢麻木及无力", "nerve_symptoms"),
        ("以前打软腿", "instability"),
        ("未见交锁", "locking"),
        ("放射科报告", "nerve_symptoms"),
    ],
)
def test_negated_or_past_signs_are_not_current(text, concept):
    assert concept not in affirmed(text)


@pytest.mark.parametrize(
    "text",
    ["Tibial plateau fracture", "per the template", "platelets normal", "plateaued at 6/10"],
)
def test_words_not_substrings(text):
    assert "hardware" not in affirmed(text)


def test_a_negation_stops_at_but_and_reaches_only_its_clause():
    assert "instability" in affirmed("No pain at rest but the knee still gives way")
    assert "locking" in affirmed("Used to give way; now it locks")
    assert "instability" not in affirmed("Used to give way; now it locks")
    assert "nerve_symptoms" in affirmed("以前无麻木，但现在左足麻木")
    assert "nerve_symptoms" in affirmed("下肢无力伴麻木")  # 无 of 无力 is not a negation


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("ORIF with a lateral locking plate and six locking screws", "locking"),
        ("the plate feels loose", "instability"),
        ("采用锁定钢板内固定", "locking"),
        ("Report from the radiation oncology clinic", "nerve_symptoms"),
    ],
)
def test_exclusions_keep_technical_terms_out(text, concept):
    assert concept not in affirmed(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("No change in the numbness since the injection", "nerve_symptoms"),
        ("Physio did not help, the knee still gives way", "instability"),
        ("I used to run until the knee started giving way", "instability"),
        ("shooting pain down into my foot", "nerve_symptoms"),
        ("I drag my left foot when tired", "nerve_symptoms"),
        ("麻木无明显变化", "nerve_symptoms"),
        ("走路时膝盖打软", "instability"),
        ("左脚麻，右腿乏力", "nerve_symptoms"),
        ("小便控制不住", "cauda_equina"),
    ],
)
def test_pseudo_negations_and_far_time_words_leave_the_sign(text, concept):
    assert concept in affirmed(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("未再出现打软腿", "instability"),
        ("Numbness in the past, after a fall", "nerve_symptoms"),
        ("previously numb", "nerve_symptoms"),
    ],
)
def test_more_negations(text, concept):
    assert concept not in affirmed(text)
