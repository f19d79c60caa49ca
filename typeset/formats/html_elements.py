"""Facts of the HTML standard that the print stages rely on when they read pandoc's HTML."""

from __future__ import annotations

# Elements with no end tag (https://html.spec.whatwg.org/#void-elements): `<img ...>`
# opens nothing, with or without the XML-style slash.
VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
