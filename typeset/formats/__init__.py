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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typeset.config import Config
    from typeset.formats.base import FormatWriter

# format name -> "module:Class"
WRITERS: dict[str, str] = {
    "pdf": "typeset.formats.pdf.writer:PdfWriter",
    "epub": "typeset.formats.epub.writer:EpubWriter",
    "docx": "typeset.formats.docx.writer:DocxWriter",
}
# format name -> "module:function" called before the writer's module is imported
BEFORE_IMPORT: dict[str, str] = {
    # WeasyPrint imported and its checked patches installed, once, before any fork
    "pdf": "typeset.formats.pdf.weasyprint:install",
}

# format name -> ("module:function", "module:function"): work its writer will need that the
# build starts early, the first called with (config) before the inputs are read, the second
# with (parsed document, config) once the manuscript is parsed. The PDF's: node and MathJax
# started while pandoc parses, the equations rendered while citations are formatted.
HEAD_STARTS: dict[str, tuple[str, str]] = {
    "pdf": (
        "typeset.formats.pdf.math:start_mathjax_early",
        "typeset.formats.pdf.math:render_meanwhile",
    ),
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
    _function(target)()


@functools.cache
def _writer_class(target: str) -> type[FormatWriter]:
    module_name, _, class_name = target.partition(":")
    writer: type[FormatWriter] = getattr(importlib.import_module(module_name), class_name)
    return writer


def start_before_reading(formats: Sequence[str], config: Config) -> None:
    """The head start of each writer of `formats` that has one, before the inputs are read."""
    for name in formats:
        if name in HEAD_STARTS:
            _function(HEAD_STARTS[name][0])(config)


def start_after_parsing(formats: Sequence[str], document: dict[str, Any], config: Config) -> None:
    """The head start of each writer of `formats` that has one, on the parsed manuscript."""
    for name in formats:
        if name in HEAD_STARTS:
            _function(HEAD_STARTS[name][1])(document, config)


def _function(target: str) -> Callable[..., None]:
    module_name, _, function_name = target.partition(":")
    function: Callable[..., None] = getattr(importlib.import_module(module_name), function_name)
    return function


def extension_of(format_name: str) -> str:
    return writer_for(format_name).extension


__all__ = [
    "BEFORE_IMPORT",
    "HEAD_STARTS",
    "WRITERS",
    "extension_of",
    "format_names",
    "start_after_parsing",
    "start_before_reading",
    "writer_for",
]
