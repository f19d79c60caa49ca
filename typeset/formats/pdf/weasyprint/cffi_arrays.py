"""WeasyPrint's C arrays without a C parser run for each new length.

To subset each font of a PDF, WeasyPrint 70 allocates arrays of glyph ids as
`ffi.new(f"hb_codepoint_t[{n}]", ...)`. cffi caches a type by its text, so every new
length `n` is a new C declaration that pycparser parses (some 23 ms each): about 0.5 s of
every PDF write, paid again in each process of a book laid out in parts. A fixed-length
array type is the element type and a length; `arrays_parsed_once()` makes WeasyPrint's
cffi parser build it from the element type, parsed once, exactly as the parser itself
builds it (`model.ArrayType(item, length)`, the element's qualifiers), so the C types,
and the PDFs, are the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from typeset.formats.pdf.weasyprint import replaced_once

# `hb_codepoint_t[43]`: a type name (words, no pointer or nested brackets) and a length.
_FIXED_ARRAY = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*\[\s*([0-9]+)\s*\]\s*")


def arrays_parsed_once() -> bool:
    """Install it on WeasyPrint's cffi parser (once per process). Call before forking: the
    parsed element types are inherited."""
    from weasyprint.text.ffi import ffi

    installed = replaced_once(ffi._parser, "parse_type_and_quals", _arrays_from_items)
    if installed:
        ffi.typeof("hb_codepoint_t[1]")  # the element WeasyPrint's subsetting asks for
    return installed


def _arrays_from_items(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    from cffi import model

    items: dict[str, Any] = {}

    def parse_type_and_quals(cdecl: str) -> Any:
        match = _FIXED_ARRAY.fullmatch(cdecl)
        if match is None:
            return parse(cdecl)
        name = match.group(1)
        if name not in items:
            items[name] = parse(name)
        item, quals = items[name]
        return model.ArrayType(item, int(match.group(2))), quals

    return parse_type_and_quals
