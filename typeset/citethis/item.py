"""The essay as one CSL item, built by pandoc from the document's metadata."""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from typeset import ast
from typeset.citethis.fragments import _json, pandoc_api_version
from typeset.errors import ManuscriptError
from typeset.pandoc import run_pandoc

CslItem = dict[str, Any]


# A URL or DOI means the essay is read online: "webpage" renders as an online document in
# every style. Without one, "article" (CSL: a work not formally published) is the only
# type every default style prints sensibly with or without an author: "document" and
# "manuscript" print nothing in chicago-notes-bibliography when there is no author, and
# "report" italicises the title like a book's. With a URL, "post" prints nothing in
# chicago-notes-bibliography, and "post-weblog" makes the title the blog's name in Chicago
# and MLA when no container-title is given.
ONLINE_TYPE = "webpage"
OFFLINE_TYPE = "article"


def essay_item(meta: Mapping[str, Any]) -> CslItem:
    """The essay as one CSL-JSON item, built by pandoc from the document's metadata."""
    title = _title_node(meta)
    if title is None:
        raise ManuscriptError(
            "the essay has no title, so it cannot be cited",
            hint="add 'title:' to the front matter or to the config's 'metadata'",
        )
    url = ast.plain_text(meta.get("url"))
    if url and not re.match(r"https?://\S+$", url):
        raise ManuscriptError(
            f"'url' must be a web address starting with http:// or https://, not {url!r}",
            hint="set 'url' in the front matter or the config's 'metadata'",
        )
    doi = _normalised_doi(ast.plain_text(meta.get("doi")))
    fields: dict[str, Any] = {
        "id": _meta_string("essay"),
        "type": _meta_string(ONLINE_TYPE if url or doi else OFFLINE_TYPE),
        "title": title,
    }
    names = _author_names(meta.get("author"))
    if names:
        fields["author"] = {
            "t": "MetaList",
            "c": [
                _meta_map({part: _meta_string(text) for part, text in name.items()})
                for name in names
            ],
        }
    issued = _issued(ast.plain_text(meta.get("date")))
    if issued is not None:
        fields["issued"] = issued
    for field in ("publisher", "container-title"):
        if ast.plain_text(meta.get(field)):
            fields[field] = meta[field]
    if url:
        fields["URL"] = _meta_string(url)
    if doi:
        fields["DOI"] = _meta_string(doi)
    document = {
        "pandoc-api-version": pandoc_api_version(),
        "meta": {"references": {"t": "MetaList", "c": [_meta_map(fields)]}},
        "blocks": [],
    }
    items = json.loads(run_pandoc(["--from", "json", "--to", "csljson"], _json(document)))
    item: CslItem = items[0]
    item["id"] = citation_key(item)
    return item


def citation_key(item: CslItem) -> str:
    """A BibTeX-style key: first author's family name, year, first title word."""
    authors = item.get("author") or []
    family = ""
    if authors:
        family = _slug(authors[0].get("family") or authors[0].get("literal") or "")
    words = [_slug(word) for word in csl_markup_to_text(str(item.get("title", ""))).split()]
    words = [word for word in words if word and word not in ("a", "an", "the")]
    first_word = words[0] if words else ""
    parts = (item.get("issued") or {}).get("date-parts") or [[]]
    year = str(parts[0][0]) if parts[0] else ""
    key = f"{family}{year}{first_word}" if family else f"{first_word}{year}"
    return key or "essay"


def _title_node(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    title = meta.get("title")
    if not ast.plain_text(title):
        return None
    subtitle = meta.get("subtitle")
    if not ast.plain_text(subtitle):
        return dict(title) if title else None
    # A reference gives the subtitle after the title and a colon, in every style.
    inlines = [*_inlines(title), {"t": "Str", "c": ":"}, {"t": "Space"}, *_inlines(subtitle)]
    return {"t": "MetaInlines", "c": inlines}


def _inlines(node: Any) -> list[dict[str, Any]]:
    if node["t"] == "MetaInlines":
        return list(node["c"])
    if node["t"] == "MetaBlocks":
        return [inline for block in node["c"] for inline in block.get("c", [])]
    return [{"t": "Str", "c": ast.plain_text(node)}]


# Characters BibTeX would read as markup: a name holding one is kept whole.
_BIBTEX_SPECIAL = re.compile(r"[{}\\%#~$&^_]|\band\b")
_NAME_PARTS = ("family", "given", "dropping-particle", "non-dropping-particle", "suffix", "literal")


def _author_names(author: Any) -> list[dict[str, str]]:
    """CSL names from `author`: a name, a list of names, {name: ...} or CSL name maps.

    A name written as text is split by pandoc's BibTeX name parser ("Jane Q. van der
    Doe", "Doe, Jane"); write `{literal: Some Organisation}` to keep a name whole.
    """
    if author is None:
        return []
    entries = author["c"] if author["t"] == "MetaList" else [author]
    names: list[dict[str, str] | str] = []
    for entry in entries:
        if entry["t"] == "MetaMap":
            parts = {key: ast.plain_text(value) for key, value in entry["c"].items()}
            given_parts = {key: parts[key] for key in _NAME_PARTS if parts.get(key)}
            if given_parts:
                names.append(given_parts)
                continue
            entry = entry["c"].get("name")
        text = ast.plain_text(entry)
        braced = re.fullmatch(r"\{([^{}]+)\}", text)
        if braced:  # BibTeX's way of keeping an organisation's name whole
            names.append({"literal": braced.group(1).strip()})
        elif text:
            names.append(text)
    to_parse = [
        name for name in names if isinstance(name, str) and not _BIBTEX_SPECIAL.search(name)
    ]
    parsed = dict(zip(to_parse, _parsed_names(to_parse), strict=True))
    result: list[dict[str, str]] = []
    for name in names:
        if isinstance(name, dict):
            result.append(name)
        else:
            result.append(parsed.get(name) or {"literal": name})
    return result


def _parsed_names(names: list[str]) -> list[dict[str, str]]:
    if not names:
        return []
    entry = "@misc{names, author = {" + " and ".join(names) + "}}"
    items = json.loads(run_pandoc(["--from", "bibtex", "--to", "csljson"], entry.encode()))
    parsed: list[dict[str, str]] = items[0].get("author", []) if items else []
    if len(parsed) != len(names):  # a name the parser read as two: keep each as written
        return [{"literal": name} for name in names]
    return parsed


_WRITTEN_DATE_FORMATS = (
    "%B %d, %Y",
    "%B %d %Y",
    "%b %d, %Y",
    "%b. %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d %b. %Y",
    "%B %Y",
    "%b %Y",
    "%b. %Y",
    "%Y/%m/%d",
)


def _issued(text: str) -> dict[str, Any] | None:
    """The date as pandoc reads it (ISO 8601), or a literal date CSL prints as written.

    pandoc reads only ISO dates in references and silently drops any other.
    """
    if not text:
        return None
    iso = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:[T ].*)?$", text)
    if iso:
        return _meta_string("-".join(part for part in iso.groups() if part))
    for pattern in _WRITTEN_DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
        has_day = "%d" in pattern
        return _meta_string(parsed.strftime("%Y-%m-%d" if has_day else "%Y-%m"))
    return _meta_map({"literal": _meta_string(text)})


def _normalised_doi(text: str) -> str:
    if not text:
        return ""
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text.strip(), flags=re.I)
    if not re.match(r"10\.\d{4,9}/[^\s{}]+$", doi):
        raise ManuscriptError(
            f"'doi' is not a DOI: {text!r}",
            hint="give it as 10.NNNN/suffix (https://doi.org/ in front is fine)",
        )
    return doi


def _meta_string(text: str) -> dict[str, Any]:
    return {"t": "MetaString", "c": text}


def _meta_map(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"t": "MetaMap", "c": dict(fields)}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


# CSL-JSON's rich-text markup (CSL 1.0.2, "HTML-like formatting"): only these tags; any
# other "<" is text.
_CSL_MARKUP = re.compile(r"</?(?:i|b|sup|sub|span)(?:\s[^<>]*)?>")


def csl_markup_to_text(value: str) -> str:
    return _CSL_MARKUP.sub("", value)
