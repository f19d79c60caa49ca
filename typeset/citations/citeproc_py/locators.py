"""Locators: reading `p. 12` off the front of a citation suffix, as pandoc does."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from pathlib import Path

from citeproc import LOCALES_PATH as CITEPROC_LOCALES_PATH
from citeproc import (
    PRIMARY_DIALECTS,
)

from typeset.citations.citeproc_py.rendering import Inlines
from typeset.styles import CSL_NAMESPACE

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


def _locator_labels(locale: str, style: Path | None = None) -> list[tuple[str, str]]:
    """(label as written, CSL locator type), longest first: every form of every locator
    term of the style's own `cs:locale` for the document's language and of the locale
    file of that language, as pandoc reads them (pandoc 3.9 takes no English terms in a
    German document: "p. 5" there is a suffix, "S. 5" a locator)."""
    labels: dict[str, str] = {}
    roots = [_style_locale(style, locale)] if style else []
    roots += [ElementTree.parse(path).getroot() for path in _locale_files(locale)]
    for root in roots:
        for term in root.iter(f"{CSL_NAMESPACE}term"):
            name = term.get("name")
            if name not in _LOCATOR_TERMS:
                continue
            forms = [term.text or ""] + [child.text or "" for child in term]
            for form in forms:
                if form.strip():
                    labels.setdefault(form.strip().lower(), str(name))
    return sorted(labels.items(), key=lambda label: -len(label[0]))


def _style_locale(style: Path, locale: str) -> ElementTree.Element:
    """The style's `cs:locale` terms that apply to `locale` (in one element)."""
    merged = ElementTree.Element("terms")
    language = locale.split("-")[0]
    for element in ElementTree.parse(style).getroot().iter(f"{CSL_NAMESPACE}locale"):
        applies_to = element.get("{http://www.w3.org/XML/1998/namespace}lang")
        if applies_to in (None, locale, language):
            merged.extend(element.iter(f"{CSL_NAMESPACE}term"))
    return merged


def _locale_files(locale: str) -> list[Path]:
    """The locale file of the document's language: its dialect, else the language's
    primary dialect (en-US for a document without a language)."""
    folder = Path(CITEPROC_LOCALES_PATH)
    language = locale.split("-")[0]
    for name in (locale, PRIMARY_DIALECTS.get(language, ""), "en-US"):
        path = folder / f"locales-{name}.xml"
        if name and path.is_file():
            return [path]
    return []


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
        return None, _separated(suffix)
    rest = match.group("rest")
    return (label_type or "page", match.group("value")), _text_inlines(rest) + others


def _separated(suffix: Inlines) -> Inlines:
    """A suffix that is not a locator, set off from the citation as pandoc sets it off:
    `@shen2012 [ch. 4]` reads "Shen (2012, ch. 4)", not "Shen (2012ch. 4)"."""
    first = suffix[0] if suffix else None
    if first is None or first["t"] != "Str" or not first["c"][:1].isalnum():
        return suffix
    return [{"t": "Str", "c": ","}, {"t": "Space"}, *suffix]


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
