"""The manuscript side: which citations, in which order, where."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from typeset import ast
from typeset.manuscript import Manuscript
from typeset.references import Bibliography


class _Placement(enum.Enum):
    """Where a formatted citation goes, which decides its shape."""

    IN_TEXT = "in the text"  # in-text styles: "(Hao and Zhai 1990)", "Jervis (1978)"
    FOOTNOTE = "a new footnote"  # note styles, citation in the body: "forces.[^1]"
    WITHIN_NOTE = "inside the author's footnote"  # note styles: "(Shen, Mao)" in the note


@dataclass
class _CiteOccurrence:
    """A `Cite` node of the (copied) document, rewritten in place once formatted."""

    node: ast.Node
    placement: _Placement

    @property
    def citations(self) -> list[dict[str, Any]]:
        citations: list[dict[str, Any]] = self.node["c"][0]
        return citations

    @property
    def mode(self) -> str:
        return str(self.citations[0]["citationMode"]["t"])


def _cite_occurrences(
    value: Any, note_style: bool, in_note: bool = False
) -> Iterator[_CiteOccurrence]:
    """Every Cite below `value` in reading order (the order positions like ibid follow)."""
    for node, enclosing in ast.walk_with_enclosing(value):
        if node["t"] == "Cite" and "Cite" not in enclosing:
            placement = _Placement.IN_TEXT
            if note_style:
                in_a_note = in_note or "Note" in enclosing
                placement = _Placement.WITHIN_NOTE if in_a_note else _Placement.FOOTNOTE
            yield _CiteOccurrence(node, placement)


def _bibliography_keys(
    occurrences: Sequence[_CiteOccurrence], manuscript: Manuscript, bibliography: Bibliography
) -> list[str]:
    """Cited keys in order of first citation, then `nocite` keys: the order numeric styles
    number them in (`@*` adds every remaining item in the bibliography's order)."""
    keys = dict.fromkeys(
        str(citation["citationId"])
        for occurrence in occurrences
        for citation in occurrence.citations
    )
    for key in manuscript.nocite_keys():
        if key == "*":
            keys.update(dict.fromkeys(str(item["id"]) for item in bibliography.items))
        else:
            keys[key] = None
    return list(keys)


def _locale(meta: Mapping[str, Any]) -> str:
    """pandoc lets the document's `lang` override the style's default locale; so do we."""
    return ast.plain_text(meta.get("lang")) or ""


def _wants_citation_links(meta: Mapping[str, Any]) -> bool:
    """pandoc's `link-citations`: off unless the front matter turns it on."""
    value = meta.get("link-citations")
    if not value:
        return False
    if value["t"] == "MetaBool":
        return bool(value["c"])
    return ast.plain_text(value).strip().lower() in ("true", "yes", "on")


def _wants_bibliography(meta: Mapping[str, Any]) -> bool:
    suppress = meta.get("suppress-bibliography")
    return not (suppress and suppress.get("c") is True)
