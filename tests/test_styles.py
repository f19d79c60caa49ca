"""Style lookup: project styles first, then the bundled catalog, then a path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT, CommandLine, docx_part, docx_text
from typeset import build, load_config
from typeset.errors import StyleError
from typeset.styles import list_styles, resolve_style
from typeset.styles.catalog import DEBIAN_STYLES, catalog_dir, catalogs


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


def test_list_styles_command_prints_name_kind_and_title(cli: CommandLine) -> None:
    result = cli("--list-styles", "chicago-notes-bib")
    assert result.returncode == 0
    line = next(
        row for row in result.stdout.splitlines() if row.startswith("chicago-notes-bibliography ")
    )
    assert "note" in line and "Chicago" in line


# --- journals by name: dependent styles ---------------------------------------------------


def test_a_journal_resolves_to_its_parent_keeping_its_own_title() -> None:
    style = resolve_style("international-studies-quarterly", PROJECT)
    assert style.path == resolve_style("chicago-author-date", PROJECT).path
    assert style.title == "International Studies Quarterly"
    assert style.parent == "chicago-author-date" and not style.is_note_style
    assert "International Studies Quarterly" in style.description


def test_a_journal_only_debian_ships_resolves_to_a_debian_parent() -> None:
    style = resolve_style("taylor-and-francis-chicago-note", PROJECT)
    assert style.path.is_relative_to(DEBIAN_STYLES) and style.is_note_style


def test_a_name_in_both_catalogs_resolves_to_the_newest_copy() -> None:
    both = [c.independent / "apa.csl" for c in catalogs() if (c.independent / "apa.csl").is_file()]
    assert len(both) == 2
    newest = max(both, key=lambda path: re.search(r"<updated>(.*?)<", path.read_text())[1])
    assert resolve_style("apa", PROJECT).path == newest


def test_list_styles_finds_journals_by_field_and_issn_and_names_the_parent() -> None:
    by_field = {style.name: style for style in list_styles("political_science", PROJECT)}
    assert by_field["international-studies-quarterly"].parent == "chicago-author-date"
    assert [style.name for style in list_styles("0020-8833", PROJECT)] == [
        "international-studies-quarterly"
    ]
    assert "atlantic-studies" in {style.name for style in list_styles("Atlantic Studies", PROJECT)}


def test_list_styles_prints_the_parent_of_a_journal(cli: CommandLine) -> None:
    result = cli("--list-styles", "international studies quarterly")
    assert "[journal: uses chicago-author-date]" in result.stdout


def test_an_unknown_name_suggests_journals_by_title() -> None:
    with pytest.raises(StyleError) as caught:
        resolve_style("Studies Quarterly", PROJECT)
    assert "international-studies-quarterly (International Studies Quarterly)" in (
        caught.value.hint or ""
    )


def test_a_project_style_still_shadows_a_journal(tmp_path: Path) -> None:
    (tmp_path / "styles").mkdir()
    shutil.copy(catalog_dir() / "ieee.csl", tmp_path / "styles" / "atlantic-studies.csl")
    assert resolve_style("atlantic-studies", tmp_path).parent is None


# Three journals of three parents, one a note style: the journal's name must give the
# parent's citations and bibliography, word for word.
JOURNALS = {
    "international-studies-quarterly": "chicago-author-date",
    "acta-psychologica": "apa",
    "atlantic-studies": "chicago-shortened-notes-bibliography",
}


@pytest.mark.slow
@pytest.mark.parametrize(("journal", "parent"), JOURNALS.items())
def test_a_journal_builds_the_citations_of_its_parent(
    journal: str, parent: str, tmp_path: Path
) -> None:
    texts = {}
    for style in (journal, parent):
        config = load_config(
            PROJECT / "typeset.yaml",
            project_dir=PROJECT,
            overrides={"style": style, "formats": "docx", "output_dir": str(tmp_path / style)},
        )
        texts[style] = docx_text(build(config).outputs["docx"])
    assert texts[journal] == texts[parent]
    if resolve_style(parent, PROJECT).is_note_style:
        assert "footnoteReference" in docx_part(tmp_path / journal / "essay.docx")


def test_the_cite_this_work_page_names_the_journal_and_its_parent() -> None:
    from typeset.citethis import FormattedReference

    journal = resolve_style("international-studies-quarterly", PROJECT)
    reference = FormattedReference(journal, "in-text", "", "", "", "", ())
    assert reference.label.startswith("International Studies Quarterly — formatted as Chicago")
