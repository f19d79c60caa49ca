"""Rewrites of the resolved document that every output format wants.

Run once on the resolved document (after citations, which may add notes), before the
format writers: what pandoc's writers would otherwise do differently per format.
"""

from __future__ import annotations

import itertools
from typing import Any

from typeset import ast

# Printed between two note calls that touch ("necessity.¹,²"), as LaTeX's footmisc
# `multiple` option does: otherwise ¹ and ² read as note 12.
NOTE_CALL_SEPARATOR = ","


def for_readers(document: dict[str, Any]) -> dict[str, Any]:
    """The document with figure alt text in place and adjacent note calls separated."""
    blocks = document["blocks"]
    found = ast.survey(blocks)
    # Each walk only when there is what it rewrites.
    if "fig-alt" in found.attribute_keys:
        blocks = ast.transform(blocks, _image_with_fig_alt)
    if "Note" in found.types:
        blocks = ast.transform(blocks, _separate_adjacent_note_calls)
    return {**document, "blocks": blocks}


def _image_with_fig_alt(node: ast.Node) -> ast.Node | None:
    """Quarto's `fig-alt` becomes the image's alt text, in every format.

    pandoc keeps `fig-alt` as a data attribute and uses the caption as alt text; the
    caption is already read aloud from the figure, the alt text should describe it.
    The alt inlines are replaced too: the DOCX writer reads its description from them.
    """
    if node["t"] != "Image":
        return None
    (identifier, classes, attributes), _, target = node["c"]
    alt = dict(attributes).get("fig-alt")
    if alt is None:
        return None
    kept = [[key, value] for key, value in attributes if key not in ("fig-alt", "alt")]
    words = alt.split()
    inlines: list[ast.Node] = []
    for word in words:
        if inlines:
            inlines.append({"t": "Space"})
        inlines.append({"t": "Str", "c": word})
    return {
        "t": "Image",
        "c": [[identifier, classes, [*kept, ["alt", alt]]], inlines, target],
    }


def _separate_adjacent_note_calls(node: ast.Node) -> ast.Node | None:
    """Put a superscript comma between two notes called one after the other.

    Inline lists are a node's content (Para, Emph) or one part of it (Span, Link).
    """
    content = node.get("c")
    if not isinstance(content, list):
        return None
    if _has_adjacent_notes(content):
        return {**node, "c": _separated(content)}
    parts = [_separated(part) if _has_adjacent_notes(part) else part for part in content]
    if all(new is old for new, old in zip(parts, content, strict=False)):
        return None
    return {**node, "c": parts}


def _has_adjacent_notes(inlines: Any) -> bool:
    return isinstance(inlines, list) and any(
        _is_note(first) and _is_note(second) for first, second in itertools.pairwise(inlines)
    )


def _separated(inlines: list[Any]) -> list[Any]:
    result: list[Any] = []
    for inline in inlines:
        if result and _is_note(inline) and _is_note(result[-1]):
            result.append({"t": "Superscript", "c": [{"t": "Str", "c": NOTE_CALL_SEPARATOR}]})
        result.append(inline)
    return result


def _is_note(value: Any) -> bool:
    return isinstance(value, dict) and value.get("t") == "Note"
