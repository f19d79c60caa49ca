"""The 'nothing changed' fast path, checked before the heavy imports.

After a successful build the CLI records the size and modification time of every file the
build read and wrote, under a key for the exact invocation. The next identical invocation
compares those stamps first (a few dozen `stat` calls, no pandoc, no WeasyPrint, not even
their imports) and stops at once when nothing differs: the way make and ninja decide.
Anything unusual (a missing stamp, a changed file, an environment variable that shapes
the output) falls through to the full build, whose own content cache does the rest.

This module imports only the standard library and typeset.cache (itself standard library
only), on purpose. Stamps are sealed cache entries: a planted one is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from typeset.cache import FONT_FOLDERS, BuildCache, cache_folder
from typeset.names import SOURCE_DATE_EPOCH_VARIABLE

STAMP_KIND = "stamps"
STAMP_VERSION = 2


# Flags that change how a build runs or talks, not what it produces.
NEUTRAL_FLAGS = frozenset({"--force", "--quiet", "-q", "--verbose", "-v"})


def invocation_key(argv: Sequence[str], project_dir: Path) -> str:
    identity = {
        "argv": [argument for argument in argv if argument not in NEUTRAL_FLAGS],
        "cwd": str(Path.cwd()),
        "project": str(project_dir),
        "source_date_epoch": os.environ.get(SOURCE_DATE_EPOCH_VARIABLE, ""),
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
    # Without a stamp (a cache that cannot be written) the next build takes the full path.
    BuildCache(cache_folder(project_dir), read=True).put_json(STAMP_KIND, key, stamp)


def outputs_if_current(key: str, project_dir: Path) -> list[Path] | None:
    """The outputs of the last identical build, if no input or output has changed since."""
    stamp = BuildCache(cache_folder(project_dir), read=True).get_json(STAMP_KIND, key)
    if stamp is None:
        return None
    try:
        recorded = stamp["inputs"] + stamp["outputs"]
        if any(entry != _stat(Path(entry[0])) for entry in recorded):
            return None
        return [Path(entry[0]) for entry in stamp["outputs"]]
    except (KeyError, TypeError, IndexError, ValueError):  # another version's stamp
        return None
