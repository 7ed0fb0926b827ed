"""Clinical words in a patient's account or a note, in English and Chinese.

The words are data: ``workbench/data/clinical_lexicon.yaml`` lists, per concept
(instability, locking, nerve symptoms, hardware, red flags ...), the phrases that
name it in each language, and the negation and time words that make a phrase
*not* a current sign ("no giving way", "numbness has resolved", 否认麻木, 以前打软腿).

English is matched by whole words (so "plate" is not found in "plateau" or
"template"), Chinese as written. Text is cut into clauses at punctuation; a
negation reaches forward (or back, for "has resolved") only inside its clause and
stops at words such as "but" or 但是.

>>> sorted(affirmed("My knee gave way twice on stairs"))
['instability']
>>> sorted(affirmed("No giving way. Numbness has resolved."))
[]
>>> sorted(affirmed("Tibial plateau fracture, template attached"))
[]
>>> sorted(affirmed("左下肢麻木，否认打软腿"))
['nerve_symptoms']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "LEXICON_PATH",
    "Concept",
    "Lexicon",
    "Mention",
    "affirmed",
    "expand_phrase",
    "find_mentions",
    "lexicon",
]

LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "clinical_lexicon.yaml"
ROUTES = ("in_person", "urgent", "none")

#: Words (English) or characters (Chinese) a negation before a phrase may reach over.
_BEFORE_WORDS, _BEFORE_CHARS = 5, 8
_PAST_WORDS, _PAST_CHARS = 2, 4
_AFTER_WORDS, _AFTER_CHARS = 6, 8
_GAP_WORDS, _GAP_CHARS = 4, 6

_CLAUSE = re.compile(r"[.,;:!?()\[\]\n\r。，；：！？（）【】]+")
_TOKEN = re.compile(r"[a-z0-9']+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_ALTERNATIVES = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Concept:
    """One concept of the lexicon: its label, route and compiled phrases."""

    name: str
    label_en: str
    label_zh: str
    route: str
    needs_surgery: bool
    en: tuple[re.Pattern[str], ...]
    zh: tuple[re.Pattern[str], ...]
    exclude_en: tuple[re.Pattern[str], ...]
    exclude_zh: tuple[re.Pattern[str], ...]

    def label(self, lang: str = "en") -> str:
        """The concept's name in *lang* (``en`` or ``zh``)."""
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Combination:
    """A red flag made of several concepts found anywhere in one account."""

    name: str
    label_en: str
    label_zh: str
    route: str
    all: tuple[str, ...]

    def label(self, lang: str = "en") -> str:
        """The red flag's name in *lang*."""
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Lexicon:
    """The loaded lexicon: concepts, combinations and negation cues."""

    concepts: dict[str, Concept]
    combinations: dict[str, Combination]
    before_en: tuple[re.Pattern[str], ...]
    before_zh: tuple[re.Pattern[str], ...]
    after_en: tuple[re.Pattern[str], ...]
    after_zh: tuple[re.Pattern[str], ...]
    stop_en: tuple[re.Pattern[str], ...]
    stop_zh: tuple[re.Pattern[str], ...]
    past_en: tuple[re.Pattern[str], ...] = ()
    past_zh: tuple[re.Pattern[str], ...] = ()
    pseudo_en: tuple[re.Pattern[str], ...] = ()
    pseudo_zh: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class Mention:
    """A phrase of a concept found in a text.

    ``negated`` is True when a negation or time word puts it out of the present
    ("denies numbness", "used to give way", 麻木已缓解); ``cue`` is that word.
    ``clause`` is the stretch of the original text it was found in, for quoting.
    """

    concept: str
    phrase: str
    clause: str
    negated: bool
    cue: str | None


# --- phrase syntax ---------------------------------------------------------------------


def expand_phrase(phrase: str) -> list[str]:
    """Every concrete wording of a lexicon phrase (``...`` kept as written).

    >>> expand_phrase("{give|gave} way {up|}")
    ['give way up', 'give way', 'gave way up', 'gave way']
    """
    pieces = _ALTERNATIVES.split(phrase)
    options = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(pieces)]
    return [" ".join("".join(choice).split()) for choice in product(*options)]


def _english_regex(phrase: str) -> re.Pattern[str]:
    """Compile an English phrase to a regex over a clause's space-joined tokens."""
    items: list[tuple[str, list[str]]] = []  # ("gap", []) or ("words", alternatives)
    rest = phrase.lower().translate(_APOSTROPHES)
    for i, piece in enumerate(_ALTERNATIVES.split(rest)):
        if i % 2:
            items.append(("words", [" ".join(_TOKEN.findall(a)) for a in piece.split("|")]))
            continue
        for word in piece.split():
            if word == "...":
                items.append(("gap", []))
            else:
                items.extend(("words", [t]) for t in _TOKEN.findall(word))
    out, started = [], False
    for kind, alternatives in items:
        if kind == "gap":
            out.append(rf"(?: [^ ]+){{0,{_GAP_WORDS}}}")
            continue
        core = "(?:" + "|".join(re.escape(a) for a in alternatives if a) + ")"
        if "" in alternatives:
            out.append(f"(?: {core})?" if started else f"(?:{core} )?")
        else:
            out.append((" " if started else "") + core)
            started = True
    return re.compile(r"(?<![^ ])" + "".join(out) + r"(?![^ ])")


def _chinese_regex(phrase: str) -> re.Pattern[str]:
    """Compile a Chinese phrase to a regex over a clause without spaces."""
    gap = f".{{0,{_GAP_CHARS}}}?"
    out = []
    for i, piece in enumerate(_ALTERNATIVES.split(phrase.replace(" ", ""))):
        if i % 2:
            alternatives = piece.split("|")
            core = "(?:" + "|".join(re.escape(a) for a in alternatives if a) + ")"
            out.append(core + ("?" if "" in alternatives else ""))
        else:
            out.append(gap.join(re.escape(p) for p in piece.split("...")))
    return re.compile("".join(out))


def _compile(phrases: list[str] | None, lang: str) -> tuple[re.Pattern[str], ...]:
    make = _english_regex if lang == "en" else _chinese_regex
    return tuple(make(str(p)) for p in phrases or ())


@lru_cache(maxsize=4)
def lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Load and compile the lexicon data file (cached)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    concepts = {}
    for name, entry in data["concepts"].items():
        route = entry.get("route", "none")
        if route not in ROUTES:
            raise ValueError(f"{path}: concept {name!r} has route {route!r}; use one of {ROUTES}")
        exclude = entry.get("exclude") or {}
        concepts[name] = Concept(
            name,
            entry["label"]["en"],
            entry["label"]["zh"],
            route,
            bool(entry.get("needs_surgery", False)),
            _compile(entry.get("en"), "en"),
            _compile(entry.get("zh"), "zh"),
            _compile(exclude.get("en"), "en"),
            _compile(exclude.get("zh"), "zh"),
        )
    combinations = {}
    for name, entry in (data.get("combinations") or {}).items():
        unknown = [c for c in entry["all"] if c not in concepts]
        if unknown:
            raise ValueError(f"{path}: combination {name!r} names unknown concepts {unknown}")
        combinations[name] = Combination(
            name, entry["label"]["en"], entry["label"]["zh"], entry["route"], tuple(entry["all"])
        )
    neg = data["negation"]
    return Lexicon(
        concepts,
        combinations,
        _compile(neg["before"]["en"], "en"),
        _compile(neg["before"]["zh"], "zh"),
        _compile(neg["after"]["en"], "en"),
        _compile(neg["after"]["zh"], "zh"),
        _compile(neg["terminators"]["en"], "en"),
        _compile(neg["terminators"]["zh"], "zh"),
        _compile(neg.get("past", {}).get("en"), "en"),
        _compile(neg.get("past", {}).get("zh"), "zh"),
        _compile(neg.get("pseudo", {}).get("en"), "en"),
        _compile(neg.get("pseudo", {}).get("zh"), "zh"),
    )


# --- matching --------------------------------------------------------------------------


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c.strip()]


def _spans(patterns: tuple[re.Pattern[str], ...], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for p in patterns for m in p.finditer(text) if m.end() > m.start()]


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in spans)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)


def _negation(
    lex: Lexicon, text: str, span: tuple[int, int], taken: list[tuple[int, int]], lang: str
) -> str | None:
    """The negation or time cue that takes the phrase at *span* out of the present."""
    en = lang == "en"
    before, after = (lex.before_en, lex.after_en) if en else (lex.before_zh, lex.after_zh)
    past = lex.past_en if en else lex.past_zh
    stops = _spans(lex.stop_en if en else lex.stop_zh, text)
    # a cue inside another sign's phrase (无 of 无力) or a pseudo-negation (no change) is none
    pseudo = _spans(lex.pseudo_en if en else lex.pseudo_zh, text)
    blocked = [t for t in taken if t != span] + [p for p in pseudo if not _overlaps(p, [span])]
    start, end = span
    windows = [(p, _BEFORE_WORDS, _BEFORE_CHARS) for p in before]
    windows += [(p, _PAST_WORDS, _PAST_CHARS) for p in past]
    for pattern, words, chars in windows:
        for m in pattern.finditer(text, 0, start):
            cue = (m.start(), m.end())
            if cue[1] > start or _overlaps(cue, blocked):
                continue
            if _too_far(text[cue[1] : start], lang, words, chars):
                continue
            if any(cue[1] <= s and e <= start for s, e in stops):
                continue
            return m.group()
    for pattern in after:
        for m in pattern.finditer(text, end):
            cue = (m.start(), m.end())
            if _overlaps(cue, blocked):
                continue
            gap = text[end : cue[0]]
            if _too_far(gap, lang, _AFTER_WORDS, _AFTER_CHARS):
                continue
            if any(end <= s and e <= cue[0] for s, e in stops):
                continue
            return m.group()
    return None


def _too_far(gap: str, lang: str, words: int, chars: int) -> bool:
    if lang == "en":
        return len(gap.split()) > words
    return len(gap) > chars


def _mentions_in_clause(lex: Lexicon, clause: str) -> list[Mention]:
    tokens = " ".join(_TOKEN.findall(clause.lower().translate(_APOSTROPHES)))
    han = "".join(clause.split()) if _HAN.search(clause) else ""
    found: list[Mention] = []
    for lang, text in (("en", tokens), ("zh", han)):
        if not text:
            continue
        hits: list[tuple[str, tuple[int, int], str]] = []
        for concept in lex.concepts.values():
            patterns, excluded = (
                (concept.en, concept.exclude_en)
                if lang == "en"
                else (concept.zh, concept.exclude_zh)
            )
            excl = _spans(excluded, text)
            for pattern in patterns:
                for m in pattern.finditer(text):
                    span = (m.start(), m.end())
                    if span[1] > span[0] and not _overlaps(span, excl):
                        hits.append((concept.name, span, m.group()))
        taken = [span for _, span, _ in hits]
        seen: set[tuple[str, tuple[int, int]]] = set()
        for name, span, phrase in hits:
            if (name, span) in seen:
                continue
            seen.add((name, span))
            cue = _negation(lex, text, span, taken, lang)
            found.append(Mention(name, phrase, clause.strip(), cue is not None, cue))
    return found


def find_mentions(text: str | None, *, lex: Lexicon | None = None) -> list[Mention]:
    """Every phrase of the lexicon in *text*, negated or not, in clause order."""
    if not text:
        return []
    lex = lex or lexicon()
    out: list[Mention] = []
    for clause in _clauses(str(text)):
        out.extend(_mentions_in_clause(lex, clause))
    return out


def affirmed(text: str | None, *, lex: Lexicon | None = None) -> dict[str, Mention]:
    """The concepts *text* affirms as current, each with its first affirming mention."""
    out: dict[str, Mention] = {}
    for mention in find_mentions(text, lex=lex):
        if not mention.negated:
            out.setdefault(mention.concept, mention)
    return out
