"""Where a Quarto manuscript's project starts: the folder of its `_quarto.yml`, which
holds `_variables.yml` and `_freeze/`; a manuscript outside any project is its own."""

from __future__ import annotations

from pathlib import Path

from typeset.confine import Roots
from typeset.errors import ManuscriptError
from typeset.limits import read_input

PROJECT_FILES = ("_quarto.yml", "_quarto.yaml")


def project_root(manuscript: Path, allowed_roots: list[Path]) -> Path:
    """The nearest folder at or above the manuscript's with a `_quarto.yml`, searched no
    higher than the allowed roots (the manuscript's folder and the build's project)."""
    folder = manuscript.resolve().parent
    roots = [root.resolve() for root in allowed_roots] or [folder]
    candidate = folder
    while any(candidate.is_relative_to(root) for root in roots):
        if any((candidate / name).is_file() for name in PROJECT_FILES):
            return candidate
        if candidate.parent == candidate:
            break
        candidate = candidate.parent
    return folder


def is_inside(path: Path, roots: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


def read_project_file(path: Path, project: Path, *, what: str, max_bytes: int, hint: str) -> bytes:
    """The bytes of a file Quarto keeps in the project (`_variables.yml`, a frozen result),
    read only from inside `project` (checked on the opened file: a swapped symlink cannot
    lead out of it); any problem is a ManuscriptError."""
    return read_input(
        path,
        roots=Roots.of(untrusted=[project]),
        what=what,
        error=ManuscriptError,
        max_bytes=max_bytes,
        hint=hint,
    )
