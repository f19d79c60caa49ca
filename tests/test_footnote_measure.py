"""A page's notes measured one by one, and its note area made of the notes as measured
(typeset/formats/pdf/weasyprint/footnotes.py), give the PDF WeasyPrint's own layout gives,
byte for byte.

Each manuscript is built as a one-pass PDF twice, with the measuring and with WeasyPrint's
own `_update_footnote_area`, and the two PDFs must be the same bytes. The manuscripts are
the notes-heavy humanities article of the corpus, a generated note-style book, and notes
made to be hard: eight to a paragraph, notes that open or close with a list or a quotation
(whose margins are the ones that could collapse between neighbours), multi-paragraph
notes, and a note too long for the page's note area, which WeasyPrint moves on. Spies
check the fast paths were taken, so the test cannot pass on two builds of the same code.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from typeset import build, load_config
from typeset.formats.pdf.weasyprint import footnotes as weasyprint_footnotes

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
sys.path.insert(0, str(PROJECT / "bench"))

from books import BookWriter, bibliography, write_figures  # noqa: E402

pytestmark = pytest.mark.slow

HARD_NOTES = """---
title: Hard notes
lang: en-GB
---

# Many notes

{paragraphs}
"""

NOTE_SHAPES = (
    "A short note citing @{key}.",
    "- a note that opens with a list\n    - of two items, citing @{key}",
    "A note that closes with a quotation, after @{key}:\n\n"
    "    > Quoted words that end the note, with a margin below them.",
    "> A note that opens with a quotation\n\n    and goes on in prose, as @{key} has it.",
    "First paragraph of a longer note on @{key}.\n\n"
    "    Second paragraph, indented as the first line of a new paragraph.\n\n"
    "    1. and a numbered list\n    2. that closes it",
)


def _hard_notes_manuscript(keys: list[str]) -> str:
    paragraphs = []
    notes = []
    number = 0
    for paragraph in range(24):
        calls = 8 if paragraph % 3 == 0 else 2
        words = []
        for call in range(calls):
            number += 1
            key = keys[number % len(keys)]
            words.append(f"Sentence {call} of paragraph {paragraph} makes a point.[^n{number}]")
            shape = NOTE_SHAPES[number % len(NOTE_SHAPES)]
            notes.append(f"[^n{number}]: {shape.format(key=key)}")
        paragraphs.append(" ".join(words))
    # One note longer than the note area may be (max-height: 45% of the page).
    number += 1
    long_note = " ".join(["A very long note, with many words in it."] * 220)
    paragraphs.append(f"The last call has a note longer than a page's note area.[^n{number}]")
    notes.append(f"[^n{number}]: {long_note}")
    body = "\n\n".join(paragraphs) + "\n\n" + "\n\n".join(notes)
    return HARD_NOTES.format(paragraphs=body)


def _manuscripts(folder: Path) -> list[tuple[Path, Path]]:
    humanities = folder / "humanities"
    shutil.copytree(CORPUS / "humanities", humanities)
    book = folder / "book"
    write_figures(book / "figures")
    (book / "book.md").write_text(BookWriter(6_000, 40, seed=11).manuscript())
    (book / "refs.bib").write_text(bibliography(40))
    hard = folder / "hard"
    hard.mkdir()
    (hard / "refs.bib").write_text(bibliography(20))
    keys = [line.split("{", 1)[1].rstrip(",") for line in bibliography(20).splitlines()
            if line.startswith("@")]  # fmt: skip
    (hard / "notes.md").write_text(_hard_notes_manuscript(keys))
    return [
        (humanities / "article.md", humanities / "refs.bib"),
        (book / "book.md", book / "refs.bib"),
        (hard / "notes.md", hard / "refs.bib"),
    ]


def _pdf(manuscript: Path, references: Path, out: Path) -> bytes:
    config = load_config(
        None,
        overrides={
            "manuscript": str(manuscript),
            "bibliography": str(references),
            "style": "chicago-notes-bibliography",
            "formats": "pdf",  # one format: written in this process, where the spy is
            "output_dir": str(out),
            "cite_this_work": False,
        },
        project_dir=PROJECT,
    )
    return build(config, force=True).outputs["pdf"].read_bytes()


def test_notes_measured_one_by_one_make_the_same_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from weasyprint.layout import LayoutContext, page

    assert weasyprint_footnotes.measure_footnotes_one_by_one()
    measured = LayoutContext._update_footnote_area
    weasyprints_own = measured.weasyprint_original

    exact_pages: list[bool] = []
    stacks_exactly = weasyprint_footnotes._stacks_exactly

    def spy(note: object) -> bool:
        exact_pages.append(stacks_exactly(note))
        return exact_pages[-1]

    stacked_areas: list[object] = []
    stacked_notes = weasyprint_footnotes._stacked_notes

    def stacked_spy(context: object, box: Any) -> object:
        stacked = stacked_notes(context, box)
        if box.children:  # a page with notes
            stacked_areas.append(stacked)
        return stacked

    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TYPESET_PDF_SPLIT", "0")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the same dates in both PDFs
    monkeypatch.setattr(weasyprint_footnotes, "_stacks_exactly", spy)
    monkeypatch.setattr(weasyprint_footnotes, "_stacked_notes", stacked_spy)
    for index, (manuscript, references) in enumerate(_manuscripts(tmp_path)):
        exact_pages.clear()
        stacked_areas.clear()
        fast = _pdf(manuscript, references, tmp_path / f"fast{index}")
        assert exact_pages and all(exact_pages), manuscript  # every note took the fast path
        # the pages' note areas are made of the measured notes, except where a note holds
        # boxes out of the flow (a list's outside markers): WeasyPrint lays those out
        assert any(stacked_areas), manuscript
        with monkeypatch.context() as own:
            own.setattr(LayoutContext, "_update_footnote_area", weasyprints_own)
            own.setattr(page, "block_level_layout", page.block_level_layout.weasyprint_original)
            slow = _pdf(manuscript, references, tmp_path / f"own{index}")
        assert fast == slow, f"{manuscript.name}: the PDFs differ"
