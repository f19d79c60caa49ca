"""The corpus: manuscripts as authors write them, each built in all three formats.

tests/data/corpus/<name>/ holds one manuscript and its .bib per kind (STEM, humanities
with notes, German, French, thesis, pandoc features, CJK, headings from `##`). Each is
built once per session with a style of its kind; the tests read the real PDF (text and
font sizes via pdfplumber), EPUB XHTML and DOCX XML. stem/crossref.md is the STEM paper
with Quarto cross-references.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pytest

from tests.conftest import (
    PROJECT,
    config_for,
    docx_part,
    docx_text,
    epub_xhtml,
    pdf_printed_text,
    pdf_text,
)
from tests.test_epub import epubcheck_problems
from typeset import build
from typeset.formats.validators import daisy_ace, docx_accessibility, pdf_ua_structure

pytestmark = pytest.mark.slow

CORPUS = PROJECT / "tests" / "data" / "corpus"
# name: (manuscript under tests/data/corpus/, CSL style of its kind); each folder's refs.bib
MANUSCRIPTS = {
    "stem": ("stem/paper.md", "ieee"),
    "stem-crossref": ("stem/crossref.md", "ieee"),
    "humanities": ("humanities/article.md", "chicago-notes-bibliography"),
    "german": ("german/aufsatz.md", "din-1505-2"),
    "french": ("french/article.md", "iso690-author-date-fr"),
    "thesis": ("thesis/thesis.md", "apa"),
    "showcase": ("showcase/notes.md", "chicago-author-date"),
    "cjk": ("cjk/paper.md", "china-national-standard-gb-t-7714-2015-numeric"),
    "level2": ("level2/essay.md", "modern-language-association"),
}

Outputs = dict[str, Path]


@pytest.fixture(scope="session")
def corpus_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], Outputs]:
    built: dict[str, Outputs] = {}
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path_factory.mktemp("corpus-cache")))

    def build_one(name: str) -> Outputs:
        if name not in built:
            manuscript, style = MANUSCRIPTS[name]
            folder = (CORPUS / manuscript).parent
            config = config_for(
                CORPUS / manuscript,
                folder / "refs.bib",
                style=style,
                output_dir=tmp_path_factory.mktemp(f"corpus-{name}"),
                formats="pdf,epub,docx",
            )
            built[name] = dict(build(config).outputs)
        return built[name]

    yield build_one
    monkeypatch.undo()


def font_sizes(pdf: Path, text: str) -> list[float]:
    """Sizes of the characters that start each occurrence of `text` on any page."""
    sizes = []
    with pdfplumber.open(pdf) as document:
        for page in document.pages:
            chars = page.chars
            line = "".join(char["text"] for char in chars)
            for match in re.finditer(re.escape(text), line):
                sizes.append(round(chars[match.start()]["size"], 1))
    return sizes


def size_of(pdf: Path, text: str) -> float:
    sizes = font_sizes(pdf, text)
    assert sizes, f"{text!r} not found in {pdf.name}"
    return sizes[0]


def heading_size(pdf: Path, text: str) -> float:
    """The size `text` prints at where it heads its section (the largest occurrence): a
    contents list names the heading first, at the size of the text."""
    sizes = font_sizes(pdf, text)
    assert sizes, f"{text!r} not found in {pdf.name}"
    return max(sizes)


def epub_chapters(epub: Path) -> list[str]:
    with zipfile.ZipFile(epub) as archive:
        return sorted(name for name in archive.namelist() if re.search(r"ch\d+\.xhtml$", name))


# -- every manuscript -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [name for name in MANUSCRIPTS],
)
def test_corpus_epub_has_no_epubcheck_errors_or_warnings(
    corpus_build: Callable[[str], Outputs], name: str
) -> None:
    assert epubcheck_problems(corpus_build(name)["epub"]) == []


@pytest.mark.parametrize("name", MANUSCRIPTS)
def test_corpus_heading_hierarchy_is_title_then_sections_then_body(
    corpus_build: Callable[[str], Outputs], name: str
) -> None:
    pdf = corpus_build(name)["pdf"]
    headings = {
        "stem": ("Introduction", "Damped iteration", "Coupled heat and moisture models"),
        "stem-crossref": ("Introduction", "Damped iteration", "Coupled heat and moisture"),
        "humanities": ("A county without Speenhamland", None, "Historians of the Old"),
        "german": ("Einleitung", "Stichprobe", "Die Lokalzeitung galt"),
        "french": ("Introduction", None, "Les historiens se sont"),
        "thesis": ("Introduction", "Wildflower strips in cities", "Insect pollinators"),
        "showcase": ("The orchard", "Glossary", "The orchard lies"),
        "cjk": ("引言", None, "上世纪九十年代"),
        "level2": ("Introduction", "The problem of the archive", "Emily Dickinson wrote"),
    }[name]
    section, subsection, body = headings
    title = max(font_sizes(pdf, pdf_first_words(pdf)))
    assert title > heading_size(pdf, section) > size_of(pdf, body)
    if subsection is not None:
        assert heading_size(pdf, section) > heading_size(pdf, subsection) >= size_of(pdf, body)


def pdf_first_words(pdf: Path) -> str:
    with pdfplumber.open(pdf) as document:
        return (document.pages[0].extract_text() or "").split()[0]


@pytest.mark.parametrize("name", ["stem", "german", "humanities"])
def test_a_manuscript_with_hash_sections_gets_one_epub_chapter_per_section(
    corpus_build: Callable[[str], Outputs], name: str
) -> None:
    chapters = epub_chapters(corpus_build(name)["epub"])
    # one per `#` section, the author's own `# References` heading included (the title
    # page is title_page.xhtml; the bibliography does not get a second heading)
    sections = re.findall(r"^# ", (CORPUS / MANUSCRIPTS[name][0]).read_text(), re.MULTILINE)
    assert len(chapters) == len(sections)


def test_a_manuscript_starting_at_level_two_splits_its_epub_at_level_two(
    corpus_build: Callable[[str], Outputs],
) -> None:
    epub = corpus_build("level2")["epub"]
    xhtml = epub_xhtml(epub)
    # Introduction, Withholding, Conclusion, Works Cited (the title page is not a chNNN)
    assert len(epub_chapters(epub)) == 4
    assert re.search(r"<h1[^>]*>Introduction</h1>", xhtml)
    # `######` is the fifth rank below `##`: levels keep their distances (headings.py)
    assert re.search(r"<h5[^>]*>Abbreviations</h5>", xhtml)


def test_all_six_heading_levels_are_distinct_in_the_pdf(
    corpus_build: Callable[[str], Outputs],
) -> None:
    pdf = corpus_build("level2")["pdf"]
    with pdfplumber.open(pdf) as document:
        words = [
            (word["text"], word["fontname"].split("+")[-1], round(word["size"], 1))
            for page in document.pages
            for word in page.extract_words(extra_attrs=["fontname", "size"])
        ]
    looks = {
        text: (font, size)
        for text, font, size in words
        if text in {"Introduction", "problem", "Drafts", "transcription", "Abbreviations"}
    }
    assert len(set(looks.values())) == 5, looks


# -- notes ------------------------------------------------------------------------------


def test_every_block_of_a_note_prints_in_the_pdf(corpus_build: Callable[[str], Outputs]) -> None:
    text = pdf_text(corpus_build("humanities")["pdf"])
    # a block quotation, then a paragraph after it, in one note
    assert "three quartern loaves weekly" in text
    assert "The minute is signed by the vicar" in text
    # a numbered list and two paragraphs after it, with a citation
    assert "for a payment to the overseer’s own brother" in text
    assert "The third case is discussed at length" in text


def test_notes_print_in_call_order(corpus_build: Callable[[str], Outputs]) -> None:
    pdf = corpus_build("humanities")["pdf"]
    with pdfplumber.open(pdf) as document:
        numbers = []
        for page in document.pages:
            lines = page.extract_text_lines()
            left = min(line["x0"] for line in lines)
            # a note's number is at the margin; a numbered list inside a note is indented
            numbers += [
                int(m.group(1))
                for line in lines
                if line["x0"] < left + 2 and (m := re.match(r"(\d)\. \S", line["text"]))
            ]
    footnote_numbers = [n for n in numbers if n >= 1]
    assert footnote_numbers == sorted(footnote_numbers)
    assert set(range(1, 9)) <= set(footnote_numbers)


def test_adjacent_note_calls_are_separated_in_every_format(
    corpus_build: Callable[[str], Outputs],
) -> None:
    outputs = corpus_build("humanities")
    assert "1795.2,3" in pdf_text(outputs["pdf"]).replace(" ", "")
    assert re.search(r"</a><sup>,</sup><a[^>]*footnote-ref", epub_xhtml(outputs["epub"]))
    assert 'w:vertAlign w:val="superscript"/></w:rPr><w:t xml:space="preserve">,' in (
        docx_part(outputs["docx"])
    ) or ",</w:t>" in docx_part(outputs["docx"])


# -- tables -----------------------------------------------------------------------------


def test_table_cells_break_only_between_words(corpus_build: Callable[[str], Outputs]) -> None:
    pdf = corpus_build("showcase")["pdf"]
    with pdfplumber.open(pdf) as document:
        words = {w["text"] for page in document.pages for w in page.extract_words()}
    for whole in ("Variety", "Monmouthshire", "Trees", "Notes", "January"):
        assert whole in words, whole


def test_a_long_table_repeats_its_header_on_the_next_page(
    corpus_build: Callable[[str], Outputs],
) -> None:
    pdf = corpus_build("thesis")["pdf"]
    with pdfplumber.open(pdf) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    table_pages = [text for text in pages if re.search(r"L\d\d ", text)]
    assert len(table_pages) >= 2
    assert all("Impervious" in text for text in table_pages)


def test_a_wide_table_fits_the_text_block(corpus_build: Callable[[str], Outputs]) -> None:
    pdf = corpus_build("showcase")["pdf"]
    with pdfplumber.open(pdf) as document:
        for page in document.pages:
            for char in page.chars:
                assert 27 * 72 / 25.4 - 1 <= char["x0"] <= page.width - 27 * 72 / 25.4 + 1


# -- inline styles ----------------------------------------------------------------------


def test_small_caps_use_the_fonts_small_capitals(corpus_build: Callable[[str], Outputs]) -> None:
    pdf = corpus_build("showcase")["pdf"]
    with pdfplumber.open(pdf) as document:
        chars = [c for page in document.pages for c in page.chars]
    line = "".join(c["text"] for c in chars)
    start = line.index("Snout")
    # Charis's smcp glyphs: lower-case letters printed smaller than the capital S
    assert chars[start + 1]["size"] <= chars[start]["size"]
    assert "Snout" in pdf_text(pdf)
    assert 'class="smallcaps"' in epub_xhtml(corpus_build("showcase")["epub"])


def test_superscripts_do_not_open_the_line_spacing(corpus_build: Callable[[str], Outputs]) -> None:
    pdf = corpus_build("showcase")["pdf"]
    with pdfplumber.open(pdf) as document:
        page = document.pages[0]
        lines = page.extract_text_lines()
        words = page.extract_words(extra_attrs=["size"])
    # the paragraph with a note call, H~2~O and 1^st^: the baselines of its full-size words
    first = next(line for line in lines if line["text"].startswith("The orchard lies"))
    last = next(line for line in lines if "grafting day" in line["text"])
    baselines = sorted(
        {
            round(w["bottom"], 1)
            for w in words
            if w["size"] > 10.5
            and first["top"] - 1 <= w["top"]
            and w["bottom"] <= last["bottom"] + 1
        }
    )
    gaps = [round(b - a, 1) for a, b in itertools.pairwise(baselines)]
    assert len(gaps) >= 3 and max(gaps) - min(gaps) < 0.5, gaps


def test_task_list_box_and_text_share_a_line(corpus_build: Callable[[str], Outputs]) -> None:
    text = pdf_text(corpus_build("showcase")["pdf"])
    assert "Prune the older trees before bud-burst" in text
    with pdfplumber.open(corpus_build("showcase")["pdf"]) as document:
        for page in document.pages:
            for line in (page.extract_text() or "").splitlines():
                assert line.strip() not in ("☐", "☒"), "a task box on a line of its own"
            words = page.extract_words()
            prune = [w for w in words if w["text"] == "Prune"]
            if prune:
                boxes = [r for r in page.rects if abs(r["top"] - prune[0]["top"]) < 6]
                assert boxes, "no checkbox beside the task"


def test_code_is_highlighted_in_the_pdf(corpus_build: Callable[[str], Outputs]) -> None:
    with pdfplumber.open(corpus_build("showcase")["pdf"]) as document:
        colours = {
            str(char.get("non_stroking_color"))
            for page in document.pages
            for char in page.chars
            if "Mono" in char["fontname"]
        }
    assert len(colours) >= 3


def test_fig_alt_is_the_alt_text_in_every_format(corpus_build: Callable[[str], Outputs]) -> None:
    outputs = corpus_build("showcase")
    assert 'alt="Bar chart of apples picked in five months' in epub_xhtml(outputs["epub"])
    assert 'descr="Bar chart of apples picked in five months' in docx_part(outputs["docx"])
    import pikepdf

    with pikepdf.open(outputs["pdf"]) as pdf:
        alts = [
            str(obj.get("/Alt"))
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and "/Alt" in obj
        ]
    assert any("Bar chart of apples" in alt for alt in alts)


def test_definition_list_terms_are_bold(corpus_build: Callable[[str], Outputs]) -> None:
    with pdfplumber.open(corpus_build("showcase")["pdf"]) as document:
        words = [
            w
            for page in document.pages
            for w in page.extract_words(extra_attrs=["fontname"])
            if w["text"] in ("Maiden", "Rootstock")
        ]
    assert words and all("Bold" in w["fontname"] for w in words)


# -- languages --------------------------------------------------------------------------


def test_french_non_breaking_spaces_reach_every_format(
    corpus_build: Callable[[str], Outputs],
) -> None:
    outputs = corpus_build("french")
    assert "«\u00a0Il n’y a pas" in epub_xhtml(outputs["epub"])
    assert "«\u00a0Il" in docx_part(outputs["docx"])
    assert "Il n’y a pas de fleuve" in pdf_text(outputs["pdf"])


def test_cjk_text_prints_with_its_bibliography(corpus_build: Callable[[str], Outputs]) -> None:
    text = pdf_text(corpus_build("cjk")["pdf"])
    assert "老城厢" in text
    assert "上海旧区改造政策的演变" in text


def test_german_titles_keep_their_capitals_in_every_format(
    corpus_build: Callable[[str], Outputs],
) -> None:
    outputs = corpus_build("german")
    assert "Die Realität der Massenmedien" in pdf_text(outputs["pdf"])
    assert "Die Realität der Massenmedien" in epub_xhtml(outputs["epub"])
    assert "Die Realität der Massenmedien" in docx_text(outputs["docx"])


def test_the_authors_bibliography_heading_is_not_doubled(
    corpus_build: Callable[[str], Outputs],
) -> None:
    text = pdf_text(corpus_build("humanities")["pdf"])
    assert "Bibliography" not in text.split("References", 1)[-1]


def test_thesis_authors_appear_with_affiliation_in_the_docx(
    corpus_build: Callable[[str], Outputs],
) -> None:
    assert "Priya Raghunathan" in docx_part(corpus_build("thesis")["docx"])


def test_thesis_front_matter_toc_lists_the_chapters(
    corpus_build: Callable[[str], Outputs],
) -> None:
    text = pdf_text(corpus_build("thesis")["pdf"])
    assert re.search(r"Contents.*Introduction.*Methods.*Results", text)


# -- the STEM paper with Quarto cross-references and math -----------------------------------


def test_stem_cross_references_are_numbered_links_in_every_format(
    corpus_build: Callable[[str], Outputs],
) -> None:
    outputs = corpus_build("stem-crossref")
    text = pdf_text(outputs["pdf"])
    for words in ("Figure 1 shows", "Table 1 summarises", "(Equation 1)"):
        assert words in text
    # no number-sections: as in Quarto, a section is referred to by its title
    assert "The model of Model is otherwise unchanged" in text and "Section" not in text
    assert "@fig-" not in text and "@tbl-" not in text and "@sec-" not in text
    xhtml = epub_xhtml(outputs["epub"])
    assert re.search(r'href="[^"]*#fig-conv"', xhtml)
    assert re.search(r'href="[^"]*#tbl-cases"', xhtml)
    assert re.search(r'href="[^"]*#sec-model"[^>]*>Model</a>', xhtml)
    assert "Figure" in docx_text(outputs["docx"])


def test_stem_math_is_typeset_not_printed_as_tex(corpus_build: Callable[[str], Outputs]) -> None:
    outputs = corpus_build("stem-crossref")
    text = pdf_printed_text(outputs["pdf"])  # each equation's search text is an artifact
    assert "\\frac" not in text and "\\begin" not in text and "$$" not in text
    import pikepdf

    with pikepdf.open(outputs["pdf"]) as pdf:
        alts = [
            str(obj.get("/Alt"))
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and "/Alt" in obj
        ]
    # an amsmath environment written straight into the Markdown is typeset too
    assert any("\\begin{align}" in alt for alt in alts), alts
    assert "<math" in epub_xhtml(outputs["epub"])
    assert "<m:oMath" in docx_part(outputs["docx"])


# -- accessibility, as stores and the law check it (issue 15) -------------------------------


@pytest.mark.parametrize("name", list(MANUSCRIPTS))
def test_corpus_epub_passes_daisy_ace(corpus_build: Callable[[str], Outputs], name: str) -> None:
    findings = daisy_ace(corpus_build(name)["epub"])
    assert [str(f) for f in findings if f.level != "info"] == []


@pytest.mark.parametrize("name", list(MANUSCRIPTS))
def test_corpus_pdf_passes_the_structure_audit(
    corpus_build: Callable[[str], Outputs], name: str
) -> None:
    findings = pdf_ua_structure(corpus_build(name)["pdf"])
    assert [str(f) for f in findings if f.level == "error"] == []


@pytest.mark.parametrize("name", list(MANUSCRIPTS))
def test_corpus_docx_passes_the_accessibility_checks(
    corpus_build: Callable[[str], Outputs], name: str
) -> None:
    findings = docx_accessibility(corpus_build(name)["docx"])
    assert [str(f) for f in findings if f.level == "error"] == []


@pytest.mark.parametrize("name", MANUSCRIPTS)
def test_the_typographic_preflight_finds_nothing_in_the_corpus(
    corpus_build: Callable[[str], Outputs], name: str
) -> None:
    """Calibration: every check of typeset/formats/pdf/preflight.py is silent on correct
    pages (each is proved to fire on a faulty page in tests/test_preflight.py)."""
    from typeset.formats.pdf.preflight import preflight

    assert [str(finding) for finding in preflight(corpus_build(name)["pdf"])] == []
