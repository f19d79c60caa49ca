"""Config: defaults < file < profile < command line, paths anchored where they were written."""

from __future__ import annotations

from pathlib import Path

import pytest

from typeset.config import OPTIONS, load_config
from typeset.errors import ConfigError


def write(folder: Path, text: str) -> Path:
    path = folder / "typeset.yaml"
    path.write_text(text)
    return path


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    config = load_config(None, project_dir=tmp_path)
    assert config.style == "chicago-author-date"
    assert config.formats == ("pdf", "epub", "docx")
    assert config.manuscript == tmp_path / "manuscript" / "essay.md"
    assert config.pdf_variant == "pdf/ua-1"


def test_profile_overrides_file_and_flags_override_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "style: apa\npaper: a4\nprofiles:\n  journal:\n    style: ieee\n    paper: letter\n",
    )
    config = load_config(path, profile="journal", project_dir=tmp_path, overrides={"paper": "a4"})
    assert (config.style, config.paper, config.profile) == ("ieee", "a4", "journal")


def test_relative_paths_in_the_file_resolve_against_its_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = write(tmp_path / "sub", "bibliography: ../refs.bib\nstyle: local/my.csl\n")
    config = load_config(path, project_dir=tmp_path)
    assert config.bibliography == (tmp_path / "sub" / ".." / "refs.bib",)
    assert config.style == str(tmp_path / "sub" / "local" / "my.csl")


def test_formats_given_as_comma_text_are_split_and_deduplicated(tmp_path: Path) -> None:
    config = load_config(None, project_dir=tmp_path, overrides={"formats": "docx,pdf,docx"})
    assert config.formats == ("docx", "pdf")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("formats: pdf\nengine: word\n", "allowed values: pandoc"),
        ("toc: maybe\n", "'toc' must be true or false"),
        ("allowed_urls: [ftp://x]\n", "URL prefixes"),
        ("- a\n- b\n", "must be a mapping"),
        ("profiles: [a]\n", "'profiles' must be a mapping"),
        ("profiles:\n  p:\n    colour: red\n", "unknown key 'colour'"),
    ],
)
def test_invalid_config_is_rejected_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), project_dir=tmp_path)


def test_every_option_has_a_doc_and_a_valid_default(tmp_path: Path) -> None:
    for name, option in OPTIONS.items():
        assert option.doc.strip(), name
        option.convert(option.default, name)
