"""The style preview: the manuscript's own citations in several styles, side by side.

For each style the page shows three of the manuscript's citations in the sentence around
them and the first entries of its bibliography, so an author can choose at a glance. Each
style costs one citeproc run on a small extracted document (the three sentences, with the
rest of the cited works as nocite), run in parallel threads; one more pandoc run renders
every style's pieces to HTML.
"""

from __future__ import annotations

import concurrent.futures
import copy
import functools
import html
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.bibtex import math_from_citations
from typeset.citethis import (
    Block,
    CitationKind,
    bibliography_entries,
    citation_kind,
    render_fragments,
    run_citeproc,
    write_together,
)
from typeset.manuscript import Manuscript
from typeset.pages import Markup, read_page_asset, render_page
from typeset.pandoc import run_pandoc
from typeset.references import Bibliography
from typeset.styles import CslStyle, bibliography_heading, resolve_style

DEFAULT_PREVIEW_STYLES: tuple[str, ...] = (
    "apa",
    "chicago-author-date",
    "chicago-notes-bibliography",
    "modern-language-association",
    "harvard-cite-them-right",
    "ieee",
    "nature",
    "nlm-citation-sequence",  # Vancouver: the catalog has no style named "vancouver"
)
PREVIEW_FILE_NAME = "style-preview.html"
CITATIONS_SHOWN = 3
ENTRIES_SHOWN = 5

Inline = dict[str, Any]


@dataclass(frozen=True)
class Excerpt:
    """One citation of the manuscript and the sentence around it (unresolved inlines)."""

    key: str
    mode: str  # pandoc's citationMode: NormalCitation, AuthorInText, SuppressAuthor
    sentence: tuple[Inline, ...]
    line: int | None


@dataclass(frozen=True)
class StylePreview:
    """One style's rendering of the excerpts and the start of the bibliography (HTML)."""

    style: CslStyle
    kind: CitationKind
    sentences: tuple[str, ...]
    notes: tuple[tuple[str, ...], ...]  # per sentence, the notes its citations became
    entries: tuple[str, ...]
    entry_count: int
    hanging_indent: bool


def write_style_preview(
    manuscript: Manuscript,
    bibliography: Bibliography,
    styles: Sequence[str],
    output_dir: Path,
    project_dir: Path,
) -> Path:
    """Write `<output_dir>/style-preview.html` for `styles` (the defaults when empty).

    Every style is resolved before anything runs, so an unknown name fails fast with
    suggestions (StyleError); the page is written atomically.
    """
    resolved = [
        resolve_style(name, project_dir) for name in dict.fromkeys(styles or DEFAULT_PREVIEW_STYLES)
    ]
    excerpts = citation_excerpts(manuscript)
    previews = preview_styles(manuscript, bibliography, resolved, excerpts)
    destination = output_dir / PREVIEW_FILE_NAME
    page = style_preview_html(previews, excerpts, manuscript, project_dir)
    write_together({destination: page.encode()})
    return destination


# --- choosing the excerpts ---------------------------------------------------------------


def citation_excerpts(manuscript: Manuscript, count: int = CITATIONS_SHOWN) -> list[Excerpt]:
    """Up to `count` citations of different works, with at least two citation forms.

    The first citation is always shown; then the first one written another way (an
    author named in the text, `@key`, reads differently from `[@key]` in most styles);
    then the earliest others. They keep the manuscript's order.
    """
    candidates: list[tuple[int, Excerpt]] = []
    seen: set[str] = set()
    for position, (inlines, index) in enumerate(_citations_in_paragraphs(manuscript.document)):
        cite = _cite_in(inlines[index])
        assert cite is not None  # _citations_in_paragraphs found it there
        first = cite["c"][0][0]
        if first["citationId"] in seen:
            continue
        seen.add(first["citationId"])
        sentence = tuple(_without_notes(_sentence_around(inlines, index)))
        excerpt = Excerpt(
            key=first["citationId"],
            mode=first["citationMode"]["t"],
            sentence=sentence,
            line=manuscript.line_of_key(first["citationId"]),
        )
        candidates.append((position, excerpt))
    if not candidates:
        return []
    chosen = [candidates[0]]
    other_mode = next(
        (candidate for candidate in candidates[1:] if candidate[1].mode != candidates[0][1].mode),
        None,
    )
    if other_mode is not None and count > 1:
        chosen.append(other_mode)
    for candidate in candidates[1:]:
        if len(chosen) >= count:
            break
        if candidate not in chosen:
            chosen.append(candidate)
    return [excerpt for _, excerpt in sorted(chosen, key=lambda pair: pair[0])]


def _citations_in_paragraphs(document: dict[str, Any]) -> list[tuple[list[Inline], int]]:
    """(paragraph inlines, index of the inline holding a citation), in document order."""
    found = []
    for node in ast.walk(document["blocks"]):
        if node["t"] not in ("Para", "Plain"):
            continue
        for index, inline in enumerate(node["c"]):
            if _cite_in(inline) is not None:
                found.append((node["c"], index))
    return found


def _cite_in(inline: Inline) -> Inline | None:
    """The Cite at or inside `inline`, not counting one inside a footnote."""
    if inline["t"] == "Cite":
        return inline
    if inline["t"] == "Note":
        return None
    for node in ast.walk(inline.get("c")):
        if node["t"] == "Note":
            return None
        if node["t"] == "Cite":
            return node
    return None


# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    (
        "e.g.",
        "i.e.",
        "etc.",
        "cf.",
        "vs.",
        "al.",
        "Dr.",
        "Mr.",
        "Mrs.",
        "Ms.",
        "Prof.",
        "St.",
        "No.",
        "p.",
        "pp.",
        "ch.",
        "vol.",
        "ed.",
        "eds.",
    )
)
# A full stop, question or exclamation mark, then any closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.?!][\u201d\u2019\"')\]]*$")


def _sentence_around(inlines: list[Inline], index: int) -> list[Inline]:
    ends = [position for position in range(len(inlines)) if _ends_sentence(inlines, position)]
    start = max((end + 1 for end in ends if end < index), default=0)
    stop = min((end for end in ends if end >= index), default=len(inlines) - 1)
    sentence = inlines[start : stop + 1]
    while sentence and sentence[0]["t"] in ("Space", "SoftBreak", "LineBreak"):
        sentence = sentence[1:]
    return copy.deepcopy(sentence)


def _ends_sentence(inlines: list[Inline], position: int) -> bool:
    node = inlines[position]
    if node["t"] != "Str" or not _SENTENCE_END.search(node["c"]):
        return False
    if node["c"] in _ABBREVIATIONS or re.fullmatch(r"(?:[A-Z]\.)+", node["c"]):
        return False  # "e.g.", "U.S.", an initial
    following = inlines[position + 1 : position + 3]
    if not following:
        return True
    if following[0]["t"] not in ("Space", "SoftBreak", "LineBreak"):
        return False
    if len(following) == 1:
        return True
    next_word = following[1]
    return not (next_word["t"] == "Str" and next_word["c"][:1].islower())


def _without_notes(inlines: list[Inline]) -> list[Inline]:
    """The author's own footnotes are not part of the preview; citations' notes are."""
    return [inline for inline in inlines if inline["t"] != "Note"]


# --- formatting ----------------------------------------------------------------------------


def preview_styles(
    manuscript: Manuscript,
    bibliography: Bibliography,
    styles: Sequence[CslStyle],
    excerpts: Sequence[Excerpt],
) -> list[StylePreview]:
    """Format the excerpts and the bibliography in each style (a thread per style run)."""
    lang = ast.plain_text(manuscript.meta.get("lang")) or "en-US"
    document = {
        "pandoc-api-version": manuscript.document["pandoc-api-version"],
        "meta": {
            "nocite": _nocite_everything(),
            # The preview shows only part of the bibliography: links could dangle.
            "link-citations": {"t": "MetaBool", "c": False},
        },
        "blocks": [{"t": "Para", "c": list(excerpt.sentence)} for excerpt in excerpts],
    }
    source = json.dumps(document, ensure_ascii=False).encode()
    with tempfile.TemporaryDirectory(prefix="typeset-preview-") as workdir:
        references = Path(workdir) / "references.json"
        references.write_bytes(_cited_items_json(manuscript, bibliography))
        workers = min(len(styles), os.cpu_count() or 4) or 1
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            resolved = list(
                pool.map(
                    lambda style: run_citeproc(source, "json", style, references, lang), styles
                )
            )
    # bibliography math travels as placeholders through citeproc (typeset/bibtex.py)
    resolved = [math_from_citations(document) for document in resolved]
    pieces = [_pieces(document, len(excerpts)) for document in resolved]
    fragments = [
        fragment
        for sentences, notes, entries, _ in pieces
        for fragment in [*sentences, *(note for group in notes for note in group), *entries]
    ]
    rendered = iter(render_fragments(fragments, "html"))
    previews = []
    for style, document, (sentences, notes, entries, entry_count) in zip(
        styles, resolved, pieces, strict=True
    ):
        previews.append(
            StylePreview(
                style=style,
                kind=citation_kind(style),
                sentences=tuple(next(rendered) for _ in sentences),
                notes=tuple(tuple(next(rendered) for _ in group) for group in notes),
                entries=tuple(next(rendered) for _ in entries),
                entry_count=entry_count,
                hanging_indent=_has_hanging_indent(document),
            )
        )
    return previews


def _cited_items_json(manuscript: Manuscript, bibliography: Bibliography) -> bytes:
    """The works the full bibliography would list: those cited, and those in nocite."""
    wanted = set(manuscript.cited_keys()) | set(manuscript.nocite_keys())
    items = [item for item in bibliography.items if "*" in wanted or str(item["id"]) in wanted]
    return json.dumps(items, ensure_ascii=False).encode()


@functools.cache
def _nocite_everything() -> dict[str, Any]:
    """`nocite: "@*"` as pandoc parses it (a Cite of the key "*"); callers must not mutate."""
    parsed = json.loads(
        run_pandoc(["--from", "markdown", "--to", "json"], b'---\nnocite: "@*"\n---\n')
    )
    nocite: dict[str, Any] = parsed["meta"]["nocite"]
    return nocite


def _pieces(
    document: dict[str, Any], sentence_count: int
) -> tuple[list[list[Block]], list[list[list[Block]]], list[list[Block]], int]:
    """Split a resolved preview into sentences, their notes, and bibliography entries.

    A note style's citations are notes: each becomes a superscript number in the
    sentence, its text listed below it, numbered through the preview as in a document.
    """
    sentences: list[list[Block]] = []
    notes: list[list[list[Block]]] = []
    for block in document["blocks"][:sentence_count]:
        found: list[list[Block]] = []

        def number_note(node: dict[str, Any], found: list[list[Block]] = found) -> Any:
            if node["t"] != "Note":
                return None
            found.append(node["c"])
            number = sum(len(group) for group in notes) + len(found)
            return {"t": "Superscript", "c": [{"t": "Str", "c": str(number)}]}

        sentences.append([ast.transform(block, number_note)])
        notes.append(found)
    entries = bibliography_entries(document)
    return sentences, notes, [entry["c"][1] for entry in entries[:ENTRIES_SHOWN]], len(entries)


def _has_hanging_indent(document: dict[str, Any]) -> bool:
    for node in ast.walk(document["blocks"]):
        if node["t"] == "Div" and node["c"][0][0] == "refs":
            return "hanging-indent" in node["c"][0][1]
    return False


# --- the page --------------------------------------------------------------------------------


_KIND_LABELS = {"in-text": "author-date", "note": "notes", "numeric": "numeric"}


def style_preview_html(
    previews: Sequence[StylePreview],
    excerpts: Sequence[Excerpt],
    manuscript: Manuscript,
    project_dir: Path,
) -> str:
    cards = [_style_card(preview) for preview in previews]
    if excerpts:
        lines = ", ".join(str(excerpt.line) for excerpt in excerpts if excerpt.line)
        where = f" (lines {lines})" if lines else ""
        intro = (
            f"{len(excerpts)} citations from <code>{html.escape(manuscript.path.name)}</code>"
            f"{where} in each style, and the first entries of its bibliography."
        )
    else:
        intro = "The manuscript cites nothing yet: each style shows the start of its bibliography."
    title = ast.plain_text(manuscript.meta.get("title")) or manuscript.path.name
    return render_page(
        project_dir,
        "preview.html",
        lang=ast.plain_text(manuscript.meta.get("lang")) or "en",
        title=title,
        intro=Markup(intro),
        style_count=len(previews),
        css=Markup(
            read_page_asset(project_dir, "copy-button.css")
            + read_page_asset(project_dir, "preview.css")
        ),
        script=Markup(read_page_asset(project_dir, "citethis.js")),
        cards=Markup("\n".join(cards)),
    )


def _style_card(preview: StylePreview) -> str:
    name = html.escape(preview.style.name)
    excerpts = []
    note_number = 0
    for sentence, notes in zip(preview.sentences, preview.notes, strict=True):
        note_items = []
        for note in notes:
            note_number += 1  # notes run on through the excerpts, as through a document
            note_items.append(f'<li value="{note_number}">{note}</li>')
        note_html = f'<ol class="notes">{"".join(note_items)}</ol>' if note_items else ""
        excerpts.append(f'<li class="excerpt">{sentence}{note_html}</li>')
    more = preview.entry_count - len(preview.entries)
    more_html = f'<p class="more">… and {more} more</p>' if more > 0 else ""
    indent = " hanging-indent" if preview.hanging_indent else ""
    return (
        f'<section class="style-card" id="style-{name}" data-style="{name}">\n'
        f'<header><h2 class="style-title">{html.escape(preview.style.title)}</h2>\n'
        f'<p class="style-meta"><code>{name}</code> · {_KIND_LABELS[preview.kind]}</p>\n'
        f'<button type="button" class="copy" data-copy-text="{name}"'
        f' data-copy-label="{name}" title="Copy the style name for --style">Copy name</button>'
        f"</header>\n"
        f'<h3>In the text</h3>\n<ul class="excerpts">{"".join(excerpts)}</ul>\n'
        f"<h3>{html.escape(bibliography_heading(preview.style, None))}</h3>\n"
        f'<div class="bibliography{indent}">'
        + "".join(f'<div class="csl-entry">{entry}</div>' for entry in preview.entries)
        + f"</div>{more_html}\n</section>"
    )
