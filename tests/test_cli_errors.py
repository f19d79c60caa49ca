"""The error contract: one clear paragraph, exit 1, no traceback, previous outputs untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT, CliResult, CommandLine


def snapshot(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


@pytest.fixture
def built_project(project_copy: Path, cli: CommandLine) -> Path:
    """A project copy with a good build already in output/."""
    result = cli("--config", str(project_copy / "typeset.yaml"), "--to", "pdf,docx")
    assert result.returncode == 0, result.stderr
    return project_copy


@pytest.fixture
def config_only(tmp_path: Path) -> Path:
    """A folder holding the project's typeset.yaml alone: enough for the errors found in
    the config and the command line, before any input is read (no build, a fast test)."""
    shutil.copy(PROJECT / "typeset.yaml", tmp_path / "typeset.yaml")
    (tmp_path / "manuscript").mkdir()
    return tmp_path


def assert_clean_failure(result: CliResult, *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_unknown_citation_key_names_key_and_line_and_keeps_outputs(
    built_project: Path, cli: CommandLine
) -> None:
    manuscript = built_project / "manuscript" / "essay.md"
    text = manuscript.read_text()
    manuscript.write_text(text.replace("[@hao1990]", "[@hoa1990]", 1))
    line = (
        text.splitlines().index(next(line for line in text.splitlines() if "[@hao1990]" in line))
        + 1
    )
    before = snapshot(built_project / "output")
    result = cli("--config", str(built_project / "typeset.yaml"))
    assert_clean_failure(result, "'@hoa1990'", f"essay.md:{line}:", "refs.bib")
    assert snapshot(built_project / "output") == before


def test_bibtex_syntax_error_names_file_and_line(built_project: Path, cli: CommandLine) -> None:
    bib = built_project / "refs.bib"
    lines = bib.read_text().splitlines()
    broken_at = next(i for i, line in enumerate(lines) if line.startswith("@book"))
    lines[broken_at] = lines[broken_at].replace("{", "(", 1)
    lines.append("@article{dangling, title = {Unclosed")
    bib.write_text("\n".join(lines) + "\n")
    before = snapshot(built_project / "output")
    result = cli("--config", str(built_project / "typeset.yaml"))
    assert_clean_failure(result, "refs.bib:", "BibTeX syntax error")
    assert snapshot(built_project / "output") == before


def test_unknown_style_suggests_close_names(built_project: Path, cli: CommandLine) -> None:
    before = snapshot(built_project / "output")
    result = cli("--config", str(built_project / "typeset.yaml"), "--style", "chicago-autor-date")
    assert_clean_failure(
        result, "unknown citation style 'chicago-autor-date'", "chicago-author-date"
    )
    assert snapshot(built_project / "output") == before


def test_unknown_config_key_names_file_line_and_allowed_keys(
    config_only: Path, cli: CommandLine
) -> None:
    config = config_only / "typeset.yaml"
    config.write_text(config.read_text() + "\nstlye: apa\n")
    line = len(config.read_text().splitlines())
    result = cli("--config", str(config))
    assert_clean_failure(result, f"typeset.yaml:{line}:", "unknown key 'stlye'", "style")


def test_bad_value_in_a_profile_names_its_line_and_allowed_values(
    config_only: Path, cli: CommandLine
) -> None:
    config = config_only / "typeset.yaml"
    text = config.read_text().replace("paper: letter", "paper: a5", 1)
    config.write_text(text)
    line = text.splitlines().index("    paper: a5") + 1
    result = cli("--config", str(config), "--profile", "apa-journal")
    assert_clean_failure(result, f"typeset.yaml:{line}:", "a4, letter")


def test_yaml_syntax_error_names_the_line(config_only: Path, cli: CommandLine) -> None:
    config = config_only / "typeset.yaml"
    config.write_text("style: apa\nformats: [pdf, docx\noutput_dir: out\n")
    result = cli("--config", str(config))
    assert_clean_failure(result, "typeset.yaml:", "YAML syntax error")


def test_unknown_profile_lists_the_defined_ones(config_only: Path, cli: CommandLine) -> None:
    result = cli("--config", str(config_only / "typeset.yaml"), "--profile", "nature")
    assert_clean_failure(result, "unknown profile 'nature'", "apa-journal")


def test_missing_manuscript_and_folder_manuscript_are_input_errors(
    config_only: Path, cli: CommandLine
) -> None:
    result = cli(
        "--manuscript", str(config_only / "nope.md"), "--output-dir", str(config_only / "o")
    )
    assert_clean_failure(result, "nope.md", "manuscript not found")
    result = cli(
        "--manuscript", str(config_only / "manuscript"), "--output-dir", str(config_only / "o")
    )
    assert_clean_failure(result, "is a folder")


def test_usage_error_exits_2(cli: CommandLine) -> None:
    result = cli("--to")
    assert result.returncode == 2
    result = cli("--paper", "a3")
    assert result.returncode == 2


def test_unknown_format_in_to_is_an_input_error(tmp_path: Path, cli: CommandLine) -> None:
    result = cli("--to", "pdf,odt", "--output-dir", str(tmp_path))
    assert_clean_failure(result, "unknown format 'odt'", "pdf, epub, docx")
    assert list(tmp_path.iterdir()) == []
