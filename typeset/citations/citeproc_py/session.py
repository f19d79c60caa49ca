"""The citeproc-py session: citations rendered in reading order, then the bibliography."""

from __future__ import annotations

import html
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    Locator,
    formatter,
)
from citeproc.string import normalize_seam

from typeset.citations.citeproc_py.author_in_text import (
    _with_leading_names_marked,
    _with_leading_names_removed,
)
from typeset.citations.citeproc_py.items import _CaseProtectingCslJson, _items_for_citeproc_py
from typeset.citations.citeproc_py.locators import _locator_labels, _split_locator
from typeset.citations.citeproc_py.markers import (
    _AFFIX_MARKER_BASE,
    _ALL_MARKERS,
    _AUTHOR_END,
    _AUTHOR_START,
    _LINK_END,
)
from typeset.citations.citeproc_py.occurrences import _CiteOccurrence, _Placement
from typeset.citations.citeproc_py.rendering import Inlines, _splice_markers
from typeset.errors import CitationError, StyleError
from typeset.references import Bibliography
from typeset.styles import CslStyle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _RenderedCite:
    """citeproc-py's HTML for one Cite; `author_html` only for author-in-text (`@key`)."""

    citation_html: str
    author_html: str | None = None


@dataclass(frozen=True)
class _BibliographyLayout:
    """What pandoc reads from `cs:bibliography` into the refs div's classes/attributes."""

    hanging_indent: bool
    attributes: tuple[tuple[str, str], ...]


class _CiteprocPySession:
    """One citeproc-py session: citations rendered in reading order, then the bibliography.

    Three parses of the style share one citation history (so `position` conditions such
    as ibid and subsequent see every citation once):

    - `plain`, for ordinary citations and the bibliography;
    - `author_marked`, whose first `cs:names` is wrapped in markers, to cut the author
      out of a citation for `@key` (author-in-text);
    - `author_suppressed`, whose first `cs:names` is removed, for `[-@key]` and for the
      rest of an author-in-text citation.
    """

    def __init__(self, bibliography: Bibliography, style: CslStyle, locale: str) -> None:
        self._ids_by_citeproc_key = _citeproc_keys(bibliography)
        source = _CaseProtectingCslJson(_items_for_citeproc_py(bibliography, locale))
        plain_style = _load_style(style.path, locale)
        locale = locale or plain_style.root.get("default-locale") or "en-US"
        self._locator_labels = _locator_labels(locale, style.path)
        self._plain = CitationStylesBibliography(plain_style, source, formatter.html)
        self._author_marked = self._sharing_history(
            _with_leading_names_marked(_load_style(style.path, locale)), source
        )
        self._author_suppressed = self._sharing_history(
            _with_leading_names_removed(_load_style(style.path, locale)), source
        )
        self._affixes: list[Inlines] = []
        self.bibliography_layout = _bibliography_layout(plain_style)
        self.punctuation_in_quote = (
            str(plain_style.root.get_locale_option("punctuation-in-quote")).lower() == "true"
        )

    def _sharing_history(self, style: Any, source: Any) -> Any:
        variant = CitationStylesBibliography(style, source, formatter.html)
        variant._cites = self._plain._cites  # citeproc-py keeps the history here
        return variant

    def register(self, keys: Sequence[str]) -> None:
        """Register every work once, without locators, in citation order, then sort.

        citeproc-py keeps the first CitationItem registered for a key as that work's
        bibliography entry; registering a citation that carries a locator first would
        print the locator in the bibliography.
        """
        bare = Citation([CitationItem(key) for key in keys])
        self._plain.register(bare)
        self._plain.sort()
        for variant in (self._author_marked, self._author_suppressed):
            variant.keys = self._plain.keys
            variant.items = self._plain.items

    def render(self, occurrence: _CiteOccurrence) -> _RenderedCite:
        citation = Citation([self._citation_item(item) for item in occurrence.citations])
        self._plain.register(citation)  # links it to the session; every key is known
        # Inside the author's own footnote a citation is part of a sentence: pandoc
        # leaves out the layout's closing punctuation there, and so does this.
        closing = occurrence.placement is not _Placement.WITHIN_NOTE
        mode = occurrence.mode
        if mode == "AuthorInText":
            history = len(self._plain._cites)
            marked = self._cite(self._author_marked, citation, closing)
            del self._plain._cites[history:]  # the author cut must not count as a citation
            author = marked.partition(_AUTHOR_START)[2].partition(_AUTHOR_END)[0]
            rest = self._cite(self._author_suppressed, citation, closing)
            return _RenderedCite(rest, _ALL_MARKERS.sub("", author))
        if mode == "SuppressAuthor":
            return _RenderedCite(self._cite(self._author_suppressed, citation, closing))
        return _RenderedCite(self._cite(self._plain, citation, closing))

    def bibliography_entries(self) -> list[tuple[str, str]]:
        """(bibliography id, entry HTML) in the style's order."""
        with _quiet_citeproc():
            entries = self._plain.bibliography()
        return [
            (self._ids_by_citeproc_key[key], self._punctuated(str(entry)))
            for key, entry in zip(self._plain.keys, entries, strict=True)
        ]

    def splice_affixes(self, inlines: Inlines) -> Inlines:
        """Replace each affix marker with the prefix or suffix inlines it stands for."""
        spliced: Inlines = _splice_markers(inlines, self._affixes)
        return spliced

    def _cite(self, renderer: Any, citation: Any, closing: bool) -> str:
        """`citation` as HTML from one of the three parses; without the layout's suffix
        unless `closing`."""
        layout = renderer.style.root.citation.layout
        suffix = layout.get("suffix")
        if not closing and suffix is not None:
            del layout.attrib["suffix"]
        try:
            with _quiet_citeproc():
                rendered = str(renderer.cite(citation, _unknown_key))
        finally:
            if suffix is not None:
                layout.set("suffix", suffix)
        return self._punctuated(_close_links(rendered))

    def _punctuated(self, rendered: str) -> str:
        """The locale's `punctuation-in-quote` (CSL 1.0.2, Locale Options), which
        citeproc-py does not apply: a period or comma after a closing quotation mark
        moves inside it ("…Archive." not "…Archive".) in US English."""
        if not self.punctuation_in_quote:
            return rendered
        return _PUNCTUATION_AFTER_QUOTE.sub(r"\3\1\2", rendered)

    def _citation_item(self, citation: Mapping[str, Any]) -> Any:
        key = str(citation["citationId"])
        locator, suffix = _split_locator(citation["citationSuffix"], self._locator_labels)
        prefix_inlines = citation["citationPrefix"]
        prefix = ""
        if prefix_inlines:
            prefix = self._affix_marker(prefix_inlines)
            if prefix_inlines[-1]["t"] != "Space":
                prefix += " "  # pandoc separates a prefix from the citation by a space
        target = html.escape(f"#ref-{key}", quote=True)
        options: dict[str, Any] = {
            "prefix": f'{prefix}<a href="{target}">',
            "suffix": _LINK_END + (self._affix_marker(suffix) if suffix else ""),
        }
        if locator is not None:
            options["locator"] = Locator(*locator)
        return CitationItem(key, **options)

    def _affix_marker(self, inlines: Inlines) -> str:
        self._affixes.append(inlines)
        return chr(_AFFIX_MARKER_BASE + len(self._affixes) - 1)


# A closing quotation mark, any closing tags after it, then a period or comma.
_PUNCTUATION_AFTER_QUOTE = re.compile(r"([\u201d\u2019])((?:</[a-z]+>)*)([.,])")


def _load_style(path: Path, locale: str) -> Any:
    with _quiet_citeproc():
        # validate=False: the RelaxNG check costs more than the rendering and only warns
        style = CitationStylesStyle(str(path), locale=locale or None, validate=False)
    _refuse_unknown_elements(style, path)
    return style


RENDERING_PARTS = ("citation", "bibliography", "macro")


def _refuse_unknown_elements(style: Any, path: Path) -> None:
    """citeproc-py renders only the elements it has a class for, and fails with a bare
    TypeError at the first other one: name it, with its line, before any rendering."""
    from citeproc.model import CitationStylesElement

    root = style.xml.getroot()
    for part in root:
        if not isinstance(part.tag, str) or part.tag.rpartition("}")[2] not in RENDERING_PARTS:
            continue
        for element in part.iter():
            if not isinstance(element.tag, str):
                continue  # a comment or processing instruction
            if type(element) is not CitationStylesElement and isinstance(
                element, CitationStylesElement
            ):
                continue
            raise StyleError(
                f"CSL element <{element.tag.rpartition('}')[2]}> is not one citeproc-py knows",
                path=path,
                line=element.sourceline,
                hint="remove it or fix its name (see the CSL specification), "
                "or use --engine pandoc",
            )


class _quiet_citeproc(warnings.catch_warnings):
    """citeproc-py warns about every CSL-JSON field it does not model; log them instead."""

    def __enter__(self) -> Any:
        result = super().__enter__()
        warnings.simplefilter("ignore")
        return result


def _unknown_key(item: Any) -> None:
    # check_citations has already failed the build on unknown keys; this is defensive.
    log.warning("citeproc-py: no bibliography entry for %s", item.key)


def _close_links(rendered: str) -> str:
    """Turn each item's link-end marker into `</a>`.

    The marker sits between the item and whatever follows it (delimiter, layout suffix),
    where it hides the seam from citeproc-py's duplicate-punctuation rule; apply that same
    rule (citeproc.string.normalize_seam) across the marker before closing the link.
    """
    pieces = rendered.split(_LINK_END)
    text = pieces[0]
    for following in pieces[1:]:
        text += "</a>" + str(normalize_seam(text, following))
    return text


def _citeproc_keys(bibliography: Bibliography) -> dict[str, str]:
    """citeproc-py lower-cases every key; map them back, refusing keys it would merge."""
    ids: dict[str, str] = {}
    for item in bibliography.items:
        original = str(item["id"])
        folded = original.lower()
        if folded in ids and ids[folded] != original:
            raise CitationError(
                f"keys '{ids[folded]}' and '{original}' differ only in case, "
                "which the citeproc-py engine cannot tell apart",
                path=bibliography.source,
                hint="rename one of them, or build with --engine pandoc",
            )
        ids[folded] = original
    return ids


def _bibliography_layout(style: Any) -> _BibliographyLayout:
    element = style.root.bibliography
    if element is None:
        return _BibliographyLayout(False, ())
    attributes = tuple(
        (name, element.get(name))
        for name in ("entry-spacing", "line-spacing")
        if element.get(name) is not None
    )
    return _BibliographyLayout(element.get("hanging-indent") == "true", attributes)
