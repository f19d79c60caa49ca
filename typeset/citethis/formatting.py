"""Formatting the essay's item with citeproc, in each style: reference and citation."""

from __future__ import annotations

import concurrent.futures
import json
import os
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from typeset import ast
from typeset.citations.pandoc_citeproc import run_citeproc as citeproc_to_json
from typeset.citethis.fragments import Block, render_fragments
from typeset.citethis.item import CslItem
from typeset.errors import CitationError
from typeset.styles import CSL_NAMESPACE, CslStyle

# The names readers look for, where the catalog files a style under another one.
STYLE_ALSO_KNOWN_AS: dict[str, str] = {
    "nlm-citation-sequence": "Vancouver",
    "chicago-notes-bibliography-17th-edition": "Turabian (9th edition follows Chicago 17th)",
}


CitationKind = Literal["in-text", "note", "numeric"]


@dataclass(frozen=True)
class FormattedReference:
    """The essay's reference and first citation in one style, as HTML, text and blocks."""

    style: CslStyle
    kind: CitationKind
    reference_html: str
    reference_text: str
    citation_html: str
    citation_text: str
    reference_blocks: tuple[Block, ...]  # pandoc blocks, the numeric label removed

    @property
    def label(self) -> str:
        """The style's title, with the name readers may know it by."""
        also = STYLE_ALSO_KNOWN_AS.get(self.style.name)
        if self.style.parent:  # a journal's style: its own title, then what it follows
            also = f"formatted as {self.style.parent_title}"
        return f"{self.style.title} — {also}" if also else self.style.title


def format_references(
    item: CslItem, styles: Sequence[CslStyle], lang: str
) -> list[FormattedReference]:
    """Format `item` in each style: one citeproc run per style, in parallel threads."""
    with tempfile.TemporaryDirectory(prefix="typeset-cite-") as workdir:
        item_file = Path(workdir) / "essay.json"
        item_file.write_text(json.dumps([item], ensure_ascii=False), encoding="utf-8")
        workers = min(len(styles), os.cpu_count() or 4) or 1
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            formatted = list(
                pool.map(
                    lambda style: _format_in_style(item_file, str(item["id"]), style, lang), styles
                )
            )
            fragments = [
                fragment for entry, citation in formatted for fragment in (entry, citation)
            ]
            # Every style's fragments in one pandoc run per output format, the two at once.
            html_rendered = pool.submit(render_fragments, fragments, "html")
            as_text = render_fragments(fragments, "plain")
            as_html = html_rendered.result()
    references = []
    for index, (style, (entry, _citation)) in enumerate(zip(styles, formatted, strict=True)):
        references.append(
            FormattedReference(
                style=style,
                kind=citation_kind(style),
                reference_html=as_html[2 * index],
                reference_text=as_text[2 * index],
                citation_html=as_html[2 * index + 1],
                citation_text=as_text[2 * index + 1],
                reference_blocks=tuple(entry),
            )
        )
    return references


def _format_in_style(
    item_file: Path, key: str, style: CslStyle, lang: str
) -> tuple[list[Block], list[Block]]:
    """The bibliography entry and the first citation (a note's text in note styles)."""
    document = run_citeproc(f"[@{key}]\n".encode(), "markdown", style, item_file, lang)
    entry = bibliography_entries(document)
    if not entry:
        raise CitationError(
            f"the style {style.name!r} prints no bibliography entry for the essay",
            path=style.path,
            hint="pick another style for 'cite this work'",
        )
    return without_number_label(entry[0]["c"][1]), _first_citation(document["blocks"][0])


def _first_citation(block: Block) -> list[Block]:
    """A note style's note text, or else the in-text citation."""
    nodes = list(ast.walk(block))
    for node in nodes:
        if node["t"] == "Note":
            return list(node["c"])
    for node in nodes:
        if node["t"] == "Cite":
            return [{"t": "Plain", "c": node["c"][1]}]
    return []


def run_citeproc(
    source: bytes,
    source_format: str,
    style: CslStyle,
    bibliography: Path,
    lang: str,
) -> dict[str, Any]:
    """Resolve the citations of `source` (markdown or pandoc JSON) to a pandoc document."""
    return citeproc_to_json(
        source, source_format, style, bibliography, ["--metadata", f"lang={lang}"]
    )


def bibliography_entries(document: dict[str, Any]) -> list[Block]:
    """The `Div .csl-entry` blocks of citeproc's bibliography, in the style's order."""
    for node in ast.walk(document["blocks"]):
        if node["t"] == "Div" and node["c"][0][0] == "refs":
            return [block for block in node["c"][1] if block["t"] == "Div"]
    return []


def without_number_label(blocks: list[Block]) -> list[Block]:
    """Drop a numeric style's "[1]" label: a reader's own list numbers it differently."""

    def rewrite(node: dict[str, Any]) -> Any:
        if node["t"] in ("Para", "Plain"):
            kept: list[dict[str, Any]] = []
            for inline in node["c"]:
                classes = inline["c"][0][1] if inline["t"] == "Span" else []
                if "csl-left-margin" in classes:
                    continue
                kept.extend(inline["c"][1] if "csl-right-inline" in classes else [inline])
            return {"t": node["t"], "c": kept}
        return None

    result: list[Block] = ast.transform(blocks, rewrite)
    return result


def citation_kind(style: CslStyle) -> CitationKind:
    if style.is_note_style:
        return "note"
    try:
        root = ElementTree.parse(style.path).getroot()
    except (ElementTree.ParseError, OSError):
        return "in-text"
    for category in root.iter(f"{CSL_NAMESPACE}category"):
        if category.get("citation-format") == "numeric":
            return "numeric"
    return "in-text"
