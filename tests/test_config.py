"""Config: defaults < file < profile < command line, paths anchored where they were written."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT
from typeset.cli import _overrides, parser
from typeset.config import Config, load_config
from typeset.errors import ConfigError
from typeset.options import OPTIONS


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


def conforms(value: Any, hint: Any) -> bool:
    """Whether `value` is of the type annotation `hint` (the few kinds Config uses)."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return any(conforms(value, argument) for argument in arguments)
    if hint is type(None):
        return value is None
    if origin is tuple:
        return isinstance(value, tuple) and all(conforms(item, arguments[0]) for item in value)
    if origin is Mapping:
        return isinstance(value, Mapping)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def test_every_option_has_the_type_config_declares_for_it(tmp_path: Path) -> None:
    """Config repeats each option's type for mypy; the converters must make that type."""
    (tmp_path / "cover.png").write_bytes(b"")
    unset_by_default = write(
        tmp_path,
        "cover_image: cover.png\nline_stretch: 2\ncite_this_work_styles: [apa]\n",
    )
    hints = typing.get_type_hints(Config)
    for config in (load_config(None, project_dir=tmp_path), load_config(unset_by_default)):
        for name in OPTIONS:
            value = getattr(config, name)
            assert conforms(value, hints[name]), f"{name}: {value!r} is not {hints[name]}"


def test_every_front_matter_option_sets_a_declared_option() -> None:
    from typeset.frontmatter import FRONT_MATTER_OPTIONS

    assert {declared.option for declared in FRONT_MATTER_OPTIONS.values()} <= set(OPTIONS)


FLAG_CASES = {
    "manuscript": (["--manuscript", "paper.md"], Path("paper.md")),
    "bibliography": (
        ["--bibliography", "a.bib", "--bibliography", "b.json"],
        (Path("a.bib"), Path("b.json")),
    ),
    "style": (["--style", "apa"], "apa"),
    "formats": (["--to", "docx,pdf"], ("docx", "pdf")),
    "output_dir": (["--output-dir", "out"], Path("out")),
    "engine": (["--engine", "citeproc-py"], "citeproc-py"),
    "paper": (["--paper", "letter"], "letter"),
}


def test_the_flags_are_the_declared_ones() -> None:
    assert {name for name, option in OPTIONS.items() if option.flag} == set(FLAG_CASES)


@pytest.mark.parametrize("name", sorted(FLAG_CASES))
def test_each_flag_sets_its_option_over_the_config(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv, expected = FLAG_CASES[name]
    overrides = _overrides(parser().parse_args(argv))
    config = load_config(
        write(tmp_path, "engine: pandoc\npaper: a4\nstyle: ieee\nformats: [epub]\n"),
        project_dir=tmp_path,
        overrides=overrides,
    )
    if isinstance(expected, Path):
        expected = tmp_path / expected
    elif isinstance(expected, tuple) and isinstance(expected[0], Path):
        expected = tuple(tmp_path / path for path in expected)
    assert getattr(config, name) == expected
    assert config.origins[name] == "the command line"


def readme_option_rows() -> dict[str, str]:
    """The README's option table: option name -> its row."""
    readme = (PROJECT / "README.md").read_text()
    section = readme.split("### Config and profiles", 1)[1].split("```yaml", 1)[0]
    rows: dict[str, str] = {}
    for row in section.splitlines():
        if row.startswith("| `"):
            names_cell = row.split(" | ", 1)[0]
            rows.update(dict.fromkeys(re.findall(r"`(\w+)`", names_cell), row))
    return rows


def test_the_readme_option_table_lists_every_option_its_default_and_values() -> None:
    rows = readme_option_rows()
    assert sorted(rows) == sorted(OPTIONS)
    for name, option in OPTIONS.items():
        default = option.default
        if isinstance(default, bool):
            assert f"`{str(default).lower()}`" in rows[name], name
        elif isinstance(default, (str, int)):
            assert f"`{default}`" in rows[name], name
        for value in option.choices():
            assert f"`{value}`" in rows[name], f"{name}: {value}"


def test_the_front_matter_page_names_only_declared_options() -> None:
    page = (PROJECT / "docs" / "front-matter.md").read_text()
    named = set(re.findall(r"Option `(\w+)`", page))
    assert named and named <= set(OPTIONS)
