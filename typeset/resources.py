"""The files a build reads that ship with typeset: print and EPUB stylesheets, the print
template, the page templates and their assets, the reference DOCX files.

They have one home, the repository's `styles/` folder. A checkout (or an editable install)
reads it in place; a wheel carries the same folder as `typeset/_styles/` (pyproject.toml
maps it there), so a pip-installed `typeset` builds with no clone around. A project's own
`styles/` folder overrides any of them file by file: `styles/print.css` beside a
manuscript wins over the shipped one, and a project without one gets the shipped one.

This module imports only the standard library: the command line's help reads it.
"""

from __future__ import annotations

from pathlib import Path

from typeset.names import STYLES_FOLDER

_PACKAGE = Path(__file__).resolve().parent
# The wheel's copy first: in a checkout it does not exist and the repository's is used.
_CANDIDATES = (_PACKAGE / "_styles", _PACKAGE.parent / STYLES_FOLDER)


def shipped_styles_dir() -> Path:
    """The folder of the files typeset ships (the wheel's copy, else the checkout's)."""
    for folder in _CANDIDATES:
        if (folder / "print.css").is_file():
            return folder
    return _CANDIDATES[0]  # missing: the error names the file the build looked for


def project_styles_dir(project_dir: Path) -> Path:
    """The project's own `styles/` folder (it need not exist)."""
    return project_dir / STYLES_FOLDER


def style_file(project_dir: Path, name: str) -> Path:
    """`styles/NAME` of the project when it has one, else the shipped file."""
    own = project_styles_dir(project_dir) / name
    return own if own.is_file() else shipped_styles_dir() / name


def style_files(project_dir: Path, pattern: str) -> list[Path]:
    """The files matching `pattern` a build of this project uses: its own, then the rest of
    the shipped ones (name order)."""
    chosen: dict[str, Path] = {}
    for folder in (project_styles_dir(project_dir), shipped_styles_dir()):
        if folder.is_dir():
            for path in folder.glob(pattern):
                chosen.setdefault(path.name, path)
    return [chosen[name] for name in sorted(chosen)]


def shipped_counterpart(path: Path, base: Path) -> Path:
    """A config path `styles/NAME` (relative to `base`) that does not exist there names the
    shipped file of that name (e.g. `docx_reference: styles/reference-manuscript.docx` in a
    project of one manuscript); any other path is returned as it is."""
    if path.exists():
        return path
    try:
        relative = path.relative_to(base)
    except ValueError:
        return path
    if len(relative.parts) == 2 and relative.parts[0] == STYLES_FOLDER:
        shipped = shipped_styles_dir() / relative.parts[1]
        if shipped.is_file():
            return shipped
    return path
