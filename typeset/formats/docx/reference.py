"""The reference DOCX as pandoc may copy it into an output: no external relationships.

pandoc copies the reference document's settings, headers, footers, numbering and theme
into every DOCX it writes. A relationship with `TargetMode="External"` in any of them
(an `attachedTemplate` on a share or a web server, a remote image, a hyperlink to a
file) makes Word fetch it when the output is opened: the reader's machine calls out, or
leaks its credentials to a server named by whoever made the template. Templates made on
an ordinary office machine often carry one (`file:///C:/Users/.../Normal.dotm`), so they
are removed with a warning rather than refused: each such relationship goes, with the
attribute or element (`w:attachedTemplate`, `w:altChunk`, `w:subDoc`) that used it.
"""

from __future__ import annotations

import logging
import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from typeset.confine import MEGABYTE
from typeset.errors import ConfigError

log = logging.getLogger(__name__)

RELATIONSHIPS_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Elements that only exist to point at a relationship: removed with it.
POINTER_ELEMENTS = frozenset({"attachedTemplate", "altChunk", "subDoc"})
WEB_LINK_SCHEMES = ("http://", "https://", "mailto:")
MAX_REFERENCE_MEMBERS = 2_000
MAX_REFERENCE_UNPACKED_BYTES = 256 * MEGABYTE


def sealed_reference(reference: Path, workdir: Path) -> Path:
    """`reference` itself if it has no external relationship, else a copy in `workdir`
    without them (each removal logged)."""
    try:
        with zipfile.ZipFile(reference) as archive:
            members = archive.infolist()
            _check_size(reference, members)
            parts = {member.filename: archive.read(member) for member in members}
    except (zipfile.BadZipFile, OSError, KeyError) as error:
        raise ConfigError(
            f"the DOCX reference document cannot be read ({error})",
            path=reference,
            hint="set 'docx_reference' to a .docx saved by Word or LibreOffice",
        ) from None
    changed: dict[str, bytes] = {}
    for name, data in parts.items():
        if not name.endswith(".rels"):
            continue
        removed, kept_rels = _without_external(data, reference, name)
        if not removed:
            continue
        changed[name] = kept_rels
        owner = _owner_part(name)
        if owner in parts:
            changed[owner] = _without_pointers(parts[owner], set(removed), reference, owner)
        for identifier, (kind, target) in removed.items():
            # A web link in the template's sample text (pandoc's own reference has one)
            # is fetched by no one: removed without a word.
            harmless = kind == "hyperlink" and target.lower().startswith(WEB_LINK_SCHEMES)
            log.log(
                logging.DEBUG if harmless else logging.WARNING,
                "%s: %s: external %s relationship %s to %s removed (Word would follow it "
                "when the output is opened)",
                reference,
                owner or "the package",
                kind,
                identifier,
                target[:100],
            )
    if not changed:
        return reference
    sealed = workdir / "reference.docx"
    with zipfile.ZipFile(sealed, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            archive.writestr(member, changed.get(member.filename, parts[member.filename]))
    return sealed


def _check_size(reference: Path, members: list[zipfile.ZipInfo]) -> None:
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_REFERENCE_MEMBERS or unpacked > MAX_REFERENCE_UNPACKED_BYTES:
        raise ConfigError(
            f"the DOCX reference document unpacks to {len(members)} parts and "
            f"{unpacked // MEGABYTE} MB, more than a reference document needs",
            path=reference,
            hint="use a reference document with styles only (pandoc --print-default-data-file "
            "reference.docx makes one)",
        )


def _parse(data: bytes, reference: Path, name: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ConfigError(
            f"the DOCX reference document's {name} is not well-formed XML ({error})",
            path=reference,
            hint="save the reference document again in Word or LibreOffice",
        ) from None


def _without_external(
    data: bytes, reference: Path, name: str
) -> tuple[dict[str, tuple[str, str]], bytes]:
    """({id: (type, target)} of the external relationships removed, the .rels part
    without them)."""
    root = _parse(data, reference, name)
    removed: dict[str, tuple[str, str]] = {}
    for relationship in list(root):
        if (relationship.get("TargetMode") or "").lower() == "external":
            kind = (relationship.get("Type") or "").rsplit("/", 1)[-1]
            removed[relationship.get("Id") or ""] = (kind, relationship.get("Target") or "")
            root.remove(relationship)
    if not removed:
        return {}, data
    return removed, _serialise(root)


def _owner_part(rels_name: str) -> str:
    """word/_rels/settings.xml.rels -> word/settings.xml; _rels/.rels -> '' (the package)."""
    folder, file_name = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), file_name.removesuffix(".rels"))


def _without_pointers(data: bytes, removed: set[str], reference: Path, name: str) -> bytes:
    root = _parse(data, reference, name)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        for attribute, value in list(element.attrib.items()):
            if not attribute.startswith(f"{{{OFFICE_RELATIONSHIPS}}}") or value not in removed:
                continue
            parent = element.getparent()
            if etree.QName(element).localname in POINTER_ELEMENTS and parent is not None:
                parent.remove(element)
                break
            del element.attrib[attribute]
    return _serialise(root)


def _serialise(root: etree._Element) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data
