"""Every command the README shows, exactly as written, on the shipped typeset.yaml.

Each runs in-process (`typeset.cli.main`) in a copy of the project, so the real
output/ folder is left alone; one test runs `build.py` as a subprocess, as a user would.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT, run_cli
from typeset.cli import main

pytestmark = pytest.mark.slow

# As the README writes them, after `python build.py`.
COMMANDS = [
    "",
    "--style apa",
    "--style modern-language-association --to docx",
    "--profile apa-journal",
    "--list-styles harvard",
    "--check",
    "--check --json",
    "--profile release --check",
    "--preview-styles",
    "--cross-check",
    "--all-profiles",
]
# Not run: --watch runs until Ctrl-C; path/to/house-style.csl and WORD are placeholders.
NOT_RUN = {"--watch", "--style path/to/house-style.csl", "--list-styles WORD"}
PROFILES = ["apa-journal", "apa-review", "chicago-notes", "mla-class", "draft", "release"]


def readme_commands() -> set[str]:
    readme = (PROJECT / "README.md").read_text()
    shown = set()
    for line in re.findall(r"^(?:\.venv/bin/)?python build\.py(.*?)(?:\s+#.*)?$", readme, re.M):
        shown.add(line.strip())
    for inline in re.findall(r"`python build\.py([^`]*)`", readme):
        shown.add(inline.strip())
    # The synopsis of every flag and the optional [arguments] are not commands.
    return {command for command in shown if "[" not in command and "|" not in command}


def test_every_readme_command_is_tested() -> None:
    assert readme_commands() - set(COMMANDS) - NOT_RUN == set()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme-project")
    for name in ("manuscript", "styles"):
        shutil.copytree(PROJECT / name, folder / name)
    for name in ("refs.bib", "typeset.yaml"):
        shutil.copy(PROJECT / name, folder / name)
    return folder


def run(project: Path, command: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(shlex.split(command), project_dir=project)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


def test_build_writes_the_formats_and_cite_this_work(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(project, "--force", capsys)
    assert code == 0, out
    output = project / "output"
    for name in ("essay.pdf", "essay.epub", "essay.docx", "essay-cite.html", "essay.bib"):
        assert (output / name).stat().st_size > 0
        assert f"{name}" in out


@pytest.mark.parametrize(
    "command", ["--style apa", "--style modern-language-association --to docx"]
)
def test_style_commands(project: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(project, command, capsys)
    assert code == 0, out
    assert f"style {command.split()[1]}" in out


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_builds(
    project: Path, profile: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(project, f"--profile {profile}", capsys)
    assert code == 0, out
    assert "wrote " in out


def test_check_passes_on_the_shipped_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(project, "--check", capsys)
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("PASSED: 0 error(s), 0 warning(s)")


def test_check_json_names_every_format_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(project, "--check --json", capsys)
    report = json.loads(out)
    assert code == 0 and report["passed"] is True
    assert report["checked"] == ["inputs", "pdf", "epub", "docx"]


def test_release_profile_check_passes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(project, "--profile release --check", capsys)
    assert code == 0, out
    assert "PASSED" in out


def test_preview_styles_writes_the_page(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(project, "--preview-styles", capsys)
    assert code == 0
    assert (project / "output" / "style-preview.html").stat().st_size > 0


def test_cross_check_reports_every_style(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(project, "--cross-check", capsys)
    assert code == 0
    assert "chicago-author-date" in out and "harvard-cite-them-right" in out


def test_list_styles_finds_harvard(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(project, "--list-styles harvard", capsys)
    assert code == 0
    assert "harvard-cite-them-right" in out


def test_build_py_as_a_user_runs_it(project: Path) -> None:
    """The subprocess itself is the point: the script, its imports, its exit code."""
    result = run_cli("--to", "docx", "--output-dir", "output/subprocess", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "output" / "subprocess" / "essay.docx").is_file()
    assert "Traceback" not in result.stderr
