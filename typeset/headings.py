"""The manuscript's heading hierarchy, wherever it starts.

Authors start their sections at `#` (the pandoc manual's habit) or at `##` (leaving `#`
to the title, as the essay does). The outputs style headings by their rank in the
manuscript's own hierarchy, not by the level the author typed: both kinds of manuscript
get the same section heading, and the EPUB splits chapters at the top level used.
"""

from __future__ import annotations

from typing import Any

from typeset import ast


def top_heading_level(document: dict[str, Any]) -> int:
    """The smallest heading level in the body (1 when there are no headings)."""
    levels = [node["c"][0] for node in ast.walk(document["blocks"]) if node["t"] == "Header"]
    return min(levels, default=1)


def with_top_heading_level(document: dict[str, Any], top: int) -> dict[str, Any]:
    """The document with headings shifted so its top level becomes `top`.

    Levels keep their distances; a level that would pass 6 (HTML's last) stays at 6.
    """
    shifted = heading_shift(document, top)
    if shifted is None:
        return document
    return {**document, "blocks": ast.transform(document["blocks"], shifted)}


def heading_shift(document: dict[str, Any], top: int) -> ast.Rewrite | None:
    """The rewrite (for ast.transform) that shifts headings so the document's top level
    becomes `top`; None when it is already there."""
    shift = top - top_heading_level(document)
    if shift == 0:
        return None

    def shifted(node: ast.Node) -> ast.Node | None:
        if node["t"] != "Header":
            return None
        level, attr, inlines = node["c"]
        return {"t": "Header", "c": [max(1, min(6, level + shift)), attr, inlines]}

    return shifted
