"""The front matter's metadata handed to WeasyPrint, and the XMP packet it writes.

With the `xmp-metadata` patch (WeasyPrint 70) the document's metadata is a subclass of
WeasyPrint's `DocumentMetadata` that adds dc:language and dc:subject to the XMP packet
(WeasyPrint writes the language only to the catalog's /Lang and keywords only as
pdf:Keywords; catalogues and archives read Dublin Core), and the tagged and plain variants,
for which WeasyPrint writes no XMP, get the packet too. Without it, the front matter fills
the attributes of WeasyPrint's own object, the way its documentation shows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, SubElement, fromstring, tostring

from typeset.formats.pdf.metadata import PdfMetadata
from typeset.formats.pdf.weasyprint import enabled


def weasyprint_metadata(metadata: PdfMetadata, generator: str, rendered: Any) -> Any:
    """The DocumentMetadata to write, keeping what WeasyPrint gathered from the HTML
    that the front matter doesn't say (attachments, custom <meta> names)."""
    fields = {
        "title": metadata.title or rendered.title,
        "authors": list(metadata.authors),
        "description": metadata.subject or None,
        "keywords": list(metadata.keywords),
        "generator": generator,
        "created": metadata.created,
        "modified": metadata.created,
        "attachments": rendered.attachments,
        "lang": metadata.lang or rendered.lang,
        "custom": rendered.custom,
    }
    if not enabled("xmp-metadata"):
        for name, value in fields.items():
            setattr(rendered, name, value)
        return rendered
    return _dublin_core_metadata()(**fields)


def xmp_finisher() -> Callable[[Any, Any], None] | None:
    """The `finisher` for `write_pdf` that writes the XMP packet for variants WeasyPrint
    writes none for (tagged, plain); None without the patch."""
    return _ensure_xmp_packet if enabled("xmp-metadata") else None


def _ensure_xmp_packet(document: Any, pdf: Any) -> None:
    """WeasyPrint adds XMP only for PDF/A, PDF/UA and PDF/X; catalogues and archives read
    title, authors and language from XMP rather than the older info dictionary."""
    if "Metadata" not in pdf.catalog:
        document.metadata.include_in_pdf(pdf, "", None, None, compress=True)


@functools.cache
def _dublin_core_metadata() -> type[Any]:
    from weasyprint.pdf.metadata import NS, DocumentMetadata

    def dublin_core_bag(rdf: Element, name: str, values: list[str]) -> None:
        description = SubElement(rdf, f"{{{NS['rdf']}}}Description")
        description.attrib[f"{{{NS['rdf']}}}about"] = ""
        bag = SubElement(SubElement(description, f"{{{NS['dc']}}}{name}"), f"{{{NS['rdf']}}}Bag")
        for value in values:
            SubElement(bag, f"{{{NS['rdf']}}}li").text = value

    class TypesetDocumentMetadata(DocumentMetadata):  # type: ignore[misc]
        """WeasyPrint's metadata, plus dc:language and dc:subject in the XMP packet."""

        def generate_rdf_metadata(self, variant: str, version: Any, conformance: Any) -> bytes:
            rdf = fromstring(super().generate_rdf_metadata(variant, version, conformance))
            if self.lang:
                dublin_core_bag(rdf, "language", [self.lang])
            if self.keywords:
                dublin_core_bag(rdf, "subject", self.keywords)
            serialised: bytes = tostring(rdf, encoding="utf-8")
            return serialised

    return TypesetDocumentMetadata
