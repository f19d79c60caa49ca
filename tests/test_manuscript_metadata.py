"""Manuscripts as authors write them: authors, dates, front-matter options, the language
of the bibliography and its heading, and pandoc's warnings (issue 12, part B).

Unit tests for the readers first (fast); then real builds of the small manuscripts in
tests/data/metadata/, in all three formats, read back from the PDF text, the EPUB's XHTML
and package, and the DOCX's XML and core properties (marked slow).
"""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

import pytest

from tests.conftest import docx_part, docx_text, epub_text, pdf_text
from typeset import ast, build, load_config
from typeset.authors import Affiliation, authors_of, title_block
from typeset.citations.base import has_own_bibliography_heading
from typeset.dates import CalendarDate, format_date, parse_date
from typeset.locale import term
from typeset.pandoc import SourceText, pandoc_messages, report_messages
from typeset.references import read_bibliography

DATA = Path(__file__).parent / "data" / "metadata"


def meta(**fields: object) -> dict[str, ast.Node]:
    return {key: ast.meta_value(value) for key, value in fields.items()}


# --- authors ------------------------------------------------------------------------------


def test_plain_author_string_with_top_level_affiliation() -> None:
    (author,) = authors_of(meta(author="Jane Doe", affiliation="University of Example"))
    assert author.name == "Jane Doe"
    assert author.affiliations == (Affiliation("University of Example"),)


def test_quarto_schema_with_given_family_orcid_email_and_corresponding() -> None:
    authors = authors_of(
        meta(
            author=[
                {
                    "name": {"given": "Anna", "family": "Schmidt"},
                    "orcid": "https://orcid.org/0000-0002-1825-0097",
                    "email": "anna@example.org",
                    "attributes": {"corresponding": True},
                    "affiliations": [{"ref": "hu"}, "Elsewhere"],
                },
                {"name": "Jonas Weber", "affiliation": "Elsewhere"},
                "Max Roe",
            ],
            affiliations=[{"id": "hu", "name": "Humboldt-Universität", "city": "Berlin"}],
        )
    )
    assert [author.name for author in authors] == ["Anna Schmidt", "Jonas Weber", "Max Roe"]
    anna = authors[0]
    assert anna.orcid == "0000-0002-1825-0097"
    assert anna.orcid_url == "https://orcid.org/0000-0002-1825-0097"
    assert anna.corresponding and anna.email == "anna@example.org"
    assert [item.text for item in anna.affiliations] == [
        "Humboldt-Universität, Berlin",
        "Elsewhere",
    ]
    block = title_block(authors)
    assert block.marks == ((1, 2), (2,), ())


def test_affiliation_map_reads_department_city_country() -> None:
    (author,) = authors_of(
        meta(
            author=[
                {
                    "name": "A B",
                    "affiliations": [
                        {"name": "Uni", "department": "Dept", "city": "Town", "country": "Land"}
                    ],
                }
            ]
        )
    )
    assert author.affiliations[0].text == "Dept, Uni, Town, Land"


def test_no_author_gives_no_authors() -> None:
    assert authors_of(meta(title="x")) == ()


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "lang", "w3c"),
    [
        ("2025-03-14", "en-US", "2025-03-14"),
        ("2025-03", "en-US", "2025-03"),
        ("2025", "de-DE", "2025"),
        ("14. März 2025", "de-DE", "2025-03-14"),
        ("14 March 2025", "en-GB", "2025-03-14"),
        ("March 14, 2025", "en-US", "2025-03-14"),
        ("September 2025", "en-US", "2025-09"),
        ("le 3 mars 2025", "fr-FR", "2025-03-03"),
        ("March 14, 2025", "de-DE", "2025-03-14"),  # English month names always work
        # numbers only: month first in American English (Quarto's habit), else day first,
        # unless only one order is a real date
        ("01-27-2025", "en-US", "2025-01-27"),
        ("03/04/2025", "en-US", "2025-03-04"),
        ("03.04.2025", "de-DE", "2025-04-03"),
        ("27/01/2025", "fr-FR", "2025-01-27"),
        ("01-27-2025", "de-DE", "2025-01-27"),
    ],
)
def test_dates_as_written_read_into_w3c_dates(written: str, lang: str, w3c: str) -> None:
    parsed = parse_date(written, lang)
    assert parsed is not None and parsed.w3c == w3c


@pytest.mark.parametrize(
    "written", ["Spring 2025", "2025-13-01", "31. Februar 2025", "soon", "13/13/2025", "1.2.25"]
)
def test_what_is_not_a_date_is_not_read_as_one(written: str) -> None:
    assert parse_date(written, "de-DE") is None


def test_dates_print_in_the_documents_language() -> None:
    assert format_date(CalendarDate(2025, 3, 14), "de-DE") == "14. März 2025"
    assert format_date(CalendarDate(2025, 3, 14), "en-GB") == "14 March 2025"
    assert format_date(CalendarDate(2025, 9), "en-US") == "September 2025"


# --- the bibliography's heading ------------------------------------------------------------


def _header(text: str) -> ast.Node:
    return {"t": "Header", "c": [1, [text.lower(), [], []], [{"t": "Str", "c": text}]]}


PARA = {"t": "Para", "c": [{"t": "Str", "c": "text"}]}
REFS = {"t": "Div", "c": [["refs", [], []], []]}


def test_a_final_heading_is_the_bibliographys() -> None:
    assert has_own_bibliography_heading([_header("Intro"), PARA, _header("Literatur")])


def test_a_heading_right_before_the_refs_div_is_the_bibliographys() -> None:
    blocks = [_header("Intro"), PARA, _header("Works"), REFS, _header("Appendix"), PARA]
    assert has_own_bibliography_heading(blocks)


def test_a_document_ending_in_text_gets_the_projects_heading() -> None:
    assert not has_own_bibliography_heading([_header("Intro"), PARA])
    assert not has_own_bibliography_heading([_header("Intro"), PARA, REFS, PARA])


def test_generated_words_follow_the_language() -> None:
    assert term("de-DE", "references") == "Literaturverzeichnis"
    assert term("fr", "works-cited") == "Ouvrages cités"


# --- front matter and config ----------------------------------------------------------------


def test_front_matter_options_set_the_config_below_the_config_file(tmp_path: Path) -> None:
    manuscript = tmp_path / "paper.md"
    manuscript.write_text(
        "---\ntitle: x\ntoc: true\ntoc-depth: 2\nnumber-sections: true\npapersize: letter\n"
        "---\n\ntext\n"
    )
    config_file = tmp_path / "typeset.yaml"
    config_file.write_text("manuscript: paper.md\npaper: a4\n")
    config = load_config(config_file, project_dir=tmp_path)
    assert (config.toc, config.toc_depth, config.number_sections) == (True, 2, True)
    assert config.paper == "a4"  # the config file outranks the front matter
    assert config.origins["toc"] == f"{manuscript}:3"
    assert load_config(config_file, overrides={"paper": "letter"}).paper == "letter"


def test_a_bad_front_matter_option_names_the_manuscript_line(tmp_path: Path) -> None:
    from typeset.errors import ConfigError

    manuscript = tmp_path / "paper.md"
    manuscript.write_text("---\ntitle: x\ntoc-depth: 9\n---\n\ntext\n")
    with pytest.raises(ConfigError) as raised:
        load_config(None, overrides={"manuscript": str(manuscript)}, project_dir=tmp_path)
    assert raised.value.path == manuscript and raised.value.line == 3


# --- pandoc's warnings ----------------------------------------------------------------------

MATH_WARNING = """[WARNING] Could not convert TeX math \\foo{x}, rendering as TeX:
  \\foo{x}
      ^
  unexpected control sequence \\foo
[WARNING] Duplicate identifier 'intro' at line 9 column 1
[WARNING] Citeproc: citation nokey not found
"""


def test_pandoc_messages_are_grouped_with_their_detail() -> None:
    messages = pandoc_messages(MATH_WARNING)
    assert [message.level for message in messages] == ["WARNING"] * 3
    assert messages[0].detail[-1] == "unexpected control sequence \\foo"


def test_pandoc_warnings_name_the_manuscript_line(caplog: pytest.LogCaptureFixture) -> None:
    source = SourceText(Path("paper.md"), "# Intro {#intro}\n\nText $\\foo{x}$.\n")
    with caplog.at_level(logging.WARNING, logger="typeset.pandoc"):
        report_messages(MATH_WARNING, source)
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings[0].startswith("paper.md:3: pandoc: Could not convert TeX math \\foo{x}")
    assert warnings[1].startswith("paper.md:9: pandoc: Duplicate identifier 'intro'")
    assert len(warnings) == 2  # a missing key is the build's own error, not pandoc's warning


# --- the bibliography in the document's language (one pandoc run each) ---------------------


def test_titles_keep_their_capitals_in_a_german_document() -> None:
    items = {
        item["id"]: item for item in read_bibliography(DATA / "german.bib", lang="de-DE").items
    }
    assert items["luhmann1996"]["title"] == "Die Realität der Massenmedien"


def test_english_titles_are_sentence_cased_with_braced_words_protected() -> None:
    items = {
        item["id"]: item for item in read_bibliography(DATA / "german.bib", lang="en-US").items
    }
    assert items["ebay2003"]["title"] == 'Trust and reputation on <span class="nocase">eBay</span>'
    assert (
        items["ebay2003"]["container-title"]
        == 'Journal of <span class="nocase">ebay</span> Studies'
    )


# --- real builds ------------------------------------------------------------------------------


def _build(tmp_path_factory: pytest.TempPathFactory, name: str, engine: str) -> dict[str, Path]:
    output = tmp_path_factory.mktemp(f"metadata-{name}-{engine}")
    config = load_config(
        None,
        overrides={
            "manuscript": str(DATA / f"{name}.md"),
            "bibliography": str(DATA / "german.bib"),
            "style": "apa",
            "engine": engine,
            "output_dir": str(output),
        },
        project_dir=Path(__file__).parent.parent,
    )
    return build(config).outputs


@pytest.fixture(scope="module", params=["pandoc", "citeproc-py"])
def german(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    return _build(tmp_path_factory, "german", request.param)


@pytest.fixture(scope="module")
def undated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build(tmp_path_factory, "undated", "pandoc")


def _opf(epub: Path) -> str:
    with zipfile.ZipFile(epub) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".opf"))
        return archive.read(name).decode()


@pytest.mark.slow
def test_german_titles_keep_their_capitals_in_every_format(german: dict[str, Path]) -> None:
    assert "Die Realität der Massenmedien" in pdf_text(german["pdf"])
    assert "Die Realität der Massenmedien" in epub_text(german["epub"])
    assert "Die Realität der Massenmedien" in docx_text(german["docx"])


@pytest.mark.slow
def test_the_authors_heading_is_the_only_bibliography_heading(german: dict[str, Path]) -> None:
    for text in (pdf_text(german["pdf"]), docx_text(german["docx"])):
        assert text.count("Literaturverzeichnis") in (1, 2)  # heading, and its contents entry
        assert "References" not in text
    epub = epub_text(german["epub"])
    assert "References" not in epub
    with zipfile.ZipFile(german["epub"]) as archive:
        nav = archive.read("EPUB/nav.xhtml").decode()
    assert nav.count("Literaturverzeichnis") == 1


@pytest.mark.slow
def test_contents_and_numbering_from_the_front_matter(german: dict[str, Path]) -> None:
    pdf = pdf_text(german["pdf"])
    assert "Inhaltsverzeichnis" in pdf and "1 Einleitung" in pdf and "2 Schluss" in pdf


@pytest.mark.slow
def test_pdf_title_block_has_affiliations_orcid_and_correspondence(german: dict[str, Path]) -> None:
    pdf = pdf_text(german["pdf"])
    assert "Anna Schmidt" in pdf and "Jonas Weber" in pdf
    assert "Humboldt-Universität zu Berlin" in pdf
    assert "Abteilung Medien, Institut für Soziologie, Leipzig, Deutschland" in pdf
    assert "0000-0002-1825-0097" in pdf
    assert "Korrespondenzautor: Anna Schmidt, anna.schmidt@example.org" in pdf
    assert "14. März 2025" in pdf
    import pikepdf

    with pikepdf.open(german["pdf"]) as document:
        links = [
            str(annotation.A.URI)
            for page in document.pages
            for annotation in page.get("/Annots", [])
            if "/A" in annotation and "/URI" in annotation.A
        ]
    assert "https://orcid.org/0000-0002-1825-0097" in links


@pytest.mark.slow
def test_epub_names_each_author_and_a_w3c_date(german: dict[str, Path]) -> None:
    opf = _opf(german["epub"])
    assert opf.index(">Anna Schmidt</dc:creator>") < opf.index(">Jonas Weber</dc:creator>")
    assert ">2025-03-14</dc:date>" in opf


@pytest.mark.slow
def test_docx_has_author_lines_and_core_properties(german: dict[str, Path]) -> None:
    core = docx_part(german["docx"], "docProps/core.xml")
    assert "<dc:creator>Anna Schmidt; Jonas Weber</dc:creator>" in core
    text = docx_text(german["docx"])
    assert (
        "Humboldt-Universität zu Berlin" in text and "https://orcid.org/0000-0002-1825-0097" in text
    )
    # Each name once, in Word's Author paragraphs (it was also repeated in a line below).
    assert text.count("Jonas Weber") == 1, text
    document = docx_part(german["docx"])
    author_paragraphs = re.findall(r'<w:pStyle w:val="Author" />.*?</w:p>', document, re.S)
    assert [("Anna Schmidt" in p, "Jonas Weber" in p) for p in author_paragraphs] == [
        (True, False),
        (False, True),
    ]


@pytest.mark.slow
def test_an_unreadable_date_is_left_out_of_the_epub_with_a_warning(
    tmp_path_factory: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        outputs = _build(tmp_path_factory, "undated", "pandoc")
    assert "Spring" not in _opf(outputs["epub"])  # pandoc dates it by the build instead
    assert any("undated.md:4" in record.getMessage() for record in caplog.records)
    from typeset.formats.validators import epubcheck

    assert epubcheck(outputs["epub"]) == []
    assert "References" in pdf_text(outputs["pdf"])  # the project's heading, in English


@pytest.mark.slow
def test_anonymous_copy_has_no_authors_or_affiliations(tmp_path: Path) -> None:
    config = load_config(
        None,
        overrides={
            "manuscript": str(DATA / "german.md"),
            "bibliography": str(DATA / "german.bib"),
            "formats": ["docx"],
            "anonymous": True,
            "output_dir": str(tmp_path),
        },
    )
    docx = build(config).outputs["docx"]
    everything = docx_text(docx) + docx_part(docx, "docProps/core.xml")
    for identifying in ("Schmidt", "Weber", "Humboldt", "0000-0002", "example.org"):
        assert identifying not in everything
