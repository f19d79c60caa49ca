"""citeproc-py: a second, pure-Python CSL engine behind the same interface as pandoc's.

The document it returns has the shape pandoc's citeproc gives (see ResolvedDocument):
each `Cite` keeps its citations and gets the formatted text as content, every cited item
linked to `#ref-KEY`; note styles put the citation in a `Note` after the punctuation; the
bibliography is a `Div #refs` of `Div #ref-KEY .csl-entry` under the usual heading.

citeproc-py formats to HTML strings. They are all parsed back into pandoc inlines with one
pandoc call, so italics, small caps, super/subscripts and quotes survive. The citation
prefixes and suffixes the author wrote never go through citeproc-py as text: each is
replaced by a private-use marker character that is swapped back for the original pandoc
inlines afterwards, so links, emphasis or maths in them stay exactly as written.

Faults of citeproc-py 0.11 that the adapter avoids (each generally, not per style):

- it registers the first citation of a work, locator and all, as that work's bibliography
  entry, so `[@key, p. 12]` would print "p. 12" in the bibliography: the bibliography is
  registered here with bare items first;
- it has no author-in-text (`@key`) or suppress-author (`[-@key]`) modes: they are
  rendered with copies of the style whose first `cs:names` is marked or removed;
- case-protected words: see `_CaseProtectingCslJson` and `_protected_words`.

Faults that need citeproc-py itself fixed (disambiguation, punctuation-in-quote, nested
quotes, initialize="false", second-field-align, ...) are left visible and listed in
docs/engines.md; `typeset.crosscheck` measures them against pandoc.
"""

from __future__ import annotations

import copy
import enum
import html
import importlib.metadata
import json
import logging
import re
import string
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from citeproc import LOCALES_PATH as CITEPROC_LOCALES_PATH
from citeproc import (
    PRIMARY_DIALECTS,
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    Locator,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc.string import MixedString, NoCase, String, normalize_seam

from typeset import ast
from typeset.citations.base import (
    ResolvedDocument,
    has_own_bibliography_heading,
    match_heading_levels,
)
from typeset.errors import CitationError
from typeset.manuscript import Manuscript
from typeset.pandoc import PandocFailure, pandoc_fingerprint, run_pandoc
from typeset.references import Bibliography, CslItem
from typeset.styles import CSL_NAMESPACE, CslStyle, bibliography_heading

log = logging.getLogger(__name__)

Inlines = list[ast.Node]

# Private-use characters carry information through citeproc-py's string handling, which
# treats them as ordinary caseless letters. Affix markers come from plane 15 (one code
# point per prefix or suffix); the others from the BMP private-use area.
_AFFIX_MARKER_BASE = 0xF0000
_AFFIX_MARKER = re.compile("([\U000f0000-\U000ffffd])")
_LINK_END = "\ue000"
_AUTHOR_START = "\ue001"
_AUTHOR_END = "\ue002"
_ALL_MARKERS = re.compile("[\ue000-\ue002\U000f0000-\U000ffffd]")

_NOTE_PUNCTUATION = ".,;:!?"
_URL = re.compile(r"^(https?://\S+?)([.,;:]*)$")


class CiteprocPy:
    name: ClassVar[str] = "citeproc-py"

    def version_fingerprint(self) -> str:
        # pandoc parses citeproc-py's HTML back into the document
        return f"citeproc-py {importlib.metadata.version('citeproc-py')}; {pandoc_fingerprint()}"

    def resolve(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        workdir: Path,
    ) -> ResolvedDocument:
        document = copy.deepcopy(manuscript.document)
        meta = document["meta"]
        # pandoc reads citations in the metadata (an abstract, say) before the body.
        cited_meta = {key: value for key, value in meta.items() if key != "nocite"}
        occurrences = [
            *_cite_occurrences(cited_meta, style.is_note_style),
            *_cite_occurrences(document["blocks"], style.is_note_style),
        ]
        session = _CiteprocPySession(bibliography, style, _locale(meta))
        session.register(_bibliography_keys(occurrences, manuscript, bibliography))
        rendered = [session.render(occurrence) for occurrence in occurrences]
        entries = session.bibliography_entries() if _wants_bibliography(meta) else []

        fragments = _HtmlFragments()
        citation_ids = [fragments.add(cite.citation_html) for cite in rendered]
        author_ids = [
            None if cite.author_html is None else fragments.add(cite.author_html)
            for cite in rendered
        ]
        entry_ids = [fragments.add(entry_html) for _, entry_html in entries]
        parsed = fragments.parse()

        for occurrence, citation_id, author_id in zip(
            occurrences, citation_ids, author_ids, strict=True
        ):
            citation = session.splice_affixes(parsed[citation_id])
            author = None if author_id is None else parsed[author_id]
            occurrence.node["c"][1] = _cite_content(citation, author, occurrence.placement)
        if style.is_note_style:
            for part in ("meta", "blocks"):
                document[part] = _place_note_citations(document[part], session.punctuation_in_quote)
        if entries:
            formatted_entries = [
                (key, _link_urls(parsed[entry_id]))
                for (key, _), entry_id in zip(entries, entry_ids, strict=True)
            ]
            _insert_bibliography(document, formatted_entries, session.bibliography_layout, style)
        if not has_own_bibliography_heading(manuscript.document["blocks"]):
            document = match_heading_levels(document)
        return ResolvedDocument(document, style, manuscript)


# --- the manuscript side: which citations, in which order, where --------------------------


class _Placement(enum.Enum):
    """Where a formatted citation goes, which decides its shape."""

    IN_TEXT = "in the text"  # in-text styles: "(Hao and Zhai 1990)", "Jervis (1978)"
    FOOTNOTE = "a new footnote"  # note styles, citation in the body: "forces.[^1]"
    WITHIN_NOTE = "inside the author's footnote"  # note styles: "(Shen, Mao)" in the note


@dataclass
class _CiteOccurrence:
    """A `Cite` node of the (copied) document, rewritten in place once formatted."""

    node: ast.Node
    placement: _Placement

    @property
    def citations(self) -> list[dict[str, Any]]:
        citations: list[dict[str, Any]] = self.node["c"][0]
        return citations

    @property
    def mode(self) -> str:
        return str(self.citations[0]["citationMode"]["t"])


def _cite_occurrences(
    value: Any, note_style: bool, in_note: bool = False
) -> Iterator[_CiteOccurrence]:
    """Every Cite below `value` in reading order (the order positions like ibid follow)."""
    for node, enclosing in ast.walk_with_enclosing(value):
        if node["t"] == "Cite" and "Cite" not in enclosing:
            placement = _Placement.IN_TEXT
            if note_style:
                in_a_note = in_note or "Note" in enclosing
                placement = _Placement.WITHIN_NOTE if in_a_note else _Placement.FOOTNOTE
            yield _CiteOccurrence(node, placement)


def _bibliography_keys(
    occurrences: Sequence[_CiteOccurrence], manuscript: Manuscript, bibliography: Bibliography
) -> list[str]:
    """Cited keys in order of first citation, then `nocite` keys: the order numeric styles
    number them in (`@*` adds every remaining item in the bibliography's order)."""
    keys = dict.fromkeys(
        str(citation["citationId"])
        for occurrence in occurrences
        for citation in occurrence.citations
    )
    for key in manuscript.nocite_keys():
        if key == "*":
            keys.update(dict.fromkeys(str(item["id"]) for item in bibliography.items))
        else:
            keys[key] = None
    return list(keys)


def _locale(meta: Mapping[str, Any]) -> str:
    """pandoc lets the document's `lang` override the style's default locale; so do we."""
    return ast.plain_text(meta.get("lang")) or ""


def _wants_bibliography(meta: Mapping[str, Any]) -> bool:
    suppress = meta.get("suppress-bibliography")
    return not (suppress and suppress.get("c") is True)


# --- citeproc-py ----------------------------------------------------------------------------


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
        self._locator_labels = _locator_labels(locale)
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
            (self._ids_by_citeproc_key[key], str(entry))
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
        return _close_links(rendered)

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


def _load_style(path: Path, locale: str) -> Any:
    with _quiet_citeproc():
        # validate=False: the RelaxNG check costs more than the rendering and only warns
        return CitationStylesStyle(str(path), locale=locale or None, validate=False)


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


# --- author-in-text: finding the style's first names -----------------------------------


def _leading_names(element: Any, style_root: Any) -> tuple[list[Any], bool]:
    """The `cs:names` elements a citation renders first, and whether every path has one.

    Walks the layout in order, into macros and groups; at a `cs:choose` each branch is
    followed separately (position conditions pick long or short names, for example).
    """
    found: list[Any] = []
    for child in element:
        tag = child.tag
        if tag == f"{CSL_NAMESPACE}names":
            return [*found, child], True
        if tag == f"{CSL_NAMESPACE}text" and child.get("macro"):
            names, complete = _leading_names(style_root.get_macro(child.get("macro")), style_root)
        elif tag == f"{CSL_NAMESPACE}group":
            names, complete = _leading_names(child, style_root)
        elif tag == f"{CSL_NAMESPACE}choose":
            names, complete = [], True
            has_else = False
            for branch in child:
                branch_names, branch_complete = _leading_names(branch, style_root)
                names += branch_names
                complete = complete and branch_complete
                has_else = has_else or branch.tag == f"{CSL_NAMESPACE}else"
            complete = complete and has_else
        else:
            continue
        found += names
        if complete:
            return found, True
    return found, False


def _citation_leading_names(style: Any) -> list[Any]:
    names, _ = _leading_names(style.root.citation.layout, style.root)
    return list({id(element): element for element in names}.values())


def _with_leading_names_marked(style: Any) -> Any:
    for names in _citation_leading_names(style):
        names.set("prefix", _AUTHOR_START + names.get("prefix", ""))
        names.set("suffix", names.get("suffix", "") + _AUTHOR_END)
    return style


def _with_leading_names_removed(style: Any) -> Any:
    for names in _citation_leading_names(style):
        names.getparent().remove(names)
    return style


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


# --- locators ------------------------------------------------------------------------------

# The CSL 1.0.2 locator types.
_LOCATOR_TERMS = (
    "act",
    "appendix",
    "article-locator",
    "book",
    "canon",
    "chapter",
    "column",
    "elocation",
    "equation",
    "figure",
    "folio",
    "issue",
    "line",
    "note",
    "opus",
    "page",
    "paragraph",
    "part",
    "rule",
    "scene",
    "section",
    "sub-verbo",
    "supplement",
    "table",
    "timestamp",
    "title-locator",
    "verse",
    "version",
    "volume",
)
_LOCATOR_VALUE = re.compile(
    r"(?P<value>(?:\d+[a-z]*|[ivxlcdm]+\b)(?:\s*[-\u2013\u2014,&]\s*(?:\d+[a-z]*|[ivxlcdm]+\b))*)"
    r"(?P<rest>.*)",
    re.IGNORECASE | re.DOTALL,
)


def _locator_labels(locale: str) -> list[tuple[str, str]]:
    """(label as written, CSL locator type), longest first: every form of every locator
    term in the document's locale and in English, as pandoc accepts them."""
    labels: dict[str, str] = {}
    for path in _locale_files(locale):
        root = ElementTree.parse(path).getroot()
        for term in root.iter(f"{CSL_NAMESPACE}term"):
            name = term.get("name")
            if name not in _LOCATOR_TERMS:
                continue
            forms = [term.text or ""] + [child.text or "" for child in term]
            for form in forms:
                if form.strip():
                    labels.setdefault(form.strip().lower(), str(name))
    return sorted(labels.items(), key=lambda label: -len(label[0]))


def _locale_files(locale: str) -> list[Path]:
    folder = Path(CITEPROC_LOCALES_PATH)
    language = locale.split("-")[0]
    names = [locale, PRIMARY_DIALECTS.get(language, ""), "en-US"]
    paths = [folder / f"locales-{name}.xml" for name in dict.fromkeys(names) if name]
    return [path for path in paths if path.is_file()]


def _split_locator(
    suffix: Inlines, labels: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str] | None, Inlines]:
    """Read a locator off the front of a citation suffix, as pandoc does.

    `[@key, p. 12]` has the suffix ", p. 12": locator (page, 12), nothing left over.
    `[@key, chap. 3 and passim]` leaves " and passim"; a bare number is a page.
    """
    leading, others = _leading_text(suffix)
    text = leading.lstrip()
    if text.startswith(","):
        text = text[1:].lstrip()
    label_type = None
    for label, locator_type in labels:
        if text.lower().startswith(label) and (
            not label[-1].isalpha() or not text[len(label) : len(label) + 1].isalpha()
        ):
            label_type = locator_type
            text = text[len(label) :].lstrip()
            break
    match = _LOCATOR_VALUE.match(text)
    if match is None or (label_type is None and not text[:1].isdigit()):
        return None, suffix
    rest = match.group("rest")
    return (label_type or "page", match.group("value")), _text_inlines(rest) + others


def _leading_text(inlines: Inlines) -> tuple[str, Inlines]:
    """The plain text of the leading run of Str/Space inlines, and the inlines after it."""
    parts: list[str] = []
    for index, node in enumerate(inlines):
        if node["t"] == "Str":
            parts.append(node["c"])
        elif node["t"] in ("Space", "SoftBreak"):
            parts.append(" ")
        else:
            return "".join(parts), inlines[index:]
    return "".join(parts), []


def _text_inlines(text: str) -> Inlines:
    inlines: Inlines = []
    for index, word in enumerate(re.split(r"\s+", text)):
        if index:
            inlines.append({"t": "Space"})
        if word:
            inlines.append({"t": "Str", "c": word})
    return inlines


# --- references: CSL-JSON items as citeproc-py reads them --------------------------------

# Variables citeproc-py parses as numbers or page ranges (splitting on '&' and ','), which
# must stay unescaped; every other string goes into HTML as it is, so it is escaped here.
_NUMERIC_VARIABLES = frozenset(
    {
        "page",
        "page-first",
        "locator",
        "chapter-number",
        "collection-number",
        "edition",
        "issue",
        "number",
        "number-of-pages",
        "number-of-volumes",
        "volume",
        "citation-number",
    }
)
_NAME_VARIABLES = frozenset(
    {
        "author",
        "chair",
        "collection-editor",
        "compiler",
        "composer",
        "container-author",
        "contributor",
        "curator",
        "director",
        "editor",
        "editorial-director",
        "executive-producer",
        "guest",
        "host",
        "illustrator",
        "interviewer",
        "narrator",
        "organizer",
        "original-author",
        "performer",
        "producer",
        "recipient",
        "reviewed-author",
        "script-writer",
        "series-creator",
        "translator",
    }
)
_RICH_TEXT_TOKEN = re.compile(
    r"""(?P<nocase_open><span\s+class="nocase">)"""
    r"""|(?P<span_open><span\s+style="font-variant:\s*small-caps;?">)"""
    r"""|(?P<span_close></span>)"""
    r"""|(?P<tag></?(?:i|b|sup|sub)>)"""
    r"""|(?P<space>\s+)"""
    r"""|(?P<text>[^<\s]+|<)""",
    re.IGNORECASE,
)


def _items_for_citeproc_py(bibliography: Bibliography, locale: str = "") -> list[CslItem]:
    """The bibliography's items with names HTML-escaped and braced words marked nocase.

    citeproc-py escapes only its own terms, never the data; other strings are escaped
    as `_CaseProtectingCslJson` reads them. CSL title-cases English items only, but
    citeproc-py title-cases every item: a non-English item's (its own `language`, else
    the document's) titles are protected whole.
    """
    protected = _protected_words(bibliography)
    items = []
    for item in bibliography.items:
        words = protected.get(str(item["id"]), {})
        english = _is_english(str(item.get("language") or locale or "en"))
        converted: CslItem = {}
        for variable, value in item.items():
            if variable in _NAME_VARIABLES and isinstance(value, list):
                converted[variable] = [_escaped_name(name) for name in value]
            elif isinstance(value, str) and variable not in _NUMERIC_VARIABLES | {"id", "type"}:
                value = _protect_words(value, words.get(variable, frozenset()))
                title_cased = english or "title" not in variable
                converted[variable] = value if title_cased else _NOCASE_SPAN.format(value)
            else:
                converted[variable] = value
        items.append(converted)
    return items


def _is_english(language: str) -> bool:
    return language.replace("_", "-").split("-")[0].strip().lower() in ("en", "english", "")


def _escaped_name(name: Any) -> Any:
    if not isinstance(name, dict):
        return name
    return {
        part: html.escape(value, quote=False) if isinstance(value, str) else value
        for part, value in name.items()
    }


class _CaseProtectingCslJson(CiteProcJSON):  # type: ignore[misc]
    """CiteProcJSON whose strings keep case protection through citeproc-py's casing.

    citeproc-py splits text into words per segment and re-joins them with spaces, so a
    `nocase` span that starts or ends inside a word ("<span class="nocase">iPhone</span>s")
    would come out as "iPhone s". Here a whole whitespace-delimited word is protected when
    any part of it is, and segments only ever break at whitespace. Rich-text tags stay in
    the text as HTML; everything else is escaped.
    """

    def parse_string(self, value: Any) -> Any:
        words = _rich_text_words(str(value))
        segments: list[Any] = []
        for text, protected in words:
            kind = NoCase if protected else String
            if segments and type(segments[-1]) is kind:
                segments[-1] = kind(str(segments[-1]) + text)
            else:
                segments.append(kind(text))
        return MixedString(segments)


def _rich_text_words(value: str) -> list[tuple[str, bool]]:
    """Split CSL rich text into words: (HTML of the word and its trailing space, protected).

    A word is protected when any of its characters lies in a nocase span; the nocase tags
    themselves are dropped, the other rich-text tags kept, all text escaped.
    """
    words: list[tuple[str, bool]] = []
    word_html: list[str] = []
    word_protected = False
    after_space = False
    open_spans: list[bool] = []  # per open <span>: is it a nocase span?
    for token in _RICH_TEXT_TOKEN.finditer(value):
        kind, text = token.lastgroup, token.group(0)
        if kind == "space":
            word_html.append(text)
            after_space = True
            continue
        if after_space:
            words.append(("".join(word_html), word_protected))
            word_html, word_protected, after_space = [], False, False
        if kind in ("nocase_open", "span_open"):
            open_spans.append(kind == "nocase_open")
            if kind == "nocase_open":
                continue
        elif kind == "span_close" and open_spans and open_spans.pop():
            continue
        if kind == "text":
            word_html.append(html.escape(text, quote=False))
            word_protected = word_protected or any(open_spans)
        else:
            word_html.append(text)
    if word_html:
        words.append(("".join(word_html), word_protected))
    return words


_NOCASE_SPAN = '<span class="nocase">{}</span>'
_NOCASE_SPAN_OPEN = re.compile(r'<span\s+class="nocase">', re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
_BIBTEX_SUFFIXES = {".bib": "bibtex", ".bibtex": "bibtex", ".biblatex": "biblatex"}


def _protected_words(bibliography: Bibliography) -> dict[str, dict[str, frozenset[str]]]:
    """Words the BibTeX file protects with braces, per item id and CSL variable.

    pandoc's BibTeX reader marks braced words `nocase` (where re-casing would change
    them), but its csljson writer (pandoc 3.9) drops those spans, so the items in
    `bibliography` no longer say which words were braced: "{von} {Neumann}" arrives as
    plain "von Neumann" and citeproc-py's title case prints "Von Neumann". The markup is
    read back here from pandoc's own AST of the same file; the items themselves still come
    from `bibliography`. Items that already carry nocase spans (a CSL-JSON bibliography)
    need nothing.
    """
    input_format = _BIBTEX_SUFFIXES.get(bibliography.source.suffix.lower())
    already_marked = any(
        isinstance(value, str) and _NOCASE_SPAN_OPEN.search(value)
        for item in bibliography.items
        for value in item.values()
    )
    if input_format is None or already_marked:
        return {}
    try:
        parsed = run_pandoc(
            ["--from", input_format, "--to", "json"], bibliography.source.read_bytes()
        )
    except (PandocFailure, OSError) as error:
        log.warning("cannot recover BibTeX case protection: %s", error)
        return {}
    references = json.loads(parsed)["meta"].get("references", {}).get("c", [])
    protected: dict[str, dict[str, frozenset[str]]] = {}
    for reference in references:
        fields = reference.get("c", {})
        item_id = ast.plain_text(fields.get("id"))
        by_variable = {
            variable: words for variable, value in fields.items() if (words := _nocase_words(value))
        }
        if by_variable:
            protected[item_id] = by_variable
    return protected


def _nocase_words(value: Any) -> frozenset[str]:
    words: set[str] = set()
    for node in ast.walk(value):
        if node["t"] == "Span" and "nocase" in node["c"][0][1]:
            words.update(
                _word_core(inner["c"]) for inner in ast.walk(node["c"][1]) if inner["t"] == "Str"
            )
    return frozenset(word for word in words if word)


def _word_core(word: str) -> str:
    return _TAG.sub("", word).strip(string.punctuation + "\u201c\u201d\u2018\u2019\u00ab\u00bb")


def _protect_words(value: str, words: frozenset[str]) -> str:
    """Wrap each whitespace-delimited word of `value` whose core is in `words` as nocase."""
    if not words:
        return value
    return re.sub(
        r"\S+",
        lambda word: (
            _NOCASE_SPAN.format(word.group(0))
            if _word_core(word.group(0)) in words
            else word.group(0)
        ),
        value,
    )


# --- HTML back to pandoc inlines -------------------------------------------------------


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


# --- assembling the document -------------------------------------------------------------


def _cite_content(citation: Inlines, author: Inlines | None, placement: _Placement) -> Inlines:
    """The Cite's new content, shaped as pandoc shapes it for `placement`; `author` is
    set for author-in-text citations ("Jervis (1978)", "Jervis[^1]")."""
    if placement is _Placement.FOOTNOTE:
        note = [_footnote(citation)] if citation else []
        return note if author is None else author + note
    if placement is _Placement.WITHIN_NOTE and author is None:
        return [{"t": "Str", "c": "("}, *citation, {"t": "Str", "c": ")"}]
    if author is None:
        return citation
    if not (author and citation):
        return author + citation
    if placement is _Placement.WITHIN_NOTE:
        return [*author, {"t": "Str", "c": ","}, {"t": "Space"}, *citation]
    return [*author, {"t": "Space"}, *citation]


def _footnote(inlines: Inlines) -> ast.Node:
    return {"t": "Note", "c": [{"t": "Para", "c": _capitalize_first(inlines)}]}


def _capitalize_first(inlines: Inlines) -> Inlines:
    """A note begins a sentence: "see Waltz" becomes "See Waltz", as pandoc writes it."""
    for node in ast.walk(inlines):
        if node["t"] == "Str":
            node["c"] = node["c"][:1].upper() + node["c"][1:]
            break
    return inlines


def _is_note_citation(node: Any) -> bool:
    if not (isinstance(node, dict) and node.get("t") == "Cite"):
        return False
    content = node["c"][1]
    return bool(content) and content[-1]["t"] == "Note"


def _place_note_citations(value: Any, punctuation_in_quote: bool) -> Any:
    """Move each footnote citation after the punctuation that follows it, dropping the
    space before it: "forces [@key]." reads "forces.[^1]", as pandoc places them."""

    def place(inlines: list[Any]) -> list[Any] | None:
        if any(_is_note_citation(child) for child in inlines):
            return _punctuation_before_notes(inlines, punctuation_in_quote)
        return None

    return ast.transform(value, rewrite_list=place)


def _punctuation_before_notes(inlines: Inlines, punctuation_in_quote: bool) -> Inlines:
    placed: Inlines = []
    index = 0
    while index < len(inlines):
        node = inlines[index]
        index += 1
        if not _is_note_citation(node):
            placed.append(node)
            continue
        author_in_text = node["c"][0][0]["citationMode"]["t"] == "AuthorInText"
        if not author_in_text and placed and placed[-1]["t"] in ("Space", "SoftBreak"):
            placed.pop()
        following = inlines[index] if index < len(inlines) else None
        punctuation = ""
        if following is not None and following["t"] == "Str":
            text = following["c"]
            punctuation = text[: len(text) - len(text.lstrip(_NOTE_PUNCTUATION))]
        if punctuation:
            _put_before_note(punctuation, placed, punctuation_in_quote)
            rest = following["c"][len(punctuation) :] if following else ""
            placed.append(node)
            if rest:
                placed.append({"t": "Str", "c": rest})
            index += 1
        else:
            placed.append(node)
    return placed


def _put_before_note(punctuation: str, placed: Inlines, punctuation_in_quote: bool) -> None:
    previous = placed[-1] if placed else None
    if previous is not None and previous["t"] == "Str" and previous["c"].endswith(punctuation):
        return  # "end. [@key]." keeps one period (pandoc would print two)
    if (
        punctuation_in_quote
        and punctuation in (".", ",")
        and previous is not None
        and previous["t"] == "Quoted"
    ):
        # The locale's punctuation-in-quote: '"quoted" [@key].' reads '"quoted."[^1]'.
        previous["c"][1] = [*previous["c"][1], {"t": "Str", "c": punctuation}]
        return
    placed.append({"t": "Str", "c": punctuation})


def _insert_bibliography(
    document: dict[str, Any],
    entries: Sequence[tuple[str, Inlines]],
    layout: _BibliographyLayout,
    style: CslStyle,
) -> None:
    """Put the entries in the manuscript's `::: {#refs}` div if it has one (as pandoc
    does), else append the style's heading and a refs div at the end."""
    entry_divs = [
        {"t": "Div", "c": [[f"ref-{key}", ["csl-entry"], []], [{"t": "Para", "c": inlines}]]}
        for key, inlines in entries
    ]
    classes = ["references", "csl-bib-body"] + (["hanging-indent"] if layout.hanging_indent else [])
    attributes = [list(pair) for pair in layout.attributes]
    for node in ast.walk(document["blocks"]):
        if node["t"] == "Div" and node["c"][0][0] == "refs":
            identifier, existing_classes, existing_attributes = node["c"][0]
            node["c"][0] = [
                identifier,
                list(dict.fromkeys(classes + existing_classes)),
                existing_attributes + attributes,
            ]
            node["c"][1] = node["c"][1] + entry_divs
            return
    refs = {"t": "Div", "c": [["refs", classes, attributes], entry_divs]}
    if has_own_bibliography_heading(document["blocks"]):
        document["blocks"] = [*document["blocks"], refs]
        return
    heading = {
        "t": "Header",
        "c": [1, ["bibliography", ["unnumbered"], []], _heading_inlines(document["meta"], style)],
    }
    document["blocks"] = [*document["blocks"], heading, refs]


def _heading_inlines(meta: Mapping[str, Any], style: CslStyle) -> Inlines:
    title = meta.get("reference-section-title")
    if title and title["t"] == "MetaInlines":
        inlines: Inlines = title["c"]
        return inlines
    text = ast.plain_text(title) if title else bibliography_heading(style, _locale(meta))
    return _text_inlines(text)
