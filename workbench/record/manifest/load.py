"""Reading case.yaml: tolerant, with one message per problem naming the key and the line."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from workbench.errors import ManifestError
from workbench.i18n import label
from workbench.problems import Problem
from workbench.record.manifest.schema import MANIFEST_NAME, Manifest

_MAX_NODES = 20_000  # a case manifest has a few hundred; more means an alias bomb
_MAX_DEPTH = 30
#: Largest case.yaml read (bytes); a real one is a few kilobytes.
MAX_MANIFEST_BYTES = 1024 * 1024
_Loc = tuple[str | int, ...]


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that keeps plain scalars as text; only ``null`` and ``<<`` are resolved.

    Nesting is counted while composing (PyYAML's composer recurses once per level, so a
    5,000-deep document would end in RecursionError): past :data:`_MAX_DEPTH` levels the
    document is refused with a syntax error naming the line.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {_MAX_DEPTH} levels deep", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.endswith((":null", ":merge"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(text: str) -> tuple[object, dict[_Loc, int], list[tuple[int, str]]]:
    """Parse *text*; return the data, the line of every key path, and duplicate keys."""
    loader = _TextLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines, duplicates = _index_lines(node)
        return loader.construct_document(node), lines, duplicates
    finally:
        loader.dispose()


def _index_lines(root: yaml.Node) -> tuple[dict[_Loc, int], list[tuple[int, str]]]:
    """Map each key path to its line; list ``(line, message)`` for keys written twice."""
    lines: dict[_Loc, int] = {}
    duplicates: list[tuple[int, str]] = []
    stack: list[tuple[yaml.Node, _Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if len(lines) > _MAX_NODES or len(loc) > _MAX_DEPTH:
            raise yaml.YAMLError("too large or too deeply nested for a case manifest")
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            latest: dict[str, yaml.Node] = {}  # PyYAML keeps the last of duplicate keys
            for key_node, value_node in node.value:
                key = "null" if key_node.tag.endswith(":null") else str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in latest:
                    inside = f" in {_dotted(loc)}" if loc else ""
                    first = lines[(*loc, key)]
                    message = f"key '{key}' appears twice{inside} (also line {first})"
                    duplicates.append((line, message + "; the last one is used."))
                lines[(*loc, key)], latest[key] = line, value_node
            stack.extend((value, (*loc, key)) for key, value in latest.items())
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, index)) for index, item in enumerate(node.value))
    return lines, duplicates


def _syntax_message(exc: yaml.YAMLError) -> str:
    """``line L, column C: ...`` with a hint, to follow the file name."""
    mark = getattr(exc, "problem_mark", None)
    if not isinstance(exc, yaml.MarkedYAMLError) or mark is None:
        return f": {str(exc).splitlines()[0]}."
    problem = exc.problem or "syntax error"
    hint = "check the indentation (spaces, not tabs) and quote text that contains ': ' or ' #'"
    if "\\t" in problem:
        hint = "indent with spaces, not tabs"
    elif "another document" in problem:
        hint = "a manifest is one document; remove the '---' line"
    return (
        f" line {mark.line + 1}, column {mark.column + 1}: YAML syntax error ({problem}); {hint}."
    )


def _check(
    text: str, display_path: str, lang: str = "en"
) -> tuple[Manifest, list[tuple[str, str]]]:
    """Validate *text*; return the manifest of its valid parts and (kind, message) issues."""
    try:
        data, lines, found = _read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        zh = _zh("manifest.syntax", None, mark.line + 1 if mark is not None else None)
        return Manifest(), [
            ("manifest_syntax", _in(lang, display_path + _syntax_message(exc) + zh))
        ]
    manifest = Manifest()
    issues = [
        (line, "manifest_invalid", message + _zh("manifest.duplicate_key", None, line))
        for line, message in found
    ]
    if isinstance(data, dict):
        manifest = _validate_parts(_text_keys(data), lines, issues)
    elif data is not None:
        shown = "a list" if isinstance(data, list) else f"the text {_show(data)}"
        message = f"expected 'key: value' lines (case_id:, patient: ...), found {shown}."
        line = lines.get((), 1)
        issues.append((line, "manifest_invalid", message + _zh("manifest.bad_value", None, line)))
    issues.sort(key=lambda issue: issue[0])
    return manifest, [
        (kind, _in(lang, f"{display_path} line {line}: {msg}")) for line, kind, msg in issues
    ]


def _in(lang: str, message: str) -> str:
    """The message in English (``en``) or with its Chinese gist (``zh``, ``en+zh``)."""
    english, _, chinese = message.partition(_ZH)
    return english + (" " + chinese if chinese and "zh" in lang else "")


def _validate_parts(
    data: dict[str, Any], lines: dict[_Loc, int], issues: list[tuple[int, str, str]]
) -> Manifest:
    """Validate *data*, dropping each invalid value and adding its message to *issues*."""
    reported: set[_Loc] = set()
    for _ in range(5):  # a second round is rarely needed
        try:
            return Manifest.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        for error in errors:
            loc = tuple(error["loc"])
            if error["type"] == "missing" and any(loc[: len(r)] == r for r in reported):
                continue  # the value there was refused already; its own message says why
            reported.add(loc)
            line = _line_of(loc, lines)
            key = (
                "manifest.unknown_key"
                if error["type"] == "extra_forbidden"
                else "manifest.bad_value"
            )
            issue = (line, "manifest_invalid", _describe(error) + _zh(key, loc, line))
            if issue not in issues:
                issues.append(issue)
        for loc in sorted((e["loc"] for e in errors), key=_loc_sort_key, reverse=True):
            _drop(data, loc)
    return Manifest()


_ZH = "\x00"  # separates a message from its Chinese gist until the language is chosen


def _zh(key: str, loc: _Loc | None, line: int | None) -> str:
    """The Chinese gist of a message: ``（第 3 行 medications[0].dose：取值无效）``."""
    where = label("manifest.line", "zh").format(line=line) if line is not None else ""
    if loc:
        where += f" {_dotted(loc)}"
    text = f"{where.strip()}：{label(key, 'zh')}" if where else label(key, "zh")
    return f"{_ZH}（{text}）"


def _text_keys(value: Any) -> Any:
    """A copy with every mapping key as text (``~:`` becomes ``null``), to edit freely."""
    if isinstance(value, dict):
        return {("null" if k is None else str(k)): _text_keys(v) for k, v in value.items()}
    return [_text_keys(v) for v in value] if isinstance(value, list) else value


def _describe(error: ErrorDetails) -> str:
    """One message naming the key path, the value and what is allowed."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        key, parent = str(loc[-1]), loc[:-1]
        allowed = list(_model_at(parent).model_fields)
        inside = f" in {_dotted(parent)}" if parent else ""
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        advice = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}."
        return f"unknown key '{key}'{inside}; {advice}"
    if error["type"] == "missing":
        return f"{_dotted(loc)} is missing; it is required here."
    hint = _HINTS.get(error["type"], error["msg"])
    if error["type"] == "model_type":
        hint += f" ({', '.join(_model_at(loc).model_fields)})"
    return f"{_dotted(loc)} is {_show(error['input'])}; {hint}."


_HINTS = {
    "int_parsing": "expected a whole number, e.g. 1962",
    "int_type": "expected a whole number, e.g. 1962",
    "int_from_float": "expected a whole number, e.g. 1962",
    "string_type": "expected text on the same line",
    "list_type": "expected a list, one '- item' per line",
    "model_type": "expected 'key: value' lines indented below it",
    "float_parsing": "expected a number, e.g. 500",
    "float_type": "expected a number, e.g. 500",
    "dict_type": "expected 'item: answer' lines indented below it (e.g. P1: 2)",
}


def _model_at(loc: _Loc) -> type[BaseModel]:
    """The model class that validates the mapping at *loc* (list indexes skipped)."""
    model: type[BaseModel] = Manifest
    for part in loc:
        if isinstance(part, str) and part in model.model_fields:
            found = _find_model(model.model_fields[part].annotation)
            model = found or model
    return model


def _find_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):  # through X | None, list[X] and Annotated[X, ...]
        if (found := _find_model(arg)) is not None:
            return found
    return None


def _line_of(loc: _Loc, lines: dict[_Loc, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _dotted(loc: _Loc) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".") or "the manifest"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _loc_sort_key(loc: tuple[str | int, ...]) -> tuple[tuple[int, str | int], ...]:
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in loc)


def _drop(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    """Delete the value at *loc*, or its deepest existing ancestor below the top."""
    parent: Any = None
    key: str | int = ""
    node: Any = data
    for part in loc:
        if type(node) not in (dict, list):  # type(), so mypy keeps node as Any
            break
        try:
            child = node[part]
        except (KeyError, IndexError, TypeError):
            break
        parent, key, node = node, part, child
    if parent is not None:
        del parent[key]


def parse_manifest(text: str, *, display_path: str = MANIFEST_NAME, lang: str = "en") -> Manifest:
    """Validate ``case.yaml`` text strictly.

    Parameters
    ----------
    text : str
        The YAML text.
    display_path : str
        How the file is named in messages.
    lang : ``"en"``, ``"zh"`` or ``"en+zh"``
        With ``zh``, each message also carries its Chinese gist (line, key, what is wrong).

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        On a syntax error, an unknown key, a bad value or a duplicate key; the
        message holds one line per problem, each naming the key and the line.
    """
    manifest, issues = _check(text, display_path, lang)
    if issues:
        raise ManifestError("\n".join(message for _, message in issues))
    return manifest


def load_manifest(
    path: Path, *, display_path: str = MANIFEST_NAME, lang: str = "en"
) -> tuple[Manifest, list[Problem]]:
    """Read ``case.yaml`` tolerantly: the valid parts, and one problem row per issue.

    Parameters
    ----------
    path : Path
        The ``case.yaml`` file; a missing file gives an empty manifest.
    display_path : str
        How the file is named in messages and in ``Problem.path``.

    Returns
    -------
    tuple of (Manifest, list of Problem)
        Invalid values are dropped (left empty); problems have stage ``manifest``
        and kind ``manifest_syntax`` or ``manifest_invalid``.
    """
    if not path.exists():
        return Manifest(), []
    try:
        with open(path, "rb") as fh:  # the size is checked before anything is parsed
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES:
            message = (
                f"{display_path} is larger than {MAX_MANIFEST_BYTES // 1024} KiB, the limit for "
                "a case manifest (a real one is a few kilobytes); it was not read. Keep only the "
                "case details in it and attach documents as separate files."
            )
            return Manifest(), [Problem(display_path, "manifest", "manifest_too_large", message)]
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = (
            f"{display_path} is not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8 (in Notepad: Save as → Encoding → UTF-8)."
        )
        return Manifest(), [Problem(display_path, "manifest", "manifest_syntax", message)]
    except OSError as exc:
        message = f"{display_path} cannot be read ({exc.strerror or exc})."
        return Manifest(), [Problem(display_path, "manifest", "manifest_syntax", message)]
    manifest, issues = _check(text, display_path, lang)
    return manifest, [Problem(display_path, "manifest", kind, msg) for kind, msg in issues]
