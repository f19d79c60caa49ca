"""WeasyPrint's fixed-length C arrays are built from their element type, not re-parsed
(typeset/formats/pdf/weasyprint/cffi_arrays.py): the same C types, with no C parser run."""

from __future__ import annotations

import pytest

from typeset.formats.pdf.weasyprint.cffi_arrays import arrays_parsed_once

DECLARATIONS = [
    "hb_codepoint_t[43]",
    "hb_codepoint_t [ 2173 ]",
    "hb_tag_t[100]",
    "char[4]",
    "unsigned int[7]",
    "const char[3]",
    "PangoLogAttr[12]",
    "unsigned int *",  # not an array: the parser's own
    "char[]",
]


def test_arrays_get_the_types_the_parser_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.text.ffi import ffi

    assert arrays_parsed_once()
    replaced = ffi._parser.parse_type_and_quals
    own = replaced.weasyprint_original
    for cdecl in DECLARATIONS:
        assert replaced(cdecl) == own(cdecl), cdecl
    # a length not seen before costs no C parse
    parsed: list[str] = []
    with monkeypatch.context() as no_parser:
        no_parser.setattr(ffi._parser, "_parse", lambda csource: parsed.append(csource))
        array = ffi.new("hb_codepoint_t[9137]", list(range(9137)))
    assert parsed == []
    assert len(array) == 9137 and array[9136] == 9136
    assert ffi.typeof(array) is ffi.typeof("uint32_t[9137]")
