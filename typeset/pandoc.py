"""The only place that runs pandoc.

pandoc comes from the pypandoc-binary wheel, so no system pandoc is needed. Every call is
logged with its exact command line and its exit code is checked.
"""

from __future__ import annotations

import functools
import logging
import os
import re
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


# Generous: a 200,000-word book takes well under a minute; a hostile input must not hang.
PANDOC_TIMEOUT_SECONDS = 600


class PandocFailure(ToolError):
    """pandoc exited non-zero; `stderr` holds what it said."""

    stderr = ""

    def __init__(self, message: str, stderr: str) -> None:
        super().__init__(message)
        self.stderr = stderr


def run_pandoc(
    args: list[str],
    stdin: bytes | None = None,
    *,
    cwd: Path | None = None,
    environment: dict[str, str] | None = None,
) -> bytes:
    """Run pandoc with `args`, feeding `stdin`; return stdout or raise PandocFailure.

    `environment` adds variables to this process's environment for the run (the BibTeX
    reader takes its default language from LANG).
    """
    command = [pandoc_path(), *args]
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
        raise ToolError(
            f"pandoc did not finish within {PANDOC_TIMEOUT_SECONDS} s",
            hint="check the input for something pathological (a multi-megabyte line?)",
        ) from None
    stderr = completed.stderr.decode("utf-8", errors="replace")
    if completed.returncode != 0:
        raise PandocFailure(
            f"pandoc failed (exit {completed.returncode}): {stderr.strip()}", stderr
        )
    for warning in stderr.splitlines():
        if warning.strip():
            log.info("pandoc: %s", warning)
    return completed.stdout


_LINE_IN_PANDOC_MESSAGE = re.compile(r"line (\d+)")


def line_of_pandoc_error(stderr: str) -> int | None:
    """pandoc's parse errors say 'line N, column M'; return N when present."""
    match = _LINE_IN_PANDOC_MESSAGE.search(stderr)
    return int(match.group(1)) if match else None
