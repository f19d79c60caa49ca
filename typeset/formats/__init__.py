"""Format writers: resolved document + destination -> file. One module per format."""

from __future__ import annotations

from typeset.formats.base import FormatWriter
from typeset.formats.docx import DocxWriter
from typeset.formats.epub import EpubWriter
from typeset.formats.pdf import PdfWriter

WRITERS: dict[str, FormatWriter] = {
    "pdf": PdfWriter(),
    "epub": EpubWriter(),
    "docx": DocxWriter(),
}

__all__ = ["WRITERS", "FormatWriter"]
