"""Equations that search and copy find: the TeX as invisible text over each drawing, an
artifact for screen readers (who read the Figure's alt), the look and the tags kept."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from tests.conftest import config_for, pdf_text
from typeset import build
from typeset.formats.pdf.audit import audit_pdf

pytestmark = pytest.mark.slow

MANUSCRIPT = r"""---
title: Energy and area
lang: en-GB
---

The energy $E = mc^2$ is famous, and so is the area
$$\int_0^1 x^2\,dx = \frac{1}{3}$$
under the parabola.
"""


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("math-text")
    (folder / "paper.md").write_text(MANUSCRIPT)
    (folder / "refs.bib").write_text("@book{x, title={X}, author={Y, Z}, year={2000}}\n")
    config = config_for(folder / "paper.md", output_dir=folder / "out", formats="pdf")
    return build(config).outputs["pdf"]


def test_search_and_copy_find_each_equation_tex(pdf: Path) -> None:
    text = pdf_text(pdf)
    assert "E = mc^2" in text
    assert r"\int_0^1 x^2\,dx = \frac{1}{3}" in text


def test_the_equation_text_is_an_artifact_screen_readers_skip(pdf: Path) -> None:
    with pdfplumber.open(pdf) as document:
        chars = document.pages[0].chars
    tex = [char for char in chars if char["size"] < 2]
    assert "".join(char["text"] for char in tex).startswith("E = mc^2")
    assert {char.get("tag") for char in tex} == {"Artifact"}


def test_the_tags_still_give_each_equation_its_tex_as_alt_and_pass_the_audit(pdf: Path) -> None:
    with pdfplumber.open(pdf) as document:
        alts = []

        def walk(elements: list[dict[str, object]]) -> None:
            for element in elements:
                if element.get("type") == "Figure":
                    alts.append(element.get("alt_text"))
                walk(element.get("children", []))  # type: ignore[arg-type]

        walk(document.structure_tree)
    assert alts == ["E = mc^2", r"\int_0^1 x^2\,dx = \frac{1}{3}"]
    assert audit_pdf(pdf) == []
