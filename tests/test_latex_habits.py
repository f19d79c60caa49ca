"""Manuscripts written for LaTeX, JOSS and pandoc-scholar build right (issue 25, items 4-6, 8).

tests/data/latex/ holds three manuscripts in those habits: a JOSS paper (affiliations by
index, `\\autoref`, `equation` environments, labels in captions), a German thesis chapter
(`figure`/`table`/`align`/`eqnarray` environments, macros in `header-includes`, `\\ref`,
`\\eqref`, `\\tableofcontents`, `\\appendix`, `\\ce`, `\\tag`) and a French article with
pandoc-scholar authors, malformed raw HTML and raw LaTeX that must be refused. Each is built
once in all three formats; the tests read the real PDF text, EPUB XHTML and DOCX XML.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, config_for, docx_part, docx_text, epub_xhtml, pdf_text
from tests.test_epub import epubcheck_problems
from typeset import ast, build
from typeset.authors import authors_of
from typeset.errors import CitationError
from typeset.latexmath import Macros, chemical_tex, prepared
from typeset.rawhtml import balanced_html
from typeset.rawlatex import contents_line

DATA = PROJECT / "tests" / "data" / "latex"
MANUSCRIPTS = {
    "joss": ("joss/paper.md", "joss/paper.bib"),
    "thesis": ("thesis/kapitel.md", "thesis/refs.bib"),
    "scholar": ("scholar/article.md", "scholar/refs.bib"),
}


# --- equations as every engine gets them (fast) --------------------------------------------


def test_document_macros_are_expanded_with_their_arguments() -> None:
    macros = Macros()
    rest = macros.absorb(
        r"\newcommand{\R}{\mathbb{R}} \newcommand\diff[2]{\frac{d#1}{d#2}}"
        r" \DeclareMathOperator*{\argmax}{arg\,max} \def\half{\tfrac12}"
    )
    assert rest.strip() == ""
    tex = prepared(r"\diff{y}{x} \in \R, \argmax_x \half x", macros, display=False).tex
    assert tex == r"\frac{dy}{dx} \in \mathbb{R}, \operatorname*{arg\,max}_x \tfrac12 x"


def test_a_macro_defined_in_terms_of_itself_stops() -> None:
    macros = Macros()
    macros.absorb(r"\newcommand{\loop}{\loop\loop}")
    assert len(prepared(r"\loop", macros, display=False).tex) <= 200_000


def test_labels_and_tag_are_taken_out_of_the_tex() -> None:
    equation = prepared(
        r"\begin{align} a &= b \label{eq:a} \\ c &= d \label{eq:c} \nonumber \end{align}",
        Macros(),
        display=True,
    )
    assert equation.labels == ("eq:a", "eq:c")
    assert r"\label" not in equation.tex and r"\nonumber" not in equation.tex
    tagged = prepared(r"E = mc^2 \tag{3.A}", Macros(), display=True)
    assert tagged.tag == "3.A" and r"\tag" not in tagged.tex


def test_bm_becomes_boldsymbol() -> None:
    assert prepared(r"\bm{x}", Macros(), display=False).tex == r"\boldsymbol{x}"


def test_plain_tex_font_switches_scope_the_rest_of_their_group() -> None:
    def tex(source: str) -> str:
        return prepared(source, Macros(), display=False).tex

    assert tex(r"e \in \cal P") == r"e \in \mathcal{P}"
    assert tex(r"\delta_{\cal P}(x) + {\bf u + v}") == r"\delta_{\mathcal{P}}(x) + {\mathbf{u + v}}"
    assert tex(r"a \in \cal E_W, & b \\ \rm c") == r"a \in \mathcal{E_W,} & b \\ \mathrm{c}"
    assert tex(r"\text{\bf as set} \bf v") == r"\text{\bf as set} \mathbf{v}"  # text mode


def test_genfrac_becomes_a_stack_or_a_delimited_fraction() -> None:
    def tex(source: str) -> str:
        return prepared(source, Macros(), display=False).tex

    assert tex(r"\sum_{\genfrac{}{}{0pt}{2}{i<j}{j<n}} x") == r"\sum_{\substack{i<j\\j<n}} x"
    assert tex(r"\genfrac(){0pt}{}{n}{k}") == r"\left(\begin{matrix}n\\k\end{matrix}\right)"
    assert tex(r"\genfrac[]{1pt}{0}{a}{b}") == r"\left[\frac{a}{b}\right]"


def test_mhchem_formulas_become_plain_tex() -> None:
    assert chemical_tex("2H2 + O2 -> 2H2O") == (
        r"2\,\mathrm{H_{2}} + \mathrm{O_{2}} \rightarrow 2\,\mathrm{H_{2}O}"
    )
    assert chemical_tex("SO4^2-") == r"\mathrm{SO_{4}^{2-}}"
    assert chemical_tex("Na+ <=> Na(aq)") == (
        r"\mathrm{Na^{+}} \rightleftharpoons \mathrm{Na}\,\mathrm{(aq)}"
    )


def test_tableofcontents_asks_for_contents_outside_code_only() -> None:
    assert contents_line("---\ntitle: x\n---\n\n\\tableofcontents\n") == 5
    assert contents_line("```latex\n\\tableofcontents\n```\n") is None


# --- raw HTML that does not pair up (fast) --------------------------------------------------


def _raw(kind: str, text: str) -> dict[str, Any]:
    return {"t": kind, "c": ["html", text]}


def test_mismatched_heading_end_tag_closes_the_open_heading() -> None:
    said: list[str] = []
    blocks = [
        _raw("RawBlock", "<h3>"),
        {"t": "Plain", "c": [{"t": "Str", "c": "Bibliographie"}]},
        _raw("RawBlock", "</h6>"),
    ]
    repaired = balanced_html(blocks, lambda message, needle: said.append(message))
    assert repaired[-1] == _raw("RawBlock", "</h3>")
    assert said and "</h6>" in said[0]


def test_stray_end_tag_is_dropped_and_unclosed_tag_closed() -> None:
    said: list[str] = []
    inlines = [
        _raw("RawInline", "<b>"),
        {"t": "Str", "c": "bold"},
        _raw("RawInline", "<i>"),
        {"t": "Str", "c": "x"},
        _raw("RawInline", "</b>"),
        _raw("RawInline", "</i>"),
        {"t": "Str", "c": "y"},
        _raw("RawInline", "<span>"),
    ]
    repaired = balanced_html(
        [{"t": "Para", "c": inlines}], lambda message, needle: said.append(message)
    )
    tags = [node["c"][1] for node in repaired[0]["c"] if node["t"] == "RawInline"]
    assert tags == ["<b>", "<i>", "</i>", "</b>", "<span>", "</span>"]
    assert len(said) == 3


# --- author schemas (fast: the metadata pandoc makes of YAML strings) ------------------------


def test_joss_affiliations_by_index_and_quoted_lists() -> None:
    meta = ast.meta_value(
        {
            "authors": [
                {"name": "A. Author", "affiliation": "1, 2", "equal-contrib": True},
                {"name": "B. Author", "affiliation": 2, "corresponding": True},
            ],
            "affiliations": [
                {"name": "University One", "index": 1},
                {"name": "Institute Two", "index": 2},
            ],
        }
    )["c"]
    first, second = authors_of(meta)
    assert [item.name for item in first.affiliations] == ["University One", "Institute Two"]
    assert [item.name for item in second.affiliations] == ["Institute Two"]
    assert first.equal_contribution and second.corresponding


def test_pandoc_scholar_authors_and_institutes() -> None:
    meta = ast.meta_value(
        {
            "author": [
                {"Ada Lovelace": {"institute": ["uni", "lab"], "orcid": "0000-0002-1825-0097"}},
                {"Alan Turing": {"institute": "lab"}},
            ],
            "institute": [
                {"uni": {"name": "University of Somewhere", "address": "Town"}},
                {"lab": "Laboratory of Things"},
            ],
        }
    )["c"]
    ada, alan = authors_of(meta)
    assert ada.name == "Ada Lovelace" and ada.orcid == "0000-0002-1825-0097"
    assert [item.name for item in ada.affiliations] == [
        "University of Somewhere",
        "Laboratory of Things",
    ]
    assert [item.name for item in alan.affiliations] == ["Laboratory of Things"]


def test_manubot_affiliation_strings() -> None:
    meta = ast.meta_value(
        {"authors": [{"name": "C. Writer", "affiliations": ["Department of X, University Y"]}]}
    )["c"]
    (writer,) = authors_of(meta)
    assert writer.affiliations[0].text == "Department of X, University Y"


# --- real builds ----------------------------------------------------------------------------


Outputs = dict[str, Path]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Outputs]:
    outputs: dict[str, Outputs] = {}

    def build_one(name: str) -> Outputs:
        if name not in outputs:
            manuscript, bibliography = MANUSCRIPTS[name]
            config = config_for(
                DATA / manuscript,
                DATA / bibliography,
                style="chicago-author-date",
                output_dir=tmp_path_factory.mktemp(f"latex-{name}"),
                formats="pdf,epub,docx",
            )
            outputs[name] = dict(build(config, force=True).outputs)
        return outputs[name]

    return build_one


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MANUSCRIPTS))
def test_epub_is_epubcheck_clean(built: Callable[[str], Outputs], name: str) -> None:
    assert epubcheck_problems(built(name)["epub"]) == []


@pytest.mark.slow
def test_joss_references_print_word_and_number(built: Callable[[str], Outputs]) -> None:
    text = " ".join(pdf_text(built("joss")["pdf"]).split())
    assert "system in Equation 1, which" in text
    assert "Figure 1 shows how" in text and "Table 1 lists" in text
    assert "rule of Equation 2" in text and "see also Figure 2" in text
    assert "Figure 1: From a network description" in text
    assert "Table 1: Integrators available" in text
    assert "Hartley and Mensah (2019)" in text and "Okafor 2015, chap. 4" in text
    assert "??" not in text


@pytest.mark.slow
def test_joss_title_block_prints_institutions_and_notes(built: Callable[[str], Outputs]) -> None:
    outputs = built("joss")
    pdf = " ".join(pdf_text(outputs["pdf"]).split())
    summary = pdf.index("Summary")
    for words in (
        "Institute of Reaction Engineering, Northfield University",
        "Centre for Scientific Software",
        "Equal contribution",
        "Present address: Department of Chemistry",
    ):
        assert pdf.index(words) < summary, words  # in the title block, not after the text
    assert pdf.count("Present address") == 1
    with zipfile.ZipFile(outputs["epub"]) as archive:
        title_page = archive.read("EPUB/text/title_page.xhtml").decode()
    assert "Amara Nwosu<sup>1,2,\u2020,\u2021</sup>" in title_page
    assert "<sup>2</sup>Centre for Scientific Software" in title_page
    assert "Equal contribution" in title_page and "Present address" in title_page
    docx = docx_text(outputs["docx"])
    assert "Amara Nwosu1,2" in docx and "Institute of Reaction Engineering" in docx
    assert "Nwosu: 1" not in docx and "Present address" in docx


@pytest.mark.slow
def test_joss_equations_are_math_in_every_format(built: Callable[[str], Outputs]) -> None:
    outputs = built("joss")
    epub = epub_xhtml(outputs["epub"])
    assert 'id="eq-rates"' in epub and "<math" in epub
    assert 'class="math' not in epub.replace('class="math display"', "").replace(
        'class="math inline"', ""
    )
    assert "\\ce{" not in epub.split("<annotation")[0]
    assert docx_part(outputs["docx"]).count("<m:oMath>") >= 3


@pytest.mark.slow
def test_thesis_references_in_german(built: Callable[[str], Outputs]) -> None:
    text = " ".join(pdf_text(built("thesis")["pdf"]).split())
    assert "Inhaltsverzeichnis" in text  # \tableofcontents
    assert "folgt Gleichung (1); ihre Herleitung steht in Abschnitt 1.1" in text
    assert "Den Aufbau zeigt Abbildung 1" in text and "listet Tabelle 1" in text
    assert "Abbildung 1: Messaufbau" in text and "Tabelle 1: Eingesetzte Sensoren" in text
    assert "Der Fehler nach (2)" in text
    assert "(3.A)" in text
    assert "A Kalibrierdaten" in text and "Die Rohdaten zu Abschnitt 1 liegen" in text
    assert "https://example.org/datenblatt" in text  # the \footnote with its \url
    assert "(Brandt 2012, 42)" in text and "(Kraus 2020)" in text


@pytest.mark.slow
def test_thesis_math_and_page_breaks_in_epub_and_docx(built: Callable[[str], Outputs]) -> None:
    outputs = built("thesis")
    epub = epub_xhtml(outputs["epub"])
    assert epub.count("<math") >= 8
    # pandoc's fallback for TeX it cannot convert is the TeX in a span: none is left
    # (\\cal and \\genfrac among them: texmath knows neither)
    assert '<span class="math display">' not in epub
    assert '<span class="math inline">' not in epub
    assert "varphi" not in epub.replace("<annotation", "\0").split("\0")[0]
    docx = docx_part(outputs["docx"])
    assert docx.count('w:type="page"') >= 2  # \newpage, \clearpage
    assert docx.count("<m:oMath>") >= 8
    assert "Hersteller" in docx_text(outputs["docx"], "word/footnotes.xml")  # \footnote


@pytest.mark.slow
def test_latex_left_out_is_a_warning_with_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "thesis"
    shutil.copytree(DATA / "thesis", folder)
    text = (folder / "kapitel.md").read_text()
    lines = text.splitlines()
    config = config_for(folder / "kapitel.md", output_dir=tmp_path / "out", formats="pdf,epub")
    with caplog.at_level(logging.WARNING):
        build(config, force=True)
    messages = [record.getMessage() for record in caplog.records]
    hspace = next(number for number, line in enumerate(lines, 1) if "\\hspace" in line)
    typst = next(number for number, line in enumerate(lines, 1) if "#set page" in line)
    assert any(f"kapitel.md:{hspace}: raw LaTeX \\hspace" in message for message in messages)
    assert any(f"kapitel.md:{typst}: raw typst" in message for message in messages)
    assert not any("header-includes" in message for message in messages)
    # an align with two labels, eqnarray, \bm, \ce, \tag, the document's macros: MathJax
    # sets every one (no "Multiple \label", no error box)
    assert not any("TeX error" in message for message in messages)


@pytest.mark.slow
def test_a_ref_to_no_label_is_an_error_naming_its_line(tmp_path: Path) -> None:
    manuscript = tmp_path / "paper.md"
    manuscript.write_text(
        "---\ntitle: T\nlang: en\n---\n\n# One \\label{sec:one}\n\n"
        "See \\ref{sec:one} and \\autoref{fig:nowhere}.\n"
    )
    (tmp_path / "refs.bib").write_text("")
    config = config_for(
        manuscript, tmp_path / "refs.bib", output_dir=tmp_path / "out", formats="epub"
    )
    with pytest.raises(CitationError, match=r"\\autoref\{fig:nowhere\} names no \\label") as raised:
        build(config, force=True)
    assert raised.value.line == 8
    assert not (tmp_path / "out" / "paper.epub").exists()


@pytest.mark.slow
def test_abstract_environment_today_and_ties(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thesis written for LaTeX: its abstract environment is the document's abstract
    (pandoc's reader would file it as metadata and the fragment would vanish), \\today is
    the build's day in the document's language, and `Kapitel~\\ref{}` keeps its tie."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1741910400")  # 14 March 2025
    manuscript = tmp_path / "arbeit.md"
    manuscript.write_text(
        "---\ntitle: Arbeit\nlang: de-DE\n---\n\n"
        "\\begin{abstract}\nDiese Arbeit misst die Feuchte.\n\\end{abstract}\n\n"
        "# Einleitung \\label{ch:ein}\n\nStand: \\today. Siehe Kapitel~\\ref{ch:ein}.\n"
    )
    (tmp_path / "refs.bib").write_text("")
    config = config_for(manuscript, output_dir=tmp_path / "out", formats="epub,docx")
    outputs = build(config, force=True).outputs
    with zipfile.ZipFile(outputs["epub"]) as archive:  # type: ignore[arg-type]
        title_page = archive.read("EPUB/text/title_page.xhtml").decode()
        body = archive.read("EPUB/text/ch001.xhtml").decode()
    assert "Diese Arbeit misst die Feuchte." in title_page
    assert "Stand: 14. März 2025." in body and "Kapitel\u00a0<" in body
    assert "~" not in body and "1970" not in body
    docx = docx_text(outputs["docx"])  # type: ignore[arg-type]
    assert "Diese Arbeit misst die Feuchte." in docx.split("Einleitung")[0]


@pytest.mark.slow
def test_scholar_article_authors_in_every_format(built: Callable[[str], Outputs]) -> None:
    outputs = built("scholar")
    apostrophe = "\u2019"  # smart typography's, in every output
    institution = f"Laboratoire d{apostrophe}humanités numériques, Université de Lyon"
    pdf = " ".join(pdf_text(outputs["pdf"]).split())
    assert institution in pdf and "Université Joseph Ki-Zerbo" in pdf
    assert "la figure 1." in pdf
    assert institution in docx_text(outputs["docx"])
    assert "Université Joseph Ki-Zerbo" in epub_xhtml(outputs["epub"])


@pytest.mark.slow
def test_malformed_html_is_repaired_and_hostile_latex_refused(
    built: Callable[[str], Outputs],
) -> None:
    outputs = built("scholar")
    epub = epub_xhtml(outputs["epub"])
    assert "<h3>Bibliographie commentée</h3>" in " ".join(epub.split()).replace("> ", ">").replace(
        " <", "<"
    )
    assert "javascript" not in epub
    assert "démonstration" in epub  # the link's text stays, without its target
    with zipfile.ZipFile(outputs["epub"]) as archive:
        chapters = [
            archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("EPUB/text/ch")
        ]
    assert sum(chapter.count("<img") for chapter in chapters) == 1  # not /etc/hostname.png
    for name in ("pdf", "docx"):
        data = outputs[name].read_bytes()
        assert b"javascript" not in data
