"""Text from a patient's files is inert where it lands (issue 18, item 5).

CSV cells never become spreadsheet formulas; case.yaml text in the review notebook and
the Markdown summary never renders as a link, an image, HTML or a script. The Markdown
is rendered with two real renderers: markdown-it (CommonMark, as JupyterLab's marked
follows) and mistune (nbconvert's) with its bare-URL plugin (GFM's autolinks).
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import mistune
import nbformat
import pandas as pd
import pytest
from damage import tiny_dicom
from markdown_it import MarkdownIt

from workbench.case import open_case
from workbench.notebook.build import build_review_notebook
from workbench.safe_text import FORMULA_RE, markdown_text, neutralise_cell
from workbench.workspace import csv_safe

PAYLOADS = [
    "Knee MRI\r=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example")',
    " =1+1",
    "\t=1+1",
    "\n=1+1",
    "\u3000＝1+1",
    "\u200b@SUM(A1)",
    "\x00+cmd",
    "-2+3",
    "ok\t=evil()",
    "first\n@evil",
]

_FORMULA_SIGNS = "=+-@＝＋－＠"


def _spreadsheet_cells(text: str) -> list[str]:
    """Every cell a spreadsheet might make of *text*: split on CR, LF and tab, as naive
    importers do, and stripped of leading blanks and invisible characters."""
    cells = []
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            cells += re.split(r"[\r\n\t]", cell)
    return [c.lstrip(" \u3000\u200b\x00\xa0") for c in cells]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_cell_can_run_as_a_formula(payload):
    frame = pd.DataFrame({"StudyDescription": pd.array([payload], dtype="string"),
                          "listed": [[payload, "x"]]})  # fmt: skip
    text = csv_safe(frame).to_csv(index=False)
    for cell in _spreadsheet_cells(text):
        assert not cell.startswith(tuple(_FORMULA_SIGNS)) or cell.startswith("'"), cell
    safe = neutralise_cell(payload)
    assert safe.startswith("'") or not FORMULA_RE.match(safe)


def test_hostile_study_description_in_the_case_csvs(tmp_path):
    root = tmp_path / "case"
    tiny_dicom(root / "a.dcm", description="Knee MRI\r=cmd|' /C calc'!A0")
    tiny_dicom(root / "b.dcm", description="\t@SUM(1+1)*cmd")
    case = open_case(root, workspace=tmp_path / "ws")
    assert "\r=cmd" in case.studies["description"].iloc[0] or len(case.studies) == 2
    for name in ("studies", "instances", "series"):
        text = (tmp_path / "ws" / "tables" / f"{name}.csv").read_text(encoding="utf-8-sig")
        for cell in _spreadsheet_cells(text):
            assert not cell.startswith(tuple(_FORMULA_SIGNS)) or cell.startswith("'"), (name, cell)
    # the tables for programs keep the text as read
    assert set(case.instances["StudyDescription"]) >= {"Knee MRI\r=cmd|' /C calc'!A0"}


HOSTILE_YAML = """\
case_id: "![x](http://evil.example/id.png) <img src=http://evil.example/i.png>"
main_concern: "<script>alert(1)</script> [click](http://evil.example/c)"
questions:
  - "Is it <img src=x onerror=alert(2)>?"
  - "See ![p](https://evil.example/q.png) and http://evil.example/auto and www.evil.example"
  - "<a href='javascript:alert(3)'>me</a> &lt;b&gt; <http://evil.example/angle>"
  - "line one\\n\\n# heading\\n\\n<iframe src=http://evil.example/f></iframe>"
  - "mail me: a@evil.example, $x$ math, `code`, **bold**"
"""


def _renderings(markdown: str) -> list[str]:
    commonmark = MarkdownIt("commonmark", {"html": True}).enable("table")
    gfm_like = mistune.create_markdown(escape=False, plugins=["url", "table", "strikethrough"])
    return [commonmark.render(markdown), str(gfm_like(markdown))]


_TEXT_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "code", "pre", "em",
              "strong", "del", "table", "thead", "tbody", "tr", "th", "td", "br", "hr",
              "blockquote"}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def _assert_inert(html: str) -> None:
    """Only text markup: no link, image, frame, script, meta or any attribute at all."""
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.found:
        odd = [a for a in attrs if a[0] not in ("align", "start")]
        assert tag in _TEXT_TAGS and not odd, (tag, attrs, html)
    assert "evil" not in "".join(str(v) for _, attrs in parser.found for _, v in attrs)


@pytest.fixture
def hostile_case(tmp_path: Path):
    root = tmp_path / "case"
    tiny_dicom(root / "a.dcm", description="<img src=http://evil.example/d.png>")
    (root / "case.yaml").write_text(HOSTILE_YAML, encoding="utf-8")
    return open_case(root, workspace=tmp_path / "ws")


def test_notebook_markdown_from_a_hostile_case_yaml_renders_inert(hostile_case, tmp_path):
    assert "evil.example" in hostile_case.manifest.case_id  # the text is there, as text
    path = build_review_notebook(hostile_case, tmp_path / "review.ipynb")
    nb = nbformat.read(path, as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any("evil" in m for m in markdown)
    for source in markdown:
        for html in _renderings(source):
            _assert_inert(html)


def test_markdown_summary_is_escaped_like_the_html(hostile_case):
    markdown = hostile_case.summary()._repr_markdown_()
    assert "evil" in markdown
    for html in _renderings(markdown):
        _assert_inert(html)
    assert "<script>" not in hostile_case.summary()._repr_html_()


@pytest.mark.parametrize(
    "text",
    ["![a](http://x.example/a.png)", "<img src=x>", "[a](javascript:alert(1))",
     "http://x.example", "www.x.example", "<http://x.example>", "a@x.example",
     "&#60;img src=x&#62;", "\\![a](http://x.example/b.png)", "x\n\n![a](http://x.example)"],
)  # fmt: skip
def test_markdown_text_is_literal(text):
    for html in _renderings(f"- {markdown_text(text)}"):
        _assert_inert(html)
