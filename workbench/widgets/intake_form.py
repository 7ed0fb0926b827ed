"""The coordinator's intake form: fill in case.yaml without editing YAML (widgets layer).

The form has no logic of its own: it collects text, builds a dict, validates it
with the same schema as ``case.yaml`` (:func:`workbench.record.manifest.parse_manifest`)
and writes it atomically with :func:`workbench.record.manifest.dump_manifest`, keeping
the previous version as ``case.yaml.bak``. Labels, choices and validation messages
come from :mod:`workbench.i18n` in English or Chinese (``lang=``, or the form's own
language switch); the pain map is a :class:`~workbench.widgets.pain_map.PainMapWidget`.

>>> form = IntakeForm(getfixture("tmp_path"))
>>> form.main_concern.value = "Right knee pain after twisting injury"
>>> form.questions[0].value = "Is surgery needed now?"
>>> form.save().name
'case.yaml'
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import yaml

from workbench.errors import ManifestError
from workbench.i18n import label
from workbench.record.manifest import (
    MANIFEST_NAME,
    Manifest,
    SleepStatus,
    SportStatus,
    StairsStatus,
    WorkStatus,
    dump_manifest,
    load_manifest,
    parse_manifest,
)
from workbench.vocab import BodyPart, CaseType, Side, term
from workbench.widgets.pain_map import PainMapWidget

_TREATMENT_KINDS = [
    "",
    "physiotherapy",
    "injection",
    "medication",
    "bracing",
    "acupuncture",
    "surgery",
    "rest",
    "other",
]
_ONSET_KINDS = ["", "sudden_injury", "gradual", "after_surgery", "training_change", "other"]
MAX_QUESTIONS = 5
MAX_TREATMENTS = 6
MAX_MEDICATIONS = 5
MAX_LABS = 6
MEDICATION_FIELDS = ("name", "dose", "frequency", "since", "stopped", "response", "side_effects")
LAB_FIELDS = ("test", "value", "unit", "reference_range", "date")
_FUNCTION_CHOICES = {
    "stairs": StairsStatus,
    "sleep": SleepStatus,
    "work": WorkStatus,
    "sport": SportStatus,
}
_STYLE = {"description_width": "12em"}


def _text(description: str, value: Any = "", *, area: bool = False) -> widgets.Widget:
    cls = widgets.Textarea if area else widgets.Text
    return cls(
        value="" if value is None else str(value),
        description=description,
        style=_STYLE,
        layout=widgets.Layout(width="95%"),
    )


def _choice(description: str, options: list[str], value: Any) -> widgets.Dropdown:
    current = "" if value is None else str(getattr(value, "value", value))
    return widgets.Dropdown(
        options=options,
        value=current if current in options else "",
        description=description,
        style=_STYLE,
    )


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.replace("，", ",").split(",") if w.strip()]


def _cell(value: Any, placeholder: str) -> widgets.Text:
    text = ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
    return widgets.Text(value=text, placeholder=placeholder, layout=widgets.Layout(width="9em"))


class IntakeForm(widgets.VBox):
    """An ipywidgets form that writes ``case_dir/case.yaml``.

    Parameters
    ----------
    case_dir : Path
        The case folder; an existing case.yaml is loaded into the form.
    lang : ``"en"`` or ``"zh"``
        Language of labels, choices and messages; the form's switch changes it.
    """

    def __init__(self, case_dir: str | Path, *, lang: str = "en") -> None:
        self.case_dir = Path(case_dir)
        existing, _ = load_manifest(self.case_dir / MANIFEST_NAME)
        m = existing
        pain = m.pain_history
        complaint = m.complaint
        self._labels: list[tuple[widgets.Widget, str, str]] = []  # (widget, attribute, key)
        self.case_id = self._label(_text("", m.case_id), "intake.case_id")
        self.case_type = self._label(
            _choice("", ["", *[c.value for c in CaseType]], m.case_type), "intake.case_type"
        )
        langs = ", ".join(m.patient.languages) if m.patient else ""
        self.languages = self._label(_text("", langs), "intake.languages")
        self.main_concern = self._label(_text("", m.main_concern), "intake.main_concern")
        self.body_part = self._label(
            _choice(
                "", ["", *[b.value for b in BodyPart]], complaint.body_part if complaint else None
            ),
            "intake.body_part",
        )
        self.side = self._label(
            _choice("", ["", *[s.value for s in Side]], complaint.side if complaint else None),
            "intake.side",
        )
        self.location = self._label(_text("", pain.location if pain else ""), "intake.location")
        onset = pain.onset if pain and pain.onset else ""
        self.onset = self._label(_text("", onset), "intake.onset")
        self.onset_kind = self._label(
            _choice("", _ONSET_KINDS, pain.onset_kind if pain else None), "intake.onset_kind"
        )
        self.triggers = self._label(
            _text("", ", ".join(pain.triggers) if pain else ""), "intake.triggers"
        )
        self.pattern = self._label(
            _text("", ", ".join(pain.pattern) if pain else ""), "intake.pattern"
        )
        self.function = self._label(
            _text("", pain.function if pain else "", area=True), "intake.function"
        )
        f = m.function
        self.walking_distance_m = self._label(
            _text(
                "", f"{f.walking_distance_m:g}" if f and f.walking_distance_m is not None else ""
            ),
            "intake.walking_distance_m",
        )
        self.standing_time_min = self._label(
            _text("", f"{f.standing_time_min:g}" if f and f.standing_time_min is not None else ""),
            "intake.standing_time_min",
        )
        self.function_choices: dict[str, widgets.Dropdown] = {
            key: self._label(
                widgets.Dropdown(options=[("", "")], value="", style=_STYLE), f"intake.{key}"
            )
            for key in _FUNCTION_CHOICES
        }
        self.proposed_treatment = self._label(
            _text("", m.proposed_treatment), "intake.proposed_treatment"
        )
        self.treatments = [self._treatment_row(m, i) for i in range(MAX_TREATMENTS)]
        self.medications = [self._medication_row(m, i) for i in range(MAX_MEDICATIONS)]
        self.labs = [self._lab_row(m, i) for i in range(MAX_LABS)]
        self.pain_map = PainMapWidget(
            [mark.model_dump(mode="json") for mark in m.pain_map], lang=lang
        )
        self.questions = [
            _text("", m.questions[i] if i < len(m.questions) else "", area=True)
            for i in range(MAX_QUESTIONS)
        ]
        self.language = widgets.ToggleButtons(
            options=[("English", "en"), ("中文", "zh")], value="zh" if lang == "zh" else "en"
        )
        self.save_button = widgets.Button(button_style="primary")
        self.save_button.on_click(lambda _: self._save_clicked())
        self.status = widgets.HTML()
        self._headings = {
            key: widgets.HTML()
            for key in (
                "intake.title",
                "intake.pain_history",
                "intake.function_numbers",
                "intake.treatments",
                "intake.medications",
                "intake.labs",
                "intake.pain_map",
                "intake.questions",
            )
        }
        self._existing = existing
        self.set_language(self.language.value)
        for key, dropdown in self.function_choices.items():
            value = getattr(f, key) if f else None
            dropdown.value = value.value if value is not None else ""
        self.language.observe(lambda change: self.set_language(change["new"]), names="value")
        h = self._headings
        super().__init__(
            [
                self.language,
                h["intake.title"],
                self.case_id,
                self.case_type,
                self.languages,
                self.main_concern,
                self.body_part,
                self.side,
                h["intake.pain_history"],
                self.location,
                self.onset,
                self.onset_kind,
                self.triggers,
                self.pattern,
                h["intake.pain_map"],
                self.pain_map,
                h["intake.function_numbers"],
                self.function,
                self.walking_distance_m,
                self.standing_time_min,
                *self.function_choices.values(),
                h["intake.treatments"],
                *[widgets.HBox(list(row.values())) for row in self.treatments],
                h["intake.medications"],
                *[widgets.HBox(list(row.values())) for row in self.medications],
                h["intake.labs"],
                *[widgets.HBox(list(row.values())) for row in self.labs],
                self.proposed_treatment,
                h["intake.questions"],
                *self.questions,
                self.save_button,
                self.status,
            ]
        )

    def _label(self, widget: Any, key: str, attribute: str = "description") -> Any:
        self._labels.append((widget, attribute, key))
        return widget

    def set_language(self, lang: str) -> None:
        """Relabel every field, choice and heading in *lang* (``en`` or ``zh``)."""
        self.lang = "zh" if lang == "zh" else "en"
        for widget, attribute, key in self._labels:
            setattr(widget, attribute, label(key, self.lang))
        for i, question in enumerate(self.questions):
            question.description = f"{label('intake.question', self.lang)} {i + 1}"
        for key, heading in self._headings.items():
            tag = "h3" if key == "intake.title" else "b"
            heading.value = f"<{tag}>{html.escape(label(key, self.lang))}</{tag}>"
        for key, dropdown in self.function_choices.items():
            value = dropdown.value
            options = [("", "")] + [
                (label(f"{key}.{member.value}", self.lang), member.value)
                for member in _FUNCTION_CHOICES[key]
            ]
            dropdown.options = options
            dropdown.value = value
        self.body_part.options = [("", "")] + [
            (term(b.value, self.lang), b.value) for b in BodyPart
        ]
        self.side.options = [("", "")] + [(term(s.value, self.lang), s.value) for s in Side]
        self.save_button.description = label("intake.save", self.lang)
        self.pain_map.set_language(self.lang)

    @staticmethod
    def _treatment_row(m: Manifest, i: int) -> dict[str, widgets.Widget]:
        t = m.treatments[i] if i < len(m.treatments) else None
        when = (t.start or t.date) if t else None
        return {
            "kind": _choice("", _TREATMENT_KINDS, t.kind if t else None),
            "date": widgets.Text(value=str(when or ""), placeholder="YYYY-MM-DD"),
            "detail": widgets.Text(value=(t.detail or "") if t else "", placeholder="detail"),
            "response": widgets.Text(value=(t.response or "") if t else "", placeholder="response"),
        }

    @staticmethod
    def _medication_row(m: Manifest, i: int) -> dict[str, widgets.Text]:
        med = m.medications[i] if i < len(m.medications) else None
        return {key: _cell(getattr(med, key) if med else None, key) for key in MEDICATION_FIELDS}

    @staticmethod
    def _lab_row(m: Manifest, i: int) -> dict[str, widgets.Text]:
        lab = m.labs[i] if i < len(m.labs) else None
        return {key: _cell(getattr(lab, key) if lab else None, key) for key in LAB_FIELDS}

    def data(self) -> dict[str, Any]:
        """The form's content as a case.yaml mapping (empty fields left out)."""
        data: dict[str, Any] = {
            "case_id": self.case_id.value,
            "case_type": self.case_type.value,
            "main_concern": self.main_concern.value,
            "complaint": {"body_part": self.body_part.value, "side": self.side.value},
            "pain_history": {
                "location": self.location.value,
                "onset": self.onset.value,
                "onset_kind": self.onset_kind.value,
                "triggers": _words(self.triggers.value),
                "pattern": _words(self.pattern.value),
                "function": self.function.value,
            },
            "function": {
                "walking_distance_m": self.walking_distance_m.value.strip(),
                "standing_time_min": self.standing_time_min.value.strip(),
                **{key: w.value for key, w in self.function_choices.items()},
                "notes": self._existing.function.notes if self._existing.function else None,
            },
            "treatments": [
                {key: w.value for key, w in row.items()}
                for row in self.treatments
                if any(w.value for w in row.values())
            ],
            "medications": [
                {
                    key: _words(w.value) if key == "side_effects" else w.value.strip()
                    for key, w in row.items()
                }
                for row in self.medications
                if any(w.value.strip() for w in row.values())
            ],
            "labs": [
                {key: w.value.strip() for key, w in row.items()}
                for row in self.labs
                if any(w.value.strip() for w in row.values())
            ],
            "pain_map": [dict(mark) for mark in self.pain_map.marks],
            "proposed_treatment": self.proposed_treatment.value,
            "questions": [q.value.strip() for q in self.questions if q.value.strip()],
        }
        patient = (
            self._existing.patient.model_dump(mode="json", exclude_none=True)
            if (self._existing.patient)
            else {}
        )
        patient["languages"] = _words(self.languages.value)
        data["patient"] = patient
        for key in ("surgeries", "events", "scores"):
            items = getattr(self._existing, key)
            if items:
                data[key] = [item.model_dump(mode="json", exclude_none=True) for item in items]
        return _prune(data)

    def validate(self) -> Manifest:
        """Validate with the case.yaml schema; raises ManifestError naming each bad field."""
        text = yaml.safe_dump(self.data(), allow_unicode=True, sort_keys=False)
        lang = "en+zh" if self.lang == "zh" else "en"
        return parse_manifest(text, display_path="intake form", lang=lang)

    def save(self) -> Path:
        """Validate and write case.yaml atomically, keeping the previous version as .bak."""
        manifest = self.validate()
        return dump_manifest(manifest, self.case_dir / MANIFEST_NAME, backup=True)

    def _save_clicked(self) -> None:
        try:
            path = self.save()
        except ManifestError as exc:
            not_saved = label("intake.not_saved", "en")
            if self.lang == "zh":
                not_saved += " / " + label("intake.not_saved", "zh")
            self.status.value = f"<span style='color:#b00'>{not_saved}: {_escape(str(exc))}</span>"
        else:
            saved = label("intake.saved", "en")
            if self.lang == "zh":
                saved += " / " + label("intake.saved", "zh")
            self.status.value = f"{saved} {_escape(str(path))}"


def _escape(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value if v not in ("", None, [], {})]
    return value
