"""The PDF as a printer, a reader and a screen reader get it: read back from the real file.

Every test opens a PDF that pandoc and WeasyPrint really wrote and inspects it with the
tools a production desk would use: poppler's pdftotext/pdffonts, qpdf and pypdf.
"""

from __future__ import annotations

import http.server
import io
import re
import statistics
import subprocess
import threading
import unicodedata
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from tests.conftest import PROJECT, Builder, config_for, pdf_pages, pdf_text
from typeset import build, load_config
from typeset.formats.pdf.writer import LocalFilesOnly, url_is_under

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

POINTS_PER_MM = 72 / 25.4
A4_POINTS = (595.3, 841.9)
LETTER_POINTS = (612.0, 792.0)

XMP_NAMESPACES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}

# Margins the sample is built with: four different values, so a mix-up shows.
SAMPLE_MARGINS = "24mm 33mm 30mm 28mm"
SAMPLE_TOP, SAMPLE_RIGHT, SAMPLE_BOTTOM, SAMPLE_LEFT = (
    float(value.removesuffix("mm")) * POINTS_PER_MM for value in SAMPLE_MARGINS.split()
)

# A4 or Letter minus these margins leaves a 126-132 mm text block: about 70 characters
# of 11pt Charis SIL a line. (The config's default "25mm 27mm 28mm" leaves 156-162 mm,
# 87-91 characters: too long a line to read comfortably.)
READABLE_MARGINS = "27mm 42mm 32mm"

SAMPLE_MANUSCRIPT = """\
---
title: "How Names Survive Print: Nguyễn, Müller and 彭德怀"
subtitle: A test of fonts, notes and tables
short-title: Names in Print
author:
  - name: Thị Lan Nguyễn
    affiliation: University of Hanoi
  - name: Jürgen Müller
    affiliation: Universität Wien
date: 2026-11-29
lang: en-GB
subject: Typesetting "personal names" across scripts
keywords: [typography, CJK, diacritics]
abstract: |
  Names printed as empty boxes are a small disaster. This sample checks that Nguyễn,
  Müller and 彭德怀 survive into the PDF, that notes stay on their page, and that a
  wide table stays inside the text block.
---

## Introduction

Peng Dehuai (彭德怀) commanded the Chinese People's Volunteers in Korea
[@shen2012].^[彭德怀 led the CPV from 1950 to 1953; see @hao1990.] Müller and Nguyễn
test accents -- and "smart quotes" --- in one line.

A second paragraph is indented; the first after a heading is not. It cites @jervis1978
on the security dilemma, in a sentence long enough to run over a few lines of text so
that the measure and the justification can be seen on the page.

> A block quotation, set smaller and indented on both sides.

## Data

| Commander | Army | Years | A remark column long enough to push a table into the margin |
|---|---|---|---|
| 彭德怀 Peng Dehuai | Chinese People's Volunteers | 1950--1954 | {unbreakable} |
| Douglas MacArthur | United Nations Command | 1950--1951 | {long_url} |

: Commanders in Korea.

![A line chart over a grey field.](chart.png)

### A subsection

Text in a subsection.^[A second note, with a DOI: <https://doi.org/10.2307/2009958>.]
"""

SAMPLE_MANUSCRIPT = SAMPLE_MANUSCRIPT.format(
    unbreakable="A" * 70, long_url="https://example.org/a/long/path/that/does/not/break/at/all"
)

SAMPLE_HEADINGS = [("Introduction", 0), ("Data", 0), ("A subsection", 1), ("References", 0)]


# --- readers for the real PDF ---------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


@dataclass(frozen=True)
class PageWords:
    width: float
    height: float
    lines: list[list[Word]]

    @property
    def words(self) -> list[Word]:
        return [word for line in self.lines for word in line]

    def text_above(self, y: float) -> str:
        return " ".join(word.text for word in self.words if word.y_max <= y)

    def text_below(self, y: float) -> str:
        return " ".join(word.text for word in self.words if word.y_min >= y)


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.DOTALL)
_LINE = re.compile(r"<line [^>]*>(.*?)</line>", re.DOTALL)
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def page_words(pdf: Path) -> list[PageWords]:
    """Every word of every page with its box (points, origin top left), grouped in lines."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for width, height, body in _PAGE.findall(xhtml):
        lines = [
            [
                Word(_unescape(text), float(x0), float(y0), float(x1), float(y1))
                for x0, y0, x1, y1, text in _WORD.findall(line)
            ]
            for line in _LINE.findall(body)
        ]
        pages.append(PageWords(float(width), float(height), lines))
    return pages


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


# name, type (may contain spaces), encoding, emb, sub, uni, object number, generation
_PDFFONTS_ROW = re.compile(r"^(\S+)\s+(.+?)\s+\S+\s+(yes|no)\s+(?:yes|no)\s+(yes|no)\s+\d+\s+\d+$")


def pdffonts(pdf: Path) -> list[dict[str, str]]:
    """pdffonts' table: one dict per font with its name, type and 'emb' column."""
    output = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    fonts = []
    for row in output[2:]:
        match = _PDFFONTS_ROW.match(row)
        assert match, f"unexpected pdffonts row: {row!r}"
        name, kind, embedded, unicode = match.groups()
        fonts.append({"name": name, "type": kind, "emb": embedded, "uni": unicode})
    return fonts


def outline_titles(reader: PdfReader) -> list[tuple[str, int]]:
    """The bookmarks as (title, depth), in order."""
    flat: list[tuple[str, int]] = []

    def visit(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                visit(item, depth + 1)
            else:
                flat.append((item.title, depth))

    visit(reader.outline, 0)
    return flat


def xmp_packet(reader: PdfReader) -> ElementTree.Element:
    data = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    return ElementTree.fromstring(data)


def xmp_attribute(packet: ElementTree.Element, prefix: str, name: str) -> str | None:
    key = f"{{{XMP_NAMESPACES[prefix]}}}{name}"
    for description in packet.iter(f"{{{XMP_NAMESPACES['rdf']}}}Description"):
        if key in description.attrib:
            return description.attrib[key]
    return None


def xmp_values(packet: ElementTree.Element, prefix: str, name: str) -> list[str]:
    element = packet.find(f".//{{{XMP_NAMESPACES[prefix]}}}{name}")
    if element is None:
        return []
    items = element.findall(f".//{{{XMP_NAMESPACES['rdf']}}}li")
    return [item.text or "" for item in items] if items else [element.text or ""]


def structure_elements(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every structure element of the tagged PDF, depth first."""
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()

    def visit(node: Any) -> Iterator[DictionaryObject]:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, ArrayObject):
            for child in node:
                yield from visit(child)
        elif isinstance(node, DictionaryObject) and "/S" in node:
            yield node
            if "/K" in node:
                yield from visit(node["/K"])

    yield from visit(root["/K"])


def image_count(pdf: Path) -> int:
    """Distinct raster images in the PDF (WeasyPrint shares one resource dictionary
    between pages, so each page lists every image)."""
    return len({image.name for page in PdfReader(pdf).pages for image in page.images})


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- builds ---------------------------------------------------------------------------

PdfBuilder = Callable[..., Path]


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    (folder / "sample.md").write_text(SAMPLE_MANUSCRIPT, encoding="utf-8")
    chart = Image.new("RGB", (600, 300), (235, 235, 225))
    chart.paste((160, 40, 40), (60, 140, 540, 160))
    chart.save(folder / "chart.png")
    return folder


@pytest.fixture(scope="module")
def sample_pdf(sample_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> PdfBuilder:
    """Build the sample manuscript to PDF only, once per set of options."""
    built: dict[tuple[tuple[str, object], ...], Path] = {}

    def build_with(**options: object) -> Path:
        key = tuple(sorted(options.items()))
        if key not in built:
            built[key] = build_pdf(
                sample_folder / "sample.md",
                tmp_path_factory.mktemp("sample-pdf"),
                margins=SAMPLE_MARGINS,
                **options,
            )
        return built[key]

    return build_with


def build_pdf(manuscript: Path, output_dir: Path, **options: object) -> Path:
    config = config_for(
        manuscript, PROJECT / "refs.bib", formats=["pdf"], output_dir=output_dir, **options
    )
    # force: these tests are about what the PDF writer does, not what the cache kept.
    return build(config, force=True).outputs["pdf"]


def essay_headings() -> list[str]:
    text = (PROJECT / "manuscript" / "essay.md").read_text(encoding="utf-8")
    return re.findall(r"^## (.+)$", text, re.MULTILINE)


# --- fonts and file integrity ---------------------------------------------------------

PDFS_TO_CHECK = ["essay author-date", "essay notes", "sample"]


@pytest.fixture
def pdf_named(essay_build: Builder, sample_pdf: PdfBuilder) -> Callable[[str], Path]:
    def pdf(name: str) -> Path:
        if name == "essay author-date":
            return essay_build("chicago-author-date")["pdf"]
        if name == "essay notes":
            return essay_build("chicago-notes-bibliography")["pdf"]
        return sample_pdf()

    return pdf


@pytest.mark.parametrize("name", PDFS_TO_CHECK)
def test_every_font_is_embedded(pdf_named: Callable[[str], Path], name: str) -> None:
    fonts = pdffonts(pdf_named(name))
    assert fonts
    assert [font["name"] for font in fonts if font["emb"] != "yes"] == []
    assert [font["name"] for font in fonts if font["uni"] != "yes"] == []


def test_text_is_set_in_charis_sil(pdf_named: Callable[[str], Path]) -> None:
    names = {font["name"].split("+", 1)[1] for font in pdffonts(pdf_named("essay author-date"))}
    assert {"Charis-SIL", "Charis-SIL-Italic", "Charis-SIL-Bold"} <= names


@pytest.mark.parametrize("name", PDFS_TO_CHECK)
def test_qpdf_finds_no_structural_errors(pdf_named: Callable[[str], Path], name: str) -> None:
    check = subprocess.run(
        ["qpdf", "--check", str(pdf_named(name))], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors found" in check.stdout
    assert "WARNING" not in check.stdout + check.stderr


# --- scripts and typography -----------------------------------------------------------


def test_accented_and_cjk_names_survive_into_the_text(sample_pdf: PdfBuilder) -> None:
    text = nfc(pdf_text(sample_pdf()))
    for name in ("Nguyễn", "Müller", "彭德怀", "Thị Lan Nguyễn", "Jürgen Müller"):
        assert name in text


def test_a_cjk_font_is_embedded_for_chinese_names(sample_pdf: PdfBuilder) -> None:
    cjk = [font for font in pdffonts(sample_pdf()) if "CJK" in font["name"]]
    assert cjk and all(font["emb"] == "yes" for font in cjk)


def test_quotes_and_dashes_are_typographic(sample_pdf: PdfBuilder) -> None:
    text = pdf_text(sample_pdf())
    assert "“smart quotes”" in text
    assert "accents \u2013 and" in text  # en dash from --
    assert "\u201d \u2014 in one line" in text  # em dash from ---
    assert '"' not in text and "--" not in text


def test_lines_are_hyphenated_in_the_document_language(essay_build: Builder) -> None:
    raw = subprocess.run(
        ["pdftotext", str(essay_build("chicago-author-date")["pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"\w\u2010\n\w", raw), "no line of the essay ends in a hyphen"


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_readable_margins_give_a_60_to_75_character_line(paper: str, tmp_path: Path) -> None:
    pdf = build_pdf(
        PROJECT / "manuscript" / "essay.md", tmp_path, paper=paper, margins=READABLE_MARGINS
    )
    raw = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "4", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Full lines of running text; short ones end a paragraph or are headings.
    lengths = [len(line) for line in raw.splitlines() if len(line) > 40]
    assert 60 <= statistics.median(lengths) <= 75


def test_a_paragraph_after_a_heading_is_flush_and_the_next_is_indented(
    sample_pdf: PdfBuilder,
) -> None:
    first_page = page_words(sample_pdf())[0]
    starts = {
        " ".join(word.text for word in line[:2]): line[0].x_min
        for line in first_page.lines
        if len(line) >= 2
    }
    assert starts["Peng Dehuai"] == pytest.approx(SAMPLE_LEFT, abs=0.5)
    assert starts["A second"] - SAMPLE_LEFT == pytest.approx(16.5, abs=0.5)  # 1.5em of 11pt


LONG_CODE_LINE = (
    "totals = summarise(records, by_county=True, by_decade=True, weights=census_weights, "
    "drop_missing=False)  # every county, every decade, weighted by the census"
)


def test_a_long_code_line_wraps_under_itself_inside_the_text_block(tmp_path: Path) -> None:
    """Each highlighted code line is one box the width of the listing (styles/print.css):
    a line longer than the measure turns over, indented under its own start, and no
    character runs into the margin."""
    manuscript = tmp_path / "code.md"
    manuscript.write_text(
        "---\ntitle: Listing\nlang: en-GB\n---\n\nBefore the listing.\n\n"
        f"```python\n{LONG_CODE_LINE}\nprint(totals)\n```\n\nAfter the listing.\n",
        encoding="utf-8",
    )
    pdf = build_pdf(manuscript, tmp_path / "out", margins=SAMPLE_MARGINS)
    page = page_words(pdf)[0]
    lines = [line for line in page.lines if line]
    first = next(i for i, line in enumerate(lines) if line[0].text == "totals")
    turnover, after = lines[first + 1], lines[first + 2]
    assert turnover[0].text != "print(totals)", "the long line did not wrap"
    assert after[0].text == "print(totals)"
    start = lines[first][0].x_min
    assert after[0].x_min == pytest.approx(start, abs=0.5)
    assert turnover[0].x_min > start + 10  # indented under its own first line
    right_edge = page.width - SAMPLE_RIGHT
    assert max(word.x_max for line in lines for word in line) <= right_edge + 0.5


def test_bibliography_entries_have_hanging_indents(essay_build: Builder) -> None:
    pages = page_words(essay_build("chicago-author-date")["pdf"])
    lines = [line for page in pages for line in page.lines if line]
    entry = next(i for i, line in enumerate(lines) if line[0].text == "Coggins,")
    first, turnover = lines[entry][0].x_min, lines[entry + 1][0].x_min
    assert turnover - first == pytest.approx(20, abs=0.5)  # 2em of 10pt


def test_numbered_bibliography_aligns_every_line_right_of_the_number(
    essay_build: Builder,
) -> None:
    pages = page_words(essay_build("ieee")["pdf"])

    def entry_rows(label_text: str) -> tuple[Word, list[float]]:
        """The label, and the left edge of the text on each of its first two rows."""
        # The bibliography's label is the last occurrence; earlier ones are citations.
        words, label = next(
            (page.words, word)
            for page in reversed(pages)
            for word in reversed(page.words)
            if word.text == label_text
        )
        first_row = [w.x_min for w in words if abs(w.y_min - label.y_min) < 1 and w != label]
        second_row = [w.x_min for w in words if 5 < w.y_min - label.y_min < 20]
        return label, [min(row) for row in (first_row, second_row) if row]

    label, (text_start, *_) = entry_rows("[10]")
    assert text_start - label.x_max > 2  # "[10]" does not run into the author's name
    _, (first_row, second_row) = entry_rows("[1]")  # an entry that wraps
    assert second_row == pytest.approx(first_row, abs=0.5)


# --- page furniture -------------------------------------------------------------------


@pytest.mark.parametrize(("paper", "size"), [("a4", A4_POINTS), ("letter", LETTER_POINTS)])
def test_page_size_follows_the_paper_option(
    essay_build: Builder, paper: str, size: tuple[float, float]
) -> None:
    outputs = essay_build("chicago-author-date", **({"paper": paper} if paper != "a4" else {}))
    for page in PdfReader(outputs["pdf"]).pages:
        assert float(page.mediabox.width) == pytest.approx(size[0], abs=1)
        assert float(page.mediabox.height) == pytest.approx(size[1], abs=1)


def test_margins_option_bounds_the_text_block_tables_included(sample_pdf: PdfBuilder) -> None:
    pages = page_words(sample_pdf())
    for page in pages:
        foot = page.height - SAMPLE_BOTTOM
        body = [w for w in page.words if w.y_min >= SAMPLE_TOP and w.y_max <= foot]
        assert min(w.x_min for w in body) >= SAMPLE_LEFT - 0.5
        assert max(w.x_max for w in body) <= page.width - SAMPLE_RIGHT + 0.5
    first = pages[0]
    justified = [w for w in first.words if w.y_min >= SAMPLE_TOP]
    assert min(w.x_min for w in justified) == pytest.approx(SAMPLE_LEFT, abs=0.5)
    assert max(w.x_max for w in justified) == pytest.approx(first.width - SAMPLE_RIGHT, abs=1)


def test_running_head_is_the_short_title_and_skips_the_first_page(
    sample_pdf: PdfBuilder,
) -> None:
    pages = page_words(sample_pdf())
    assert len(pages) >= 2
    assert pages[0].text_above(SAMPLE_TOP) == ""
    for page in pages[1:]:
        assert page.text_above(SAMPLE_TOP) == "Names in Print"


def test_running_head_falls_back_to_the_title(essay_build: Builder) -> None:
    pages = page_words(essay_build("chicago-author-date")["pdf"])
    top = 25 * POINTS_PER_MM
    assert pages[0].text_above(top) == ""
    assert pages[1].text_above(top) == (
        "Reasons for China Supporting North Korea During the Korean War (1950\u201353)"
    )


def test_every_page_is_numbered_at_the_foot(sample_pdf: PdfBuilder) -> None:
    pages = page_words(sample_pdf())
    for number, page in enumerate(pages, start=1):
        assert page.text_below(page.height - SAMPLE_BOTTOM) == str(number)


def test_title_block_shows_title_subtitle_authors_date_and_abstract(
    sample_pdf: PdfBuilder,
) -> None:
    first_page = nfc(" ".join(pdf_pages(sample_pdf())[0].split()))
    order = [
        "How Names Survive Print",
        "A test of fonts, notes and tables",
        "Thị Lan Nguyễn",  # authors side by side, affiliations under them
        "Jürgen Müller",
        "University of Hanoi",
        "Universität Wien",
        "29 November 2026",  # an ISO date prints in the document's language (en-GB)
        "Abstract",
        "Names printed as empty boxes",
        "Introduction",
    ]
    positions = [first_page.find(part) for part in order]
    assert -1 not in positions and positions == sorted(positions)


# --- notes, figures, links ------------------------------------------------------------

# A call is a small number stuck to the word or punctuation before it ("Korea.5",
# "(KMT).2"); a note starts its line with its number and a full stop.
_NOTE_CALL = re.compile(r"[^\W\d][.,;:\u201d\u2019)]{0,2}(\d{1,2})\b")
_NOTE_TEXT = re.compile(r"^\s*(\d{1,2})\.\s+\S", re.MULTILINE)


def test_each_footnote_sits_on_the_page_that_calls_it(essay_build: Builder) -> None:
    pages = pdf_pages(essay_build("chicago-notes-bibliography")["pdf"])
    all_calls: list[int] = []
    for number, page in enumerate(pages, start=1):
        calls = [int(match) for match in _NOTE_CALL.findall(page)]
        notes = [int(match) for match in _NOTE_TEXT.findall(page)]
        assert calls == notes, f"page {number}: calls {calls}, notes {notes}"
        all_calls += calls
    # One sequence through the whole text, not restarted per page.
    assert all_calls == list(range(1, len(all_calls) + 1)) and len(all_calls) >= 10


def test_a_note_keeps_the_space_between_two_of_its_elements(essay_build: Builder) -> None:
    from typeset.formats.pdf.notes import _NoteSplitter

    splitter = _NoteSplitter(1)
    splitter.feed(
        '<div id="typeset-note-0"><p><span>Hao, “Revisited,”</span> <em>The China '
        "Quarterly</em> 121.</p>\n<p>Next.</p>\n</div>"
    )
    splitter.close()
    assert splitter.notes == [
        '<span class="note-p"><span>Hao, “Revisited,”</span> <em>The China '
        'Quarterly</em> 121.</span><span class="note-p">Next.</span>'
    ]
    # In the notes of the essay: a closing quotation mark is never glued to a word.
    text = pdf_text(essay_build("chicago-notes-bibliography")["pdf"])
    assert "Revisited,” The China Quarterly" in text
    assert not re.search(r"”[^\W\d_]", text)


def test_a_void_element_in_a_note_opens_nothing() -> None:
    from typeset.formats.pdf.notes import _NoteSplitter

    splitter = _NoteSplitter(2)
    splitter.feed(
        '<div id="typeset-note-0"><p>An <img src="typeset-math:a.svg" alt="x"> and<br>a'
        '<wbr>b.</p>\n<table><colgroup><col style="width: 50%"></colgroup></table>\n</div>\n'
        '<div id="typeset-note-1"><p>Second.</p>\n</div>'
    )
    splitter.close()
    assert splitter.notes == [
        '<span class="note-p">An <img src="typeset-math:a.svg" alt="x" /> and<br />a<wbr />'
        'b.</span><span class="note-table"></span>',
        '<span class="note-p">Second.</span>',
    ]


def test_figure_keeps_its_caption_and_alternative_text(sample_pdf: PdfBuilder) -> None:
    pdf = sample_pdf()
    assert image_count(pdf) == 1
    assert "A line chart over a grey field." in pdf_text(pdf)
    figures = [e for e in structure_elements(PdfReader(pdf)) if e["/S"] == "/Figure"]
    assert [figure.get("/Alt") for figure in figures] == ["A line chart over a grey field."]


def test_bookmarks_follow_the_essay_headings_without_the_title(essay_build: Builder) -> None:
    reader = PdfReader(essay_build("chicago-author-date")["pdf"])
    assert outline_titles(reader) == [(heading, 0) for heading in [*essay_headings(), "References"]]


def test_bookmarks_nest_subsections_and_skip_abstract_and_contents(
    sample_pdf: PdfBuilder,
) -> None:
    assert outline_titles(PdfReader(sample_pdf())) == SAMPLE_HEADINGS
    assert outline_titles(PdfReader(sample_pdf(toc=True))) == SAMPLE_HEADINGS


def test_table_of_contents_lists_headings_with_their_pages(sample_pdf: PdfBuilder) -> None:
    pdf = sample_pdf(toc=True)
    first_page = pdf_pages(pdf)[0]
    assert "Contents" in first_page
    toc = dict(
        re.findall(
            r"^\s*(Introduction|Data|A subsection|References)[ .]+(\d+)\s*$",
            first_page,
            re.MULTILINE,
        )
    )
    reader = PdfReader(pdf)
    destination_pages = {
        item.title: str(reader.get_destination_page_number(item) + 1)
        for item in _flattened(reader.outline)
    }
    assert toc == destination_pages


def _flattened(items: list[Any]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, list):
            yield from _flattened(item)
        else:
            yield item


def test_no_contents_page_unless_asked(sample_pdf: PdfBuilder) -> None:
    assert "Contents" not in pdf_pages(sample_pdf())[0]


# --- metadata, tagging, variants ------------------------------------------------------


def test_essay_is_tagged_with_language_and_title(essay_build: Builder) -> None:
    reader = PdfReader(essay_build("chicago-author-date")["pdf"])
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-US"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata is not None
    assert reader.metadata.title == (
        "Reasons for China Supporting North Korea During the Korean War (1950\u201353)"
    )
    assert xmp_attribute(xmp_packet(reader), "pdfuaid", "part") == "1"


def test_headings_are_tagged_as_headings(sample_pdf: PdfBuilder) -> None:
    tags = [element["/S"] for element in structure_elements(PdfReader(sample_pdf()))]
    assert tags.count("/H1") == 1  # the title
    assert {"/H2", "/H3", "/P", "/Table", "/Figure", "/BlockQuote"} <= set(tags)


def test_front_matter_fills_info_and_xmp(sample_pdf: PdfBuilder) -> None:
    reader = PdfReader(sample_pdf())
    info = reader.metadata
    assert info is not None
    assert info.title == "How Names Survive Print: Nguyễn, Müller and 彭德怀"
    assert info.author == "Thị Lan Nguyễn, Jürgen Müller"
    assert info.subject == "Typesetting \u201cpersonal names\u201d across scripts"
    assert info["/Keywords"] == "typography, CJK, diacritics"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    packet = xmp_packet(reader)
    assert xmp_values(packet, "dc", "title") == [info.title]
    assert xmp_values(packet, "dc", "creator") == ["Thị Lan Nguyễn", "Jürgen Müller"]
    assert xmp_values(packet, "dc", "description") == [info.subject]
    assert xmp_values(packet, "dc", "subject") == ["typography", "CJK", "diacritics"]
    assert xmp_values(packet, "dc", "language") == ["en-GB"]


@pytest.mark.parametrize(
    ("variant", "part", "conformance"), [("pdf/a-2b", "2", "B"), ("pdf/a-3u", "3", "U")]
)
def test_pdf_a_variants_declare_their_identification_in_xmp(
    sample_pdf: PdfBuilder, variant: str, part: str, conformance: str
) -> None:
    pdf = sample_pdf(pdf_variant=variant)
    reader = PdfReader(pdf)
    packet = xmp_packet(reader)
    assert xmp_attribute(packet, "pdfaid", "part") == part
    assert xmp_attribute(packet, "pdfaid", "conformance") == conformance
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert reader.trailer["/ID"]
    assert all(font["emb"] == "yes" for font in pdffonts(pdf))
    assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0


def test_tagged_variant_is_tagged_without_claiming_a_standard(sample_pdf: PdfBuilder) -> None:
    reader = PdfReader(sample_pdf(pdf_variant="tagged"))
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    packet = xmp_packet(reader)
    assert xmp_attribute(packet, "pdfuaid", "part") is None
    assert xmp_attribute(packet, "pdfaid", "part") is None
    assert xmp_values(packet, "dc", "language") == ["en-GB"]


def test_plain_variant_is_untagged_but_keeps_its_metadata(sample_pdf: PdfBuilder) -> None:
    reader = PdfReader(sample_pdf(pdf_variant="plain"))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" not in root and "/MarkInfo" not in root
    assert root["/Lang"] == "en-GB"
    assert xmp_values(xmp_packet(reader), "dc", "title")


def test_creation_date_comes_from_source_date_epoch(
    sample_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (Byte-identical rebuilds of every format: tests/test_robustness.py.)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    info = PdfReader(build_pdf(sample_folder / "sample.md", tmp_path / "first")).metadata
    assert info is not None
    assert info["/CreationDate"] == "D:20231114221320Z"
    assert info["/ModDate"] == "D:20231114221320Z"


def test_missing_language_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    manuscript = tmp_path / "nolang.md"
    manuscript.write_text("---\ntitle: No language\n---\n\nSome text.\n", encoding="utf-8")
    build_pdf(manuscript, tmp_path / "out")
    assert "has no 'lang'" in caplog.text


# --- what the build may read ----------------------------------------------------------


class _CountingServer:
    """A loopback HTTP server that serves a small PNG and records every request path."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        png = io.BytesIO()
        Image.new("RGB", (8, 8), (20, 90, 160)).save(png, "PNG")
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.paths.append(self.path)
                if self.path.endswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", "/x.png")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png.getvalue())))
                self.end_headers()
                self.wfile.write(png.getvalue())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def loopback_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_CountingServer]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = _CountingServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _manuscript_with_html(folder: Path, html: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    manuscript = folder / "remote.md"
    manuscript.write_text(
        f"---\ntitle: Remote\nlang: en\n---\n\nText before.\n\n{html}\n\nText after.\n",
        encoding="utf-8",
    )
    return manuscript


def test_remote_image_is_not_fetched_by_default(
    loopback_server: _CountingServer, tmp_path: Path
) -> None:
    manuscript = _manuscript_with_html(
        tmp_path / "in", f'<img src="{loopback_server.base}/x.png" alt="remote">'
    )
    pdf = build_pdf(manuscript, tmp_path / "out")
    assert loopback_server.paths == []
    assert image_count(pdf) == 0


def test_remote_image_is_fetched_once_when_its_prefix_is_allowed(
    loopback_server: _CountingServer, tmp_path: Path
) -> None:
    manuscript = _manuscript_with_html(
        tmp_path / "in", f'<img src="{loopback_server.base}/x.png" alt="remote">'
    )
    pdf = build_pdf(manuscript, tmp_path / "out", allowed_urls=[loopback_server.base + "/"])
    assert loopback_server.paths == ["/x.png"]
    assert image_count(pdf) == 1


def test_allowed_server_cannot_redirect_outside_the_prefix(
    loopback_server: _CountingServer, tmp_path: Path
) -> None:
    manuscript = _manuscript_with_html(
        tmp_path / "in", f'<img src="{loopback_server.base}/allowed/redirect" alt="remote">'
    )
    pdf = build_pdf(manuscript, tmp_path / "out", allowed_urls=[loopback_server.base + "/allowed/"])
    assert loopback_server.paths == ["/allowed/redirect"]
    assert image_count(pdf) == 0


def _folders_with_a_secret(tmp_path: Path) -> tuple[Path, Path]:
    """A manuscript folder with an image and a text file, and a folder beside it with
    an image the build must not read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(outside / "secret.png")
    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("RGB", (8, 8), (0, 0, 200)).save(folder / "inside.png")
    (folder / "notes.txt").write_text("attached on purpose", encoding="utf-8")
    return folder, outside


def test_files_outside_the_manuscript_folder_never_reach_the_pdf(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder, outside = _folders_with_a_secret(tmp_path)
    manuscript = _manuscript_with_html(
        folder,
        '<img src="file:///etc/hostname" alt="host">\n'
        '<link rel="attachment" href="file:///etc/hostname">\n'
        f'<img src="file://{outside}/secret.png" alt="secret">\n'
        '<img src="../outside/secret.png" alt="secret">\n\n'
        "![secret](../outside/secret.png)\n\n"
        "![inside](inside.png)",
    )
    pdf = build_pdf(manuscript, tmp_path / "out")
    assert image_count(pdf) == 1  # inside.png only
    assert PdfReader(pdf).attachments == {}
    assert "secret.png" in caplog.text and "hostname" in caplog.text  # each one reported


def test_pdf_writer_fetcher_refuses_what_the_manuscript_stage_might_miss(
    tmp_path: Path, loopback_server: _CountingServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The writer's own guard, on HTML that no earlier stage has cleaned."""
    folder, outside = _folders_with_a_secret(tmp_path)
    html = f"""<html lang="en"><body><p>Text.</p>
        <img src="file:///etc/hostname" alt="host">
        <link rel="attachment" href="file:///etc/hostname">
        <img src="../outside/secret.png" alt="secret">
        <div style="background: url('file://{outside}/secret.png'); height: 8px"></div>
        <img src="{loopback_server.base}/x.png" alt="remote">
        <img src="inside.png" alt="inside">
        <link rel="attachment" href="notes.txt">
        </body></html>"""
    fetcher = LocalFilesOnly([folder, PROJECT / "styles"])
    pdf = tmp_path / "guarded.pdf"
    weasyprint.HTML(string=html, base_url=f"{folder}/", url_fetcher=fetcher).write_pdf(pdf)
    assert image_count(pdf) == 1  # inside.png only
    assert list(PdfReader(pdf).attachments) == ["notes.txt"]  # the folder's own file is fine
    assert loopback_server.paths == []
    assert "refused to read /etc/hostname" in caplog.text
    assert f"refused to read {outside / 'secret.png'}" in caplog.text
    assert f"refused to fetch {loopback_server.base}/x.png" in caplog.text


@pytest.mark.parametrize(
    ("url", "prefix", "allowed"),
    [
        ("https://example.org/img/a.png", "https://example.org/img/", True),
        ("https://example.org/img/a.png", "https://example.org", True),
        ("https://example.org.attacker.net/a.png", "https://example.org", False),
        ("https://example.org/images/a.png", "https://example.org/img", False),
        ("https://example.org/img/../private/a.png", "https://example.org/img/", False),
        ("https://example.org/img/%2e%2e/private/a.png", "https://example.org/img/", False),
    ],
)
def test_allowed_url_prefixes_match_whole_segments(url: str, prefix: str, allowed: bool) -> None:
    assert url_is_under(url, prefix) is allowed


@pytest.mark.slow
def test_a_three_digit_note_number_stays_whole_beside_its_text(tmp_path: Path) -> None:
    """Note 100 and later: the number widens its hanging box instead of wrapping inside
    it ("10" on one line, "0. Note..." on the next), and a space follows it."""
    notes = "\n\n".join(
        f"Sentence {number} has a note.^[Note {number} turns over onto a second line of the "
        "note area, as most notes in a long book do.]"
        for number in range(1, 106)
    )
    manuscript = tmp_path / "notes.md"
    manuscript.write_text(f"---\ntitle: Notes\nlang: en\n---\n\n{notes}\n", encoding="utf-8")
    config = load_config(
        PROJECT / "typeset.yaml",
        project_dir=PROJECT,
        overrides={
            "manuscript": str(manuscript),
            "output_dir": str(tmp_path / "out"),
            "formats": ["pdf"],
            "cite_this_work": False,
        },
    )
    lines = "\n".join(pdf_pages(build(config).outputs["pdf"])).splitlines()
    starts = [line.strip() for line in lines if re.match(r"^\s*\d+\.\s*Note \d+ turns", line)]
    assert any(line.startswith("104. Note 104 turns") for line in starts), starts[-5:]
    assert any(line.startswith("9. Note 9 turns") for line in starts)
    assert not [line for line in lines if re.fullmatch(r"\s*10\d?\s*", line)]  # no wrapped number
