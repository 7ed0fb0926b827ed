"""case.yaml is bounded before and while it is parsed (issue 18, item 6)."""

from __future__ import annotations

import pytest

from workbench.record import manifest as manifest_module
from workbench.record.manifest import MAX_MANIFEST_BYTES, load_manifest


@pytest.mark.parametrize(
    "text",
    [
        "a:\n" + "".join(" " * (i + 1) + "b:\n" for i in range(1200)),  # block mappings
        "questions: " + "[" * 5000 + "]" * 5000 + "\n",  # flow sequences
        "x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",  # flow mappings
        "- " * 5000 + "x\n",  # block sequences
    ],
)
def test_deep_nesting_is_refused_without_recursion_error(tmp_path, text):
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = load_manifest(path)
    assert [p.kind for p in problems] == ["manifest_syntax"]
    assert "case.yaml line" in problems[0].message and "deep" in problems[0].message


def test_oversized_file_is_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "case.yaml"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("questions:\n")
        line = "  - " + "x" * 95 + "\n"
        for _ in range(MAX_MANIFEST_BYTES // len(line) + 2):
            fh.write(line)

    def never(*args, **kwargs):
        raise AssertionError("an oversized case.yaml must not be parsed")

    monkeypatch.setattr(manifest_module, "_check", never)
    _, problems = load_manifest(path, display_path="upload/case.yaml")
    assert [p.kind for p in problems] == ["manifest_too_large"]
    message = problems[0].message
    assert "upload/case.yaml" in message and f"{MAX_MANIFEST_BYTES // 1024} KiB" in message


def test_a_normal_manifest_still_reads(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("case_id: K-1\nquestions:\n  - Is surgery needed?\n", encoding="utf-8")
    manifest, problems = load_manifest(path)
    assert problems == [] and manifest.case_id == "K-1"
