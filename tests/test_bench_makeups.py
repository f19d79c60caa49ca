"""The benchmark's generated books of other make-ups (bench/makeups.py): deterministic,
of the make-up they claim, with valid figures and citations that all resolve."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zlib
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from typeset.pandoc import pandoc_path

sys.path.insert(0, str(PROJECT / "bench"))

from makeups import MAKEUPS, write_makeup


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", MAKEUPS)
def test_the_same_makeup_and_size_give_the_same_bytes(name: str, tmp_path: Path) -> None:
    write_makeup(name, "2k", tmp_path / "a")
    write_makeup(name, "2k", tmp_path / "b")
    write_makeup(name, "2k", tmp_path / "c", seed=30)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert (tmp_path / "a" / "book.md").read_text() != (tmp_path / "c" / "book.md").read_text()


def test_short_chapters_each_hold_a_table_of_cited_cells_and_a_quotation(tmp_path: Path) -> None:
    manuscript, _ = write_makeup("chapters", "10k", tmp_path)
    chapters = re.split(r"^# ", manuscript.read_text(), flags=re.MULTILINE)[1:]
    assert len(chapters) >= 50  # ~170 words each
    for chapter in chapters:
        cells = [line.split("|")[3] for line in chapter.splitlines() if re.match(r"\| \w", line)]
        assert cells[1:] and all("@ref" in cell for cell in cells[1:])  # the header aside
        assert "\n> " in chapter
    text = manuscript.read_text()
    assert "^[" in text and "https://" in text and "lang=ja" in text
    assert re.search(r"\[@ref\d+(, \d+)?; @ref\d+", text)  # clustered


def test_the_long_chapter_has_one_heading_and_thousands_of_paragraphs(tmp_path: Path) -> None:
    manuscript, _ = write_makeup("long", "50k", tmp_path)
    body = manuscript.read_text().split("\n---\n", 1)[1]
    assert len(re.findall(r"^#", body, flags=re.MULTILINE)) == 1
    assert len(body.split("\n\n")) > 1_500


def test_the_review_cites_in_every_sentence_from_600_entries(tmp_path: Path) -> None:
    manuscript, bibliography = write_makeup("review", "50k", tmp_path)
    assert bibliography.read_text().count("\n@") + 1 == 600
    paragraphs = [p for p in manuscript.read_text().split("\n\n") if p[:1].isupper()]
    sentences = [s for p in paragraphs for s in re.split(r"(?<=\.) (?=[A-Z])", p)]
    cited = [s for s in sentences if "@ref" in s]
    assert len(cited) / len(sentences) > 0.85  # the closing remarks carry none


def test_figures_are_valid_pngs_and_svgs_without_a_doctype(tmp_path: Path) -> None:
    manuscript, _ = write_makeup("figures", "10k", tmp_path)
    text = manuscript.read_text()
    paths = re.findall(r"\]\((figures/[^)]+)\)\{#fig-(\d+)", text)
    pngs = [p for p, _ in paths if p.endswith(".png")]
    svgs = [p for p, _ in paths if p.endswith(".svg")]
    assert len(pngs) >= 30 and len(svgs) >= 8 and len(set(pngs)) == len(pngs)
    for path in pngs:
        data = (tmp_path / path).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        length = struct.unpack(">I", data[33:37])[0]
        raw = zlib.decompress(data[41 : 41 + length])
        assert len(raw) == height * (1 + 3 * width)
    for path in svgs:
        source = (tmp_path / path).read_text()
        assert "<!DOCTYPE" not in source
        assert ElementTree.fromstring(source).tag == "{http://www.w3.org/2000/svg}svg"
    assert all(f"@fig-{number}" in text for _, number in paths)


def test_the_contents_book_asks_for_a_contents_of_a_heading_per_25_words(tmp_path: Path) -> None:
    manuscript, _ = write_makeup("contents", "50k", tmp_path)
    text = manuscript.read_text()
    assert "\ntoc: true" in text.split("\n---\n", 1)[0]
    assert len(re.findall(r"^#{1,3} ", text, flags=re.MULTILINE)) >= 2_000


@pytest.mark.slow
@pytest.mark.parametrize("name", MAKEUPS)
def test_pandoc_resolves_every_citation_of_the_makeup(name: str, tmp_path: Path) -> None:
    manuscript, bibliography = write_makeup(name, "2k", tmp_path)
    completed = subprocess.run(
        [pandoc_path(), manuscript.name, "--citeproc", "--bibliography", str(bibliography),
         "--to", "plain", "-o", "/dev/null"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    # Quarto's labels (figures, tables, sections) are cross-references, which bare pandoc
    # does not know
    crossref = r"(?:fig|tbl|sec)-"
    missing = re.findall(r"citation (\S+) not found", completed.stderr)
    assert [key for key in missing if not re.match(crossref, key)] == []
    unexplained = re.sub(rf".*citation {crossref}\S+ not found\n", "", completed.stderr)
    assert "WARNING" not in unexplained


def test_the_uneven_book_has_one_chapter_of_two_fifths(tmp_path: Path) -> None:
    manuscript, _ = write_makeup("uneven", "50k", tmp_path)
    chapters = re.split(r"^# ", manuscript.read_text(), flags=re.MULTILINE)[1:]
    words = [len(chapter.split()) for chapter in chapters]
    assert len(chapters) == 7
    assert 0.35 <= max(words) / sum(words) <= 0.45
    assert all("\n## " in chapter for chapter in chapters)


def test_the_programming_book_has_code_in_three_languages(tmp_path: Path) -> None:
    manuscript, _ = write_makeup("code", "20k", tmp_path)
    text = manuscript.read_text()
    fences = re.findall(r"^```(\w+)$", text, flags=re.MULTILINE)
    assert set(fences) == {"python", "r", "bash"} and len(fences) >= 150
    assert "::: {.callout-" in text and re.search(r"`\w+`", text)


def test_the_catalogue_has_long_tables(tmp_path: Path) -> None:
    manuscript, _ = write_makeup("catalogue", "20k", tmp_path)
    tables = re.findall(r"(?:^\|.*\n)+", manuscript.read_text(), flags=re.MULTILINE)
    rows = [table.count("\n") - 2 for table in tables]  # the header and its rule aside
    assert rows and min(rows) >= 40 and max(rows) <= 120
