"""Note styles: citations as footnotes, placed after the punctuation."""

from __future__ import annotations

from typing import Any

from typeset import ast
from typeset.citations.citeproc_py.rendering import Inlines

_NOTE_PUNCTUATION = ".,;:!?"


def _footnote(inlines: Inlines) -> ast.Node:
    return {"t": "Note", "c": [{"t": "Para", "c": _capitalize_first(inlines)}]}


def _capitalize_first(inlines: Inlines) -> Inlines:
    """A note begins a sentence: "see Waltz" becomes "See Waltz", as pandoc writes it."""
    for node in ast.walk(inlines):
        if node["t"] == "Str":
            node["c"] = node["c"][:1].upper() + node["c"][1:]
            break
    return inlines


def _is_note_citation(node: Any) -> bool:
    if not (isinstance(node, dict) and node.get("t") == "Cite"):
        return False
    content = node["c"][1]
    return bool(content) and content[-1]["t"] == "Note"


def _place_note_citations(value: Any, punctuation_in_quote: bool) -> Any:
    """Move each footnote citation after the punctuation that follows it, dropping the
    space before it: "forces [@key]." reads "forces.[^1]", as pandoc places them."""

    def place(inlines: list[Any]) -> list[Any] | None:
        if any(_is_note_citation(child) for child in inlines):
            return _punctuation_before_notes(inlines, punctuation_in_quote)
        return None

    return ast.transform(value, rewrite_list=place)


def _punctuation_before_notes(inlines: Inlines, punctuation_in_quote: bool) -> Inlines:
    placed: Inlines = []
    index = 0
    while index < len(inlines):
        node = inlines[index]
        index += 1
        if not _is_note_citation(node):
            placed.append(node)
            continue
        author_in_text = node["c"][0][0]["citationMode"]["t"] == "AuthorInText"
        if not author_in_text and placed and placed[-1]["t"] in ("Space", "SoftBreak"):
            placed.pop()
        following = inlines[index] if index < len(inlines) else None
        punctuation = ""
        if following is not None and following["t"] == "Str":
            text = following["c"]
            punctuation = text[: len(text) - len(text.lstrip(_NOTE_PUNCTUATION))]
        if punctuation:
            _put_before_note(punctuation, placed, punctuation_in_quote)
            rest = following["c"][len(punctuation) :] if following else ""
            placed.append(node)
            if rest:
                placed.append({"t": "Str", "c": rest})
            index += 1
        else:
            placed.append(node)
    return placed


def _put_before_note(punctuation: str, placed: Inlines, punctuation_in_quote: bool) -> None:
    previous = placed[-1] if placed else None
    if previous is not None and previous["t"] == "Str" and previous["c"].endswith(punctuation):
        return  # "end. [@key]." keeps one period (pandoc would print two)
    if (
        punctuation_in_quote
        and punctuation in (".", ",")
        and previous is not None
        and previous["t"] == "Quoted"
    ):
        # The locale's punctuation-in-quote: '"quoted" [@key].' reads '"quoted."[^1]'.
        previous["c"][1] = [*previous["c"][1], {"t": "Str", "c": punctuation}]
        return
    placed.append({"t": "Str", "c": punctuation})
