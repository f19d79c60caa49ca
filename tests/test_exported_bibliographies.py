"""Bibliographies as Zotero, Better BibTeX and INSPIRE export them (issue 26, items 4-9).

tests/data/bibtex/exported.bib carries their habits: `AND`/`And` between names,
`and others`/`{others}`/`Others`, LaTeX accents (`Garc{\\'\\i}a`, `{\\ss}`, `{\\O}`,
`\\v{s}`), `Th{\\`e}se` in `type`, math in titles, `langid`, `urldate`, `file`, and titles
in German and French without a `langid`. Each test resolves the paper citing all of it
with both engines in several styles and reads the rendered references.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import config_for, docx_part, docx_text, epub_xhtml, pdf_text
from typeset import ast, build
from typeset.citations import engine_named
from typeset.commands.crosscheck import _citations, _entries
from typeset.errors import BibliographyError
from typeset.manuscript import read_manuscript
from typeset.references import read_bibliography
from typeset.styles import resolve_style

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT / "tests" / "data" / "bibtex"
ENGINES = ("pandoc", "citeproc-py")
pytestmark = pytest.mark.slow  # every test runs pandoc (and most, citeproc-py)

STYLES = (
    "apa",
    "ieee",
    "chicago-author-date",
    "iso690-author-date-en",
    "modern-language-association",
)


def resolved(style: str, engine: str, workdir: Path, manuscript: Path = DATA / "paper.md") -> Any:
    bibliography = read_bibliography(DATA / "exported.bib", lang="en-US")
    document = (
        engine_named(engine)
        .resolve(read_manuscript(manuscript), bibliography, resolve_style(style, PROJECT), workdir)
        .document
    )
    return document


def entries(document: Any) -> dict[str, str]:
    return dict(_entries(document))


@pytest.fixture(scope="module", params=[(s, e) for s in STYLES for e in ENGINES], ids=str)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    style, engine = request.param
    return style, engine, resolved(style, engine, tmp_path_factory.mktemp("bib"))


def test_upper_case_and_separates_names(rendered: Any) -> None:
    style, engine, document = rendered
    keeling = entries(document)["keeling2011"]
    # three authors: all named, or the first and et al. (MLA), never one merged name
    assert "dubey" in keeling.casefold() or (style == "modern-language-association"), keeling
    assert " AND " not in keeling and " And " not in keeling, (style, engine, keeling)


def test_and_others_is_et_al_never_an_author(rendered: Any) -> None:
    style, engine, document = rendered
    for key in ("cms2016", "liu2010", "mueller2018"):
        entry = entries(document)[key]
        assert "et al." in entry, (style, engine, entry)
        assert "others" not in entry.lower(), (style, engine, entry)
    citations = " ".join(text for _, text in _citations(document))
    assert "others" not in citations.lower()


def test_latex_becomes_precomposed_characters_in_every_field(rendered: Any) -> None:
    style, engine, document = rendered
    text = " ".join(entries(document).values())
    words = ["García", "Müller", "Østergaard", "Lefèbvre", "Großstädte"]
    if style != "modern-language-association":  # MLA names the first of three authors only
        words += ["Straßer", "Šimeček", "Ærenlund"]
    for word in words:
        assert word.casefold() in text.casefold(), (style, engine, word)
    assert "\u0131" not in text  # no dotless i
    assert "{\\" not in text and "\\`" not in text and "\\'" not in text
    if style == "apa":
        assert "Thèse de doctorat" in entries(document)["lefebvre2015"]


def test_math_in_titles_is_math_and_no_dollar_is_printed(rendered: Any) -> None:
    style, engine, document = rendered
    refs = [block for block in ast.walk(document["blocks"]) if block["t"] == "Div"]
    math = [node["c"][1] for node in ast.walk(refs) if node["t"] == "Math"]
    assert "\\sqrt{s} = 13" in math and "_2" in math and "pp" in math, (style, engine, math)
    assert "$" not in " ".join(entries(document).values())


def test_titles_in_another_language_are_not_sentence_cased(rendered: Any) -> None:
    style, engine, document = rendered
    text = " ".join(entries(document).values())
    assert "Die Großstädte und das Geistesleben" in text, (style, engine)
    assert "Mémoires du Baron Haussmann" in text, (style, engine)
    assert "DNA" in entries(document)["oestergaard2008"]  # braced: case kept


def test_entry_languages_are_bcp47_tags_or_detected_from_the_title() -> None:
    items = {item["id"]: item for item in read_bibliography(DATA / "exported.bib").items}
    assert items["liu2010"]["language"] == "zh"
    assert items["mueller2018"]["language"] == "en-GB"
    assert items["garcia2019"]["language"] == "es-ES"
    assert items["simmel1903"]["language"] == "de"  # detected: the entry has no langid
    assert "language" not in items["shen2012"]  # English, like the document


def test_suffix_that_is_not_a_locator_keeps_its_separator(tmp_path: Path) -> None:
    for engine in ENGINES:
        document = resolved("chicago-author-date", engine, tmp_path)
        texts = [text for _, text in _citations(document)]
        assert "Østergaard et al. (2008, ch. 4)" in texts, (engine, texts)


@pytest.mark.parametrize("engine", ENGINES)
def test_locators_are_read_in_the_document_language_as_pandoc_reads_them(
    engine: str, tmp_path: Path
) -> None:
    manuscript = tmp_path / "gb.md"
    manuscript.write_text(
        "---\nlang: en-GB\n---\n\nA [@shen2012, ch. 2]. B [@shen2012, chap. 1]. "
        "C [@shen2012, p. 5].\n"
    )
    shutil.copy(DATA / "exported.bib", tmp_path / "exported.bib")
    texts = [text for _, text in _citations(resolved("ieee", engine, tmp_path, manuscript))]
    # en-GB's short term for chapter is "ch."; "chap." is no locator there (pandoc 3.9)
    assert texts == ["[1, Ch. 2]", "[1], chap. 1", "[1, p. 5]"], texts


def test_duplicate_key_is_an_error_in_a_release_and_a_warning_in_a_draft(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@book{twice, author={First, A.}, title={The First}, year=2001}\n\n"
        "@book{other, author={Other, B.}, title={Other}, year=2002}\n"
        "@book{twice, author={Second, C.}, title={The Second}, year=2003}\n"
    )
    with pytest.raises(BibliographyError) as raised:
        read_bibliography(bib)
    assert "lines 1, 4" in str(raised.value)
    with caplog.at_level(logging.WARNING):
        items = read_bibliography(bib, draft=True).items
    assert [item["id"] for item in items] == ["twice", "other"]
    assert items[0]["title"] == "The first"
    assert "duplicate key 'twice'" in caplog.text and "line 1" in caplog.text


@pytest.mark.parametrize("engine", ENGINES)
def test_link_citations_is_the_authors_choice(engine: str, tmp_path: Path) -> None:
    def links(front_matter: str) -> list[str]:
        manuscript = tmp_path / f"{front_matter.count('true')}.md"
        manuscript.write_text(f"---\n{front_matter}\n---\n\nAs argued [@shen2012].\n")
        document = resolved("apa", engine, tmp_path, manuscript)
        return [
            node["c"][2][0]
            for block in document["blocks"][:1]
            for node in ast.walk(block)
            if node["t"] == "Link"
        ]

    assert links("lang: en-US") == []  # pandoc's default: off
    assert links("link-citations: true") == ["#ref-shen2012"]


@pytest.mark.parametrize("engine", ENGINES)
def test_chicago_notes_put_the_period_inside_the_closing_quote(engine: str, tmp_path: Path) -> None:
    manuscript = tmp_path / "notes.md"
    manuscript.write_text("---\nlang: en-US\n---\n\nAs argued [@mueller2018].\n")
    document = resolved("chicago-note-bibliography", engine, tmp_path, manuscript)
    notes = [node for node in ast.walk(document["blocks"]) if node["t"] == "Note"]
    text = ast.plain_text(notes[0]["c"])
    assert "Archive.”" in text and "Archive”." not in text, text


@pytest.mark.parametrize("engine", ENGINES)
def test_outputs_show_the_references_as_latex_means_them(engine: str, tmp_path: Path) -> None:
    """A real build of the paper: what the reader sees in the PDF, EPUB and DOCX."""
    for name in ("paper.md", "exported.bib"):
        shutil.copy(DATA / name, tmp_path / name)
    config = config_for(
        tmp_path / "paper.md",
        tmp_path / "exported.bib",
        style="chicago-author-date",
        formats=["pdf", "epub", "docx"],
        output_dir=tmp_path / "out",
        engine=engine,
    )
    outputs = build(config).outputs
    texts = {
        "pdf": pdf_text(outputs["pdf"]),
        "epub": epub_xhtml(outputs["epub"]),
        "docx": docx_text(outputs["docx"]),
    }
    for output, text in texts.items():
        assert "$" not in text, output
        for expected in ("García", "Thèse de doctorat", "Østergaard", "Großstädte", "et al."):
            assert expected in text, (output, expected)
        assert "others" not in text.lower(), output
    # math: MathML or an SVG in the EPUB, an Office Math object in the DOCX
    assert "<math" in texts["epub"] or "<svg" in texts["epub"]
    assert "<m:oMath" in docx_part(outputs["docx"])
