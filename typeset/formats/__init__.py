"""Format writers: resolved document + destination -> file. One module per format.

The registry names each writer's class; everything else about a format (extension, cache
inputs, `--check` validators) is declared on the class itself. Adding a format is one
module and one line here. Writers are imported on first use: WeasyPrint alone takes half
a second to import, which a rebuild served from the cache, or a DOCX-only build, should
not pay. The order is the build order: PDF first, as it is the slowest.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typeset.formats.base import FormatWriter

# format name -> "module:Class"
WRITERS: dict[str, str] = {
    "pdf": "typeset.formats.pdf:PdfWriter",
    "epub": "typeset.formats.epub.writer:EpubWriter",
    "docx": "typeset.formats.docx.writer:DocxWriter",
}
# format name -> "module:function" called before the writer's module is imported
BEFORE_IMPORT: dict[str, str] = {
    # WeasyPrint's start with its C declarations and library lookups done once
    "pdf": "typeset.formats.weasyprint_startup:imported_weasyprint",
}


def format_names() -> tuple[str, ...]:
    """Every format a build can write, in build order."""
    return tuple(WRITERS)


def writer_for(format_name: str) -> FormatWriter:
    if format_name in BEFORE_IMPORT:
        _call(BEFORE_IMPORT[format_name])
    return _writer_class(WRITERS[format_name])()


@functools.cache
def _call(target: str) -> None:
    module_name, _, function_name = target.partition(":")
    getattr(importlib.import_module(module_name), function_name)()


@functools.cache
def _writer_class(target: str) -> type[FormatWriter]:
    module_name, _, class_name = target.partition(":")
    writer: type[FormatWriter] = getattr(importlib.import_module(module_name), class_name)
    return writer


def extension_of(format_name: str) -> str:
    return writer_for(format_name).extension


__all__ = ["BEFORE_IMPORT", "WRITERS", "extension_of", "format_names", "writer_for"]
