"""citeproc-py's HTML back to pandoc inlines, in one pandoc run."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from typing import Any

from typeset import ast
from typeset.citations.citeproc_py.markers import _AFFIX_MARKER, _AFFIX_MARKER_BASE, _ALL_MARKERS
from typeset.errors import CitationError
from typeset.pandoc import PandocFailure, run_pandoc

Inlines = list[ast.Node]


_URL = re.compile(r"^(https?://\S+?)([.,;:]*)$")


class _HtmlFragments:
    """HTML snippets turned into pandoc inlines together, in a single pandoc run."""

    def __init__(self) -> None:
        self._snippets: list[str] = []

    def add(self, snippet: str) -> str:
        identifier = f"fragment-{len(self._snippets)}"
        self._snippets.append(snippet)
        return identifier

    def parse(self) -> dict[str, Inlines]:
        if not self._snippets:
            return {}
        page = "\n".join(
            f'<div id="fragment-{index}">{snippet}</div>'
            for index, snippet in enumerate(self._snippets)
        )
        try:
            parsed = json.loads(run_pandoc(["--from", "html", "--to", "json"], page.encode()))
        except PandocFailure as failure:
            raise CitationError(
                f"cannot read citeproc-py's output back: {failure.stderr.strip()}",
                hint="build with --engine pandoc, and report the style that caused this",
            ) from None
        inlines: dict[str, Inlines] = {
            f"fragment-{index}": [] for index in range(len(self._snippets))
        }
        for block in parsed["blocks"]:
            if block["t"] == "Div" and block["c"][0][0] in inlines:
                inlines[block["c"][0][0]] = _block_inlines(block["c"][1])
        return inlines


def _block_inlines(blocks: list[ast.Node]) -> Inlines:
    inlines: Inlines = []
    for block in blocks:
        if block["t"] in ("Plain", "Para"):
            if inlines:
                inlines.append({"t": "Space"})
            inlines.extend(block["c"])
    return inlines


def _splice_markers(value: Any, affixes: Sequence[Inlines]) -> Any:
    """`value` with each affix marker replaced by its inlines, other markers gone."""

    def splice(inlines: list[Any]) -> list[Any] | None:
        if not any(_is_marked_str(child) for child in inlines):
            return None
        spliced: list[Any] = []
        for child in inlines:
            if not _is_marked_str(child):
                spliced.append(child)
                continue
            for piece in _AFFIX_MARKER.split(child["c"]):
                if _AFFIX_MARKER.fullmatch(piece):
                    spliced.extend(copy.deepcopy(affixes[ord(piece) - _AFFIX_MARKER_BASE]))
                elif text := _ALL_MARKERS.sub("", piece):
                    spliced.append({"t": "Str", "c": text})
        return spliced

    return ast.transform(value, rewrite_list=splice)


def _is_marked_str(node: Any) -> bool:
    return (
        isinstance(node, dict) and node.get("t") == "Str" and bool(_ALL_MARKERS.search(node["c"]))
    )


_FORMATTED_INLINES = frozenset({"Emph", "Strong", "SmallCaps", "Superscript", "Subscript"})


def _link_urls(inlines: Inlines) -> Inlines:
    """Make URLs in an entry links, as pandoc does with link-bibliography."""
    linked: Inlines = []
    for node in inlines:
        match = _URL.match(node["c"]) if node["t"] == "Str" else None
        if match:
            url, trailing = match.groups()
            linked.append({"t": "Link", "c": [["", [], []], [{"t": "Str", "c": url}], [url, ""]]})
            if trailing:
                linked.append({"t": "Str", "c": trailing})
        elif node["t"] in _FORMATTED_INLINES:
            linked.append({"t": node["t"], "c": _link_urls(node["c"])})
        elif node["t"] == "Span":
            linked.append({"t": "Span", "c": [node["c"][0], _link_urls(node["c"][1])]})
        else:
            linked.append(node)
    return linked
