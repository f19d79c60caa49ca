"""Who wrote the work and when, as each format prints it: from typeset.authors and
typeset.dates, so the PDF, EPUB and DOCX agree.

- PDF: the print template (styles/print.html) reads `title-authors` (name, affiliation
  marks, ORCID link, corresponding mark), `title-affiliations` (numbered lines) and
  `title-correspondence`, and `date` in the document's language.
- EPUB: `author` becomes the list of names (one dc:creator each, in order), and the title
  page gets their marks, the institutions and the notes (typeset/formats/epub/package.py);
  `date` the
  W3C date dc:date requires, or nothing when it cannot be read (pandoc then writes the
  build time; read_manuscript warns about the date).
- DOCX: `author` one line per author (name, marks, ORCID iD: pandoc's Author
  paragraphs); the numbered affiliations, notes and the corresponding author's email
  follow as paragraphs; docProps/core.xml dc:creator gets the plain names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from typeset import ast
from typeset.authors import Author, authors_of, names_as_meta, title_block
from typeset.dates import format_date, parse_date
from typeset.locale import term

Meta = dict[str, Any]
Inlines = list[dict[str, Any]]


def print_meta(meta: Meta) -> Meta:
    """The metadata the print template reads for its title block."""
    completed = dict(meta)
    lang = ast.plain_text(meta.get("lang"))
    block = title_block(authors_of(meta))
    notes = author_notes(block.authors, lang)
    if block.authors:
        # Plain names: a footnote on a name is a note of the title block (below), not an
        # orphan note pandoc would put after the bibliography.
        completed["author"] = names_as_meta(block.authors)
        completed.pop("authors", None)
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
                        "note-marks": ",".join(
                            mark for mark, text, who in notes if author.name in who
                        ),
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
    if notes:
        completed["title-notes"] = ast.meta_value(
            [{"mark": mark, "text": text} for mark, text, _ in notes]
        )
    shown = display_date(meta)
    if shown:
        completed["date"] = ast.meta_value(shown)
    return completed


# Marks of the title block's notes (equal contribution, notes on names): symbols, as
# journals use, so they cannot be read as affiliation numbers.
NOTE_MARKS = ("\u2020", "\u2021", "\u00a7", "\u00b6", "\u2016")


def author_notes(authors: tuple[Author, ...], lang: str) -> list[tuple[str, str, set[str]]]:
    """(mark, text, names it belongs to) for the equal-contribution note and each note on
    an author's name, in order."""
    notes: list[tuple[str, str, set[str]]] = []
    equal = {author.name for author in authors if author.equal_contribution}
    if equal:
        notes.append(("", term(lang, "equal-contribution"), equal))
    for author in authors:
        for text in author.notes:
            notes.append(("", text, {author.name}))
    return [
        (NOTE_MARKS[index % len(NOTE_MARKS)] * (index // len(NOTE_MARKS) + 1), text, who)
        for index, (_, text, who) in enumerate(notes)
    ]


@dataclass(frozen=True)
class TitlePageDetails:
    """What a title page that lists plain names (pandoc's EPUB title page) lacks."""

    marks: tuple[str, ...] = ()  # per author, in order: "1,2†" or ""
    lines: tuple[tuple[str, str], ...] = ()  # (mark, text): institutions, notes, contact


def title_page_details(meta: Meta) -> TitlePageDetails:
    authors = authors_of(meta)
    if not authors:
        return TitlePageDetails()
    lang = ast.plain_text(meta.get("lang"))
    block = title_block(authors)
    notes = author_notes(authors, lang)
    marks = []
    for author, numbers in zip(block.authors, block.marks, strict=True):
        affiliation_marks = ",".join(map(str, numbers)) if block.numbered else ""
        note_marks = ",".join(mark for mark, _, who in notes if author.name in who)
        marks.append(",".join(part for part in (affiliation_marks, note_marks) if part))
    lines: list[tuple[str, str]] = []
    if block.numbered:
        lines += [(str(number), item.text) for number, item in enumerate(block.affiliations, 1)]
    else:
        lines += [("", item.text) for item in block.affiliations]
    lines += [(mark, text) for mark, text, _ in notes]
    lines += [("", line) for line in _correspondence(authors, lang)]
    return TitlePageDetails(tuple(marks), tuple(lines))


def author_lines(meta: Meta) -> tuple[list[Inlines], list[Inlines]]:
    """Each author's line (name, affiliation marks or affiliation, note marks, ORCID iD)
    and the lines after them (numbered affiliations, author notes, correspondence), for
    a title block written as paragraphs (DOCX)."""
    authors = authors_of(meta)
    if not authors:
        return [], []
    lang = ast.plain_text(meta.get("lang"))
    block = title_block(authors)
    notes = author_notes(authors, lang)
    names: list[Inlines] = []
    for author, marks in zip(block.authors, block.marks, strict=True):
        line = _docx_author_line(author, marks if block.numbered else ()) or [_text(author.name)]
        own = [mark for mark, _, who in notes if author.name in who]
        if own:
            after_marks = 2 if block.numbered and marks else 1
            line.insert(after_marks, {"t": "Superscript", "c": [_text(",".join(own))]})
        names.append(line)
    after: list[Inlines] = []
    if block.numbered:
        for number, affiliation in enumerate(block.affiliations, start=1):
            after.append([{"t": "Superscript", "c": [_text(str(number))]}, _text(affiliation.text)])
    for mark, text, _ in notes:
        after.append([{"t": "Superscript", "c": [_text(mark)]}, _text(text)])
    after += [[_text(line)] for line in _correspondence(authors, lang)]
    return names, after


def epub_meta(meta: Meta) -> Meta:
    completed = dict(meta)
    authors = authors_of(meta)
    if authors:
        completed["author"] = names_as_meta(authors)
    else:
        completed.pop("author", None)
    for field in ("authors", "affiliation", "affiliations", "institute"):
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
        # Each name once, in pandoc's Author paragraphs, with its marks and ORCID iD; the
        # affiliations and notes the marks point to follow. docProps' dc:creator would be
        # the stringified line ("Ada Lovelace1,2 ORCID iD ..."): complete_core_properties
        # puts the plain names back after pandoc.
        names, after = author_lines(meta)
        meta["author"] = {"t": "MetaList", "c": [{"t": "MetaInlines", "c": n} for n in names]}
        if after:
            paragraphs = [{"t": "Para", "c": line} for line in after]
            style = [["custom-style", "Affiliation"]]
            blocks = [{"t": "Div", "c": [["", [], style], paragraphs]}, *blocks]
    for field in ("authors", "affiliation", "affiliations", "institute"):
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


def _docx_author_line(author: Author, marks: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """ "Name¹,²" (the affiliations listed after, numbered) or "Name, Affiliation"."""
    parts = [item.text for item in author.affiliations]
    if not parts and not author.orcid:
        return []
    inlines: list[dict[str, Any]] = [_text(author.name)]
    if marks:
        inlines.append({"t": "Superscript", "c": [_text(",".join(map(str, marks)))]})
    elif parts:
        inlines.append(_text(", " + "; ".join(parts)))
    if author.orcid:
        link = {
            "t": "Link",
            "c": [["", ["orcid"], []], [_text(author.orcid_url)], [author.orcid_url, "ORCID iD"]],
        }
        inlines += [_text(" ORCID iD "), link]
    return inlines


def _text(text: str) -> dict[str, Any]:
    return {"t": "Str", "c": text}
