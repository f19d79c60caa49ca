"""The manuscript's authors, read once from whichever shape the front matter uses.

pandoc users write `author: Jane Doe` or a list of names; Quarto users write its author
schema (https://quarto.org/docs/journals/authors.html):

    author:
      - name: Jane Doe                      # or name: {given: Jane, family: Doe}
        orcid: 0000-0002-1825-0097
        email: jane@example.org
        corresponding: true                 # or attributes: {corresponding: true}
        affiliations:                       # strings, maps, or references to ids
          - name: University of Example
            department: Department of Sociology
            city: Berlin
            country: Germany
          - ref: inst2
    affiliations:                           # top level, referred to by id
      - id: inst2
        name: Institute of Things

and the shorthands `affiliation: ...` on an author, or at the top level (with `institute`)
for authors given as plain names. The schemas of other pipelines are read too:

    authors:                                # JOSS (and rOpenSci, Manubot's `authors`)
      - name: Jane Doe
        affiliation: "1, 2"                 # indexes into the top-level list
        equal-contrib: true
        corresponding: true
    affiliations:
      - name: University of Example
        index: 1
    author:                                 # pandoc-scholar: name -> fields
      - Jane Doe:
          institute: [uoe]
    institute:
      - uoe: University of Example          # or uoe: {name: ..., address: ...}

A footnote on a name (`name: Jane Doe^[Present address: ...]`) is kept as the author's
note, printed in the title block, not as a note of the body. `authors_of` turns all of
these into one typed list; every writer (PDF title block, EPUB package and title page,
DOCX author lines and core properties, the cover) prints from it, so none can disagree
about who wrote the work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from typeset import ast

_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


@dataclass(frozen=True)
class Affiliation:
    name: str
    department: str = ""
    city: str = ""
    country: str = ""

    @property
    def text(self) -> str:
        """One line, from the smallest unit out: department, institution, city, country."""
        parts = (self.department, self.name, self.city, self.country)
        return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class Author:
    name: str
    affiliations: tuple[Affiliation, ...] = ()
    orcid: str = ""  # the bare iD, 0000-0002-1825-0097
    email: str = ""
    corresponding: bool = False
    equal_contribution: bool = False
    notes: tuple[str, ...] = ()  # footnotes on the name, as text

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""


def authors_of(meta: Mapping[str, Any]) -> tuple[Author, ...]:
    """Every author named in pandoc's metadata (`meta`: MetaValues), in order."""
    author = meta.get("author", meta.get("authors"))
    if author is None:
        return ()
    items = author["c"] if author["t"] == "MetaList" else [author]
    registry = {
        **_affiliation_registry(meta.get("institute")),
        **_affiliation_registry(meta.get("affiliations")),
    }
    shared = _plain_affiliations(meta.get("affiliation", meta.get("institute")), registry)
    if any(item["t"] == "MetaMap" for item in items) and meta.get("institute") is not None:
        shared = ()  # pandoc-scholar: `institute` is a registry, referred to by id
    authors = []
    for item in items:
        if item["t"] == "MetaMap":
            found = _author_from_map(_scholar_fields(item["c"]), registry)
        else:
            found = Author(ast.plain_text(item), shared, notes=_notes(item))
        if found.name:
            authors.append(found)
    return tuple(authors)


def author_names(meta: Mapping[str, Any]) -> list[str]:
    return [author.name for author in authors_of(meta)]


def names_as_meta(authors: tuple[Author, ...]) -> ast.Node:
    """`author` as pandoc's writers want it for dc:creator and DOCX core properties:
    a list of plain names (a map would be written as the word "true")."""
    return {"t": "MetaList", "c": [ast.meta_value(author.name) for author in authors]}


@dataclass(frozen=True)
class TitleBlock:
    """Authors with affiliation marks, and the affiliation lines the marks point to."""

    authors: tuple[Author, ...]
    affiliations: tuple[Affiliation, ...]  # each once, in order of first mention
    marks: tuple[tuple[int, ...], ...]  # per author, 1-based numbers into `affiliations`

    @property
    def numbered(self) -> bool:
        """Marks are only worth printing when authors do not all share one affiliation."""
        return len(self.affiliations) > 1


def title_block(authors: tuple[Author, ...]) -> TitleBlock:
    affiliations: dict[Affiliation, int] = {}
    marks = []
    for author in authors:
        numbers = []
        for affiliation in author.affiliations:
            numbers.append(affiliations.setdefault(affiliation, len(affiliations) + 1))
        marks.append(tuple(numbers))
    return TitleBlock(authors, tuple(affiliations), tuple(marks))


def _scholar_fields(fields: Mapping[str, Any]) -> Mapping[str, Any]:
    """pandoc-scholar writes an author as a one-key map, name -> fields."""
    if "name" not in fields and len(fields) == 1:
        name, value = next(iter(fields.items()))
        if value["t"] == "MetaMap":
            return {"name": {"t": "MetaString", "c": name}, **value["c"]}
    return fields


def _notes(value: Any) -> tuple[str, ...]:
    return tuple(ast.plain_text(node["c"]) for node in ast.walk(value) if node["t"] == "Note")


def _author_from_map(fields: Mapping[str, Any], registry: Mapping[str, Affiliation]) -> Author:
    name_value = fields.get("name")
    if name_value is not None and name_value["t"] == "MetaMap":
        parts = name_value["c"]
        literal = ast.plain_text(parts.get("literal"))
        given, family = ast.plain_text(parts.get("given")), ast.plain_text(parts.get("family"))
        name = literal or " ".join(part for part in (given, family) if part)
    else:
        name = ast.plain_text(name_value)
    attributes = fields.get("attributes")
    attribute_fields = attributes["c"] if attributes and attributes["t"] == "MetaMap" else {}
    affiliations = fields.get("affiliations", fields.get("affiliation", fields.get("institute")))
    return Author(
        name=name,
        affiliations=_plain_affiliations(affiliations, registry),
        orcid=_orcid(ast.plain_text(fields.get("orcid"))),
        email=ast.plain_text(fields.get("email")),
        corresponding=_true(fields.get("corresponding"))
        or _true(attribute_fields.get("corresponding")),
        equal_contribution=_true(fields.get("equal-contrib"))
        or _true(attribute_fields.get("equal-contributor")),
        notes=_notes(name_value),
    )


def _affiliation_registry(value: Any) -> dict[str, Affiliation]:
    """Top-level `affiliations:` by id (Quarto lets authors refer to them)."""
    registry: dict[str, Affiliation] = {}
    if value is None:
        return registry
    items = value["c"] if value["t"] == "MetaList" else [value]
    for item in items:
        if item["t"] != "MetaMap":
            continue
        fields = item["c"]
        key = fields.get("id", fields.get("index"))
        if key is not None:  # Quarto's id, JOSS's index
            registry[ast.plain_text(key)] = _affiliation_from_map(fields)
        elif len(fields) == 1:  # pandoc-scholar: id -> name, or id -> {name, address}
            identifier, value = next(iter(fields.items()))
            registry[identifier] = (
                _affiliation_from_map(value["c"])
                if value["t"] == "MetaMap"
                else Affiliation(ast.plain_text(value))
            )
    return registry


def _plain_affiliations(value: Any, registry: Mapping[str, Affiliation]) -> tuple[Affiliation, ...]:
    if value is None:
        return ()
    items = value["c"] if value["t"] == "MetaList" else [value]
    found: list[Affiliation] = []
    for item in items:
        if item["t"] == "MetaMap":
            fields = item["c"]
            reference = ast.plain_text(fields.get("ref"))
            if reference in registry:
                found.append(registry[reference])
            elif "name" in fields or "department" in fields:
                found.append(_affiliation_from_map(fields))
        else:
            text = ast.plain_text(item)
            parts = [part.strip() for part in text.split(",")]
            if len(parts) > 1 and all(part in registry for part in parts):
                found.extend(registry[part] for part in parts)  # JOSS: "1, 2"
            elif text:
                found.append(registry.get(text, Affiliation(text)))
    return tuple(dict.fromkeys(found))


def _affiliation_from_map(fields: Mapping[str, Any]) -> Affiliation:
    return Affiliation(
        name=ast.plain_text(fields.get("name")),
        department=ast.plain_text(fields.get("department")),
        city=ast.plain_text(fields.get("city")),
        country=ast.plain_text(fields.get("country")),
    )


def _orcid(text: str) -> str:
    """The bare iD from '0000-...', 'https://orcid.org/0000-...' or 'orcid.org/0000-...'."""
    match = _ORCID.search(text)
    return match.group(1).upper() if match else ""


def _true(value: Any) -> bool:
    if value is None:
        return False
    if value["t"] == "MetaBool":
        return bool(value["c"])
    return ast.plain_text(value).strip().lower() in ("true", "yes")
