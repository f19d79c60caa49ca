"""The only place that runs MathJax (TeX to SVG, on Node.js).

MathJax and its STIX Two font come from npm, pinned by the project's package-lock.json
and found or installed by typeset/node_tools.py. All of a build's equations go to one node
process (`formats/tex2svg.mjs`): starting MathJax costs about 0.3 s, each equation a few
milliseconds. The call is logged, its exit code checked and its time limited.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from typeset import node_tools
from typeset.errors import ToolError

log = logging.getLogger(__name__)

SCRIPT = Path(__file__).parent / "formats" / "tex2svg.mjs"
MATHJAX_PACKAGES = node_tools.MATHJAX_PACKAGES
SETUP_HINT = node_tools.SETUP_HINT

# Generous: 10,000 equations take about 25 s; a pathological one must not hang the build.
MATHJAX_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Equation:
    tex: str
    display: bool


@dataclass(frozen=True)
class RenderedEquation:
    """An SVG, or the TeX error MathJax reported for this equation."""

    svg: str | None = None
    error: str | None = None


def node_modules(project_dir: Path) -> Path:
    """The node_modules folder holding MathJax (typeset/node_tools.py says where it is
    looked for), or a ToolError saying what to do."""
    found = node_tools.find_packages(project_dir, MATHJAX_PACKAGES)
    if found is None:
        raise ToolError(
            "MathJax is not installed (it typesets the math in the PDF)", hint=SETUP_HINT
        )
    return found


@functools.cache
def _package_version(folder: Path) -> str:
    try:
        version: str = json.loads((folder / "package.json").read_bytes())["version"]
        return version
    except (OSError, ValueError, KeyError):
        return ""


def mathjax_version(project_dir: Path) -> str:
    """e.g. 'mathjax 4.1.3, @mathjax/mathjax-stix2-font 4.1.0': part of every cache key of
    a rendered equation and of the PDF, so an upgrade re-renders."""
    try:
        folder = node_modules(project_dir)
    except ToolError:
        return "not installed"
    return ", ".join(
        f"{package} {_package_version(folder / package)}" for package in MATHJAX_PACKAGES
    )


def render_equations(equations: list[Equation], project_dir: Path) -> list[RenderedEquation]:
    """One SVG (or TeX error) per equation, in order; one node process for all of them."""
    return list(stream_equations(equations, project_dir))


def stream_equations(equations: list[Equation], project_dir: Path) -> Iterator[RenderedEquation]:
    """One SVG (or TeX error) per equation, in order, each as soon as MathJax has it (the
    caller flattens one while node renders the next); one node process for all of them,
    the one `warm_up` started if there is one. The checks of node's exit come when the
    last result has been taken."""
    if not equations:
        return
    node = _take_warm(project_dir) or _started(project_dir)
    process = node.process
    log.debug("MathJax: %d equations", len(equations))
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        process.kill()

    timer = threading.Timer(MATHJAX_TIMEOUT_SECONDS, kill)
    timer.daemon = True
    timer.start()
    count = 0
    try:
        assert process.stdin is not None and process.stdout is not None
        request = [{"tex": e.tex, "display": e.display} for e in equations]
        with contextlib.suppress(BrokenPipeError):  # node failed: its exit says why
            process.stdin.write(json.dumps(request).encode() + b"\n")  # one line
            process.stdin.close()
        for line in process.stdout:
            try:
                item = json.loads(line)
            except ValueError:
                raise ToolError(
                    f"MathJax printed something that is not JSON: {line[:300]!r}",
                    hint=SETUP_HINT,
                ) from None
            if not isinstance(item, dict) or count == len(equations):
                break
            count += 1
            yield RenderedEquation(svg=item.get("svg"), error=item.get("error"))
        returncode = process.wait()
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    if timed_out.is_set():
        raise ToolError(
            f"MathJax did not finish {len(equations)} equations within {MATHJAX_TIMEOUT_SECONDS} s",
            hint="look for a pathological equation (a huge \\newcommand recursion?)",
        )
    stderr = node.stderr_text()
    if returncode != 0:
        raise ToolError(
            f"MathJax failed (node exit {returncode}): {stderr[-2000:]}", hint=SETUP_HINT
        )
    if stderr:
        log.info("MathJax: %s", stderr)
    if count != len(equations):
        raise ToolError(
            f"MathJax returned {count} results for {len(equations)} equations", hint=SETUP_HINT
        )


# A node process with MathJax loading, started before the manuscript is parsed; the pid
# of the process that started it, so that a forked writer does not take its parent's.
_WARM: dict[Path, tuple[_Node, int]] = {}


def warm_up(project_dir: Path) -> None:
    """Start node and load MathJax now (about 0.3 s), for the equations that
    `stream_equations` will send once they are known. Quiet on failure: rendering reports it."""
    if project_dir in _WARM:
        return
    if node_tools.find_packages(project_dir, MATHJAX_PACKAGES) is None:
        return  # a `$` is not yet math: only real equations may install MathJax
    with contextlib.suppress(ToolError):
        _WARM[project_dir] = (_started(project_dir), os.getpid())


def discard_warm() -> None:
    """Stop the node processes `warm_up` started that no equations were sent to."""
    for node, pid in list(_WARM.values()):
        if pid == os.getpid():
            node.process.kill()
            node.process.wait()
            node.close()
    _WARM.clear()


def _take_warm(project_dir: Path) -> _Node | None:
    node, pid = _WARM.pop(project_dir, (None, None))
    if node is None or pid != os.getpid() or node.process.poll() is not None:
        return None
    return node


@dataclass
class _Node:
    """The node process running tex2svg.mjs, and the file its stderr goes to (a pipe
    nobody reads while stdout is being read could fill up and stall it)."""

    process: subprocess.Popen[bytes]
    stderr: IO[bytes]

    def stderr_text(self) -> str:
        try:
            self.stderr.seek(0)
            return self.stderr.read().decode("utf-8", errors="replace").strip()
        finally:
            self.close()

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout, self.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _started(project_dir: Path) -> _Node:
    # A manuscript with math needs node and MathJax: one clear error when node is missing,
    # MathJax installed on first use when it is not (typeset/node_tools.py).
    node = node_tools.node_executable(purpose="MathJax, which typesets the math in the PDF,")
    packages = node_tools.ensure_packages(
        project_dir, MATHJAX_PACKAGES, "MathJax (math in the PDF)"
    )
    command = [node, str(SCRIPT), str(packages)]
    log.debug("starting %s", " ".join(command))
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _Node.close)
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
    except OSError as error:
        stderr.close()
        raise ToolError(f"cannot run node: {error.strerror}", hint=SETUP_HINT) from None
    return _Node(process, stderr)
