"""Quarto's cross-references: number figures, tables, equations and sections, resolve `@fig-x`.

One AST-to-AST stage on the parsed manuscript, run before the citation-key check, so the
PDF, EPUB and DOCX all start from the same numbered document. The syntax is Quarto's:

    ![Caption](plot.png){#fig-plot}          ::: {#fig-panel} ... Caption :::
    : Caption {#tbl-data}   (after a table)   ::: {#tbl-data} table, Caption :::
    $$ E = mc^2 $$ {#eq-energy}               ## Methods {#sec-methods}

`@fig-plot` -> "Figure 1" (a link), `@Fig-plot` capitalises the word, `[-@fig-plot]` -> "1",
`[Fig. @fig-plot]` -> "Fig. 1" (a prefix replaces the word, as in Quarto), and
`[@fig-a; @fig-b]` -> "Figure 1, Figure 2" (Quarto joins a group with commas).

Citations and labels never mix: a key with a cross-reference prefix that names a label is
a reference, taken out of its Cite; one that names no label but is a bibliography key
(`fig-1990`) stays a citation; one that is neither is a missing label.

The stage reads top to bottom, one module per job:

    syntax (typeset.crossref.syntax): the labels' kinds; `kind:name` labels spelled
        `kind-name`; Quarto's `::: {#fig-x}` divs made Figure and Table blocks
    numbering (numbering): floats, equations, headings, theorems and listings numbered,
        captions prefixed, in the words of the document's language (words)
    resolve (resolve): each `@fig-x` a linked "Figure 1", citations left alone
    lists (lists): the lists of figures and tables
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typeset import ast
from typeset.ast import Node
from typeset.crossref.lists import list_of
from typeset.crossref.numbering import figure_id_on_div, number_targets
from typeset.crossref.resolve import ReferenceResolver
from typeset.crossref.syntax import (
    KIND_TERMS,
    LISTING_KINDS,
    floats_from_divs,
    kind_of,
    lowered,
    with_dashed_labels,
)
from typeset.crossref.words import Words
from typeset.errors import CitationError

if TYPE_CHECKING:
    from typeset.config import Config
    from typeset.manuscript import Manuscript

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrossReferences:
    """The numbered document and what the references could not find."""

    document: dict[str, Any]
    missing: tuple[str, ...] = ()  # labels referred to that exist nowhere, in order
    duplicates: tuple[str, ...] = ()  # labels on more than one element (the first counts)


def number_document(
    document: dict[str, Any],
    *,
    citation_keys: Iterable[str] = (),
    number_sections: bool = False,
    list_of_figures: bool = False,
    list_of_tables: bool = False,
    listing_captions: Mapping[str, list[Node]] | None = None,
) -> CrossReferences:
    """Number the labelled floats, equations and headings; resolve every reference.

    `citation_keys` are the bibliography's keys: a key there that names no label is a
    citation. `listing_captions` are the listings' `caption` attributes parsed as
    Markdown, by label (`listing_captions_of`); without one a caption is plain text.
    Pure: the input document is not modified.
    """
    words = Words.from_meta(document["meta"])
    blocks = with_dashed_labels(document["blocks"], frozenset(citation_keys))
    blocks = floats_from_divs(blocks)
    # Numbering makes no Cite and no Figure of its own (a listing's caption may hold a
    # Cite): what is learnt before it tells which of the walks after it have work.
    found = ast.survey(blocks)
    cited = found.citation_ids | ast.survey(list((listing_captions or {}).values())).citation_ids
    blocks, targets, duplicates = number_targets(
        blocks,
        words,
        number_sections=number_sections,
        captions=listing_captions or {},
        chapters=_chapters_flag(document["meta"]),
    )
    resolver = ReferenceResolver(targets, frozenset(citation_keys), words)
    if any(resolver.is_reference(key) for key in cited):
        blocks = ast.transform(blocks, rewrite_list=resolver.habits)
        blocks = ast.transform(blocks, resolver.rewrite)
    if "Figure" in found.types:
        blocks = ast.transform(blocks, figure_id_on_div)
    front: list[Node] = []
    level = min((block["c"][0] for block in blocks if block["t"] == "Header"), default=1)
    if list_of_figures:
        front.append(list_of(targets, "fig", "list-of-figures", words, level))
    if list_of_tables:
        front.append(list_of(targets, "tbl", "list-of-tables", words, level))
    numbered = dict(document)
    numbered["blocks"] = [*front, *blocks] if front else blocks
    return CrossReferences(numbered, tuple(dict.fromkeys(resolver.missing)), duplicates)


# What makes a caption more than plain text: citations, emphasis, code, math, links.
_MARKDOWN_IN_CAPTION = re.compile(r"[@*_`$~^<\\\[]")


def _chapters_flag(meta: dict[str, Any]) -> bool:
    """Quarto's `crossref: chapters: true`."""
    crossref = meta.get("crossref")
    if not isinstance(crossref, dict) or crossref.get("t") != "MetaMap":
        return False
    value = crossref["c"].get("chapters")
    if isinstance(value, dict) and value.get("t") == "MetaBool":
        return bool(value["c"])
    return ast.plain_text(value).strip().lower() == "true"


def listing_captions_of(document: dict[str, Any]) -> dict[str, list[Node]]:
    """The `caption` (`lst-cap`, `algo-cap`) of each labelled listing, read as Markdown as
    Quarto reads it (`caption="See @smith2020"` cites), by label: one pandoc run for all."""
    found: dict[str, str] = {}
    labels = ast.survey(document["blocks"]).identifiers
    if not any(kind_of(label) in LISTING_KINDS for label in labels):
        return {}  # no listing is labelled: no walk
    for node in ast.walk(document["blocks"]):
        if node["t"] not in ("CodeBlock", "Div"):
            continue
        identifier, _classes, attributes = node["c"][0]
        kind = kind_of(identifier)
        if kind not in LISTING_KINDS:
            continue
        keys = {"lst-cap", "caption", f"{kind}-cap"}
        text = next((value for key, value in attributes if key in keys), "")
        if _MARKDOWN_IN_CAPTION.search(text):
            found.setdefault(identifier, " ".join(text.split()))
    if not found:
        return {}
    import json

    from typeset.pandoc import run_pandoc

    # Each caption in a div of its own, so none can run into the next.
    source = "\n\n".join(
        f"::: {{#caption-{index}}}\n{text}\n:::" for index, text in enumerate(found.values())
    )
    parsed = json.loads(
        run_pandoc(["--from", "markdown+smart", "--to", "json", "--sandbox"], source.encode())
    )
    captions: dict[str, list[Node]] = {}
    by_index = {
        block["c"][0][0]: block["c"][1]
        for block in parsed["blocks"]
        if block["t"] == "Div" and block["c"][0][0].startswith("caption-")
    }
    for index, identifier in enumerate(found):
        blocks = by_index.get(f"caption-{index}", [])
        if len(blocks) == 1 and blocks[0]["t"] in ("Para", "Plain"):
            captions[identifier] = blocks[0]["c"]
    return captions


def cross_referenced(
    manuscript: Manuscript, citation_keys: Iterable[str], config: Config
) -> tuple[Manuscript, tuple[str, ...]]:
    """The manuscript with its cross-references resolved, and the labels not found.

    `number-sections`, `lof` and `lot` come from the front matter (Quarto's keys) or the
    config; either turns them on.
    """
    meta = manuscript.meta
    result = number_document(
        manuscript.document,
        listing_captions=listing_captions_of(manuscript.document),
        citation_keys=citation_keys,
        number_sections=config.number_sections or _meta_flag(meta, "number-sections"),
        list_of_figures=config.lof or _meta_flag(meta, "lof"),
        list_of_tables=config.lot or _meta_flag(meta, "lot"),
    )
    for label in result.duplicates:  # the pure stage knows no file: say where
        places = [
            manuscript.at(number)
            for number, line in enumerate(manuscript.text.splitlines(), start=1)
            if f"#{label}" in line
        ]
        lines = [
            str(line) if path == places[0][0] else f"{path.name}:{line}" for path, line in places
        ]
        where = f"{places[1][0]}:{places[1][1]}" if len(places) > 1 else str(manuscript.path)
        log.warning(
            "%s: the label #%s is used again (lines %s); references go to the first, as in "
            "LaTeX and Quarto: give each figure, table, equation and section its own label",
            where,
            label,
            ", ".join(lines) or "?",
        )
    return dataclasses.replace(manuscript, document=result.document), result.missing


def with_cross_references(
    manuscript: Manuscript, citation_keys: Iterable[str], config: Config
) -> Manuscript:
    """The build's stage: resolve, then fail on a missing label (warn in draft mode)."""
    resolved, missing = cross_referenced(manuscript, citation_keys, config)
    if missing:
        error = missing_label_error(resolved, missing)
        if config.missing_citations == "error":
            raise error
        log.warning("%s (draft: building anyway, marked ?@%s)", error, missing[0])
    return resolved


def missing_label_error(manuscript: Manuscript, missing: tuple[str, ...]) -> CitationError:
    first = missing[0]
    path, line = manuscript.where_key(first)
    return CitationError(
        f"cross-reference '@{first}' names no label in the manuscript and no entry in the "
        f"bibliography{manuscript.also_missing(missing)}",
        path=path,
        line=line,
        hint=f"label the {KIND_TERMS[kind_of(first) or 'fig']} with {{#{lowered(first)}}}, "
        "or fix the reference's spelling",
    )


def _meta_flag(meta: dict[str, Any], key: str) -> bool:
    value = meta.get(key)
    if value is None:
        return False
    if value.get("t") == "MetaBool":
        return bool(value["c"])
    return ast.plain_text(value).strip().lower() in ("true", "yes")
