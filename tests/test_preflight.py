"""The typographic preflight (typeset/formats/pdf/preflight.py) and the print fixes it checks.

Each check is proved both ways on real WeasyPrint pages set with the project's print.css:
a page with the fault (the stylesheet's fix undone, or the fault written into the page)
is found, and the same page as the pipeline sets it is silent. The corpus and the essay
are proved silent in tests/test_corpus.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PROJECT, Builder, config_for
from typeset import ast
from typeset.formats.pdf.preflight import Line, Page, _notes_continued, preflight
from typeset.formats.pdf.typography import (
    WORD_JOINER,
    print_inline_lists,
    print_typography,
    separated_note_calls,
)
from typeset.formats.pdf.weasyprint.artifacts import mark_orphaned_content_as_artifacts

PRINT_CSS = (PROJECT / "styles" / "print.css").read_text()
PAGE = "@page { size: A5; margin: 20mm; }"
TEXT = (
    "The parish accounts record payments for rent, fuel and clothing, and they name the "
    "people who received them in a hand that changes with each overseer. "
)


def checks_found(tmp_path: Path, body: str, css: str = "", lang: str = "en") -> list[str]:
    """The preflight's checks that fire on `body` set by WeasyPrint with print.css (+css),
    tagged and post-processed as the PDF writer does."""
    import weasyprint

    out = tmp_path / "page.pdf"
    weasyprint.HTML(string=f"<html lang='{lang}'><body>{body}</body></html>").write_pdf(
        out,
        stylesheets=[weasyprint.CSS(string=PRINT_CSS + PAGE + css)],
        pdf_variant="pdf/ua-1",
    )
    mark_orphaned_content_as_artifacts(out)
    return [finding.check for finding in preflight(out)]


def print_html(inlines: list[ast.Node]) -> str:
    """Inlines as the print HTML writes them (the PDF writer's rewrites, then pandoc)."""
    from typeset.pandoc import run_pandoc

    blocks = ast.transform(
        [{"t": "Para", "c": inlines}], print_typography, rewrite_list=print_inline_lists
    )
    document = {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": blocks}
    import json

    return run_pandoc(
        ["--from", "json", "--to", "html5", "--wrap=none"], json.dumps(document).encode()
    ).decode()


slow = pytest.mark.slow


@slow
def test_text_past_the_measure_is_found_and_wrapped_text_is_not(tmp_path: Path) -> None:
    long = "overseers-accounts-" * 6
    fault = f"<p>{TEXT}<span style='white-space: nowrap'>{long}</span> {TEXT}</p>"
    assert "overfull" in checks_found(tmp_path, fault)
    assert checks_found(tmp_path, f"<p>{TEXT}{TEXT}{TEXT}</p>") == []


@slow
def test_a_note_too_long_for_its_page_runs_off_its_foot_and_is_found(tmp_path: Path) -> None:
    note = f"<span class='footnote'><span class='note-p'>{TEXT * 14}</span></span>"
    assert "overfull" in checks_found(tmp_path, f"<p>{TEXT * 3}word.{note} {TEXT * 3}</p>")


@slow
def test_a_caption_left_at_the_page_foot_is_found_and_print_css_keeps_it(
    tmp_path: Path,
) -> None:
    # The spacer leaves room for the caption but not the table's first row.
    table = (
        "<div style='height: 140mm'></div><table><caption>Table 1: Visits per strip in "
        "each of the three seasons.</caption><thead><tr><th>Site</th><th>Visits</th></tr>"
        "</thead><tbody>" + "<tr><td>L01</td><td>312</td></tr>" * 3 + "</tbody></table>"
    )
    assert "caption-apart" in checks_found(tmp_path, table, "caption { break-after: auto; }")
    assert checks_found(tmp_path, table) == []


@slow
def test_a_heading_at_the_page_foot_is_found_and_print_css_moves_it(tmp_path: Path) -> None:
    page = f"<div style='height: 146mm'></div><h2>Results</h2><p>{TEXT * 3}</p>"
    undone = "h2 { break-after: auto; } p { orphans: 1; widows: 1; }"
    assert "heading-foot" in checks_found(tmp_path, page, undone)
    assert checks_found(tmp_path, page) == []


@slow
@pytest.mark.parametrize(("spacer", "fault"), [(128, "orphan"), (108, "widow")])
def test_single_lines_at_a_page_break_are_found_and_print_css_prevents_them(
    tmp_path: Path, spacer: int, fault: str
) -> None:
    page = f"<p>{TEXT * 2}</p><div style='height: {spacer}mm'></div><p>{TEXT * 2}</p>"
    assert fault in checks_found(tmp_path, page, "p { orphans: 1; widows: 1; }")
    assert checks_found(tmp_path, page) == []


@slow
def test_a_line_ending_with_an_opening_quote_is_found(tmp_path: Path) -> None:
    assert "punctuation" in checks_found(tmp_path, f"<p>{TEXT}Zhai, “<br>China\u2019s Decision</p>")
    assert checks_found(tmp_path, f"<p>{TEXT}Zhai, “China\u2019s Decision”</p>") == []


@slow
@pytest.mark.parametrize("broken", ["https:<br>//doi.org/10.1/x", "https://<br>doi.org/10.1/x"])
def test_a_url_broken_at_its_scheme_is_found(tmp_path: Path, broken: str) -> None:
    assert "url-scheme" in checks_found(tmp_path, f"<p>{TEXT}see {broken} and more.</p>")


@slow
def test_urls_as_the_print_html_writes_them_never_break_at_the_scheme(tmp_path: Path) -> None:
    url = "https://doi.org/10.1093/acprof:oso/9780198204657.001.0001?format=pdf#page=3"
    link = print_html([{"t": "Link", "c": [["", [], []], [{"t": "Str", "c": url}], [url, ""]]}])
    widths = "".join(f"<p style='width: {w}mm'>See {link} now.</p>" for w in range(22, 80, 3))
    assert checks_found(tmp_path, widths) == []


@slow
def test_adjacent_note_calls_are_found_and_the_separator_parts_them(tmp_path: Path) -> None:
    fault = f"<p>{TEXT}crossing.<sup>4</sup><sup>5</sup> {TEXT}</p>"
    assert "note-calls" in checks_found(tmp_path, fault)
    separated = f"<p>{TEXT}crossing.<sup>4</sup><span class='note-call-separator'>,</span>"
    assert checks_found(tmp_path, separated + f"<sup>5</sup> {TEXT}</p>") == []


@slow
def test_a_loose_line_is_found_and_german_compounds_break_after_two_letters(
    tmp_path: Path,
) -> None:
    words = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen"
    assert "loose-line" in checks_found(
        tmp_path, f"<p>{TEXT}Ein {words} und {TEXT}</p>", "p { hyphens: manual; }"
    )
    # A greedy line that could not take "Gemein-" was stretched loose (german corpus).
    german = (
        "<p>Die Lokalzeitung galt lange als Rückgrat der demokratischen Öffentlichkeit auf "
        "dem Land (Habermas, 1990; Luhmann, 1996). Wo sie verschwindet, entstehen "
        "sogenannte „Nachrichtenwüsten“, in denen Gemeinderatssitzungen ohne "
        "Berichterstattung stattfinden. Ob die seit etwa 2015 gegründeten Portale.</p>"
    )
    wide = "@page { size: A4; margin: 27mm 42mm; }"
    assert checks_found(tmp_path, german, wide, lang="de") == []


@slow
def test_a_stack_of_hyphenated_line_ends_is_found(tmp_path: Path) -> None:
    words = "internationalization characteristically incomprehensibilities "
    page = f"<p>{TEXT}</p><p style='width: 45mm'>{words * 6}</p>"
    assert "hyphen-stack" in checks_found(tmp_path, page, "p { hyphenate-limit-chars: 5 2 2; }")


def test_a_footnote_continued_overleaf_is_reported_as_info() -> None:
    # WeasyPrint 70 never continues a note (it runs off the page instead, an `overfull`
    # finding); another engine's continued note is reported as info.
    def page(number: int, notes: list[str]) -> Page:
        lines = [_line(number, "Body text of the page.", 11)] + [
            _line(number, text, 8.75) for text in notes
        ]
        return Page(number, 420, 595, lines, 1, {}, [], True)

    pages = [page(1, ["4. A long note that does not end"]), page(2, ["on this page.", "5. Next."])]
    assert [finding[:3] for finding in _notes_continued(pages)] == [("info", "note-continued", 2)]
    pages[1] = page(2, ["5. Next."])
    assert list(_notes_continued(pages)) == []


def _line(page: int, text: str, size: float) -> Line:
    from typeset.formats.pdf.preflight import Glyph

    glyphs = [
        Glyph(char, 50 + 5 * i, 55 + 5 * i, 100, 110, 108, size, "Charis", None, "", -1, -1)
        for i, char in enumerate(text)
    ]
    return Line(page, size, 108, glyphs)


# The print HTML's rewrites, read in pandoc's HTML (fast).


def test_an_opening_quote_is_glued_to_the_first_word_it_quotes() -> None:
    quoted = {
        "t": "Quoted",
        "c": [
            {"t": "DoubleQuote"},
            [
                {"t": "Emph", "c": [{"t": "Str", "c": "China\u2019s"}]},
                {"t": "Space"},
                {"t": "Str", "c": "Decision"},
            ],
        ],
    }
    written = print_html([{"t": "Str", "c": "Zhai,"}, {"t": "Space"}, quoted])
    assert "<em>“China\u2019s</em> Decision”" in written


def test_adjacent_note_calls_get_a_separator_and_single_ones_do_not() -> None:
    note = {"t": "Note", "c": [{"t": "Para", "c": [{"t": "Str", "c": "A note."}]}]}
    inlines = [{"t": "Str", "c": "crossing."}, note, note, {"t": "Space"}, note]
    separated = separated_note_calls(inlines)
    assert separated is not None
    kinds = [inline["t"] for inline in separated]
    assert kinds == ["Str", "Note", "RawInline", "Note", "Space", "Note"]


def test_a_url_breaks_before_its_separators_and_never_in_its_scheme_and_host() -> None:
    url = "https://doi.org/10.1093/acprof:oso/97801.001"
    written = print_html([{"t": "Str", "c": url + "."}])
    assert '<span class="url-head">https://doi.org</span>' in written
    assert f"<wbr>/{WORD_JOINER}10<wbr>.{WORD_JOINER}1093" in written
    assert written.rstrip().endswith("</span>.</p>")  # the sentence's full stop stays outside


@slow
@pytest.mark.parametrize(
    "style", ["chicago-author-date", "apa", "chicago-notes-bibliography", "ieee", "nature"]
)
def test_the_preflight_finds_nothing_in_the_essay(essay_build: Builder, style: str) -> None:
    assert [str(finding) for finding in preflight(essay_build(style)["pdf"])] == []


def test_an_opening_mark_typed_before_an_element_is_glued_into_it() -> None:
    emphasis = {"t": "Emph", "c": [{"t": "Str", "c": "Decision"}]}
    written = print_html(
        [{"t": "Str", "c": "Zhai,"}, {"t": "Space"}, {"t": "Str", "c": "\u201c"}, emphasis]
    )
    assert "Zhai, <em>\u201cDecision</em>" in written


@slow
@pytest.mark.parametrize(
    ("typography", "levels"), [("warning", {"warning"}), ("error", {"error"}), ("off", set())]
)
def test_check_reports_the_preflight_at_the_level_the_config_asks(
    tmp_path: Path, typography: str, levels: set[str]
) -> None:
    from typeset.commands.check import check

    token = "x" * 120  # no break opportunity anywhere: it runs past the measure
    (tmp_path / "paper.md").write_text(
        f"---\ntitle: Overfull\nlang: en\n---\n\n{TEXT}`{token}` {TEXT}\n"
    )
    (tmp_path / "refs.bib").write_text("")
    config = config_for(
        tmp_path / "paper.md", output_dir=tmp_path / "out", formats="pdf", typography=typography
    )
    report = check(config)
    overfull = [finding for finding in report.findings if finding.check == "overfull"]
    assert {finding.level for finding in overfull} == levels
    assert report.passed is (typography != "error")


@slow
def test_inline_math_drawn_in_a_justified_line_is_not_a_loose_space(tmp_path: Path) -> None:
    """An equation in running text is drawn, not typed: the gap its drawing fills between
    two words is not a word space (a JOSS paper's "where [x, y] represents" was flagged)."""
    formula = (  # outlines, as MathJax draws its glyphs
        "<svg xmlns='http://www.w3.org/2000/svg' width='70' height='10' "
        "style='vertical-align: -2px'><path d='M0 10 C20 0 50 0 70 10 Z'/></svg>"
    )
    paragraph = f"<p>{TEXT}where {formula} represents the vector of values and {TEXT}</p>"
    assert "loose-line" not in checks_found(tmp_path, paragraph)
