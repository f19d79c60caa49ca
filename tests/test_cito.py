"""pandoc-scholar's CiTO-typed citations cite the bare key (typeset/cito.py)."""

from __future__ import annotations

import json

from typeset import ast
from typeset.cito import without_cito_prefixes
from typeset.pandoc import run_pandoc


def keys_after(markdown: str, known: list[str]) -> list[str]:
    document = json.loads(run_pandoc(["--from", "markdown", "--to", "json"], markdown.encode()))
    return ast.cite_keys(without_cito_prefixes(document, known)["blocks"])


def test_a_cito_property_prefix_is_dropped_in_every_spelling() -> None:
    text = "[@usesMethodIn:lee2019; @cites_as_authority:kim2020] and @method:lee2019 agree."
    assert keys_after(text, ["lee2019", "kim2020"]) == ["lee2019", "kim2020"]  # each once


def test_a_key_with_a_colon_that_is_in_the_bibliography_is_kept() -> None:
    assert keys_after("[@method:lee2019]", ["method:lee2019", "lee2019"]) == ["method:lee2019"]


def test_an_unknown_prefix_or_an_unknown_bare_key_is_left_for_the_missing_key_check() -> None:
    assert keys_after("[@fig:plot] [@method:nobody]", ["lee2019"]) == ["fig:plot", "method:nobody"]
