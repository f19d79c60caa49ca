"""Format writers: resolved document + destination -> file. One module per format.

Writers are imported on first use: WeasyPrint alone takes half a second to import, which a
rebuild served from the cache, or a DOCX-only build, should not pay.
"""

from __future__ import annotations

import importlib

from typeset.formats.base import FormatWriter

# format name -> (module, class, file extension)
WRITERS: dict[str, tuple[str, str, str]] = {
    "pdf": ("typeset.formats.pdf", "PdfWriter", "pdf"),
    "epub": ("typeset.formats.epub", "EpubWriter", "epub"),
    "docx": ("typeset.formats.docx", "DocxWriter", "docx"),
}


def extension_of(format_name: str) -> str:
    return WRITERS[format_name][2]


def writer_for(format_name: str) -> FormatWriter:
    module_name, class_name, _ = WRITERS[format_name]
    writer: FormatWriter = getattr(importlib.import_module(module_name), class_name)()
    return writer


__all__ = ["WRITERS", "FormatWriter", "extension_of", "writer_for"]
