"""case.yaml: schema, tolerant loading with line-numbered messages, template and atomic dump."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from workbench.errors import CaseNotFoundError, ManifestError
from workbench.record.manifest import (
    Manifest,
    PartialDate,
    dump_manifest,
    load_manifest,
    parse_manifest,
    write_template,
)
from workbench.vocab import BodyPart, CaseType, Side

ENGLISH = """\
case_id: "2024-017"
patient:
  name: Jane Doe
  sex: female
  birth_year: 1962
  languages: [en]
case_type: knee_replacement
main_concern: Right knee pain after twisting injury
complaint:
  body_part: knee
  side: right
pain_history:
  location: inner knee, deep
  onset: 2024-03-03
  onset_kind: sudden_injury
  triggers: [stairs, squatting]
  pattern:
    - swelling
    - giving way
  function: walks 500 m; cannot play tennis
treatments:
  - kind: physiotherapy
    start: 2024-03
    end: 2024-05
    detail: twice a week
    response: partly better
  - kind: injection
    date: 2024-06-12
    detail: corticosteroid
    response: two weeks of relief
  - kind: rest
surgeries:
  - date: 2019
    procedure: arthroscopic partial meniscectomy
    side: right
    implants: []
events:
  - date: 2024-03-10
    label: MRI at City Hospital
    kind: imaging
    side: right
  - label: GP visit, date unknown
proposed_treatment: Total knee replacement
questions:
  - Is knee replacement needed now, or can it wait?
  - Would an osteotomy be an option at my age?
"""

CHINESE = """\
case_id: 病例-088
patient:
  name: 王芳
  sex: 女
  birth_year: 1958
  languages: [中文, en]
case_type: spine
main_concern: 腰痛伴左下肢麻木
complaint:
  body_part: 腰椎
  side: 左
pain_history:
  location: 腰部至左小腿外侧
  onset: 2023年11月
  onset_kind: gradual
  triggers: [久坐, 弯腰]
  pattern: [夜间痛, 麻木]
  function: 步行200米需休息
treatments:
  - kind: acupuncture
    start: 2023-12
    detail: 每周两次
    response: 无明显改善
proposed_treatment: 腰椎融合术
questions:
  - 是否必须做融合手术？
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(tmp_path: Path, text: str) -> list[str]:
    _, problems = load_manifest(write(tmp_path, text))
    return [problem.message for problem in problems]


def test_complete_english_manifest(tmp_path: Path) -> None:
    manifest, problems = load_manifest(write(tmp_path, ENGLISH))
    assert problems == []
    assert manifest.case_id == "2024-017"
    assert manifest.patient is not None
    assert (manifest.patient.sex, manifest.patient.birth_year) == ("F", 1962)
    assert manifest.case_type is CaseType.KNEE_REPLACEMENT
    assert manifest.complaint is not None
    assert manifest.complaint.side is Side.RIGHT
    assert manifest.complaint.body_part is BodyPart.KNEE
    assert manifest.pain_history is not None
    assert manifest.pain_history.onset == PartialDate(2024, 3, 3)
    assert manifest.pain_history.pattern == ["swelling", "giving way"]
    assert [t.kind for t in manifest.treatments] == ["physiotherapy", "injection", "rest"]
    assert manifest.surgeries[0].date == PartialDate(2019)
    assert len(manifest.questions) == 2
    assert not manifest.is_empty


def test_chinese_manifest(tmp_path: Path) -> None:
    manifest, problems = load_manifest(write(tmp_path, CHINESE))
    assert problems == []
    assert manifest.patient is not None
    assert manifest.patient.name == "王芳"
    assert manifest.patient.sex == "F"
    assert manifest.patient.languages == ["zh", "en"]
    assert manifest.complaint is not None
    assert manifest.complaint.body_part is BodyPart.LUMBAR_SPINE
    assert manifest.complaint.side is Side.LEFT
    assert manifest.pain_history is not None
    onset = manifest.pain_history.onset
    assert onset is not None
    assert (str(onset), onset.precision) == ("2023-11", "month")
    assert manifest.questions == ["是否必须做融合手术？"]


def test_chinese_side_right_is_coerced() -> None:
    manifest = parse_manifest("complaint:\n  side: 右\nsurgeries:\n  - side: 双侧\n")
    assert manifest.complaint is not None
    assert manifest.complaint.side is Side.RIGHT
    assert manifest.surgeries[0].side is Side.BILATERAL


def test_scalars_stay_text() -> None:
    manifest = parse_manifest("case_id: 0123\npain_history:\n  onset: 2024.10\n  triggers: no\n")
    assert manifest.case_id == "0123"  # not octal 83
    assert manifest.pain_history is not None
    assert str(manifest.pain_history.onset) == "2024-10"  # not the float 2024.1
    assert manifest.pain_history.triggers == ["no"]  # a single item, not False


def test_unknown_key_names_key_line_and_suggestion(tmp_path: Path) -> None:
    text = "case_id: x\nmain_concern: knee pain\npain_histroy:\n  onset: 2024\n"
    assert messages(tmp_path, text) == [
        "case.yaml line 3: unknown key 'pain_histroy'; did you mean 'pain_history'?"
    ]
    with pytest.raises(ManifestError, match=r"line 3: unknown key 'pain_histroy'"):
        parse_manifest(text)


def test_unknown_nested_key_without_close_match_lists_allowed_keys() -> None:
    with pytest.raises(ManifestError, match=r"line 3: unknown key 'colour' in complaint; allowed"):
        parse_manifest("complaint:\n  side: left\n  colour: red\n")


def test_bad_side_names_key_line_and_allowed_values(tmp_path: Path) -> None:
    text = "case_id: x\npatient:\n  name: A\ncase_type: other\nmain_concern: pain\ncomplaint:\n"
    text += "  side: rigth\n"
    assert messages(tmp_path, text) == [
        "case.yaml line 7: complaint.side is 'rigth'; "
        "allowed: left, right, bilateral (or 左/右/双侧)."
    ]
    with pytest.raises(ManifestError, match=r"line 7: complaint\.side is 'rigth'; allowed: left"):
        parse_manifest(text)


@pytest.mark.parametrize("value", ["2024-13", "2023-02-29", "last spring", "March 2024"])
def test_bad_date_names_accepted_formats(value: str) -> None:
    text = f"treatments:\n  - kind: injection\n    date: {value}\n"
    with pytest.raises(ManifestError, match=r"line 3: treatments\[0\]\.date is .*YYYY-MM-DD"):
        parse_manifest(text)


def test_bad_birth_year_and_sex() -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifest("patient:\n  sex: x\n  birth_year: 1850\n")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("case.yaml line 2: patient.sex is 'x'; allowed: F, M, O")
    assert lines[1].startswith("case.yaml line 3: patient.birth_year is '1850'; allowed: a year")


def test_absent_file_gives_empty_manifest(tmp_path: Path) -> None:
    manifest, problems = load_manifest(tmp_path / "case.yaml")
    assert problems == []
    assert manifest == Manifest()
    assert manifest.is_empty
    assert manifest.timeline_events() == []


def test_broken_yaml_gives_syntax_problem_with_line(tmp_path: Path) -> None:
    text = "case_id: x\ncomplaint:\n  side: left\n   body_part: knee\n"
    manifest, problems = load_manifest(write(tmp_path, text), display_path="p1/case.yaml")
    assert manifest.is_empty
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.path, problem.stage, problem.kind) == (
        "p1/case.yaml",
        "manifest",
        "manifest_syntax",
    )
    assert problem.message.startswith("p1/case.yaml line 4, column ")
    with pytest.raises(ManifestError, match=r"line 2, column 1: YAML syntax error.*tabs"):
        parse_manifest("complaint:\n\tside: left\n")


def test_not_a_mapping_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"line 1: expected 'key: value' lines.*found a list"):
        parse_manifest("- a\n- b\n")
    path = tmp_path / "case.yaml"
    path.write_bytes("main_concern: 腰痛\n".encode("gbk"))
    manifest, problems = load_manifest(path)
    assert manifest.is_empty
    assert [p.kind for p in problems] == ["manifest_syntax"]
    assert "not UTF-8" in problems[0].message


def test_duplicate_key_is_reported() -> None:
    with pytest.raises(ManifestError, match=r"line 3: key 'side' appears twice in complaint"):
        parse_manifest("complaint:\n  side: left\n  side: right\n")


def test_load_keeps_valid_parts_when_one_field_is_bad(tmp_path: Path) -> None:
    text = ENGLISH.replace("  side: right\n", "  side: rigth\n", 1).replace(
        "    date: 2024-06-12\n", "    date: 2024-06-31\n"
    )
    manifest, problems = load_manifest(write(tmp_path, text))
    assert [p.kind for p in problems] == ["manifest_invalid", "manifest_invalid"]
    assert "line 11: complaint.side is 'rigth'" in problems[0].message
    assert "line 28: treatments[1].date is '2024-06-31'; 2024-06 has no day 31" in (
        problems[1].message
    )
    assert manifest.complaint is not None
    assert manifest.complaint.side is None  # dropped
    assert manifest.complaint.body_part is BodyPart.KNEE  # kept
    assert manifest.treatments[1].date is None
    assert manifest.treatments[1].detail == "corticosteroid"
    assert manifest.case_id == "2024-017"
    assert len(manifest.questions) == 2


def test_partial_date() -> None:
    assert PartialDate.parse("2024").precision == "year"
    assert PartialDate.parse("2024/3").as_timestamp() == pd.Timestamp("2024-03-01")
    assert PartialDate.parse("2024年3月10日") == PartialDate(2024, 3, 10)
    assert PartialDate.parse(dt.date(2024, 3, 10)).precision == "day"
    assert str(PartialDate(2024, 3)) == "2024-03"
    with pytest.raises(ValueError, match="month 13"):
        PartialDate.parse("2024-13")
    # a YAML date object (from a plain PyYAML loader) is accepted too
    assert Manifest.model_validate({"events": [{"date": dt.date(2024, 1, 2)}]}).events[0].date


def test_timeline_events() -> None:
    rows = parse_manifest(ENGLISH).timeline_events()
    assert [row["kind"] for row in rows] == [
        "symptom",
        "treatment",
        "treatment",
        "treatment",
        "surgery",
        "imaging",
        "other",
    ]
    onset = rows[0]
    assert onset["date"] == pd.Timestamp("2024-03-03")
    assert onset["date_precision"] == "day"
    assert onset["label"] == "Onset: Right knee pain after twisting injury (sudden injury)"
    assert onset["side"] == "right"
    assert rows[1]["label"] == "physiotherapy: twice a week (partly better)"
    assert rows[1]["date"] == pd.Timestamp("2024-03-01")
    assert rows[1]["date_precision"] == "month"
    assert rows[3]["date"] is pd.NaT  # rest: undated, never invented
    assert rows[4]["date_precision"] == "year"
    assert rows[6]["date"] is pd.NaT
    assert rows[6]["label"] == "GP visit, date unknown"
    assert {row["source"] for row in rows} == {"case.yaml"}


def test_template_round_trip(tmp_path: Path) -> None:
    path = write_template(tmp_path)
    assert path == tmp_path / "case.yaml"
    text = path.read_text(encoding="utf-8")
    for key in ("case_id:", "onset_kind:", "treatments:", "questions:", "左/右/双侧"):
        assert key in text
    manifest, problems = load_manifest(path)
    assert problems == []
    assert manifest.is_empty
    # the commented examples are valid once uncommented
    uncommented = "\n".join(
        " " + line[1:] if line.startswith("#   ") else line for line in text.splitlines()
    )
    filled = parse_manifest(uncommented)
    assert filled.treatments[0].end == PartialDate(2024, 5)
    assert filled.surgeries[0].implants == ["femoral button", "tibial interference screw"]
    assert len(filled.questions) == 2


def test_template_refuses_to_overwrite(tmp_path: Path) -> None:
    write(tmp_path, "case_id: keep me\n")
    with pytest.raises(ManifestError, match="already exists"):
        write_template(tmp_path)
    assert (tmp_path / "case.yaml").read_text(encoding="utf-8") == "case_id: keep me\n"
    with pytest.raises(CaseNotFoundError):
        write_template(tmp_path / "missing")


def test_dump_manifest_is_atomic_with_backup(tmp_path: Path) -> None:
    path = write(tmp_path, CHINESE)
    manifest = parse_manifest(CHINESE)
    manifest.main_concern = "腰痛"
    assert dump_manifest(manifest, path) == path
    assert (tmp_path / "case.yaml.bak").read_text(encoding="utf-8") == CHINESE
    text = path.read_text(encoding="utf-8")
    assert "main_concern: 腰痛\n" in text  # allow_unicode: no \u escapes
    assert parse_manifest(text) == manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml", "case.yaml.bak"]


def test_dump_without_backup_and_of_empty_manifest(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    dump_manifest(Manifest(), path)
    assert parse_manifest(path.read_text(encoding="utf-8")).is_empty
    dump_manifest(parse_manifest(ENGLISH), path, backup=False)
    assert not (tmp_path / "case.yaml.bak").exists()
    assert parse_manifest(path.read_text(encoding="utf-8")) == parse_manifest(ENGLISH)
