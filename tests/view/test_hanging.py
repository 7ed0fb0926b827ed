"""Hanging rules as data: the built-in file, a site's file, strict validation, the layouts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import workbench
from workbench.errors import HangingRulesError, WorkbenchError
from workbench.view.hanging import BUILTIN_RULES, ENV_VAR, hang, load_rules, rules_in_use
from workbench.view.layout import Layout, Pane


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return {
        name: workbench.open_case(
            workbench.samples.path(name), workspace=tmp_path_factory.mktemp(name)
        )
        for name in ("knee_oa_right", "lumbar_spine_zh", "messy_upload")
    }


def _tables(studies: list[dict], series: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    base_study = {
        "side": "right",
        "body_part": "knee",
        "has_original_dicom": True,
        "source": "dicom",
        "weight_bearing": pd.NA,
    }
    st = pd.DataFrame([{**base_study, **s} for s in studies])
    st["date"] = pd.to_datetime(st["date"])
    base_series = {"ViewPosition": None, "n_images": 1, "weight_bearing": pd.NA}
    se = pd.DataFrame([{**base_series, "SeriesNumber": k + 1, **s} for k, s in enumerate(series)])
    return st, se


def _shape(hangings) -> list[tuple[str, str, list[str]]]:
    return [(h.rule, str(h.layout), [p.series_key for p in h.panes]) for h in hangings]


def test_builtin_rules_are_valid_and_each_kind_is_there():
    rules, replace = load_rules(BUILTIN_RULES)
    assert not replace
    assert {r.hang for r in rules} == {"compare", "mpr", "series"}
    assert {r.layout for r in rules} == set(Layout)
    assert all(r.text for r in rules)


def test_samples_hang_as_a_reviewer_expects(samples):
    knee = samples["knee_oa_right"]
    got = hang(knee.studies, knee.series)
    # the two standing knee films (2023, 2024) side by side, linked; the 2D MR as acquired
    pair = [h for h in got if h.linked]
    assert len(pair) == 1 and pair[0].layout == Layout.SIDE_BY_SIDE
    dx = knee.studies[knee.studies["modality"] == "DX"].sort_values("date")["study_key"]
    assert pair[0].study_keys == [dx.iloc[0], dx.iloc[-1]]
    mr = [h for h in got if not h.linked]
    assert [(h.rule, h.layout) for h in mr] == [("one_study", Layout.ONE)]
    assert len(mr[0].pool) == 2  # the other MR series is there for the layout switch
    # every study with images is hung once
    keys = [k for h in got for k in h.study_keys]
    assert sorted(keys) == sorted(knee.studies["study_key"]) and len(set(keys)) == len(keys)

    spine = samples["lumbar_spine_zh"]
    rules = {h.rule: h for h in hang(spine.studies, spine.series)}
    ap_lat = rules["ap_lateral"]
    views = spine.series.set_index("series_key")["ViewPosition"]
    assert [views[p.series_key] for p in ap_lat.panes] == ["AP", "LL"]  # AP left, lateral right

    messy = samples["messy_upload"]
    rules = {h.rule: h for h in hang(messy.studies, messy.series)}
    ct = rules["ct_volume_mpr"]
    assert ct.layout == Layout.MPR
    assert [p.plane for p in ct.panes] == ["axial", "coronal", "sagittal"]
    assert len({p.series_key for p in ct.panes}) == 1
    assert rules["ap_lateral"].layout == Layout.SIDE_BY_SIDE
    assert "ph-" not in " ".join(k for h in rules.values() for k in h.study_keys)  # photos


def test_standing_film_before_the_supine_one():
    studies, series = _tables(
        [{"study_key": "s1", "date": "2024-01-02", "modality": "DX"}],
        [
            {
                "series_key": "supine",
                "study_key": "s1",
                "Modality": "DX",
                "SeriesDescription": "KNEE AP SUPINE",
                "ViewPosition": "AP",
                "weight_bearing": False,
            },
            {
                "series_key": "standing",
                "study_key": "s1",
                "Modality": "DX",
                "SeriesDescription": "KNEE AP STANDING",
                "ViewPosition": "AP",
                "weight_bearing": True,
            },
        ],
    )
    (got,) = hang(studies, series)
    assert (got.rule, got.layout) == ("standing_then_supine", Layout.SIDE_BY_SIDE)
    assert [p.series_key for p in got.panes] == ["standing", "supine"]


def test_ap_lateral_takes_the_standing_ap_and_views_from_descriptions():
    studies, series = _tables(
        [{"study_key": "s1", "date": "2024-01-02", "modality": "CR"}],
        [
            {
                "series_key": "lat",
                "study_key": "s1",
                "Modality": "CR",
                "SeriesDescription": "KNEE LATERAL",
            },
            {
                "series_key": "ap-supine",
                "study_key": "s1",
                "Modality": "CR",
                "SeriesDescription": "KNEE AP",
            },
            {
                "series_key": "ap-standing",
                "study_key": "s1",
                "Modality": "CR",
                "SeriesDescription": "KNEE AP WB",
                "weight_bearing": True,
            },
        ],
    )
    (got,) = hang(studies, series)
    assert got.rule == "ap_lateral"
    assert [p.series_key for p in got.panes] == ["ap-standing", "lat"]
    assert [p.series_key for p in got.pool][:1] == ["ap-standing"]


def test_three_films_hang_two_by_two_and_volumes_in_mpr():
    studies, series = _tables(
        [
            {"study_key": "xr", "date": "2024-01-02", "modality": "DX"},
            {"study_key": "ct", "date": "2024-02-02", "modality": "CT"},
            {"study_key": "mr", "date": "2024-03-02", "modality": "MR"},
        ],
        [
            *(
                {
                    "series_key": f"f{k}",
                    "study_key": "xr",
                    "Modality": "DX",
                    "SeriesDescription": f"KNEE OBLIQUE {k}",
                }
                for k in range(3)
            ),
            {"series_key": "scout", "study_key": "ct", "Modality": "CT", "n_images": 1},
            {"series_key": "ct-vol", "study_key": "ct", "Modality": "CT", "n_images": 200},
            {"series_key": "mr-2d", "study_key": "mr", "Modality": "MR", "n_images": 18},
            {"series_key": "mr-3d", "study_key": "mr", "Modality": "MR", "n_images": 176},
        ],
    )
    got = _shape(hang(studies, series))
    assert got == [
        ("radiograph_set", "2x2", ["f0", "f1", "f2"]),  # the optional fourth pane stays empty
        ("ct_volume_mpr", "mpr", ["ct-vol"] * 3),  # the volume, not the one-image scout
        ("mr_volume_mpr", "mpr", ["mr-3d"] * 3),
    ]


def test_a_site_file_goes_first_or_replaces(tmp_path, monkeypatch):
    studies, series = _tables(
        [{"study_key": "s1", "date": "2024-01-02", "modality": "MR"}],
        [
            {"series_key": "a", "study_key": "s1", "Modality": "MR", "n_images": 20},
            {"series_key": "b", "study_key": "s1", "Modality": "MR", "n_images": 20},
        ],
    )
    assert _shape(hang(studies, series)) == [("one_study", "1x1", ["a"])]
    site = tmp_path / "site_rules.yaml"
    site.write_text(
        "version: 1\nrules:\n"
        "  - name: mr_pair\n    text: Two MR sequences side by side\n    hang: series\n"
        "    layout: 1×2\n    match: {modality: [mr]}\n    panes: [{}, {}]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_VAR, str(site))
    assert _shape(hang(studies, series)) == [("mr_pair", "1x2", ["a", "b"])]
    assert next(r.name for r in rules_in_use()) == "mr_pair"
    assert len(rules_in_use()) == len(load_rules(BUILTIN_RULES)[0]) + 1
    replacing = tmp_path / "only.json"
    replacing.write_text(
        json.dumps(
            {
                "replace": True,
                "rules": [
                    {
                        "name": "mr_only",
                        "hang": "series",
                        "layout": "1x1",
                        "match": {"modality": ["CT"]},
                    }
                ],
            }
        )
    )
    monkeypatch.setenv(ENV_VAR, str(replacing))
    assert [r.name for r in rules_in_use()] == ["mr_only"]
    # no rule fits: the study still gets a viewer
    assert _shape(hang(studies, series)) == [("fallback", "1x1", ["a"])]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "x", "layout": "3x3"}, r"rule 1 \('x'\)\.layout: Unknown layout '3x3'"),
        ({"name": "x", "colour": "red"}, r"rule 1 \('x'\): unknown key 'colour'; use hang"),
        ({"name": "x", "hang": "stack"}, r"'stack' is not a kind of hanging; use one of"),
        ({"name": "x", "layout": "1x2", "panes": [{}]}, r"1 panes for layout 1x2; give 2"),
        ({"name": "x", "panes": [{"weight_bearing": "yes"}]}, r"'yes' is not true, false or nu"),
        ({"name": "x", "panes": [{"view": 3}]}, r"panes\[0\]\.view: 3 is not a list of text"),
        ({"name": "x", "match": {"min_images": -1}}, r"match\.min_images: -1 is not a whole"),
        ({"name": "x", "match": {"laterality": ["L"]}}, r"unknown key 'laterality'"),
        ({"name": "x", "hang": "mpr", "layout": "1x1"}, r"1x1 for an mpr hanging; write \"mpr\""),
        ({"name": "x\nimport os"}, r"has characters other than letters"),
        ({"layout": "1x1"}, r"rule 1: name None is missing or empty"),
        ({"name": "x", "order": ["date"]}, r"'date' is not an order; use weight_bearing"),
        ({"name": "x", "panes": [{"optional": True}]}, r"every pane is optional"),
    ],
)
def test_bad_rules_name_the_file_the_value_and_the_fix(tmp_path, rule, message):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"version": 1, "rules": [rule]}))
    with pytest.raises(HangingRulesError, match=message) as info:
        load_rules(path)
    assert str(path) in str(info.value) and isinstance(info.value, WorkbenchError | ValueError)


def test_unreadable_and_malformed_files(tmp_path, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [ {"name": "x",, } ]}')
    with pytest.raises(HangingRulesError, match=r"bad\.json' is not valid JSON near line 1"):
        load_rules(bad)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.yaml"))
    with pytest.raises(HangingRulesError, match=r"missing\.yaml' cannot be read.*WORKBENCH_HANG"):
        rules_in_use()
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps({"rules": [{"name": "a"}, {"name": "a"}]}))
    with pytest.raises(HangingRulesError, match=r"rule 'a': the name is used twice"):
        load_rules(twice)
    future = tmp_path / "v2.json"
    future.write_text(json.dumps({"version": 2, "rules": [{"name": "a"}]}))
    with pytest.raises(HangingRulesError, match=r"version: 2 is not supported; write 1"):
        load_rules(future)


def test_tolerant_spelling_of_values(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps(
            [
                {
                    "name": "a",
                    "layout": " 2 × 2 ",
                    "hang": "SERIES",
                    "match": {"modality": "dx"},
                    "panes": [{"view": "ap"}, {}, {}, {"optional": True}],
                }
            ]
        )
    )
    ((rule,), _) = load_rules(path)
    assert rule.layout == Layout.FOUR and rule.hang == "series"
    assert rule.match["modality"] == ("DX",) and rule.panes[0].view == ("AP",)


def test_hanging_panes_are_series_of_their_study(samples):
    for case in samples.values():
        series = case.series.set_index("series_key")["study_key"]
        for h in hang(case.studies, case.series):
            assert all(
                isinstance(p, Pane) and series[p.series_key] == p.study_key
                for p in (*h.panes, *h.pool)
            )


def test_thin_tables_still_hang_every_study():
    """Tables without the optional columns (no side, no view, no counts, no dates)."""
    studies = pd.DataFrame({"study_key": ["a", "b", "c"], "modality": ["CT", None, "MR"]})
    series = pd.DataFrame({"series_key": ["s1", "s2", "s3"], "study_key": ["a", "a", "b"],
                           "n_images": [float("nan"), 3, None]})  # fmt: skip
    got = hang(studies, series)
    assert sorted(k for h in got for k in h.study_keys) == ["a", "b"]  # c has no series
    assert {h.rule for h in got} == {"one_study"}  # a CT of unknown size is not an MPR
    assert hang(studies.iloc[:0], series.iloc[:0]) == []
