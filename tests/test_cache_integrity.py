"""The build cache holds data only, verified on every read (issue 27, item 2), and what a
killed build leaves is cleaned up (item 7)."""

from __future__ import annotations

import errno
import logging
import os
import pickle
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PROJECT, build_arguments, config_for
from typeset import build
from typeset.cache import BuildCache, remove_abandoned


def test_an_entry_reads_back_as_written(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache", read=True)
    cache.put_json("parse", "k1", {"blocks": [1, 2]})
    cache.put_bytes("pdf", "k2", b"%PDF-1.7 bytes")
    assert cache.get_json("parse", "k1") == {"blocks": [1, 2]}
    assert cache.get_bytes("pdf", "k2") == b"%PDF-1.7 bytes"


def test_the_cache_folder_is_private_to_the_user(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache", read=True)
    cache.put_json("parse", "k", [])
    for folder in (tmp_path / "cache", tmp_path / "cache" / "parse"):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda data: data[:-1] + b"X", id="changed-byte"),
        pytest.param(lambda data: data.split(b"\n", 1)[1], id="seal-removed"),
        pytest.param(lambda data: pickle.dumps(os.system), id="pickle-planted"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_a_changed_or_planted_entry_is_a_miss_with_a_warning(
    tmp_path: Path, tamper: object, caplog: pytest.LogCaptureFixture
) -> None:
    cache = BuildCache(tmp_path / "cache", read=True)
    cache.put_bytes("epub", "key", b"PK original archive")
    (entry,) = (tmp_path / "cache" / "epub").iterdir()
    entry.write_bytes(tamper(entry.read_bytes()))  # type: ignore[operator]
    with caplog.at_level(logging.WARNING):
        assert cache.get_bytes("epub", "key") is None
    assert "damaged or was not written" in caplog.text
    assert not entry.exists()  # removed: warned once, then an ordinary miss


def test_an_entry_sealed_under_another_key_is_refused(tmp_path: Path) -> None:
    """An entry copied to another key (a PDF served as another manuscript's) is a miss."""
    cache = BuildCache(tmp_path / "cache", read=True)
    cache.put_bytes("pdf", "a", b"%PDF-1.7 A")
    folder = tmp_path / "cache" / "pdf"
    (folder / "b.entry").write_bytes((folder / "a.entry").read_bytes())
    assert cache.get_bytes("pdf", "b") is None


def test_a_full_disk_leaves_no_partial_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = BuildCache(tmp_path / "cache", read=True)

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    cache.put_bytes("pdf", "k", b"x" * 1000)  # a warning, no exception
    assert [p.name for p in (tmp_path / "cache" / "pdf").iterdir()] == []


def test_temporaries_of_a_killed_build_are_removed_at_the_next_start(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    folder = tmp_path / "cache" / "pdf"
    folder.mkdir(parents=True)
    abandoned = folder / f".key.entry.{dead_pid}.partial"
    live = folder / f".other.entry.{os.getpid()}.partial"
    abandoned.write_bytes(b"half")
    live.write_bytes(b"being written")
    BuildCache(tmp_path / "cache").remove_abandoned()
    assert not abandoned.exists()
    assert live.exists()  # a build still running keeps its temporary
    remove_abandoned(folder)
    assert live.exists()


# --- real builds --------------------------------------------------------------------------


def small_manuscript(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs.bib").write_text("@book{doe, title={A Book}, author={Doe, Jane}, year=2001}\n")
    (folder / "paper.md").write_text(
        "---\ntitle: Cached\nlang: en-GB\n---\n\n# One\n\nText [@doe].\n"
    )
    return folder / "paper.md"


@pytest.mark.slow
def test_a_tampered_cached_epub_is_rebuilt_not_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    manuscript = small_manuscript(tmp_path / "paper")
    config = config_for(manuscript, output_dir=tmp_path / "out", formats=["epub"])
    build(config)
    (entry,) = (tmp_path / "cache" / "epub").glob("*.entry")
    # Someone with write access to the cache swaps in an EPUB whose nav runs a script.
    evil = tmp_path / "evil.epub"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("EPUB/nav.xhtml", "<html><script>alert(1)</script></html>")
    header = entry.read_bytes().split(b"\n", 1)[0]
    entry.write_bytes(header + b"\n" + evil.read_bytes())
    with caplog.at_level(logging.WARNING):
        result = build(config)
    assert "epub" not in result.from_cache
    assert "was not written by this user's builds" in caplog.text
    with zipfile.ZipFile(tmp_path / "out" / "paper.epub") as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"<script" not in everything
    assert b"Cached" in everything


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _same_program(pid: int, parent: int) -> bool:
    """A forked child runs the parent's interpreter (pandoc and node are other programs)."""
    try:
        return os.readlink(f"/proc/{pid}/exe") == os.readlink(f"/proc/{parent}/exe")
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_sigkill_of_the_build_takes_its_forked_writers_with_it(tmp_path: Path) -> None:
    manuscript = small_manuscript(tmp_path / "paper")
    body = "\n\n".join(f"# Part {n}\n\n" + "Words of a long chapter. " * 400 for n in range(60))
    manuscript.write_text(manuscript.read_text() + "\n" + body + "\n")
    build_process = subprocess.Popen(
        [
            sys.executable,
            str(PROJECT / "build.py"),
            *build_arguments(manuscript, tmp_path / "out"),
            "--force",
            "-q",
        ],
        cwd=PROJECT,
        env={**os.environ, "TYPESET_CACHE_DIR": str(tmp_path / "cache")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    writers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and build_process.poll() is None:
        writers = {
            pid for pid in _children(build_process.pid) if _same_program(pid, build_process.pid)
        }
        if writers:
            break
        time.sleep(0.1)
    assert writers, "the build forked no writer"
    build_process.send_signal(signal.SIGKILL)
    build_process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in writers):
        time.sleep(0.1)
    survivors = [pid for pid in writers if _alive(pid)]
    for pid in survivors:  # do not leave them to the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert not survivors
    # The next start removes what the killed build left behind.
    assert run_quietly_again(manuscript, tmp_path) == 0
    leftovers = [p for p in (tmp_path / "out").glob(".*.partial")]
    assert leftovers == []


def run_quietly_again(manuscript: Path, tmp_path: Path) -> int:
    return subprocess.run(
        [
            sys.executable,
            str(PROJECT / "build.py"),
            *build_arguments(manuscript, tmp_path / "out"),
            "--to",
            "epub",
            "-q",
        ],
        cwd=PROJECT,
        env={**os.environ, "TYPESET_CACHE_DIR": str(tmp_path / "cache")},
        check=False,
    ).returncode
