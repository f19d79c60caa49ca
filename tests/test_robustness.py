"""Builds that survive each other, a kill, and time: no corrupted or lost outputs."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import PROJECT
from typeset.manuscript import MARKDOWN_FORMAT

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

FORMATS = ("pdf", "epub", "docx")


def start_build(
    output: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(PROJECT / "build.py"),
            "--force",
            "-q",
            "--output-dir",
            str(output),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_complete(output: Path) -> None:
    assert len(PdfReader(output / "essay.pdf").pages) >= 3
    for name in ("essay.epub", "essay.docx"):
        with zipfile.ZipFile(output / name) as archive:
            assert archive.testzip() is None


def test_two_builds_at_once_in_the_same_folder_both_finish_intact(tmp_path: Path) -> None:
    first = start_build(tmp_path, "--style", "apa")
    second = start_build(tmp_path, "--style", "ieee")
    for process in (first, second):
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    assert_complete(tmp_path)
    assert not list(tmp_path.glob(".*.partial"))


def test_a_build_killed_midway_leaves_the_last_good_outputs(tmp_path: Path) -> None:
    good = start_build(tmp_path)
    assert good.wait(timeout=300) == 0
    before = {name: digest(tmp_path / f"essay.{name}") for name in FORMATS}
    doomed = start_build(tmp_path, "--style", "apa")
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".*.partial")) and time.monotonic() < deadline:
        time.sleep(0.02)  # kill once the writers have started writing
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    time.sleep(0.5)
    assert {name: digest(tmp_path / f"essay.{name}") for name in FORMATS} == before
    # The next build clears what the killed one abandoned.
    again = start_build(tmp_path, "--to", "docx")
    assert again.wait(timeout=300) == 0
    assert not list(tmp_path.glob(".essay.docx.*.partial"))


@pytest.mark.parametrize("name", FORMATS)
def test_same_inputs_and_source_date_epoch_give_identical_bytes(tmp_path: Path, name: str) -> None:
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    for folder in ("one", "two"):
        process = start_build(tmp_path / folder, "--to", name, env=env)
        assert process.wait(timeout=300) == 0
    assert digest(tmp_path / "one" / f"essay.{name}") == digest(tmp_path / "two" / f"essay.{name}")


def test_docx_properties_carry_no_local_paths(tmp_path: Path) -> None:
    process = start_build(tmp_path, "--to", "docx")
    assert process.wait(timeout=300) == 0
    with zipfile.ZipFile(tmp_path / "essay.docx") as archive:
        properties = b"".join(
            archive.read(n) for n in archive.namelist() if n.startswith("docProps/")
        )
    assert b"/tmp/" not in properties and b"site-packages" not in properties


def _parsing_pandoc(parent: int) -> list[int]:
    """The build's child that has exec'd pandoc (not still prlimit or setpriv) to parse
    the manuscript (not a quick run such as the BibTeX read)."""
    listed = subprocess.run(
        ["pgrep", "-P", str(parent)], capture_output=True, text=True, check=False
    ).stdout.split()
    found = []
    for pid in map(int, listed):
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # already gone
        parses = MARKDOWN_FORMAT.encode() in arguments and b"--sandbox" in arguments
        if Path(os.fsdecode(arguments[0])).name == "pandoc" and parses:
            found.append(pid)
    return found


def test_pandoc_runs_capped_and_dies_with_a_build_killed_hard(tmp_path: Path) -> None:
    words = " ".join(["word"] * 40)
    body = "".join(f"# Section {n}\n\n{words} [@doe2001].\n\n" for n in range(3000))
    (tmp_path / "paper.md").write_text("---\ntitle: Long\n---\n\n" + body)
    (tmp_path / "refs.bib").write_text("@book{doe2001, author={Doe, J.}, title={T}, year=2001}\n")
    build = start_build(
        tmp_path / "out",
        "--manuscript",
        str(tmp_path / "paper.md"),
        "--bibliography",
        str(tmp_path / "refs.bib"),
        env={"TYPESET_CACHE_DIR": str(tmp_path / "cache")},
    )
    pandoc: list[int] = []
    deadline = time.monotonic() + 60
    while not pandoc and build.poll() is None and time.monotonic() < deadline:
        pandoc = _parsing_pandoc(build.pid)
        time.sleep(0.005)
    assert pandoc, "no pandoc seen while the build ran"
    try:
        limits = Path(f"/proc/{pandoc[0]}/limits").read_text()
    except OSError:
        pytest.fail("pandoc ended before its limits were read: make the manuscript longer")
    assert f"Max address space         {3 * 1024**3}" in limits, limits
    assert "Max cpu time              240" in limits, limits
    # SIGKILL to the build alone (not its group): its pandoc must not be left orphaned.
    os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=30)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pandoc[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pandoc[0]}").exists() or "Z" in _state(pandoc[0]), (
        "pandoc outlived the build"
    )


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
