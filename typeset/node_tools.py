"""Where the npm packages a build runs on Node.js come from: MathJax (math in the PDF) and
DAISY Ace (`--check`), pinned by the project's package-lock.json.

A folder of npm packages is looked for, in order, in:

1. the project's `node_modules/` (a project that installs its own);
2. the checkout's `node_modules/` beside this code (what `./setup.sh` installs);
3. the per-user data folder, `<platformdirs user data>/typeset/node/node_modules/`
   (`~/.local/share/typeset/node/` on Linux), where `typeset setup` installs every locked
   package, and where the first build that needs MathJax installs the MathJax packages
   alone (with a one-line message; about 90 MB with its fonts, a few seconds).

The installs run `npm ci` on the lock file the wheel ships (typeset/_node/, copied there by
setup.py) or the checkout's, reduced to the packages wanted: versions and integrity hashes
are the locked ones, never a fresh resolution.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from typeset.errors import ToolError
from typeset.names import NODE_DIR_VARIABLE

log = logging.getLogger(__name__)

MATHJAX_PACKAGES = ("mathjax", "@mathjax/mathjax-stix2-font")
ACE_PACKAGES = ("@daisy/ace-cli",)
NODE_HINT = (
    "install Node.js 18 or later with npm (e.g. `apt-get install nodejs npm`, or from "
    "nodejs.org), then run `typeset setup`"
)
SETUP_HINT = "run `typeset setup` (in a checkout: ./setup.sh)"
INSTALL_TIMEOUT_SECONDS = 600

_PACKAGE = Path(__file__).resolve().parent
_LOCK_CANDIDATES = (_PACKAGE / "_node", _PACKAGE.parent)


def user_node_dir() -> Path:
    """The per-user folder `typeset setup` installs into (TYPESET_NODE_DIR overrides it)."""
    override = os.environ.get(NODE_DIR_VARIABLE)
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_data_path("typeset", appauthor=False) / "node"


def candidate_folders(project_dir: Path) -> list[Path]:
    return [
        project_dir / "node_modules",
        _PACKAGE.parent / "node_modules",
        user_node_dir() / "node_modules",
    ]


def find_packages(project_dir: Path, packages: Iterable[str]) -> Path | None:
    """The first node_modules folder holding every one of `packages`, or None."""
    wanted = tuple(packages)
    for folder in candidate_folders(project_dir):
        if all((folder / package / "package.json").is_file() for package in wanted):
            return folder.resolve()
    return None


def node_executable(purpose: str) -> str:
    """The node command; a ToolError naming what needs it when there is none."""
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        raise ToolError(f"Node.js is not installed ({purpose} runs on it)", hint=NODE_HINT)
    return found


def ensure_packages(project_dir: Path, packages: Iterable[str], purpose: str) -> Path:
    """The node_modules folder holding `packages`; installed into the per-user folder on
    first use when node and npm are there; else a ToolError saying what to install."""
    wanted = tuple(packages)
    found = find_packages(project_dir, wanted)
    if found is not None:
        return found
    node_executable(purpose)
    print(
        f"typeset: installing {', '.join(wanted)} (locked versions) into {user_node_dir()} "
        f"for {purpose}, once",
        file=sys.stderr,
        flush=True,
    )
    install(wanted)
    found = find_packages(project_dir, wanted)
    if found is None:
        raise ToolError(f"npm did not install {', '.join(wanted)}", hint=SETUP_HINT)
    return found


def install(packages: Iterable[str] | None = None, target: Path | None = None) -> Path:
    """`npm ci` of the locked `packages` (all of them when None) into `target` (the
    per-user folder by default); returns its node_modules folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise ToolError("npm is not installed (it installs MathJax and DAISY Ace)", hint=NODE_HINT)
    manifest, lock = _locked_subset(_lock_file(), None if packages is None else tuple(packages))
    target = target or user_node_dir()
    target.mkdir(parents=True, exist_ok=True)
    # Installed beside the target and swapped in whole: an interrupted install never
    # leaves a half-filled node_modules that a later build would take for a good one.
    with tempfile.TemporaryDirectory(prefix=".install-", dir=target) as staging_name:
        staging = Path(staging_name)
        (staging / "package.json").write_text(json.dumps(manifest, indent=2))
        (staging / "package-lock.json").write_text(json.dumps(lock, indent=2))
        command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts"]
        log.debug("running %s in %s", " ".join(command), staging)
        # Ace's puppeteer must not download a browser: Ace drives the system's chromium.
        environment = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"}
        try:
            completed = subprocess.run(
                command,
                cwd=staging,
                env=environment,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise ToolError(
                f"npm ci did not finish within {INSTALL_TIMEOUT_SECONDS} s",
                hint="check the network connection to the npm registry, then `typeset setup`",
            ) from None
        if completed.returncode != 0:
            detail = (completed.stderr or completed.stdout).strip().splitlines()
            raise ToolError(
                f"npm ci failed: {detail[-1] if detail else completed.returncode}",
                hint="check the network connection to the npm registry, then `typeset setup`",
            )
        modules = target / "node_modules"
        retired = target / ".node_modules.old"
        shutil.rmtree(retired, ignore_errors=True)
        if modules.exists():
            os.replace(modules, retired)
        os.replace(staging / "node_modules", modules)
        shutil.rmtree(retired, ignore_errors=True)
    return modules


def _lock_file() -> Path:
    for folder in _LOCK_CANDIDATES:
        if (folder / "package-lock.json").is_file():
            return folder / "package-lock.json"
    raise ToolError(
        "typeset's package-lock.json is missing, so the npm packages cannot be installed",
        hint="reinstall typeset (pip install typeset)",
    )


def _locked_subset(
    lock_path: Path, packages: tuple[str, ...] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """package.json and package-lock.json for `packages` and what they need, as locked."""
    lock = json.loads(lock_path.read_text())
    entries: dict[str, Any] = lock["packages"]
    root_dependencies: dict[str, str] = entries[""].get("dependencies", {})
    wanted = tuple(root_dependencies) if packages is None else packages
    unknown = [name for name in wanted if name not in root_dependencies]
    if unknown:
        raise ToolError(f"{unknown[0]} is not in {lock_path}")
    kept: dict[str, Any] = {}
    pending = [f"node_modules/{name}" for name in wanted]
    while pending:
        location = pending.pop()
        if location in kept or location not in entries:
            continue
        kept[location] = entries[location]
        for dependency in {
            **entries[location].get("dependencies", {}),
            **entries[location].get("optionalDependencies", {}),
        }:
            pending.append(_resolved(entries, location, dependency))
    root = {"name": "typeset-node-tools", "dependencies": {n: root_dependencies[n] for n in wanted}}
    manifest = {"name": "typeset-node-tools", "private": True, **root}
    subset = {**lock, "packages": {"": root, **dict(sorted(kept.items()))}}
    return manifest, subset


def _resolved(entries: dict[str, Any], location: str, dependency: str) -> str:
    """Where node finds `dependency` from the package at `location`: the nearest enclosing
    node_modules that has it (npm's nesting), else the top level."""
    base = location
    while base:
        candidate = f"{base}/node_modules/{dependency}"
        if candidate in entries:
            return candidate
        cut = base.rfind("/node_modules/")
        base = base[:cut] if cut > 0 else ""
    return f"node_modules/{dependency}"
