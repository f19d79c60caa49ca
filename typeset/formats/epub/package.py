"""Finish the EPUB pandoc wrote: what its writer has no option for, then a reproducible zip.

- Each footnote begins with its number, linked back to where it is called. pandoc's EPUB 3
  notes have no way back, which strands readers whose reading system shows notes at the
  end of the chapter rather than in a pop-up.
- The cover page's SVG wrapper gets an accessible name (pandoc leaves it unlabelled, so a
  screen reader announces an unnamed graphic).
- Elements marked with `lang` also get `xml:lang`: reading systems that parse content
  documents as XML honour only the latter.
- The landmarks pandoc labels in English ("Cover", "Title Page") are labelled in the
  document's language, and the package claims EPUB Accessibility conformance when the
  writer found the content backs it (`conforms_to`).
- The archive is rewritten with `mimetype` first and stored, every other entry in pandoc's
  order with pandoc's timestamps (from SOURCE_DATE_EPOCH when set), so equal inputs give
  equal bytes.

Only content documents that change are re-serialised; the rest keep pandoc's bytes.
"""

from __future__ import annotations

import posixpath
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from typeset.formats.title_block import TitlePageDetails
from typeset.locale import term

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
SVG_NS = "http://www.w3.org/2000/svg"
OPF_NS = "http://www.idpf.org/2007/opf"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
MIMETYPE = "mimetype"
# pandoc's landmark types -> the locale term for their label.
LANDMARK_TERMS = {"cover": "cover", "titlepage": "title-page", "toc": "contents"}
# Entries unpack as ordinary files readable by everyone (pandoc leaves them 0600).
UNIX = 3
READABLE_FILE = stat.S_IFREG | 0o644


@dataclass(frozen=True)
class NoteCall:
    """Where a note is called from: the content document, the call's id and its number."""

    document: str
    call_id: str
    number: str


def finish_epub(
    pandoc_epub: Path,
    destination: Path,
    *,
    cover_label: str,
    lang: str = "en",
    conforms_to: str | None = None,
    title_page: TitlePageDetails | None = None,
) -> None:
    """Rewrite `pandoc_epub` into `destination` with the finishing touches applied."""
    with zipfile.ZipFile(pandoc_epub) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    documents = {
        info.filename: _parse(data) for info, data in entries if info.filename.endswith(".xhtml")
    }
    changed = link_notes_back(documents)
    changed |= label_cover(documents, cover_label)
    changed |= mirror_lang_as_xml_lang(documents)
    changed |= label_landmarks(documents, lang)
    if title_page is not None:
        changed |= detail_title_page(documents, title_page)
    finished = [
        (info, _serialise(documents[info.filename]) if info.filename in changed else data)
        for info, data in entries
    ]
    finished = [
        (
            info,
            _declare_mathml(data, info.filename, documents)
            if info.filename.endswith(".opf")
            else data,
        )
        for info, data in finished
    ]
    if conforms_to:
        finished = [
            (
                info,
                _claim_conformance(data, conforms_to) if info.filename.endswith(".opf") else data,
            )
            for info, data in finished
        ]
    _write_archive(finished, destination)


def detail_title_page(documents: dict[str, etree._Element], details: TitlePageDetails) -> set[str]:
    """Give the title page's names their marks, and the institutions, notes and contact
    lines they point to after them (pandoc's title page lists plain names only)."""
    if not details.marks and not details.lines:
        return set()
    for name, root in documents.items():
        for section in root.iter(f"{{{XHTML_NS}}}section"):
            if "titlepage" not in section.get(EPUB_TYPE, "").split():
                continue
            authors = [
                child
                for child in section
                if child.tag == f"{{{XHTML_NS}}}p" and child.get("class") == "author"
            ]
            for paragraph, mark in zip(authors, details.marks, strict=False):
                if mark:
                    etree.SubElement(paragraph, f"{{{XHTML_NS}}}sup").text = mark
            anchor = authors[-1] if authors else None
            position = list(section).index(anchor) + 1 if anchor is not None else len(section)
            for offset, (mark, text) in enumerate(details.lines):
                line = etree.Element(f"{{{XHTML_NS}}}p", {"class": "author-detail"})
                if mark:
                    etree.SubElement(line, f"{{{XHTML_NS}}}sup").text = mark
                    line[-1].tail = text
                else:
                    line.text = text
                section.insert(position + offset, line)
            return {name}
    return set()


def link_notes_back(documents: dict[str, etree._Element]) -> set[str]:
    """Start every footnote with its number, a link back to its call; return changed names."""
    calls = _note_calls(documents)
    changed: set[str] = set()
    for name, root in documents.items():
        for note in root.iter(f"{{{XHTML_NS}}}aside"):
            call = calls.get((name, note.get("id", "")))
            if call is None or "footnote" not in note.get(EPUB_TYPE, "").split():
                continue
            back_link = etree.Element(
                f"{{{XHTML_NS}}}a",
                href=_relative_href(name, call.document, call.call_id),
                attrib={"class": "footnote-back", "role": "doc-backlink"},
            )
            back_link.text = f"{call.number}."
            first = note[0] if len(note) else None
            if first is None or first.tag != f"{{{XHTML_NS}}}p":
                first = etree.Element(f"{{{XHTML_NS}}}p")
                note.insert(0, first)
            back_link.tail = " " + (first.text or "").lstrip()
            first.text = None
            first.insert(0, back_link)
            changed.add(name)
    return changed


def label_cover(documents: dict[str, etree._Element], label: str) -> set[str]:
    """Name the SVG that wraps the cover image after what the cover says."""
    changed: set[str] = set()
    for name, root in documents.items():
        body = root.find(f"{{{XHTML_NS}}}body")
        if body is None or body.get("id") != "cover":
            continue
        for svg in body.iter(f"{{{SVG_NS}}}svg"):
            svg.set("role", "img")
            svg.set("aria-label", label)
            changed.add(name)
    return changed


def label_landmarks(documents: dict[str, etree._Element], lang: str) -> set[str]:
    """Label the navigation document's landmarks in the document's language."""
    changed: set[str] = set()
    for name, root in documents.items():
        for nav in root.iter(f"{{{XHTML_NS}}}nav"):
            if "landmarks" not in nav.get(EPUB_TYPE, "").split():
                continue
            for link in nav.iter(f"{{{XHTML_NS}}}a"):
                kinds = link.get(EPUB_TYPE, "").split()
                key = next((LANDMARK_TERMS[kind] for kind in kinds if kind in LANDMARK_TERMS), None)
                if key is not None and len(link) == 0:
                    link.text = term(lang, key)
                    changed.add(name)
    return changed


def _declare_mathml(opf: bytes, opf_name: str, documents: dict[str, etree._Element]) -> bytes:
    """Give every content document holding MathML the `mathml` manifest property.

    pandoc declares it for chapters with math but not for nav.xhtml, where a heading with
    math puts MathML too (EPUBCheck OPF-014).
    """
    root = etree.fromstring(opf)
    folder = posixpath.dirname(opf_name)
    changed = False
    for item in root.iter(f"{{{OPF_NS}}}item"):
        name = posixpath.normpath(posixpath.join(folder, unquote(item.get("href", ""))))
        document = documents.get(name)
        if document is None or next(document.iter(f"{{{MATHML_NS}}}math"), None) is None:
            continue
        properties = item.get("properties", "").split()
        if "mathml" not in properties:
            item.set("properties", " ".join([*properties, "mathml"]))
            changed = True
    if not changed:
        return opf
    declared: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return declared


def _claim_conformance(opf: bytes, conforms_to: str) -> bytes:
    claim = f'<meta property="dcterms:conformsTo">{conforms_to}</meta>\n  </metadata>'
    return opf.replace(b"</metadata>", claim.encode("utf-8"), 1)


def mirror_lang_as_xml_lang(documents: dict[str, etree._Element]) -> set[str]:
    changed: set[str] = set()
    for name, root in documents.items():
        for element in root.iter("{*}*"):
            lang = element.get("lang")
            if lang and element.get(XML_LANG) is None:
                element.set(XML_LANG, lang)
                changed.add(name)
    return changed


def _note_calls(documents: dict[str, etree._Element]) -> dict[tuple[str, str], NoteCall]:
    """Each note's call, keyed by the (document, id) of the note it points to."""
    calls: dict[tuple[str, str], NoteCall] = {}
    for name, root in documents.items():
        for link in root.iter(f"{{{XHTML_NS}}}a"):
            call_id = link.get("id")
            if call_id and "noteref" in link.get(EPUB_TYPE, "").split():
                target = _resolve(name, link.get("href", ""))
                number = "".join(link.itertext()).strip()
                calls[target] = NoteCall(name, call_id, number)
    return calls


def _resolve(document: str, href: str) -> tuple[str, str]:
    """The (archive path, fragment) a link in `document` points to."""
    parts = urlsplit(href)
    path = unquote(parts.path)
    if not path:
        return document, unquote(parts.fragment)
    return posixpath.normpath(posixpath.join(posixpath.dirname(document), path)), unquote(
        parts.fragment
    )


def _relative_href(from_document: str, to_document: str, fragment: str) -> str:
    if from_document == to_document:
        return f"#{fragment}"
    relative = posixpath.relpath(to_document, posixpath.dirname(from_document))
    return f"{relative}#{fragment}"


def _parse(data: bytes) -> etree._Element:
    # pandoc's output is trusted, but a manuscript's raw HTML passes through it: no
    # entity expansion, no network.
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def _serialise(root: etree._Element) -> bytes:
    tree = root.getroottree()
    # lxml would write the declaration with single quotes; keep pandoc's spelling.
    declaration = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    markup: bytes = etree.tostring(tree, encoding="UTF-8", doctype=tree.docinfo.doctype)
    return declaration + markup + b"\n"


def _write_archive(entries: list[tuple[zipfile.ZipInfo, bytes]], destination: Path) -> None:
    # OCF: the `mimetype` entry comes first and uncompressed, so that the file's first
    # bytes identify it as an EPUB.
    ordered = sorted(entries, key=lambda entry: entry[0].filename != MIMETYPE)
    with zipfile.ZipFile(destination, "w") as archive:
        for original, data in ordered:
            info = zipfile.ZipInfo(original.filename, date_time=original.date_time)
            info.create_system = UNIX
            info.external_attr = READABLE_FILE << 16
            if original.filename == MIMETYPE:
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, data)
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9)
