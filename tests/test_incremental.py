"""Fast rebuilds: the cache, the up-to-date check, parallel writers and watch mode."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT, CommandLine
from typeset import build, load_config
from typeset.commands.watch import watch
from typeset.config import Config
from typeset.names import CACHE_FOLDER

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A self-contained project (styles, manuscript, refs) with its own cache folder."""
    monkeypatch.delenv("TYPESET_CACHE_DIR", raising=False)  # not the session's shared one
    for name in ("manuscript", "styles"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    shutil.copy(PROJECT / "refs.bib", tmp_path / "refs.bib")
    return tmp_path


def config_for(project: Path, **overrides: object) -> Config:
    return load_config(None, project_dir=project, overrides={"formats": "pdf,docx", **overrides})


def pandoc_runs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("running ")]


def test_unchanged_rebuild_runs_neither_pandoc_nor_weasyprint(
    scratch: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = build(config_for(scratch))
    pdf_bytes = first.outputs["pdf"].read_bytes()
    caplog.set_level(logging.DEBUG, logger="typeset")
    second = build(config_for(scratch))
    assert pandoc_runs(caplog) == []
    assert second.from_cache == {"pdf", "docx"}
    assert second.outputs["pdf"].read_bytes() == pdf_bytes


def test_style_switch_reformats_citations_without_reparsing_markdown(
    scratch: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build(config_for(scratch))
    caplog.set_level(logging.DEBUG, logger="typeset")
    result = build(config_for(scratch, style="apa"))
    runs = pandoc_runs(caplog)
    assert runs, "a new style must reformat the citations"
    assert not any("--from markdown" in run for run in runs)
    assert not any("--from bibtex" in run for run in runs)
    assert result.from_cache == frozenset()


def test_editing_the_manuscript_rebuilds_every_format(scratch: Path) -> None:
    build(config_for(scratch))
    manuscript = scratch / "manuscript" / "essay.md"
    manuscript.write_text(manuscript.read_text().replace("puzzling", "perplexing", 1))
    result = build(config_for(scratch))
    assert result.from_cache == frozenset()


def test_force_ignores_the_cache_and_deleting_the_cache_is_safe(scratch: Path) -> None:
    build(config_for(scratch))
    assert build(config_for(scratch), force=True).from_cache == frozenset()
    shutil.rmtree(scratch / CACHE_FOLDER)
    assert build(config_for(scratch)).from_cache == frozenset()


def test_cli_reports_up_to_date_without_rebuilding(tmp_path: Path, cli: CommandLine) -> None:
    args = ["--to", "docx", "--output-dir", str(tmp_path)]
    assert cli(*args).returncode == 0
    mtime = (tmp_path / "essay.docx").stat().st_mtime_ns
    again = cli(*args)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert (tmp_path / "essay.docx").stat().st_mtime_ns == mtime
    forced = cli(*args, "--force")
    assert "up to date" not in forced.stdout


def test_a_build_reads_the_files_its_writers_declare_for_the_formats_it_writes(
    scratch: Path,
) -> None:
    """The DOCX's reference document and the EPUB's cover come from the writers'
    declarations into the files a build read (the up-to-date check and --watch stat them),
    and only for a format the build writes."""
    from PIL import Image

    cover, reference = scratch / "cover.png", scratch / "reference.docx"  # not in styles/
    Image.new("RGB", (600, 900), "navy").save(cover)
    shutil.copy(scratch / "styles" / "reference-finished.docx", reference)
    files = {"cover_image": str(cover), "docx_reference": str(reference)}
    read_by_docx = build(config_for(scratch, formats="docx", **files)).inputs
    read_by_epub = build(config_for(scratch, formats="epub", **files)).inputs
    assert reference in read_by_docx and cover not in read_by_docx
    assert cover in read_by_epub and reference not in read_by_epub


def test_formats_are_written_in_parallel_processes(scratch: Path) -> None:
    result = build(config_for(scratch, formats="pdf,epub,docx"))
    # With two or more cores, the slowest format bounds the build, not the sum.
    if (os.cpu_count() or 1) >= 2:
        assert result.seconds < sum(result.format_seconds.values()) + 1.5
    assert set(result.format_seconds) == {"pdf", "epub", "docx"}


def test_watch_rebuilds_on_change_and_keeps_outputs_after_an_error(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manuscript = scratch / "manuscript" / "essay.md"
    original = manuscript.read_text()
    snapshots: list[bytes] = []

    def edits() -> Iterator[int]:
        snapshots.append((scratch / "output" / "essay.docx").read_bytes())
        manuscript.write_text(original.replace("[@hao1990]", "[@nobody2020]", 1))
        yield 1
        snapshots.append((scratch / "output" / "essay.docx").read_bytes())
        manuscript.write_text(original.replace("puzzling", "perplexing", 1))
        yield 2

    lines: list[str] = []
    watch(lambda: config_for(scratch, formats="docx"), None, changes=edits(), say=lines.append)
    assert len(lines) == 2 and all("rebuilt" in line for line in lines)
    assert "nobody2020" in capsys.readouterr().err
    assert snapshots[0] == snapshots[1], "a failed rebuild must keep the last good output"


def test_watch_command_rebuilds_after_a_save(scratch: Path) -> None:
    command = [
        sys.executable,
        str(PROJECT / "build.py"),
        "--watch",
        "--to",
        "docx",
        "--manuscript",
        str(scratch / "manuscript" / "essay.md"),
        "--output-dir",
        str(scratch / "output"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=scratch)
    try:
        assert process.stdout is not None
        seen = [process.stdout.readline(), process.stdout.readline()]  # first build, "watching"
        assert "rebuilt" in seen[0] and "watching" in seen[1]
        time.sleep(0.5)
        manuscript = scratch / "manuscript" / "essay.md"
        manuscript.write_text(manuscript.read_text().replace("puzzling", "perplexing", 1))
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and "rebuilt" not in line:
            line = process.stdout.readline()
        assert "rebuilt" in line and "docx" in line
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def test_the_cache_can_live_elsewhere(
    scratch: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("shared-cache")
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(elsewhere))
    build(config_for(scratch, formats="docx"))
    assert not (scratch / CACHE_FOLDER).exists()
    assert (elsewhere / "docx").is_dir()
    assert build(config_for(scratch, formats="docx")).from_cache == {"docx"}
