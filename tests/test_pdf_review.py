"""What journals ask of a review PDF: line numbers, double spacing, and pandoc's and
Quarto's page keys (`geometry`, `fontsize`, `linestretch`, `mainfont`, `papersize`,
`classoption: twocolumn`) read from the front matter into the print stylesheet."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest

from tests.conftest import config_for, pdf_text
from typeset import build
from typeset.config import Config
from typeset.errors import ConfigError
from typeset.formats.pdf.preflight import read_pages
from typeset.frontmatter import _class_columns, _geometry_margins

BODY = (
    "The parish accounts record payments for rent, fuel and clothing, and they name the "
    "people who received them in a hand that changes with each overseer. "
)


def manuscript(folder: Path, front_matter: str, paragraphs: int = 6) -> Path:
    path = folder / "paper.md"
    text = "\n\n".join(BODY * 3 for _ in range(paragraphs))
    path.write_text(
        f"---\ntitle: A review copy\nlang: en-GB\n{front_matter}---\n\n# Introduction\n\n{text}\n"
    )
    (folder / "refs.bib").write_text("@book{x, title={X}, author={Y, Z}, year={2000}}\n")
    return path


def review_config(folder: Path, front_matter: str, **overrides: object) -> Config:
    path = manuscript(folder, front_matter)
    return config_for(
        path, folder / "refs.bib", output_dir=folder / "out", formats="pdf", **overrides
    )


def test_geometry_sets_the_margins_side_by_side_over_the_default() -> None:
    assert _geometry_margins("margin=1in") == "1in 1in 1in 1in"
    assert _geometry_margins(["top=30mm", "left=20mm"]) == "30mm 42mm 32mm 20mm"
    assert _geometry_margins("hmargin=2cm,vmargin=3cm") == "3cm 2cm 3cm 2cm"


def test_classoption_twocolumn_asks_for_two_columns() -> None:
    assert _class_columns("a4paper,twocolumn") == 2
    assert _class_columns(["twocolumn"]) == 2
    assert _class_columns("11pt") == 1


def test_the_page_keys_of_the_front_matter_reach_the_config(tmp_path: Path) -> None:
    config = review_config(
        tmp_path,
        "geometry: margin=2cm\nfontsize: 12pt\nlinestretch: 1.5\nmainfont: DejaVu Serif\n"
        "papersize: letter\nclassoption: twocolumn\nline_numbers: true\n",
    )
    assert (config.margins, config.font_size, config.line_stretch) == (
        "2cm 2cm 2cm 2cm",
        "12pt",
        1.5,
    )
    assert (config.main_font, config.paper, config.columns) == ("DejaVu Serif", "letter", 2)
    assert config.line_numbers is True


def test_a_main_font_that_is_not_installed_is_an_error_naming_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        review_config(tmp_path, "mainfont: Imaginary Garamond Pro\n")
    assert "not installed" in raised.value.message
    assert raised.value.line == 4


@pytest.mark.slow
def test_line_numbers_stand_in_the_margin_beside_each_line_and_stay_out_of_the_text(
    tmp_path: Path,
) -> None:
    pdf = build(review_config(tmp_path, "line_numbers: true\n")).outputs["pdf"]
    pages = read_pages(pdf)
    lines = [line for line in pages[0].body if line.role]
    with pdfplumber.open(pdf) as document:
        page = document.pages[0]
        left = min(line.x0 for line in lines)
        # the digits' outlines, filled paths in the left margin
        marks = [curve for curve in page.curves if curve["x1"] < left]
    marked_baselines = {round(curve["bottom"]) for curve in marks}
    for line in lines:
        assert any(abs(line.baseline - baseline) <= 1.5 for baseline in marked_baselines), line.text
    assert "1 2 3" not in pdf_text(pdf)  # search and copy read the text only


@pytest.mark.slow
def test_double_spacing_twelve_point_and_the_main_font_set_the_body(tmp_path: Path) -> None:
    pdf = build(
        review_config(tmp_path, "fontsize: 12pt\nmainfont: DejaVu Serif\n", double_spacing=True)
    ).outputs["pdf"]
    body = [line for line in read_pages(pdf)[0].body if line.role == "P"]
    steps = Counter(round(b.baseline - a.baseline) for a, b in itertools.pairwise(body))
    assert steps.most_common(1)[0][0] == 24  # twice the 12 pt size
    with pdfplumber.open(pdf) as document:
        fonts = Counter(char["fontname"].split("+")[-1] for char in document.pages[0].chars)
    assert fonts.most_common(1)[0][0].startswith("DejaVu-Serif")


@pytest.mark.slow
def test_twocolumn_sets_two_columns_of_a_wider_page(tmp_path: Path) -> None:
    pdf = build(review_config(tmp_path, "classoption: twocolumn\n")).outputs["pdf"]
    page = read_pages(pdf)[0]
    middle = page.width / 2
    right = [line for line in page.body if line.x0 > middle]
    left = [line for line in page.body if line.x1 < middle and line.role == "P"]
    assert len(right) >= 5 and len(left) >= 5
