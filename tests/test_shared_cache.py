"""One content-addressed cache shared by builds that run at once (`typeset jobs` with
`xargs -P`, CI jobs on one runner): an entry is seen whole or not at all, a write never
fails another, and every output is what a build on its own writes."""

from __future__ import annotations

import concurrent.futures
import fcntl
import hashlib
import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PROJECT, pdf_pages
from typeset.cache import BuildCache
from typeset.config import load_config
from typeset.formats.pdf.math import _math_lock

# Large enough that a write takes several system calls, so writers really overlap.
PAYLOADS = [bytes([n]) * 1_000_000 for n in range(4)]


def write_and_read(folder: Path, writer: int, rounds: int) -> list[str]:
    """Store this writer's payload under the one shared key, read the key back each time;
    what was wrong, if anything."""
    cache = BuildCache(folder, read=True)
    problems = []
    for _ in range(rounds):
        cache.put_bytes("pdf", "shared-key", PAYLOADS[writer])
        seen = cache.get_bytes("pdf", "shared-key")
        if seen not in PAYLOADS:
            problems.append("a read saw " + ("nothing" if seen is None else "a mixed entry"))
    return problems


def test_threads_writing_one_key_at_once_never_see_half_an_entry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Threads of one build (the inputs of several profiles are read in threads) share a
    pid: each write still has its own temporary."""
    start = threading.Barrier(4)

    def writer(number: int) -> list[str]:
        start.wait()
        return write_and_read(tmp_path / "cache", number, 10)

    with caplog.at_level(logging.WARNING), concurrent.futures.ThreadPoolExecutor(4) as pool:
        problems = [p for found in pool.map(writer, range(4)) for p in found]
    assert problems == []
    assert caplog.text == ""  # no "cache not written", no "damaged" entry
    assert list((tmp_path / "cache" / "pdf").iterdir()) == [
        tmp_path / "cache" / "pdf" / "shared-key.entry"
    ]


def _process_writer(folder: str, number: int) -> list[str]:
    logging.basicConfig(level=logging.WARNING)
    return write_and_read(Path(folder), number, 15)


@pytest.mark.slow
def test_processes_writing_one_key_at_once_never_see_half_an_entry(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")  # separate processes, as xargs starts
    with concurrent.futures.ProcessPoolExecutor(4, mp_context=context) as pool:
        found = pool.map(_process_writer, [str(tmp_path / "cache")] * 4, range(4))
        problems = [problem for each in found for problem in each]
    assert problems == []
    assert [p.name for p in (tmp_path / "cache" / "pdf").iterdir()] == ["shared-key.entry"]


MANUSCRIPT = """\
---
title: Harbour Records
author: Jane Doe
lang: en-GB
---

# The ledgers

The customs ledgers survive in part [@doe, 12].^[The rest burned in 1911, see @roe.]
Their totals follow $\\sum_{i=1}^{n} x_i$ closely.

| Year | Ships |
|------|------:|
| 1890 | 212   |

: Arrivals [@roe]
"""
BIBLIOGRAPHY = """\
@book{doe, author = {Doe, Jane}, title = {Ledgers of the Coast}, year = {2001},
  publisher = {Harbour Press}, address = {Leith}}
@article{roe, author = {Roe, Richard}, title = {A Fire at the Custom House}, year = {1998},
  journal = {Port History}, volume = {4}, pages = {1--20}}
"""


def build_at_once(paper: Path, outputs: list[Path], cache: Path) -> list[str]:
    """Start one build per output folder together, all on `cache`; their stderr."""
    environment = {
        **os.environ,
        "TYPESET_CACHE_DIR": str(cache),
        "SOURCE_DATE_EPOCH": "1765065600",  # byte-identical outputs, comparable
        "PYTHONPATH": str(PROJECT),
    }
    builds = [
        subprocess.Popen(
            [sys.executable, "-m", "typeset", str(paper), "--output-dir", str(output)],
            cwd=paper.parent,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for output in outputs
    ]
    errors = []
    for build in builds:
        _, stderr = build.communicate(timeout=600)
        assert build.returncode == 0, stderr
        errors.append(stderr)
    return errors


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.slow
def test_four_builds_of_one_manuscript_at_once_on_one_cache_all_write_it_right(
    tmp_path: Path,
) -> None:
    """Cold: the four compute and store the same entries at the same moments. Warm (new
    output folders): the four copy them out at once. All twelve files of each round are
    the same bytes, and the right text."""
    paper = tmp_path / "title" / "paper.md"
    paper.parent.mkdir()
    paper.write_text(MANUSCRIPT)
    (paper.parent / "refs.bib").write_text(BIBLIOGRAPHY)
    cache = tmp_path / "shared-cache"

    cold = [tmp_path / f"cold-{n}" for n in range(4)]
    for stderr in build_at_once(paper, cold, cache):
        assert "cache" not in stderr.lower(), stderr  # nothing unwritten, nothing refused
    written = [digests(folder) for folder in cold]
    assert set(written[0]) == {"paper.pdf", "paper.epub", "paper.docx"}
    assert all(each == written[0] for each in written[1:])

    warm = [tmp_path / f"warm-{n}" for n in range(4)]
    for stderr in build_at_once(paper, warm, cache):
        assert "cache" not in stderr.lower(), stderr
    assert all(digests(folder) == written[0] for folder in warm)

    text = " ".join(" ".join(pdf_pages(cold[0] / "paper.pdf")).split())
    assert "Harbour Records" in text
    assert "(Doe 2001, 12)" in text  # the citation, formatted
    assert "Ledgers of the Coast" in text  # the bibliography
    assert "Fire at the Custom House" in text
    with zipfile.ZipFile(cold[0] / "paper.epub") as epub:
        chapters = b" ".join(epub.read(n) for n in epub.namelist() if n.endswith(".xhtml"))
    assert b"Doe 2001, 12" in chapters
    assert b"<math" in chapters or b"<svg" in chapters or b"x_i" in chapters
    with zipfile.ZipFile(cold[0] / "paper.docx") as docx:
        document = docx.read("word/document.xml")
    assert b"Doe 2001, 12" in document
    assert b"1911" in docx_footnotes(cold[0] / "paper.docx")
    assert not list(cache.rglob("*.partial")), "temporaries left in the cache"


def docx_footnotes(path: Path) -> bytes:
    with zipfile.ZipFile(path) as docx:
        return docx.read("word/footnotes.xml")


def test_one_titles_math_lock_does_not_hold_up_another_title_on_the_same_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one build renders its equations ahead (the lock held exclusively), a build of
    another manuscript on the same cache folder takes its own lock at once; another build
    of the same manuscript (a second profile) still waits, then finds the equations."""
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    configs = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "paper.md").write_text("---\ntitle: T\n---\n\n$x^2$\n")
        overrides = {"manuscript": str(tmp_path / name / "paper.md")}
        configs.append(load_config(None, overrides=overrides, project_dir=tmp_path / name))
    first, second = configs
    held = _math_lock(first, fcntl.LOCK_EX)
    try:
        _math_lock(second, fcntl.LOCK_EX | fcntl.LOCK_NB).close()
        with pytest.raises(BlockingIOError):
            _math_lock(first.replace(profile="other"), fcntl.LOCK_SH | fcntl.LOCK_NB)
    finally:
        held.close()
