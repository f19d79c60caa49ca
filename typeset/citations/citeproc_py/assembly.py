"""Assembling the document: each Cite's new content and the bibliography."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from typeset import ast
from typeset.citations.base import (
    has_own_bibliography_heading,
)
from typeset.citations.citeproc_py.locators import _text_inlines
from typeset.citations.citeproc_py.notes import _footnote
from typeset.citations.citeproc_py.occurrences import _locale, _Placement
from typeset.citations.citeproc_py.rendering import Inlines
from typeset.citations.citeproc_py.session import _BibliographyLayout
from typeset.styles import CslStyle, bibliography_heading


def _cite_content(citation: Inlines, author: Inlines | None, placement: _Placement) -> Inlines:
    """The Cite's new content, shaped as pandoc shapes it for `placement`; `author` is
    set for author-in-text citations ("Jervis (1978)", "Jervis[^1]")."""
    if placement is _Placement.FOOTNOTE:
        note = [_footnote(citation)] if citation else []
        return note if author is None else author + note
    if placement is _Placement.WITHIN_NOTE and author is None:
        return [{"t": "Str", "c": "("}, *citation, {"t": "Str", "c": ")"}]
    if author is None:
        return citation
    if not (author and citation):
        return author + citation
    if placement is _Placement.WITHIN_NOTE:
        return [*author, {"t": "Str", "c": ","}, {"t": "Space"}, *citation]
    return [*author, {"t": "Space"}, *citation]


def _insert_bibliography(
    document: dict[str, Any],
    entries: Sequence[tuple[str, Inlines]],
    layout: _BibliographyLayout,
    style: CslStyle,
) -> None:
    """Put the entries in the manuscript's `::: {#refs}` div if it has one (as pandoc
    does), else append the style's heading and a refs div at the end."""
    entry_divs = [
        {"t": "Div", "c": [[f"ref-{key}", ["csl-entry"], []], [{"t": "Para", "c": inlines}]]}
        for key, inlines in entries
    ]
    classes = ["references", "csl-bib-body"] + (["hanging-indent"] if layout.hanging_indent else [])
    attributes = [list(pair) for pair in layout.attributes]
    for node in ast.walk(document["blocks"]):
        if node["t"] == "Div" and node["c"][0][0] == "refs":
            identifier, existing_classes, existing_attributes = node["c"][0]
            node["c"][0] = [
                identifier,
                list(dict.fromkeys(classes + existing_classes)),
                existing_attributes + attributes,
            ]
            node["c"][1] = node["c"][1] + entry_divs
            return
    refs = {"t": "Div", "c": [["refs", classes, attributes], entry_divs]}
    if has_own_bibliography_heading(document["blocks"]):
        document["blocks"] = [*document["blocks"], refs]
        return
    heading = {
        "t": "Header",
        "c": [1, ["bibliography", ["unnumbered"], []], _heading_inlines(document["meta"], style)],
    }
    document["blocks"] = [*document["blocks"], heading, refs]


def _heading_inlines(meta: Mapping[str, Any], style: CslStyle) -> Inlines:
    title = meta.get("reference-section-title")
    if title and title["t"] == "MetaInlines":
        inlines: Inlines = title["c"]
        return inlines
    text = ast.plain_text(title) if title else bibliography_heading(style, _locale(meta))
    return _text_inlines(text)
