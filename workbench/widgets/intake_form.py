"""The coordinator's intake form: fill in case.yaml without editing YAML (widgets layer).

The form has no logic of its own: it collects text, builds a dict, validates it
with the same schema as ``case.yaml`` (:func:`workbench.record.manifest.parse_manifest`)
and writes it atomically with :func:`workbench.record.manifest.dump_manifest`, keeping
the previous version as ``case.yaml.bak``.

>>> form = IntakeForm(getfixture("tmp_path"))
>>> form.main_concern.value = "Right knee pain after twisting injury"
>>> form.questions[0].value = "Is surgery needed now?"
>>> form.save().name
'case.yaml'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets
import yaml

from workbench.errors import ManifestError
from workbench.record.manifest import (
    MANIFEST_NAME,
    Manifest,
    dump_manifest,
    load_manifest,
    parse_manifest,
)
from workbench.vocab import BodyPart, CaseType, Side

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


def _text(description: str, value: Any = "", *, area: bool = False) -> widgets.Widget:
    cls = widgets.Textarea if area else widgets.Text
    return cls(
        value="" if value is None else str(value),
        description=description,
        style={"description_width": "10em"},
        layout=widgets.Layout(width="95%"),
    )


def _choice(description: str, options: list[str], value: Any) -> widgets.Dropdown:
    current = "" if value is None else str(getattr(value, "value", value))
    return widgets.Dropdown(
        options=options,
        value=current if current in options else "",
        description=description,
        style={"description_width": "10em"},
    )


class IntakeForm(widgets.VBox):
    """An ipywidgets form that writes ``case_dir/case.yaml``.

    Parameters
    ----------
    case_dir : Path
        The case folder; an existing case.yaml is loaded into the form.
    """

    def __init__(self, case_dir: str | Path) -> None:
        self.case_dir = Path(case_dir)
        existing, _ = load_manifest(self.case_dir / MANIFEST_NAME)
        m = existing
        pain = m.pain_history
        complaint = m.complaint
        self.case_id = _text("Case id", m.case_id)
        self.case_type = _choice("Case type", ["", *[c.value for c in CaseType]], m.case_type)
        self.languages = _text("Languages", ", ".join(m.patient.languages) if m.patient else "")
        self.main_concern = _text("Main concern", m.main_concern)
        self.body_part = _choice(
            "Body part",
            ["", *[b.value for b in BodyPart]],
            complaint.body_part if complaint else None,
        )
        self.side = _choice(
            "Side", ["", *[s.value for s in Side]], complaint.side if complaint else None
        )
        self.location = _text("Pain location", pain.location if pain else "")
        self.onset = _text("Onset (YYYY-MM-DD)", pain.onset if pain and pain.onset else "")
        self.onset_kind = _choice("Onset kind", _ONSET_KINDS, pain.onset_kind if pain else None)
        self.triggers = _text("Triggers", ", ".join(pain.triggers) if pain else "")
        self.pattern = _text("Pattern", ", ".join(pain.pattern) if pain else "")
        self.function = _text("Function", pain.function if pain else "", area=True)
        self.proposed_treatment = _text("Proposed treatment", m.proposed_treatment)
        self.treatments = [self._treatment_row(m, i) for i in range(MAX_TREATMENTS)]
        self.questions = [
            _text(f"Question {i + 1}", m.questions[i] if i < len(m.questions) else "", area=True)
            for i in range(MAX_QUESTIONS)
        ]
        self.save_button = widgets.Button(description="Save case.yaml", button_style="primary")
        self.save_button.on_click(lambda _: self._save_clicked())
        self.status = widgets.HTML()
        self._existing = existing
        super().__init__(
            [
                widgets.HTML("<h3>Case intake</h3>"),
                self.case_id,
                self.case_type,
                self.languages,
                self.main_concern,
                self.body_part,
                self.side,
                widgets.HTML("<b>Pain history</b>"),
                self.location,
                self.onset,
                self.onset_kind,
                self.triggers,
                self.pattern,
                self.function,
                widgets.HTML("<b>Treatments tried (kind, date, detail, response)</b>"),
                *[widgets.HBox(list(row.values())) for row in self.treatments],
                self.proposed_treatment,
                widgets.HTML("<b>Your questions (3 to 5, specific)</b>"),
                *self.questions,
                self.save_button,
                self.status,
            ]
        )

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

    def data(self) -> dict[str, Any]:
        """The form's content as a case.yaml mapping (empty fields left out)."""

        def words(text: str) -> list[str]:
            return [w.strip() for w in text.replace("，", ",").split(",") if w.strip()]

        data: dict[str, Any] = {
            "case_id": self.case_id.value,
            "case_type": self.case_type.value,
            "main_concern": self.main_concern.value,
            "complaint": {"body_part": self.body_part.value, "side": self.side.value},
            "pain_history": {
                "location": self.location.value,
                "onset": self.onset.value,
                "onset_kind": self.onset_kind.value,
                "triggers": words(self.triggers.value),
                "pattern": words(self.pattern.value),
                "function": self.function.value,
            },
            "treatments": [
                {key: w.value for key, w in row.items()}
                for row in self.treatments
                if any(w.value for w in row.values())
            ],
            "proposed_treatment": self.proposed_treatment.value,
            "questions": [q.value.strip() for q in self.questions if q.value.strip()],
        }
        patient = (
            self._existing.patient.model_dump(mode="json", exclude_none=True)
            if (self._existing.patient)
            else {}
        )
        patient["languages"] = words(self.languages.value)
        data["patient"] = patient
        for key in ("surgeries", "events"):
            items = getattr(self._existing, key)
            if items:
                data[key] = [item.model_dump(mode="json", exclude_none=True) for item in items]
        return _prune(data)

    def validate(self) -> Manifest:
        """Validate with the case.yaml schema; raises ManifestError naming each bad field."""
        text = yaml.safe_dump(self.data(), allow_unicode=True, sort_keys=False)
        return parse_manifest(text, display_path="intake form")

    def save(self) -> Path:
        """Validate and write case.yaml atomically, keeping the previous version as .bak."""
        manifest = self.validate()
        return dump_manifest(manifest, self.case_dir / MANIFEST_NAME, backup=True)

    def _save_clicked(self) -> None:
        try:
            path = self.save()
        except ManifestError as exc:
            self.status.value = f"<span style='color:#b00'>Not saved: {_escape(str(exc))}</span>"
        else:
            self.status.value = f"Saved {_escape(str(path))}"


def _escape(text: str) -> str:
    import html

    return html.escape(text).replace("\n", "<br>")


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value if v not in ("", None, [], {})]
    return value
