"""`typeset new DIR`: a ready project that builds at once.

The files written are the ones beside this module (package data), each to its place in
the new project; `typeset new` refuses a folder that already holds anything.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from typeset.errors import UsageError

_TEMPLATE = Path(__file__).resolve().parent

# template file -> where it goes in the new project
FILES = {
    "typeset.yaml": "typeset.yaml",
    "paper.md": "manuscript/paper.md",
    "trend.svg": "manuscript/figures/trend.svg",
    "refs.bib": "refs.bib",
    "styles-README.md": "styles/README.md",
    "gitignore": ".gitignore",
}


def new_project(folder: Path) -> list[Path]:
    """Write the project into `folder` (created; it must be absent or empty)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            "cannot create a project here: it is a file", path=folder, hint="name a new folder"
        )
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError(
            "the folder is not empty; `typeset new` writes only into a new or empty folder",
            path=folder,
            hint="name a new folder, e.g. `typeset new my-paper`",
        )
    written = []
    for name, place in FILES.items():
        destination = folder / place
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_TEMPLATE / name, destination)
        written.append(destination)
    return written
