"""References: CSL-JSON items as citeproc-py reads them, with case protection."""

from __future__ import annotations

import html
import json
import logging
import re
import string
from typing import Any

from citeproc.source.json import CiteProcJSON
from citeproc.string import MixedString, NoCase, String

from typeset import ast
from typeset.pandoc import PandocFailure, run_pandoc
from typeset.references import NAME_VARIABLES, Bibliography, CslItem

log = logging.getLogger(__name__)

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
            if variable in NAME_VARIABLES and isinstance(value, list):
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
    already_marked = any(
        isinstance(value, str) and _NOCASE_SPAN_OPEN.search(value)
        for item in bibliography.items
        for value in item.values()
    )
    if already_marked:
        return {}
    references: list[Any] = []
    for source, text in zip(bibliography.files, bibliography.texts, strict=False):
        input_format = _BIBTEX_SUFFIXES.get(source.suffix.lower())
        if input_format is None:
            continue
        try:
            # The text as read inside the roots, never the file opened again by its name.
            parsed = run_pandoc(["--from", input_format, "--to", "json"], text.encode())
        except PandocFailure as error:
            log.warning("cannot recover BibTeX case protection: %s", error)
            continue
        references += json.loads(parsed)["meta"].get("references", {}).get("c", [])
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
