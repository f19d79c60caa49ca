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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typeset import ast
from typeset.ast import Node
from typeset.crossref.lists import list_of
from typeset.crossref.numbering import figure_id_on_div, number_targets
from typeset.crossref.resolve import ReferenceResolver
from typeset.crossref.syntax import (
    KIND_TERMS,
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
) -> CrossReferences:
    """Number the labelled floats, equations and headings; resolve every reference.

    `citation_keys` are the bibliography's keys: a key there that names no label is a
    citation. Pure: the input document is not modified.
    """
    words = Words.from_meta(document["meta"])
    blocks = with_dashed_labels(document["blocks"], frozenset(citation_keys))
    blocks = floats_from_divs(blocks)
    blocks, targets, duplicates = number_targets(blocks, words, number_sections=number_sections)
    resolver = ReferenceResolver(targets, frozenset(citation_keys), words)
    blocks = ast.transform(blocks, resolver.rewrite)
    blocks = ast.transform(blocks, figure_id_on_div)
    front: list[Node] = []
    level = min((block["c"][0] for block in blocks if block["t"] == "Header"), default=1)
    if list_of_figures:
        front.append(list_of(targets, "fig", "list-of-figures", words, level))
    if list_of_tables:
        front.append(list_of(targets, "tbl", "list-of-tables", words, level))
    numbered = dict(document)
    numbered["blocks"] = [*front, *blocks]
    return CrossReferences(numbered, tuple(dict.fromkeys(resolver.missing)), duplicates)


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
        citation_keys=citation_keys,
        number_sections=config.number_sections or _meta_flag(meta, "number-sections"),
        list_of_figures=config.lof or _meta_flag(meta, "lof"),
        list_of_tables=config.lot or _meta_flag(meta, "lot"),
    )
    for label in result.duplicates:  # the pure stage knows no file: say where
        lines = [
            str(number)
            for number, line in enumerate(manuscript.text.splitlines(), start=1)
            if f"#{label}" in line
        ]
        where = f"{manuscript.path}:{lines[1]}" if len(lines) > 1 else str(manuscript.path)
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
    return CitationError(
        f"cross-reference '@{first}' names no label in the manuscript and no entry in the "
        f"bibliography{manuscript.also_missing(missing)}",
        path=manuscript.path,
        line=manuscript.line_of_key(first),
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
