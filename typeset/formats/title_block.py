"""Who wrote the work and when, as each format prints it: from typeset.authors and
typeset.dates, so the PDF, EPUB and DOCX agree.

- PDF: the print template (styles/print.html) reads `title-authors` (name, affiliation
  marks, ORCID link, corresponding mark), `title-affiliations` (numbered lines) and
  `title-correspondence`, and `date` in the document's language.
- EPUB: `author` becomes the list of names (one dc:creator each, in order); `date` the
  W3C date dc:date requires, or nothing when it cannot be read (pandoc then writes the
  build time; read_manuscript warns about the date).
- DOCX: `author` the list of names (author lines, docProps/core.xml dc:creator); the
  affiliations, ORCID iDs and the corresponding author's email follow as paragraphs.
"""

from __future__ import annotations

from typing import Any

from typeset import ast
from typeset.authors import Author, authors_of, names_as_meta, title_block
from typeset.dates import format_date, parse_date
from typeset.locale import term

Meta = dict[str, Any]


def print_meta(meta: Meta) -> Meta:
    """The metadata the print template reads for its title block."""
    completed = dict(meta)
    lang = ast.plain_text(meta.get("lang"))
    block = title_block(authors_of(meta))
    if block.authors:
        completed["title-authors"] = {
            "t": "MetaList",
            "c": [
                ast.meta_value(
                    {
                        "name": author.name,
                        "marks": ",".join(map(str, marks)) if block.numbered else "",
                        "affiliation": (
                            ""
                            if block.numbered
                            else "; ".join(item.text for item in author.affiliations)
                        ),
                        "orcid": author.orcid,
                        "orcid-url": author.orcid_url,
                        "corresponding": author.corresponding and bool(author.email),
                    }
                )
                for author, marks in zip(block.authors, block.marks, strict=True)
            ],
        }
    if block.numbered:
        completed["title-affiliations"] = ast.meta_value(
            [
                {"mark": str(number), "text": affiliation.text}
                for number, affiliation in enumerate(block.affiliations, start=1)
            ]
        )
    correspondence = _correspondence(block.authors, lang)
    if correspondence:
        completed["title-correspondence"] = ast.meta_value(correspondence)
    shown = display_date(meta)
    if shown:
        completed["date"] = ast.meta_value(shown)
    return completed


def epub_meta(meta: Meta) -> Meta:
    completed = dict(meta)
    authors = authors_of(meta)
    if authors:
        completed["author"] = names_as_meta(authors)
    else:
        completed.pop("author", None)
    for field in ("affiliation", "affiliations", "institute"):
        completed.pop(field, None)  # pandoc would print them as "true"
    if "date" in meta:
        text = ast.plain_text(meta["date"])
        parsed = parse_date(text, ast.plain_text(meta.get("lang")))
        if parsed is None:  # read_manuscript has warned, naming the line
            completed.pop("date")
        else:
            completed["date"] = ast.meta_value(parsed.w3c)
    return completed


def docx_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document with author names, the localised date and affiliation paragraphs."""
    meta = dict(document["meta"])
    authors = authors_of(meta)
    blocks = document["blocks"]
    if authors:
        meta["author"] = names_as_meta(authors)
        lines = [_docx_author_line(author) for author in authors]
        lang = ast.plain_text(meta.get("lang"))
        lines += [[_text(line)] for line in _correspondence(authors, lang)]
        paragraphs = [{"t": "Para", "c": line} for line in lines if line]
        if paragraphs:
            style = [["custom-style", "Affiliation"]]
            blocks = [{"t": "Div", "c": [["", [], style], paragraphs]}, *blocks]
    for field in ("affiliation", "affiliations", "institute"):
        meta.pop(field, None)
    shown = display_date(meta)
    if shown:
        meta["date"] = ast.meta_value(shown)
    return {**document, "meta": meta, "blocks": blocks}


def display_date(meta: Meta) -> str:
    """The date as the title block prints it: an ISO or readable date in the document's
    language; anything else as the author wrote it."""
    if "date" not in meta:
        return ""
    text = ast.plain_text(meta["date"])
    lang = ast.plain_text(meta.get("lang"))
    parsed = parse_date(text, lang)
    return format_date(parsed, lang) if parsed else ""


def _correspondence(authors: tuple[Author, ...], lang: str) -> list[str]:
    return [
        f"{term(lang, 'corresponding-author')}: {author.name}, {author.email}"
        for author in authors
        if author.corresponding and author.email
    ]


def _docx_author_line(author: Author) -> list[dict[str, Any]]:
    parts = [item.text for item in author.affiliations]
    if not parts and not author.orcid:
        return []
    inlines: list[dict[str, Any]] = [_text(f"{author.name}: " + "; ".join(parts))]
    if author.orcid:
        link = {
            "t": "Link",
            "c": [["", ["orcid"], []], [_text(author.orcid_url)], [author.orcid_url, "ORCID iD"]],
        }
        inlines += [_text(" ORCID iD "), link]
    return inlines


def _text(text: str) -> dict[str, Any]:
    return {"t": "Str", "c": text}
