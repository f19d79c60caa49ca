"""Quarto's constructs as Word needs them: `{{< pagebreak >}}`'s `.pagebreak` div becomes
Word's own page break, and a panel's rows become tables (typeset.quarto.layout).

The PDF breaks at the div by its stylesheet (`break-after: page`); an EPUB reader
paginates by itself, so the empty div is all it gets. Raw OpenXML written here, after
the sanitiser ran, is the only raw markup a writer receives, and it is this constant.
"""

from __future__ import annotations

from typing import Any

from typeset import ast
from typeset.quarto.layout import word_tables

WORD_PAGE_BREAK = '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'


def for_word(document: dict[str, Any]) -> dict[str, Any]:
    return word_tables(_page_breaks(document))


def _page_breaks(document: dict[str, Any]) -> dict[str, Any]:
    def rewrite(node: dict[str, Any]) -> dict[str, Any] | None:
        if node["t"] == "Div" and "pagebreak" in node["c"][0][1]:
            return {"t": "RawBlock", "c": ["openxml", WORD_PAGE_BREAK]}
        return None

    return {**document, "blocks": ast.transform(document["blocks"], rewrite)}
