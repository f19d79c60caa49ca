"""The print HTML WeasyPrint lays out: pandoc's HTML of the resolved document, with math as
SVG, notes moved inline so they float to the page foot, headings shifted under the title,
and lines breaking where a reader expects."""

from __future__ import annotations

from typing import Any

from typeset import ast
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.formats.base import document_json, structure_arguments, style_file
from typeset.formats.pdf.math import math_rewrite
from typeset.formats.pdf.notes import print_notes
from typeset.formats.pdf.typography import print_inline_lists, print_typography
from typeset.formats.title_block import print_meta
from typeset.headings import heading_shift
from typeset.pandoc import run_pandoc

# Tables with this many columns are set smaller (print.css `table.wide`) to fit the text
# block without breaking words.
WIDE_TABLE_COLUMNS = 6
# A "word" in a table cell longer than this (a hash, an identifier, a run of letters) is
# wider than any column can be; print.css lets it alone break anywhere (`.unbreakable`),
# so the table still fits the text block while real words break only at hyphens.
LONGEST_TABLE_WORD = 30


def render_print_html(resolved: ResolvedDocument, config: Config) -> bytes:
    """The HTML WeasyPrint lays out: math as SVG, footnotes moved inline so they float to
    the page foot."""
    document = resolved.document
    # Adjacent note calls get a separator (and opening marks their word) before the notes
    # become footnotes.
    document = {
        **document,
        "blocks": ast.transform(document["blocks"], rewrite_list=print_inline_lists),
    }
    maths = math_rewrite(document, resolved.source, config)
    body = ast.first_of(maths, print_rewrite(document))
    # WeasyPrint 70 keeps source line breaks inside floated footnotes as forced breaks;
    # one line per paragraph avoids ragged notes.
    body_options = ["--wrap=none"]
    notes = print_notes(document, body, body_options, tagged=config.pdf_variant != "plain")
    # One pass over the blocks for all of it (each pass over a book costs a few tenths).
    meta = document["meta"] if maths is None else ast.transform(document["meta"], maths)
    blocks = ast.transform(document["blocks"], ast.first_of(body, notes.rewrite if notes else None))
    document = {**document, "meta": print_meta(meta), "blocks": blocks}
    page = run_pandoc(
        [
            "--from",
            "json",
            "--to",
            "html5",
            "--standalone",
            "--template",
            str(style_file(config, "print.html")),
            "--section-divs",
            *body_options,
            "--sandbox",
            *structure_arguments(config),
        ],
        document_json(document),
        source=resolved.source,
    )
    return page if notes is None else notes.filled(page)


def print_rewrite(document: dict[str, Any]) -> ast.Rewrite:
    """The body as the printed page shows it.

    The title is the page's <h1>, so the manuscript's top heading level, `#` or `##`,
    becomes <h2> and the levels below follow (styled by print.css for h2 to h6); wide
    tables are marked so print.css can set them smaller, and overlong words in a table's
    cells kept whole; quotations, URLs and hard line breaks break lines where a reader
    expects (print_typography).
    """
    return ast.first_of(heading_shift(document, 2), _printed_table, print_typography)


def _printed_table(node: dict[str, Any]) -> dict[str, Any] | None:
    if node["t"] != "Table":
        return None
    table = _mark_wide_table(node) or node
    return ast.transform(table, _overlong_word_span)  # type: ignore[no-any-return]


def _overlong_word_span(node: dict[str, Any]) -> dict[str, Any] | None:
    if node["t"] != "Str" or len(node["c"]) <= LONGEST_TABLE_WORD:
        return None
    return {"t": "Span", "c": [["", ["unbreakable"], []], [node]]}


def _mark_wide_table(node: dict[str, Any]) -> dict[str, Any] | None:
    if node["t"] != "Table" or len(node["c"][2]) < WIDE_TABLE_COLUMNS:
        return None
    (identifier, classes, attributes), caption, colspecs, *rest = node["c"]
    # pandoc derives relative widths from the dashes of a pipe table's rule when a row
    # is long: an artefact of the source, which squeezes a text column to a word's
    # width. A wide table is laid out from its content instead.
    natural = [[alignment, {"t": "ColWidthDefault"}] for alignment, _ in colspecs]
    return {
        "t": "Table",
        "c": [[identifier, [*classes, "wide"], attributes], caption, natural, *rest],
    }
