"""The 'nothing changed' fast path, checked before the heavy imports.

After a successful build the CLI records the size and modification time of every file the
build read and wrote, under a key for the exact invocation. The next identical invocation
compares those stamps first (a few dozen `stat` calls, no pandoc, no WeasyPrint, not even
their imports) and stops at once when nothing differs: the way make and ninja decide.
Anything unusual (a missing stamp, a changed file, an environment variable that shapes
the output) falls through to the full build, whose own content cache does the rest.

This module imports only the standard library, on purpose.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path


def _stamp_folder(project_dir: Path) -> Path:
    # Mirrors typeset.cache.cache_folder, without importing it.
    override = os.environ.get("TYPESET_CACHE_DIR")
    return (Path(override) if override else project_dir / ".typeset-cache") / "stamps"


# Kept in step with typeset.cache.FONT_FOLDERS (not imported: this module stays light).
FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
STAMP_VERSION = 1


# Flags that change how a build runs or talks, not what it produces.
NEUTRAL_FLAGS = frozenset({"--force", "--quiet", "-q", "--verbose", "-v"})


def invocation_key(argv: Sequence[str], project_dir: Path) -> str:
    identity = {
        "argv": [argument for argument in argv if argument not in NEUTRAL_FLAGS],
        "cwd": str(Path.cwd()),
        "project": str(project_dir),
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
        "version": STAMP_VERSION,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def _stat(path: Path) -> list[object]:
    try:
        status = path.stat()
    except OSError:
        return [str(path), None, None]
    return [str(path), status.st_size, status.st_mtime_ns]


def _font_folders() -> list[Path]:
    """Font folders and their subfolders: installing a font changes a folder's mtime."""
    folders = []
    for top in FONT_FOLDERS:
        if top.is_dir():
            folders.append(top)
            folders.extend(Path(root) / name for root, names, _ in os.walk(top) for name in names)
    return folders


def record(key: str, project_dir: Path, inputs: Iterable[Path], outputs: Iterable[Path]) -> None:
    """Remember what a successful build read and wrote."""
    stamp = {
        "inputs": [_stat(path) for path in [*inputs, *_font_folders()]],
        "outputs": [_stat(path) for path in outputs],
    }
    folder = _stamp_folder(project_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{key}.{os.getpid()}.partial"
        temporary.write_text(json.dumps(stamp))
        os.replace(temporary, folder / f"{key}.json")
    except OSError:
        pass  # without a stamp the next build just takes the ordinary path


def outputs_if_current(key: str, project_dir: Path) -> list[Path] | None:
    """The outputs of the last identical build, if no input or output has changed since."""
    try:
        stamp = json.loads((_stamp_folder(project_dir) / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None
    recorded = stamp["inputs"] + stamp["outputs"]
    if any(entry != _stat(Path(entry[0])) for entry in recorded):
        return None
    return [Path(entry[0]) for entry in stamp["outputs"]]
