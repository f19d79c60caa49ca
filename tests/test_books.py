"""Books in several files (issue 25): pandoc's several files on the command line, a
Quarto book (_quarto.yml), a Manubot content/ folder and a bookdown _bookdown.yml, each
built unchanged into all three formats, with citations, cross-references and notes across
the files, and every message naming the chapter's own file and line.

The corpus is tests/data/books/: `quarto-book` (a preface, two parts, a references page,
an appendix; a figure defined in chapter 2 and referred to in chapter 3; the same note
label in two chapters), `manubot-paper` (numbered sections, metadata.yaml with authors
and affiliations, a Jinja2 front-matter file) and `pandoc-files` (three files, the
second adding a subtitle in its own front matter; an equation referred to across files).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATA, docx_text, epub_xhtml, pdf_pages, pdf_text
from typeset.book import book_of
from typeset.cli import main
from typeset.config import load_config
from typeset.crossref import listing_captions_of
from typeset.errors import ManuscriptError
from typeset.project import locate

BOOKS = DATA / "books"


def copied(name: str, destination: Path) -> Path:
    folder = destination / name
    shutil.copytree(BOOKS / name, folder)
    return folder


def in_order(text: str, *pieces: str) -> bool:
    """Whether every piece occurs in `text`, each after the one before."""
    position = 0
    for piece in pieces:
        found = text.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True


# --- which files, in which order (fast: no build) -------------------------------------------


def test_a_quarto_book_reads_its_chapters_parts_and_appendices_in_order() -> None:
    book = book_of(BOOKS / "quarto-book")
    assert book is not None
    assert [chapter.path.name for chapter in book.chapters] == [
        "index.qmd",
        "survey.qmd",
        "seedlings.qmd",
        "readings.qmd",
        "references.qmd",
        "transects.qmd",
    ]
    assert [chapter.part for chapter in book.chapters] == ["", "Surveys", "", "Readings", "", ""]
    assert [chapter.appendix for chapter in book.chapters][-1] is True
    assert book.metadata["title"] == "Hedgerows of the Lowland Parish"
    assert book.metadata["bibliography"] == "refs.bib"
    assert book.name == "quarto-book"  # no `output-file`: the book's folder


def test_a_manubot_folder_is_its_numbered_content_files_in_name_order() -> None:
    book = book_of(BOOKS / "manubot-paper")
    assert book is not None
    assert [chapter.path.name for chapter in book.chapters] == [
        "00.front-matter.md",
        "01.abstract.md",
        "02.introduction.md",
        "03.methods.md",
        "04.discussion.md",
    ]
    assert [author["name"] for author in book.metadata["authors"]] == [
        "Tuuli Karvonen",
        "Aidan Brennan",
    ]


def test_a_bookdown_book_reads_rmd_files_in_the_listed_order(tmp_path: Path) -> None:
    (tmp_path / "_bookdown.yml").write_text(
        'book_filename: "field-notes"\nrmd_files: ["index.Rmd", "02-later.md", "01-earlier.md"]\n'
    )
    for name in ("index.Rmd", "01-earlier.md", "02-later.md"):
        (tmp_path / name).write_text(f"# {name}\n")
    book = book_of(tmp_path)
    assert book is not None
    assert [chapter.path.name for chapter in book.chapters] == [
        "index.Rmd",
        "02-later.md",
        "01-earlier.md",
    ]
    assert book.name == "field-notes"


def test_a_quarto_chapter_that_does_not_exist_names_the_line_of_quarto_yml(
    tmp_path: Path,
) -> None:
    folder = copied("quarto-book", tmp_path)
    (folder / "seedlings.qmd").unlink()
    with pytest.raises(ManuscriptError) as raised:
        book_of(folder)
    assert raised.value.path == folder / "_quarto.yml"
    assert "seedlings.qmd" in raised.value.message


def test_a_folder_that_is_no_book_is_refused_with_what_a_book_folder_holds(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n")
    with pytest.raises(ManuscriptError, match="nor a book's folder"):
        locate(tmp_path, None)


def test_manuscript_as_a_list_in_the_config_is_one_manuscript_of_several_files(
    tmp_path: Path,
) -> None:
    folder = copied("pandoc-files", tmp_path)
    (folder / "typeset.yaml").write_text("manuscript: [intro.md, methods.md, results.md]\n")
    config = load_config(folder / "typeset.yaml", project_dir=folder)
    assert config.manuscript == folder / "intro.md"
    assert config.chapters == (folder / "methods.md", folder / "results.md")
    # the first file's front matter names the bibliography, relative to it
    assert config.bibliography == (folder / "sources.bib",)


def test_a_book_folder_without_a_config_is_its_own_manuscript(tmp_path: Path) -> None:
    folder = copied("quarto-book", tmp_path)
    found = locate(None, None, cwd=folder)
    assert found.manuscript == folder
    config = load_config(None, project_dir=folder)
    assert config.manuscript == folder
    assert config.bibliography == (folder / "refs.bib",)  # from _quarto.yml


def test_a_config_from_outside_the_project_may_not_name_chapters_outside_its_folder(
    tmp_path: Path,
) -> None:
    from typeset.confine import roots_of
    from typeset.errors import ConfigError

    project, came_with, secret = tmp_path / "project", tmp_path / "came", tmp_path / "secret"
    for folder in (project, came_with, secret):
        folder.mkdir()
    (came_with / "a.md").write_text("# A\n")
    (secret / "b.md").write_text("# B\n")
    (came_with / "typeset.yaml").write_text("manuscript: [a.md, ../secret/b.md]\n")
    config = load_config(came_with / "typeset.yaml", project_dir=project)
    with pytest.raises(ConfigError, match="only in its own folder"):
        roots_of(config)


def test_a_quarto_manuscript_project_folder_builds_its_article(tmp_path: Path) -> None:
    (tmp_path / "_quarto.yml").write_text(
        "project:\n  type: manuscript\nmanuscript:\n  article: paper.qmd\n"
    )
    (tmp_path / "paper.qmd").write_text("# Paper\n")
    assert locate(tmp_path, None).manuscript == tmp_path / "paper.qmd"
    assert locate(None, None, cwd=tmp_path).manuscript == tmp_path / "paper.qmd"


# --- real builds ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quarto_book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = copied("quarto-book", tmp_path_factory.mktemp("books"))
    assert main([str(folder), "--quiet"]) == 0
    yield folder / "output"


@pytest.fixture(scope="module")
def manubot_paper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = copied("manubot-paper", tmp_path_factory.mktemp("books"))
    assert main([str(folder), "--quiet"]) == 0
    yield folder / "output"


@pytest.fixture(scope="module")
def pandoc_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = copied("pandoc-files", tmp_path_factory.mktemp("books"))
    files = [str(folder / name) for name in ("intro.md", "methods.md", "results.md")]
    assert main([*files, "--quiet"]) == 0
    yield folder / "output"


QUARTO_ORDER = (
    "Preface",
    "Surveys",
    "1 How the hedges were surveyed",
    "2 Seedlings along the margins",
    "Readings",
    "3 Reading the counts",
    "References",
    "A Transect list",
)


@pytest.mark.slow
def test_the_quarto_book_prints_its_chapters_in_order_numbered_with_parts(
    quarto_book: Path,
) -> None:
    text = pdf_text(quarto_book / "quarto-book.pdf")
    assert text.startswith("Hedgerows of the Lowland Parish A field record")
    assert in_order(text, *QUARTO_ORDER)
    # index.qmd's headings are unnumbered, as Quarto leaves them, without {.unnumbered}
    assert in_order(text, "Preface These pages", "Acknowledgements Thanks go")
    assert "1 Preface" not in text and "0.1 Acknowledgements" not in text
    # the appendix's figure, beside the appendix in its own folder, is shown and numbered
    assert in_order(text, "A Transect list", "Figure A.1: The two transects", "Figure A.1 shows")


@pytest.mark.slow
def test_each_chapter_and_part_of_a_short_book_opens_a_page(quarto_book: Path) -> None:
    """A book's chapters open on a new page whatever its length, as in Quarto's books (an
    article's sections run on)."""
    pages = [" ".join(page.split()) for page in pdf_pages(quarto_book / "quarto-book.pdf")]
    # after the running head, each of these starts the page's text
    for heading in ("Surveys", "1 How the hedges", "2 Seedlings", "Readings", "3 Reading"):
        assert any(page.split("Parish", 1)[-1].strip().startswith(heading) for page in pages[1:]), (
            heading
        )
    # a part's title is alone on its page, as Quarto sets it
    assert any(page.split("Parish", 1)[-1].split() == ["Surveys", "2"] for page in pages)


@pytest.mark.slow
def test_a_figure_of_chapter_two_is_numbered_by_chapter_and_referred_to_from_chapter_three(
    quarto_book: Path,
) -> None:
    text = pdf_text(quarto_book / "quarto-book.pdf")
    assert in_order(
        text,
        "Figure 2.1: Oak seedlings",  # Quarto's book numbering: by chapter
        "Table 2.1: Seedlings per",
        "3 Reading the counts",
        "Figure 2.1 in Chapter 2 and Table 2.1",
    )
    assert "?@" not in text and "@fig" not in text


@pytest.mark.slow
def test_the_same_note_label_in_two_chapters_keeps_each_chapters_note(
    quarto_book: Path,
) -> None:
    text = pdf_text(quarto_book / "quarto-book.pdf")
    assert "unit Hooper\u2019s rule was calibrated on" in text
    assert "one field\u2019s length of hedge" in text


@pytest.mark.slow
def test_the_quarto_books_citations_resolve_from_the_bibliography_of_quarto_yml(
    quarto_book: Path,
) -> None:
    text = pdf_text(quarto_book / "quarto-book.pdf")
    assert in_order(text, "Hooper (1970)", "(Pollard et al. 1974, 12; Hooper 1970)")
    assert in_order(text, "References Hooper, Max D. 1970. Dating Hedges", "Pollard, Ernest")


@pytest.mark.slow
def test_the_quarto_books_epub_has_a_file_per_chapter_in_order(quarto_book: Path) -> None:
    xhtml = epub_xhtml(quarto_book / "quarto-book.epub")
    headings = [
        re.sub(r"<[^>]+>", "", heading)
        for heading in re.findall(r"<h1(?! class=\"title\")[^>]*>(.*?)</h1>", xhtml)
        if heading != "Contents"  # nav.xhtml's
    ]
    assert headings == [
        "Preface",
        "Surveys",
        "1 How the hedges were surveyed",
        "2 Seedlings along the margins",
        "Readings",
        "3 Reading the counts",
        "References",
        "A Transect list",
    ]
    assert "Figure 2.1 in Chapter 2" in re.sub(r"<[^>]+>", "", xhtml).replace("\u00a0", " ")


@pytest.mark.slow
def test_the_quarto_books_docx_holds_the_chapters_and_references_in_order(
    quarto_book: Path,
) -> None:
    text = docx_text(quarto_book / "quarto-book.docx").replace("\u00a0", " ")
    assert in_order(
        text,
        "Hedgerows of the Lowland Parish",
        "Preface",
        "How the hedges were surveyed",
        "Figure 2.1: Oak seedlings",
        "Reading the counts",
        "Figure 2.1 in Chapter 2",
        "Dating Hedges",
        "Transect list",
    )


@pytest.mark.slow
def test_the_manubot_paper_prints_authors_affiliations_and_sections_in_order(
    manubot_paper: Path,
) -> None:
    text = pdf_text(manubot_paper / "manubot-paper.pdf")
    assert in_order(
        text,
        "Soil crusts as a record of trampling on upland paths",
        "Tuuli Karvonen",
        "Aidan Brennan",
        "Department of Geography, University of the North",
        "Upland Paths Partnership",
        "Keywords: soil crust; footpath erosion; uplands",
        "Abstract",
        "Introduction",
        "(Belnap 2003)",
        "Methods",
        "(Table 1)",
        "Table 1: Quadrats per",
        "Discussion",
        "References Belnap, Jayne. 2003.",
        "Fell, Robin. 2005.",
    )
    assert "{%" not in text and "manubot." not in text and "{#" not in text


@pytest.mark.slow
def test_the_manubot_epub_and_docx_carry_the_authors_of_metadata_yaml(
    manubot_paper: Path,
) -> None:
    assert "Aidan Brennan" in epub_xhtml(manubot_paper / "manubot-paper.epub")
    docx = docx_text(manubot_paper / "manubot-paper.docx")
    assert in_order(docx, "Tuuli Karvonen", "Introduction", "Discussion", "Fell, Robin")


@pytest.mark.slow
def test_three_files_on_the_command_line_build_as_one_named_after_the_first(
    pandoc_files: Path,
) -> None:
    assert sorted(path.name for path in pandoc_files.iterdir()) == [
        "intro.docx",
        "intro.epub",
        "intro.pdf",
    ]
    text = pdf_text(pandoc_files / "intro.pdf")
    assert in_order(
        text,
        "Tide clocks of the northern harbours",
        "A working paper",  # the second file's front matter, merged as pandoc merges it
        "Introduction",
        "Sources and method",
        "What the clocks kept",
        "prediction of Equation 1, as the ledgers read in Sources and method show",
        "References",
        "Cartwright, David E. 1999.",
    )
    # `[^1]` in two files: each its own note
    assert "listed in Sources and method" in text and "lost in 1941" in text


@pytest.mark.slow
def test_the_several_files_epub_and_docx_resolve_across_files(pandoc_files: Path) -> None:
    epub = re.sub(r"<[^>]+>", "", epub_xhtml(pandoc_files / "intro.epub")).replace("\u00a0", " ")
    assert "prediction of Equation 1" in epub and "A working paper" in epub
    docx = docx_text(pandoc_files / "intro.docx").replace("\u00a0", " ")
    assert in_order(docx, "Introduction", "Sources and method", "Equation 1", "Doodson")


@pytest.mark.slow
def test_a_bookdown_book_takes_its_title_from_index_and_a_chapters_title_as_its_heading(
    tmp_path: Path,
) -> None:
    folder = copied("bookdown-notes", tmp_path)
    assert main([str(folder), "--quiet", "--to", "pdf"]) == 0
    text = pdf_text(folder / "output" / "river-notes.pdf")  # `book_filename`
    assert in_order(
        text,
        "Notes on a small river Jo Abbot",  # index.Rmd's front matter: the book's
        "Preface",
        "Flow The flow was gauged weekly",  # 01-flow.Rmd's `title:`, a chapter heading
        "Output of cell flow-plot not available",  # an R chunk, shown, not run
        "Banks",
    )


@pytest.mark.slow
def test_the_quarto_book_passes_the_release_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """EPUBCheck, DAISY Ace, the PDF/UA audit and the DOCX check on the whole book."""
    folder = copied("quarto-book", tmp_path)
    assert main([str(folder), "--check", "--quiet"]) == 0
    assert "PASSED: 0 error(s), 0 warning(s)" in capsys.readouterr().out


# --- messages name the chapter's own file and line ------------------------------------------


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.slow
def test_a_missing_key_in_chapter_three_names_chapter_threes_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copied("quarto-book", tmp_path)
    chapter = folder / "readings.qmd"
    chapter.write_text(chapter.read_text() + "\nA claim nobody made [@nobody2001].\n")
    assert main([str(folder), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert f"{chapter}:{line_of(chapter, 'nobody2001')}: citation key '@nobody2001'" in error


@pytest.mark.slow
def test_a_missing_label_in_the_third_file_names_that_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copied("pandoc-files", tmp_path)
    results = folder / "results.md"
    results.write_text(results.read_text().replace("@eq-tide", "@eq-tides"))
    files = [str(folder / name) for name in ("intro.md", "methods.md", "results.md")]
    assert main([*files, "--quiet"]) == 1
    error = capsys.readouterr().err
    assert f"{results}:{line_of(results, 'eq-tides')}: cross-reference '@eq-tides'" in error


@pytest.mark.slow
def test_a_missing_image_in_a_chapter_names_the_chapters_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copied("quarto-book", tmp_path)
    chapter = folder / "readings.qmd"
    chapter.write_text(chapter.read_text() + "\n![A map.](images/lost-map.png)\n")
    assert main([str(folder), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert f"{chapter}:{line_of(chapter, 'lost-map')}: image not found" in error


@pytest.mark.slow
def test_a_yaml_error_in_a_later_files_front_matter_names_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copied("pandoc-files", tmp_path)
    methods = folder / "methods.md"
    methods.write_text(methods.read_text().replace('subtitle: "A working paper"', "subtitle: [a"))
    files = [str(folder / name) for name in ("intro.md", "methods.md", "results.md")]
    assert main([*files, "--quiet"]) == 1
    assert f"{methods}:" in capsys.readouterr().err


@pytest.mark.slow
def test_a_missing_key_in_an_included_file_names_the_included_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "main.md").write_text("---\ntitle: T\nlang: en\n---\n\n{{< include part.md >}}\n")
    (tmp_path / "part.md").write_text("Some text.\n\nCites [@ghost2000].\n")
    assert main([str(tmp_path / "main.md"), "--quiet"]) == 1
    assert f"{tmp_path / 'part.md'}:3: citation key '@ghost2000'" in capsys.readouterr().err


@pytest.mark.slow
def test_manubot_template_lines_are_left_out_with_a_warning_naming_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copied("manubot-paper", tmp_path)
    with caplog.at_level(logging.WARNING):
        assert main([str(folder), "--quiet", "--to", "docx"]) == 0
    front = folder / "content" / "00.front-matter.md"
    assert any(
        f"{front}:1:" in record.getMessage() and "Jinja2" in record.getMessage()
        for record in caplog.records
    )


# --- every chapter is an input: the up-to-date check and --watch see each ------------------


@pytest.mark.slow
def test_an_edit_to_any_chapter_makes_the_book_out_of_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copied("quarto-book", tmp_path)
    monkeypatch.chdir(folder)
    assert main(["--to", "docx"]) == 0  # `typeset` in the book's folder
    assert main(["--to", "docx"]) == 0
    assert "up to date" in capsys.readouterr().out
    chapter = folder / "appendix" / "transects.qmd"
    chapter.write_text(chapter.read_text().replace("railway cutting", "railway embankment"))
    stat = chapter.stat()
    os.utime(chapter, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert main(["--to", "docx"]) == 0
    assert "up to date" not in capsys.readouterr().out
    assert "railway embankment" in docx_text(folder / "output" / "quarto-book.docx")


@pytest.mark.slow
def test_a_new_manubot_section_makes_the_paper_out_of_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copied("manubot-paper", tmp_path)
    monkeypatch.chdir(folder)
    assert main(["--to", "docx"]) == 0
    assert main(["--to", "docx"]) == 0
    assert "up to date" in capsys.readouterr().out
    (folder / "content" / "05.acknowledgements.md").write_text(
        "## Acknowledgements\n\nThe wardens walked the paths with us.\n"
    )
    content = folder / "content"
    stat = content.stat()
    os.utime(content, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert main(["--to", "docx"]) == 0
    assert "up to date" not in capsys.readouterr().out
    assert "wardens walked" in docx_text(folder / "output" / "manubot-paper.docx")


@pytest.mark.slow
def test_watch_mode_watches_every_chapter_and_the_quarto_yml(tmp_path: Path) -> None:
    from typeset.commands.build import build
    from typeset.commands.watch import watched_files

    folder = copied("quarto-book", tmp_path)
    config = load_config(None, project_dir=folder, overrides={"formats": "docx"})
    result = build(config)
    watched = {path.name for path in watched_files(config, None, result)}
    assert {"_quarto.yml", "index.qmd", "readings.qmd", "transects.qmd", "refs.bib"} <= watched
    assert "transects.png" in watched  # an appendix's figure, relative to its own folder


# --- listing captions are Markdown ------------------------------------------------------------


@pytest.mark.slow
def test_a_listing_caption_is_read_as_markdown() -> None:
    import json

    from typeset.pandoc import run_pandoc

    source = b'```{#lst-fit .python caption="Fitting *the* curve of @smith2020"}\nx = 1\n```\n'
    document = json.loads(run_pandoc(["--from", "markdown", "--to", "json"], source))
    caption = listing_captions_of(document)["lst-fit"]
    kinds = [node["t"] for node in caption]
    assert "Emph" in kinds and "Cite" in kinds
