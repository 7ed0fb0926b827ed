"""The intake form's new sections, driven by setting widget values as a coordinator would."""

from __future__ import annotations

from pathlib import Path

from workbench.record.manifest import load_manifest
from workbench.widgets.intake_form import IntakeForm


def test_story_fields_save_and_reopen(tmp_path: Path):
    form = IntakeForm(tmp_path)
    form.walking_distance_m.value = "400"
    form.function_choices["stairs"].value = "with_rail"
    form.function_choices["sleep"].value = "wakes_with_pain"
    med = form.medications[0]
    med["name"].value, med["dose"].value, med["since"].value = "naproxen", "500 mg", "2024-02"
    med["side_effects"].value = "heartburn, nausea"
    lab = form.labs[0]
    lab["test"].value, lab["value"].value, lab["unit"].value = "ESR", "30", "mm/h"
    lab["reference_range"].value, lab["date"].value = "0-20", "2024-03-01"
    form.pain_map.toggle("knee_lateral", "right", "tingling")
    form.pain_map.toggle("lower_back", None, "pain")
    form.save_button.click()
    assert form.status.value.startswith("Saved"), form.status.value

    m, problems = load_manifest(tmp_path / "case.yaml")
    assert problems == []
    assert m.function.walking_distance_m == 400 and m.function.stairs == "with_rail"
    assert m.medications[0].side_effects == ["heartburn", "nausea"]
    assert str(m.labs[0].date) == "2024-03-01" and m.labs[0].reference_range == "0-20"
    assert [(p.region.value, p.side, p.kind.value) for p in m.pain_map] == [
        ("knee_lateral", "right", "tingling"),
        ("lower_back", None, "pain"),
    ]
    again = IntakeForm(tmp_path)
    assert again.walking_distance_m.value == "400"
    assert again.function_choices["sleep"].value == "wakes_with_pain"
    assert again.medications[0]["side_effects"].value == "heartburn, nausea"
    assert again.labs[0]["value"].value == "30"
    assert len(again.pain_map.marks) == 2
    assert (tmp_path / "case.yaml.bak").exists() is False  # first save: nothing to back up
    again.save()
    assert (tmp_path / "case.yaml.bak").exists()


def test_form_in_chinese_labels_choices_and_messages(tmp_path: Path):
    form = IntakeForm(tmp_path, lang="zh")
    assert form.main_concern.description == "主要问题"
    assert ("需扶栏杆上下楼", "with_rail") in form.function_choices["stairs"].options
    assert ("膝关节", "knee") in form.body_part.options
    assert form.pain_map.kinds[0][1] == "疼痛"
    form.medications[0]["since"].value = "soon"
    form.save_button.click()
    status = form.status.value
    assert "Not saved / 未保存" in status and "medications[0].since" in status
    assert "第" in status and "取值无效" in status
    form.language.value = "en"
    assert form.main_concern.description == "Main concern"
    assert form.function_choices["stairs"].options[2] == ("stairs with a rail", "with_rail")
