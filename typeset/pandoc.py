"""The only place that runs pandoc.

pandoc comes from the pypandoc-binary wheel, so no system pandoc is needed. Every call is
logged with its exact command line and its exit code is checked.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pypandoc

from typeset.errors import ToolError
from typeset.limits import capped_command_prefix

log = logging.getLogger(__name__)


def pandoc_path() -> str:
    # pypandoc finds pandoc by running `--version` on every candidate: the build's first
    # two pandoc runs (manuscript and bibliography, in two threads) must not both search.
    with _locating:
        return _located_pandoc()


_locating = threading.Lock()


@functools.cache
def _located_pandoc() -> str:
    return str(pypandoc.get_pandoc_path())


@functools.cache
def pandoc_version() -> str:
    first_line = run_pandoc(["--version"]).decode().splitlines()[0]
    return first_line.split()[-1]


@functools.cache
def pandoc_fingerprint() -> str:
    """Identifies the pandoc binary without running it (path, size, mtime)."""
    status = Path(pandoc_path()).stat()
    return f"{pandoc_path()}:{status.st_size}:{status.st_mtime_ns}"


# Generous for real work (a 200,000-word book parses in well under a minute and a few
# hundred MB), yet a hostile input (a BibTeX crossref cycle, a CSL macro loop, nesting
# bombs) cannot take the machine down: pandoc is stopped at the first limit it reaches.
PANDOC_TIMEOUT_SECONDS = 300
PANDOC_CPU_SECONDS = 240
PANDOC_MEMORY_BYTES = 3 * 1024**3  # address space; pandoc's GHC runtime reserves ~1 GB up front
# pandoc's own heap cap, lower than the address-space limit so it fails with a message.
PANDOC_HEAP = "-M2g"


class PandocFailure(ToolError):
    """pandoc exited non-zero; `stderr` holds what it said."""

    stderr = ""

    def __init__(self, message: str, stderr: str) -> None:
        super().__init__(message)
        self.stderr = stderr


class PandocLimitExceeded(ToolError):
    """pandoc hit a time or memory limit: the input is pathological, not the tool broken."""


def run_pandoc(
    args: list[str],
    stdin: bytes | None = None,
    *,
    cwd: Path | None = None,
    environment: dict[str, str] | None = None,
    source: WarningSource | Path | None = None,
    runtime_options: Sequence[str] = (),
) -> bytes:
    """Run pandoc with `args`, feeding `stdin`; return stdout or raise PandocFailure.

    `environment` adds variables to this process's environment for the run (the BibTeX
    reader takes its default language from LANG). `source` is the input being converted:
    a limit hit blames its file, and pandoc's warnings are logged naming its file and,
    for a text source, the line where the message leads back to one. `runtime_options`
    go to pandoc's GHC runtime (the heap's, say), after its memory cap.
    """
    command = [
        *capped_command_prefix(PANDOC_MEMORY_BYTES, PANDOC_CPU_SECONDS),
        pandoc_path(),
        "+RTS",
        PANDOC_HEAP,
        *runtime_options,
        "-RTS",
        *args,
    ]
    blamed = source if isinstance(source, Path) or source is None else source.path
    log.debug("running %s", " ".join(command))
    try:
        completed = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            cwd=cwd,
            env={**os.environ, **environment} if environment else None,
            check=False,
            timeout=PANDOC_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise PandocLimitExceeded(
            f"pandoc did not finish within {PANDOC_TIMEOUT_SECONDS} s",
            path=blamed,
            hint="check the input for something pathological (a cycle, deep nesting, "
            "a multi-megabyte line) and remove it",
        ) from None
    stderr = completed.stderr.decode("utf-8", errors="replace")
    if completed.returncode != 0:
        if _hit_a_limit(completed.returncode, stderr):
            raise PandocLimitExceeded(
                "pandoc ran out of its memory or CPU allowance on this input",
                path=blamed,
                hint="check the input for something pathological (a cycle, deep nesting, "
                "an enormous table) and remove it",
            )
        if _out_of_disk(stderr):  # GHC's raw message (hPutBuf: resource exhausted ...)
            raise ToolError(
                "pandoc ran out of disk space for its temporary files",
                path=blamed,
                hint="free some space, or set TMPDIR to a folder on a disk with room",
            )
        raise PandocFailure(
            f"pandoc failed (exit {completed.returncode}): {stderr.strip()[:1000]}", stderr
        )
    report_messages(stderr, None if isinstance(source, Path) else source)
    return completed.stdout


class WarningSource(Protocol):
    """The text a pandoc run came from (typeset.manuscript.Manuscript is one)."""

    @property
    def path(self) -> Path: ...

    def line_containing(self, needle: str) -> int | None: ...

    def at(self, line: int | None) -> tuple[Path, int | None]: ...


@dataclass(frozen=True)
class PandocMessage:
    level: str  # WARNING, INFO...
    text: str  # the first line; pandoc indents any detail on the lines after it
    detail: tuple[str, ...] = ()


_MESSAGE_START = re.compile(r"^\[(\w+)\]\s*(.*)$")


def pandoc_messages(stderr: str) -> list[PandocMessage]:
    """pandoc's messages: `[LEVEL] text`, with indented detail lines after some."""
    messages: list[PandocMessage] = []
    for line in stderr.splitlines():
        start = _MESSAGE_START.match(line)
        if start:
            messages.append(PandocMessage(start.group(1), start.group(2).strip()))
        elif line.strip() and messages:
            last = messages[-1]
            messages[-1] = PandocMessage(last.level, last.text, (*last.detail, line.strip()))
        elif line.strip():
            messages.append(PandocMessage("INFO", line.strip()))
    return messages


# Messages the build reports itself, better (a missing key is an error naming its line).
_REPORTED_ELSEWHERE = re.compile(r"^Citeproc: citation .* not found")
_AT_LINE = re.compile(r"\bline (\d+) column \d+")
# What to look for in the manuscript to find the line a message is about.
_CONSTRUCTS = (
    (re.compile(r"^Could not convert TeX math (.+?), rendering as TeX"), "{}"),
    (re.compile(r"^Duplicate identifier '(.+?)'"), "#{}"),
    (re.compile(r"^Duplicate note reference '(.+?)'"), "[^{}]"),
    (re.compile(r"^Note with key '(.+?)' defined at"), "[^{}]"),
    (re.compile(r"^Could not fetch resource (\S+)"), "{}"),
)


def report_messages(stderr: str, source: WarningSource | None) -> None:
    """Log each of a run's warnings once, with the source line where it can be found."""
    already_reported: set[str] = set()
    for message in pandoc_messages(stderr):
        if message.level != "WARNING":
            log.info("pandoc: %s", message.text)
            continue
        if _REPORTED_ELSEWHERE.match(message.text) or message.text in already_reported:
            continue
        already_reported.add(message.text)
        where = _location(message.text, source)
        reason = next((line for line in message.detail if line.startswith("unexpected")), "")
        text = message.text.rstrip(":") + (f" ({reason})" if reason else "")
        log.warning("%spandoc: %s", f"{where}: " if where else "", text)


def _location(text: str, source: WarningSource | None) -> str:
    if source is None:
        return ""
    at_line = _AT_LINE.search(text)
    line = int(at_line.group(1)) if at_line else None
    for pattern, needle in _CONSTRUCTS:
        if line is not None:
            break
        found = pattern.match(text)
        if found:
            line = source.line_containing(needle.format(found.group(1)))
            line = line or source.line_containing(found.group(1))
    path, line = source.at(line)
    return f"{path}:{line}" if line else str(path)


@dataclass(frozen=True)
class SourceText:
    """A file's text as a WarningSource, before it is a Manuscript."""

    path: Path
    text: str
    # A manuscript in several files: the file and line of each line of `text`.
    origins: tuple[tuple[Path, int], ...] = ()

    def line_containing(self, needle: str) -> int | None:
        for number, line in enumerate(self.text.splitlines(), start=1):
            if needle and needle in line:
                return number
        return None

    def at(self, line: int | None) -> tuple[Path, int | None]:
        if line is not None and 1 <= line <= len(self.origins):
            return self.origins[line - 1]
        return self.path, line


def _out_of_disk(stderr: str) -> bool:
    return "No space left on device" in stderr or "Disk quota exceeded" in stderr


def _hit_a_limit(returncode: int, stderr: str) -> bool:
    killed = returncode in (-signal.SIGKILL, -signal.SIGXCPU, -signal.SIGSEGV, 251)
    exhausted = "Heap exhausted" in stderr or "out of memory" in stderr.lower()
    return killed or exhausted or "memory allocation failed" in stderr


_LINE_IN_PANDOC_MESSAGE = re.compile(r"line (\d+)")


def line_of_pandoc_error(stderr: str) -> int | None:
    """pandoc's parse errors say 'line N, column M'; return N when present."""
    match = _LINE_IN_PANDOC_MESSAGE.search(stderr)
    return int(match.group(1)) if match else None
