"""End to end: the essay built with real pandoc and WeasyPrint, read back from the files."""

from __future__ import annotations

import re

import pytest

from tests.conftest import (
    Builder,
    docx_part,
    docx_text,
    epub_text,
    epub_xhtml,
    pdf_pages,
    pdf_text,
)

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

# One phrase per work that any style prints in its bibliography entry.
TEN_WORKS = {
    "coggins2011": "Friends in High Places",
    "howard2017": "How Civil Wars End",
    "jervis1978": "Cooperation under the Security Dilemma",
    "malet2010": "Why Foreign Fighters",
    "mearsheimer2014": "Anarchy and the Struggle for Power",
    "morgenthau2014": "A Realist Theory of International Politics",
    "rawnsley2009": "How Beijing Sold the Korean War",
    "waltz2010": "Theory of International Politics",
    "hao1990": "Decision to Enter the Korean War",
    "shen2012": "Mao, Stalin and the Korean War",
}

# How a reader of each style expects the Hao and Zhai article cited in the text.
IN_TEXT_CITATION = {
    "chicago-author-date": "(Hao and Zhai 1990)",
    "apa": "(Hao & Zhai, 1990)",
    "modern-language-association": "(Hao and Zhai)",
    "ieee": "[3]",
}

MATRIX = [*IN_TEXT_CITATION, "chicago-notes-bibliography"]


def folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def test_default_build_writes_pdf_epub_and_docx_named_after_the_manuscript(
    essay_build: Builder,
) -> None:
    outputs = essay_build("chicago-author-date")
    assert [outputs[name].name for name in ("pdf", "epub", "docx")] == [
        "essay.pdf",
        "essay.epub",
        "essay.docx",
    ]
    assert all(outputs[name].stat().st_size > 10_000 for name in ("pdf", "epub", "docx"))
    # typeset.yaml also asks for the essay's own reference, beside the outputs
    beside = {path.name for path in outputs["pdf"].parent.iterdir()}
    assert beside - {"essay.pdf", "essay.epub", "essay.docx"} == {
        "essay-cite.html",
        "essay-cite.txt",
        "essay.bib",
        "essay.ris",
        "essay.json",
    }


@pytest.mark.parametrize("style", list(IN_TEXT_CITATION))
def test_in_text_citations_follow_the_style_in_all_three_formats(
    essay_build: Builder, style: str
) -> None:
    outputs = essay_build(style)
    expected = IN_TEXT_CITATION[style]
    assert expected in pdf_text(outputs["pdf"])
    assert expected in epub_text(outputs["epub"])
    assert expected in docx_text(outputs["docx"])


@pytest.mark.parametrize("style", MATRIX)
def test_bibliography_lists_all_ten_works_in_every_format(essay_build: Builder, style: str) -> None:
    outputs = essay_build(style)
    pdf = folded(pdf_text(outputs["pdf"]))
    epub = folded(epub_text(outputs["epub"]))
    docx = folded(docx_text(outputs["docx"]))
    for key, phrase in TEN_WORKS.items():
        needle = phrase.casefold()
        assert needle in pdf, f"{key} missing from the PDF bibliography ({style})"
        assert needle in epub, f"{key} missing from the EPUB bibliography ({style})"
        assert needle in docx, f"{key} missing from the DOCX bibliography ({style})"
    assert docx_part(outputs["docx"]).count('w:val="Bibliography"') == len(TEN_WORKS)


def test_chinese_names_are_cited_by_family_name(essay_build: Builder) -> None:
    text = pdf_text(essay_build("chicago-author-date")["pdf"])
    assert "(Shen 2012)" in text
    assert "Hao, Yufan, and Zhihai Zhai. 1990." in text
    assert "Shen, Zhihua. 2012." in text
    assert "Zhihua, S" not in text and "Yufan, H" not in text


def test_switching_style_changes_the_bibliography_heading_and_entries(
    essay_build: Builder,
) -> None:
    apa = pdf_text(essay_build("apa")["pdf"])
    mla = pdf_text(essay_build("modern-language-association")["pdf"])
    assert "References" in apa and "Works Cited" in mla
    assert "Jervis, R. (1978)." in apa
    assert "Jervis, Robert." in mla


def test_note_style_puts_citations_in_footnotes_in_all_three_formats(
    essay_build: Builder,
) -> None:
    outputs = essay_build("chicago-notes-bibliography")
    first_page = pdf_pages(outputs["pdf"])[0]
    # The note sits at the foot of the page that calls it, and the text has no author-date.
    assert re.search(r"^\s*1\.\s+Gary D\. Rawnsley, “", first_page, re.MULTILINE)
    assert "(Rawnsley 2009)" not in pdf_text(outputs["pdf"])
    xhtml = epub_xhtml(outputs["epub"])
    assert 'epub:type="footnote"' in xhtml and "Gary D. Rawnsley" in xhtml
    footnotes = docx_text(outputs["docx"], "word/footnotes.xml")
    assert "Gary D. Rawnsley" in footnotes
    assert "Bibliography" in pdf_text(outputs["pdf"])


# EPUBCheck on these builds: tests/test_epub.py (one run per style).


def test_epub_citations_link_to_their_bibliography_entries(essay_build: Builder) -> None:
    xhtml = epub_xhtml(essay_build("chicago-author-date")["epub"])
    for key in ("hao1990", "jervis1978", "shen2012"):
        assert re.search(rf'href="[^"]*#ref-{key}"', xhtml)
        assert f'id="ref-{key}"' in xhtml


def test_pdf_citations_are_internal_links_and_the_doi_is_a_live_link(
    essay_build: Builder,
) -> None:
    from pypdf import PdfReader

    reader = PdfReader(essay_build("chicago-author-date")["pdf"])
    internal, external = 0, []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            if annotation.get("/Dest") is not None or (action and action.get("/S") == "/GoTo"):
                internal += 1
            elif action and action.get("/URI"):
                external.append(str(action["/URI"]))
    assert internal >= 11  # every in-text citation of the essay
    assert "https://doi.org/10.2307/2009958" in external
