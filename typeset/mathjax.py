"""The only place that runs MathJax (TeX to SVG, on Node.js).

MathJax and its STIX Two font come from npm, pinned by the project's package-lock.json
and installed into `node_modules/` by setup.sh. All of a build's equations go to one node
process (`formats/tex2svg.mjs`): starting MathJax costs about 0.3 s, each equation a few
milliseconds. The call is logged, its exit code checked and its time limited.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from typeset.errors import ToolError

log = logging.getLogger(__name__)

SCRIPT = Path(__file__).parent / "formats" / "tex2svg.mjs"
MATHJAX_PACKAGES = ("mathjax", "@mathjax/mathjax-stix2-font")
SETUP_HINT = "run ./setup.sh (it installs Node.js and the npm packages from package-lock.json)"

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
    """The node_modules folder holding MathJax: the project's, else the one setup.sh made
    beside this code (a build run from another folder); or a ToolError saying what to do."""
    candidates = [project_dir / "node_modules", Path(__file__).parent.parent / "node_modules"]
    for folder in candidates:
        if all((folder / package / "package.json").is_file() for package in MATHJAX_PACKAGES):
            return folder.resolve()
    missing = [p for p in MATHJAX_PACKAGES if not (candidates[0] / p / "package.json").is_file()]
    raise ToolError(
        f"the npm package {missing[0]} is not installed in {candidates[0]} "
        "(MathJax typesets the math in the PDF)",
        hint=SETUP_HINT,
    )


def node_path() -> str:
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        raise ToolError(
            "Node.js is not installed (MathJax, which typesets the math in the PDF, runs on it)",
            hint=SETUP_HINT,
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
    if not equations:
        return []
    modules = node_modules(project_dir)
    command = [node_path(), str(SCRIPT)]
    request = {
        "node_modules": str(modules),
        "equations": [{"tex": e.tex, "display": e.display} for e in equations],
    }
    log.debug("running %s with %d equations", " ".join(command), len(equations))
    try:
        completed = subprocess.run(
            command,
            input=json.dumps(request).encode(),
            capture_output=True,
            check=False,
            timeout=MATHJAX_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise ToolError(
            f"MathJax did not finish {len(equations)} equations within {MATHJAX_TIMEOUT_SECONDS} s",
            hint="look for a pathological equation (a huge \\newcommand recursion?)",
        ) from None
    except OSError as error:
        raise ToolError(f"cannot run node: {error.strerror}", hint=SETUP_HINT) from None
    stderr = completed.stderr.decode("utf-8", errors="replace").strip()
    if completed.returncode != 0:
        raise ToolError(
            f"MathJax failed (node exit {completed.returncode}): {stderr[-2000:]}",
            hint=SETUP_HINT,
        )
    if stderr:
        log.info("MathJax: %s", stderr)
    try:
        results = json.loads(completed.stdout)
    except ValueError:
        raise ToolError(
            f"MathJax printed something that is not JSON: {completed.stdout[:300]!r}",
            hint=SETUP_HINT,
        ) from None
    if not isinstance(results, list) or len(results) != len(equations):
        raise ToolError(
            f"MathJax returned {len(results) if isinstance(results, list) else 'no'} "
            f"results for {len(equations)} equations",
            hint=SETUP_HINT,
        )
    return [RenderedEquation(svg=item.get("svg"), error=item.get("error")) for item in results]
