"""Long manuscripts in in-text styles are formatted from their citations alone: the result
must be exactly what citeproc gives on the whole document."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from typeset.cache import BuildCache
from typeset.citations.base import without_processing_fields
from typeset.citations.pandoc_citeproc import CACHE_KIND, PandocCiteproc, discard_runs_ahead
from typeset.manuscript import Manuscript, read_manuscript
from typeset.references import Bibliography, read_bibliography
from typeset.styles import resolve_style

sys.path.insert(0, str(PROJECT / "bench"))
from books import BookWriter, bibliography, write_figures

STYLES = [
    "chicago-author-date",
    "apa",
    "ieee",
    "modern-language-association",
    "harvard-cite-them-right",
    "american-political-science-association",
    "nlm-citation-sequence",
    "nature",
    "american-medical-association",
    "chicago-notes-bibliography",
]


def assert_extraction_changes_nothing(
    manuscript: Manuscript, bibliography: Bibliography, style_name: str, workdir: Path
) -> None:
    style = resolve_style(style_name, PROJECT)
    whole = PandocCiteproc(extract_from_citations=10**9).resolve(
        manuscript, bibliography, style, workdir
    )
    extracted = PandocCiteproc(extract_from_citations=1).resolve(
        manuscript, bibliography, style, workdir
    )
    assert json.dumps(extracted.document, sort_keys=True) == json.dumps(
        whole.document, sort_keys=True
    )


@pytest.fixture(scope="module")
def long_manuscript(tmp_path_factory: pytest.TempPathFactory) -> tuple[Manuscript, Bibliography]:
    folder = tmp_path_factory.mktemp("long")
    # a benchmark book: notes, tables, quotations and math around the citations
    write_figures(folder / "figures")
    (folder / "book.md").write_text(BookWriter(6_000, 30, seed=3).manuscript())
    (folder / "refs.bib").write_text(bibliography(30))
    return read_manuscript(folder / "book.md"), read_bibliography(folder / "refs.bib")


@pytest.mark.parametrize("style_name", STYLES)
def test_formatting_the_citations_alone_equals_formatting_the_whole_document(
    long_manuscript: tuple[Manuscript, Bibliography], style_name: str, tmp_path: Path
) -> None:
    manuscript, bibliography = long_manuscript
    assert_extraction_changes_nothing(manuscript, bibliography, style_name, tmp_path)


VARIED = """---
title: Varied
lang: en-US
nocite: "@waltz2010"
---

Plain [@hao1990], narrative @jervis1978 [p. 170], suppressed author [-@shen2012],
prefix and suffix [see @rawnsley2009, pp. 285-290; also @hao1990, chap. 2].
A note with citations.[^1] Again [@hao1990]. Ibid-prone [@hao1990, 99].

[^1]: As @mearsheimer2014 argues, and [@morgenthau2014; @coggins2011].

Last [@malet2010; @howard2017].
"""


@pytest.mark.parametrize("style_name", STYLES)
def test_extraction_keeps_locators_prefixes_narrative_and_footnote_citations(
    style_name: str, tmp_path: Path
) -> None:
    (tmp_path / "varied.md").write_text(VARIED)
    manuscript = read_manuscript(tmp_path / "varied.md")
    bibliography = read_bibliography(PROJECT / "refs.bib")
    assert_extraction_changes_nothing(manuscript, bibliography, style_name, tmp_path)


def _resolved_json(manuscript: Manuscript, bibliography: Bibliography, workdir: Path) -> str:
    style = resolve_style("chicago-author-date", PROJECT)
    engine = PandocCiteproc(extract_from_citations=1)
    resolved = engine.resolve(manuscript, bibliography, style, workdir)
    # as the build keeps it: the metadata that names the files citeproc read goes
    return json.dumps(without_processing_fields(resolved.document))


def test_a_run_started_ahead_on_other_citations_is_not_taken(tmp_path: Path) -> None:
    """The run started on the citations as parsed is kept only when the build sends exactly
    those: here the passes after the parse changed one (a locator), and the result is the
    one formatted afresh."""
    bibliography = read_bibliography(PROJECT / "refs.bib")
    (tmp_path / "parsed.md").write_text(VARIED)
    (tmp_path / "changed.md").write_text(VARIED.replace("[@hao1990, 99]", "[@hao1990, 12]"))
    parsed = read_manuscript(tmp_path / "parsed.md")
    changed = read_manuscript(tmp_path / "changed.md")
    expected = _resolved_json(changed, bibliography, tmp_path)
    style = resolve_style("chicago-author-date", PROJECT)
    PandocCiteproc(extract_from_citations=1).start_ahead(parsed, bibliography, style, None)
    assert _resolved_json(changed, bibliography, tmp_path) == expected
    assert "12" in expected and ", 99)" not in expected
    discard_runs_ahead()


def test_a_run_started_ahead_serves_the_same_citations_and_is_cached(tmp_path: Path) -> None:
    bibliography = read_bibliography(PROJECT / "refs.bib")
    (tmp_path / "varied.md").write_text(VARIED)
    manuscript = read_manuscript(tmp_path / "varied.md")
    expected = _resolved_json(manuscript, bibliography, tmp_path)
    style = resolve_style("chicago-author-date", PROJECT)
    cache = BuildCache(tmp_path / "cache")
    PandocCiteproc(extract_from_citations=1).start_ahead(manuscript, bibliography, style, cache)
    assert _resolved_json(manuscript, bibliography, tmp_path) == expected
    # kept by its exact input: the next build with these citations runs no pandoc
    assert len(list((tmp_path / "cache" / CACHE_KIND).glob("*.entry"))) == 1
    PandocCiteproc(extract_from_citations=1).start_ahead(manuscript, bibliography, style, cache)
    assert _resolved_json(manuscript, bibliography, tmp_path) == expected
