"""The tag tree's page references built once per PDF, not once per structure element.

WeasyPrint 70 tags a PDF (PDF/UA, the default here) by giving every structure element the
page it is on: `'Pg': pdf.page_references[page_number]`, where pydyf's `page_references`
is a property that builds a new tuple of every page's reference at each call. A document
of P pages with some 150 elements a page pays 150 P x P: 3 s of a 180-page part, 12 s of
a 370-page one (a long chapter with no subheadings is set as one part). The references
depend only on the pages' list, which only grows, so `page_references_cached()` keeps the
tuple while that list keeps its length: the same references, the same PDF bytes.
"""

from __future__ import annotations

from typing import Any

from typeset.formats.pdf.weasyprint import replaced_once

_CACHE = "_typeset_page_references"


class _CachedProperty(property):
    """A property that can carry the marks `replaced_once` sets on a replacement."""


def page_references_cached() -> bool:
    """Install it on pydyf's PDF (once per process)."""
    import pydyf

    return replaced_once(pydyf.PDF, "page_references", _cached)


def _cached(original: property) -> _CachedProperty:
    build = original.fget
    assert build is not None

    def page_references(pdf: Any) -> tuple[bytes, ...]:
        kids = pdf.pages["Kids"]
        cached = pdf.__dict__.get(_CACHE)
        if cached is None or cached[0] is not kids or cached[1] != len(kids):
            cached = (kids, len(kids), build(pdf))
            pdf.__dict__[_CACHE] = cached
        references: tuple[bytes, ...] = cached[2]
        return references

    return _CachedProperty(page_references)
