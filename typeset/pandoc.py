"""The only place that runs pandoc.

pandoc comes from the pypandoc-binary wheel, so no system pandoc is needed. Every call is
logged with its exact command line and its exit code is checked.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import re
import resource
import signal
import subprocess
from pathlib import Path

import pypandoc

from typeset.errors import ToolError

log = logging.getLogger(__name__)


@functools.cache
def pandoc_path() -> str:
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

_PR_SET_PDEATHSIG = 1
try:  # loaded here, not in the forked child, where loading a library is not safe
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


class PandocFailure(ToolError):
    """pandoc exited non-zero; `stderr` holds what it said."""

    stderr = ""

    def __init__(self, message: str, stderr: str) -> None:
        super().__init__(message)
        self.stderr = stderr


class PandocLimitExceeded(ToolError):
    """pandoc hit a time or memory limit: the input is pathological, not the tool broken."""


def _limit_child() -> None:
    """Runs in the child before exec: cap its memory and CPU, and let it die with us.

    The death signal matters when the build is killed hard (SIGKILL, OOM): otherwise an
    orphaned pandoc would keep running for minutes.
    """
    resource.setrlimit(resource.RLIMIT_AS, (PANDOC_MEMORY_BYTES, PANDOC_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (PANDOC_CPU_SECONDS, PANDOC_CPU_SECONDS + 5))
    prctl = getattr(_LIBC, "prctl", None)
    if prctl is not None:  # Linux; elsewhere the limits above still hold
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def run_pandoc(
    args: list[str],
    stdin: bytes | None = None,
    *,
    cwd: Path | None = None,
    source: Path | None = None,
) -> bytes:
    """Run pandoc with `args`, feeding `stdin`; return stdout or raise PandocFailure.

    `source` names the input being converted, so a limit hit blames the right file.
    """
    command = [pandoc_path(), "+RTS", PANDOC_HEAP, "-RTS", *args]
    log.debug("running %s", " ".join(command))
    try:
        completed = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            cwd=cwd,
            check=False,
            timeout=PANDOC_TIMEOUT_SECONDS,
            preexec_fn=_limit_child,
        )
    except subprocess.TimeoutExpired:
        raise PandocLimitExceeded(
            f"pandoc did not finish within {PANDOC_TIMEOUT_SECONDS} s",
            path=source,
            hint="check the input for something pathological (a cycle, deep nesting, "
            "a multi-megabyte line) and remove it",
        ) from None
    stderr = completed.stderr.decode("utf-8", errors="replace")
    if completed.returncode != 0:
        if _hit_a_limit(completed.returncode, stderr):
            raise PandocLimitExceeded(
                "pandoc ran out of its memory or CPU allowance on this input",
                path=source,
                hint="check the input for something pathological (a cycle, deep nesting, "
                "an enormous table) and remove it",
            )
        raise PandocFailure(
            f"pandoc failed (exit {completed.returncode}): {stderr.strip()[:1000]}", stderr
        )
    for warning in stderr.splitlines():
        if warning.strip():
            log.info("pandoc: %s", warning)
    return completed.stdout


def _hit_a_limit(returncode: int, stderr: str) -> bool:
    killed = returncode in (-signal.SIGKILL, -signal.SIGXCPU, -signal.SIGSEGV, 251)
    exhausted = "Heap exhausted" in stderr or "out of memory" in stderr.lower()
    return killed or exhausted or "memory allocation failed" in stderr


_LINE_IN_PANDOC_MESSAGE = re.compile(r"line (\d+)")


def line_of_pandoc_error(stderr: str) -> int | None:
    """pandoc's parse errors say 'line N, column M'; return N when present."""
    match = _LINE_IN_PANDOC_MESSAGE.search(stderr)
    return int(match.group(1)) if match else None
