"""The tag tree's page references are built once per PDF (typeset/formats/pdf/weasyprint/tags.py):
the same references, and the same tagged PDF, byte for byte."""

from __future__ import annotations

import pydyf
import pytest
import weasyprint

from typeset.formats.pdf.weasyprint.tags import page_references_cached

# Several pages of what a book tags: headings, paragraphs, a list, a table, a note.
CHAPTER = (
    "<section><h2>Chapter {n}</h2>"
    + "<p>Paragraph {n} of prose that fills a line or two of the page.</p>" * 12
    + "<ul><li>one</li><li>two</li></ul>"
    + "<table><tr><th>Year</th><th>Cases</th></tr><tr><td>1890</td><td>12</td></tr></table>"
    + '<p>A called note.<span class="footnote">The note {n}.</span></p></section>'
)
HTML = (
    '<html lang="en"><head><style>.footnote { float: footnote; }'
    " section { break-before: page; }</style></head><body>"
    + "".join(CHAPTER.format(n=n) for n in range(12))
    + "</body></html>"
)


def test_the_references_are_the_ones_pydyf_builds_as_pages_are_added() -> None:
    assert page_references_cached()
    own = pydyf.PDF.page_references.weasyprint_original  # type: ignore[attr-defined]
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({}))
        assert pdf.page_references == own.fget(pdf)
        assert pdf.page_references is pdf.page_references  # one tuple while the pages hold


def test_the_tagged_pdf_is_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    assert page_references_cached()
    document = weasyprint.HTML(string=HTML).render(pdf_variant="pdf/ua-1")
    assert len(document.pages) >= 12
    options = {"pdf_variant": "pdf/ua-1", "uncompressed_pdf": True}
    ours = document.write_pdf(**options)
    own = pydyf.PDF.page_references.weasyprint_original  # type: ignore[attr-defined]
    monkeypatch.setattr(pydyf.PDF, "page_references", own)
    theirs = document.write_pdf(**options)
    assert ours.count(b"/Type /StructElem") > 100
    assert ours == theirs
