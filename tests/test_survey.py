"""ast.survey and the passes that skip their walk when it shows nothing of their kind.

Each skip rule gets a document holding only its trigger: the pass must still act on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import config_for
from typeset import ast
from typeset.crossref import number_document
from typeset.inputs import read_inputs
from typeset.pandoc import run_pandoc
from typeset.presentation import for_readers
from typeset.quarto.blocks import with_quarto_blocks
from typeset.rawhtml import balanced_html


def parsed(markdown: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        run_pandoc(["--from", "markdown+smart", "--to", "json"], markdown.encode())
    )
    return document


def read(tmp_path: Path, markdown: str) -> dict[str, Any]:
    """The manuscript as the parse stage leaves it (raw LaTeX, CiTO, cross-references...)."""
    (tmp_path / "paper.md").write_text(markdown)
    (tmp_path / "refs.bib").write_text(
        "@book{lee2019, author={Lee, Ann}, title={T}, year={2019}}\n"
    )
    inputs = read_inputs(config_for(tmp_path / "paper.md"))
    return inputs.manuscript.document


def test_the_survey_sees_into_notes_citations_and_attributes() -> None:
    document = parsed(
        "# Head {#sec-a .intro}\n\nText^[A [note]{.aside key=value} with `<b>`{=html}.]"
        " and [see [*it*]{#inner} @usesMethodIn:lee2019, p. 3].\n\n"
        "```{=LaTeX}\n\\newpage\n```\n\n$$x$$ {#eq-x}\n"
    )
    found = ast.survey(document["blocks"])
    assert {
        "Header",
        "Note",
        "Span",
        "Cite",
        "Emph",
        "RawInline",
        "RawBlock",
        "Math",
    } <= found.types
    assert found.identifiers == {"sec-a", "inner"}
    assert {"intro", "aside"} <= found.classes
    assert found.attribute_keys == {"key"}
    assert found.raw_formats == {"html", "latex"}  # lower-cased
    assert found.citation_ids == {"usesMethodIn:lee2019"}
    assert found.brace_labels == {"eq-x"}


def test_a_survey_belongs_to_the_value_it_was_made_of() -> None:
    blocks = parsed("Plain words.\n")["blocks"]
    assert "Note" not in ast.survey(blocks).types
    changed = [*blocks, *parsed("A note.^[Here.]\n")["blocks"]]
    assert "Note" in ast.survey(changed).types
    assert ast.survey(blocks) is ast.survey(blocks)  # one walk for passes that change nothing


def test_equations_alone_are_still_prepared(tmp_path: Path) -> None:
    document = read(tmp_path, "---\nlang: en\n---\n\nWater is $\\ce{H2O}$.\n")
    maths = [node["c"][1] for node in ast.walk(document["blocks"]) if node["t"] == "Math"]
    assert maths == ["{\\mathrm{H_{2}O}}"]  # mhchem made TeX every output reads


def test_a_markdown_label_span_alone_still_names_its_section(tmp_path: Path) -> None:
    document = read(tmp_path, "---\nlang: en\n---\n\n# Introduction\n\n[]{label=intro}\n\nText.\n")
    header = document["blocks"][0]
    assert header["c"][1][0] == "sec-intro"


def test_a_reference_only_in_a_listing_caption_is_still_resolved(tmp_path: Path) -> None:
    document = read(
        tmp_path,
        "---\nlang: en\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n: Rates {#tbl-rates}\n\n"
        '```{#lst-code .python caption="Reads *the* rates of @tbl-rates"}\nx = 1\n```\n',
    )
    text = json.dumps(document)
    assert "cross-reference" in text and "missing-cross-reference" not in text


def test_a_colon_label_written_after_an_equation_alone_is_numbered() -> None:
    result = number_document(parsed("$$x = 1$$ {#eq:one}\n\nSee @eq-one.\n"))
    assert not result.missing
    assert "eq-one" in ast.survey(result.document["blocks"]).identifiers


def test_column_widths_alone_are_applied() -> None:
    document = parsed('| a | b |\n|---|---|\n| 1 | 2 |\n\n: Sizes {tbl-colwidths="[25,75]"}\n')
    assert not ast.survey(document["blocks"]).types & {"Div", "Figure"}
    (table,) = with_quarto_blocks(document)["blocks"]
    assert [spec[1]["c"] for spec in table["c"][2]] == [0.25, 0.75]


def test_fig_alt_and_adjacent_note_calls_are_each_still_rewritten() -> None:
    alt = for_readers(parsed('![Caption](a.png){fig-alt="A falling curve"}\n'))
    (image,) = [node for node in ast.walk(alt["blocks"]) if node["t"] == "Image"]
    assert ["alt", "A falling curve"] in image["c"][0][2]
    notes = for_readers(parsed("Necessity.^[One.]^[Two.]\n"))
    assert any(node["t"] == "Superscript" for node in ast.walk(notes["blocks"]))


def test_a_lone_raw_html_tag_is_still_closed() -> None:
    warnings: list[str] = []
    blocks = balanced_html(
        parsed("Bold <b>from here.\n")["blocks"], lambda message, _: warnings.append(message)
    )
    assert blocks[0]["c"][-1] == {"t": "RawInline", "c": ["html", "</b>"]}
    assert warnings
