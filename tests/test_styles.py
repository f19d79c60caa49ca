"""Style lookup: project styles first, then the bundled catalog, then a path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT, run_cli
from typeset.errors import StyleError
from typeset.styles import catalog_dir, list_styles, resolve_style


def test_catalog_names_resolve_and_note_styles_are_recognised() -> None:
    assert not resolve_style("apa", PROJECT).is_note_style
    notes = resolve_style("chicago-notes-bibliography", PROJECT)
    assert notes.is_note_style and notes.path.parent == catalog_dir()


def test_a_project_style_shadows_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "styles").mkdir()
    shutil.copy(catalog_dir() / "ieee.csl", tmp_path / "styles" / "apa.csl")
    style = resolve_style("apa", tmp_path)
    assert style.path == tmp_path / "styles" / "apa.csl"
    assert "IEEE" in style.title


def test_a_path_to_a_csl_file_works(tmp_path: Path) -> None:
    copy = tmp_path / "house.csl"
    shutil.copy(catalog_dir() / "nature.csl", copy)
    assert resolve_style(str(copy), PROJECT).name == "house"


def test_an_unknown_name_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(StyleError) as caught:
        resolve_style("modern-language-asociation", PROJECT)
    assert "modern-language-association" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("content", "message"),
    [("not xml at all <", "not well-formed XML"), ("<root/>", "not a CSL style")],
)
def test_a_broken_csl_file_is_a_style_error(tmp_path: Path, content: str, message: str) -> None:
    broken = tmp_path / "broken.csl"
    broken.write_text(content)
    with pytest.raises(StyleError, match=message):
        resolve_style(str(broken), PROJECT)


def test_list_styles_filters_by_name_or_title() -> None:
    names = {style.name for style in list_styles("harvard-cite-them", PROJECT)}
    assert "harvard-cite-them-right" in names
    titles = list_styles("MLA Handbook", PROJECT)
    assert any(style.name == "modern-language-association" for style in titles)


def test_list_styles_command_prints_name_kind_and_title() -> None:
    result = run_cli("--list-styles", "chicago-notes-bib")
    assert result.returncode == 0
    line = next(
        row for row in result.stdout.splitlines() if row.startswith("chicago-notes-bibliography ")
    )
    assert "note" in line and "Chicago" in line
