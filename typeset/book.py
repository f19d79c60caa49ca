"""Manuscripts in several files: which files, in which order, with which book metadata.

Authors' books and long papers come in chapter files, laid out by the tool they wrote
them for. Each layout is read as that tool reads it:

- several files named together (`typeset a.md b.md c.md`, or `manuscript:` as a list in
  typeset.yaml): concatenated in order, as `pandoc a.md b.md c.md` does; each file's front
  matter is merged into the document's, a later file's value of a key replacing an
  earlier one's (pandoc 3's rule for several metadata blocks);
- a Quarto book: a folder whose `_quarto.yml` says `project: type: book`; its chapters are
  `book: chapters:` (a file, or `part: "Title"` / `part: file.qmd` with `chapters:` under
  it) then `book: appendices:`; `book:` `title`, `subtitle`, `author`, `date`... and the
  file's top-level keys (`bibliography`, `csl`, `lang`, `crossref`...) are the book's front
  matter; chapters are numbered (Quarto's default for books) unless `number-sections` says
  otherwise;
- a Manubot manuscript: a folder `content/` whose `[0-9]*.md` files are taken in name order
  (Manubot's `get_text`), with `content/metadata.yaml` as the front matter and
  `content/manual-references.json` as the bibliography unless it names one;
- a bookdown book: `_bookdown.yml`'s `rmd_files:` (a list, or `latex:`/`html:` lists),
  else every `.Rmd`/`.md` file of the folder in name order with `index` first, as bookdown
  does; files starting with `_` are left out.

This module imports only the standard library and PyYAML: the command line settles what
a folder holds before its up-to-date check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typeset.errors import ManuscriptError

if TYPE_CHECKING:
    from typeset.confine import Roots

QUARTO_FILES = ("_quarto.yml", "_quarto.yaml")
BOOKDOWN_FILE = "_bookdown.yml"
MANUBOT_FOLDER = "content"
MANUBOT_METADATA = "metadata.yaml"
CHAPTER_SUFFIXES = (".md", ".markdown", ".qmd", ".rmd")

# The `book:` keys that describe the work (Quarto's book options); the rest (chapters,
# navigation, sharing, repository links) steer Quarto's website.
QUARTO_BOOK_METADATA = (
    "title",
    "subtitle",
    "author",
    "authors",
    "date",
    "date-format",
    "abstract",
    "description",
    "keywords",
    "doi",
    "isbn",
    "publisher",
    "rights",
    "license",
    "copyright",
    "lang",
    "cover-image",
)


@dataclass(frozen=True)
class Chapter:
    """One file of a book, in reading order."""

    path: Path
    part: str = ""  # a part title that opens before this chapter (`part: "Title"`)
    part_file: bool = False  # this file is a part's own page (`part: file.qmd`)
    appendix: bool = False  # the first appendix: this chapter and those after are lettered


@dataclass(frozen=True)
class Book:
    """A manuscript in several files."""

    kind: str  # "files", "quarto", "manubot" or "bookdown"
    folder: Path  # the book's own folder: its images and metadata are relative to it
    name: str  # the stem of its outputs
    chapters: tuple[Chapter, ...]
    # The book-level front matter (from _quarto.yml, metadata.yaml), lowest precedence:
    # a chapter's own front matter and the config's `metadata` are merged over it.
    metadata: Mapping[str, Any] = field(default_factory=dict)
    metadata_file: Path | None = None
    metadata_lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file the book's layout is read from: chapters and project files."""
        project_files = [self.metadata_file] if self.metadata_file else []
        return (*(chapter.path for chapter in self.chapters), *project_files)


def book_kind(folder: Path) -> str | None:
    """What kind of book `folder` holds, or None when it is no book."""
    if not folder.is_dir():
        return None
    for name in QUARTO_FILES:
        if (folder / name).is_file() and _quarto_type(folder / name) == "book":
            return "quarto"
    if (folder / BOOKDOWN_FILE).is_file():
        return "bookdown"
    content = folder / MANUBOT_FOLDER
    if content.is_dir() and (
        (content / MANUBOT_METADATA).is_file() or any(content.glob("[0-9]*.md"))
    ):
        return "manubot"
    return None


def quarto_article(folder: Path) -> Path | None:
    """The article of a Quarto manuscript project (`project: type: manuscript`):
    `manuscript: article:`, index.qmd by default; None for any other folder."""
    if not folder.is_dir():
        return None
    for name in QUARTO_FILES:
        if (folder / name).is_file() and _quarto_type(folder / name) == "manuscript":
            document, _lines = _yaml_file(folder / name, quiet=True)
            manuscript = document.get("manuscript")
            article = manuscript.get("article") if isinstance(manuscript, Mapping) else None
            path = folder / (str(article) if article else "index.qmd")
            return path if path.is_file() else None
    return None


def book_of(manuscript: Path, more: Sequence[Path] = ()) -> Book | None:
    """The book `manuscript` (a file or a book's folder) and `more` files make, or None
    for one Markdown file."""
    if manuscript.is_dir():
        if more:
            raise ManuscriptError(
                "a book's folder and more files were named together",
                path=manuscript,
                hint="name the folder alone, or the chapter files alone",
            )
        return _folder_book(manuscript)
    if not more:
        return None
    chapters = tuple(Chapter(path) for path in (manuscript, *more))
    return Book("files", manuscript.parent, manuscript.stem, chapters)


def _folder_book(folder: Path) -> Book:
    kind = book_kind(folder)
    if kind == "quarto":
        return _quarto_book(folder)
    if kind == "manubot":
        return _manubot_book(folder)
    if kind == "bookdown":
        return _bookdown_book(folder)
    raise ManuscriptError(
        "the manuscript is a folder, and not a book typeset knows",
        path=folder,
        hint="name the Markdown file itself (`typeset paper.md`), or a folder holding a "
        "Quarto book (_quarto.yml with `project: type: book`), a Manubot `content/` or a "
        "bookdown `_bookdown.yml`",
    )


# --- Quarto ---------------------------------------------------------------------------


def _quarto_type(path: Path) -> str:
    document, _lines = _yaml_file(path, quiet=True)
    project = document.get("project")
    return str(project.get("type", "")) if isinstance(project, Mapping) else ""


def _quarto_book(folder: Path) -> Book:
    path = next(folder / name for name in QUARTO_FILES if (folder / name).is_file())
    document, lines = _yaml_file(path)
    book = document.get("book")
    if not isinstance(book, Mapping):
        raise ManuscriptError(
            "_quarto.yml has `project: type: book` but no `book:` section",
            path=path,
            line=lines.get("project"),
            hint="list the chapters under `book: chapters:`",
        )
    chapters = _quarto_chapters(book.get("chapters"), folder, path, lines, "book.chapters")
    appendices = _quarto_chapters(book.get("appendices"), folder, path, lines, "book.appendices")
    if appendices:
        first = appendices[0]
        appendices[0] = Chapter(first.path, first.part, first.part_file, appendix=True)
    if not chapters:
        raise ManuscriptError(
            "the Quarto book lists no chapters",
            path=path,
            line=lines.get("book"),
            hint="list the chapter files under `book: chapters:` (index.qmd first)",
        )
    metadata: dict[str, Any] = {
        key: value
        for key, value in document.items()
        if key not in ("project", "book", "format", "website")
    }
    metadata_lines = {key: lines[key] for key in metadata if key in lines}
    for key in QUARTO_BOOK_METADATA:
        if key in book:
            metadata[key] = book[key]
            metadata_lines[key] = lines.get(f"book.{key}", lines.get("book", 1))
    metadata.setdefault("number-sections", True)  # Quarto numbers a book's chapters
    # ... and its figures, tables and equations within each chapter: "Figure 2.1"
    crossref = metadata.get("crossref")
    metadata["crossref"] = {"chapters": True, **(crossref if isinstance(crossref, Mapping) else {})}
    output_file = book.get("output-file")
    name = Path(str(output_file)).stem if isinstance(output_file, str) and output_file else ""
    return Book(
        "quarto",
        folder,
        name or _folder_name(folder),
        tuple([*chapters, *appendices]),
        metadata,
        path,
        metadata_lines,
    )


def _quarto_chapters(
    entries: Any, folder: Path, config: Path, lines: Mapping[str, int], key: str
) -> list[Chapter]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ManuscriptError(
            f"`{key}` must be a list of files",
            path=config,
            line=lines.get(key),
            hint="write one `- file.qmd` line per chapter",
        )
    chapters: list[Chapter] = []
    for entry in entries:
        if isinstance(entry, str):
            chapters.append(Chapter(_chapter_file(folder, entry, config, lines.get(key))))
        elif isinstance(entry, Mapping) and "part" in entry:
            part = str(entry["part"])
            inner = _quarto_chapters(entry.get("chapters") or [], folder, config, lines, key)
            if Path(part).suffix.lower() in CHAPTER_SUFFIXES:
                chapters.append(
                    Chapter(_chapter_file(folder, part, config, lines.get(key)), "", True)
                )
                chapters.extend(inner)
            elif inner:
                first = inner[0]
                chapters.append(Chapter(first.path, part))
                chapters.extend(inner[1:])
        elif isinstance(entry, Mapping) and "href" in entry:  # `- href: file.qmd`
            chapters.append(Chapter(_chapter_file(folder, str(entry["href"]), config, None)))
        else:
            raise ManuscriptError(
                f"`{key}` holds an entry typeset cannot read: {entry!r}"[:200],
                path=config,
                line=lines.get(key),
                hint="each entry is a file name, or `part:` with `chapters:` under it",
            )
    return chapters


# --- Manubot --------------------------------------------------------------------------


def _manubot_book(folder: Path) -> Book:
    content = folder / MANUBOT_FOLDER
    chapters = tuple(Chapter(path) for path in sorted(content.glob("[0-9]*.md")))
    if not chapters:
        raise ManuscriptError(
            "the Manubot folder content/ holds no numbered Markdown files",
            path=content,
            hint="name the sections 00.front-matter.md, 01.abstract.md, ... as Manubot does",
        )
    metadata_file = content / MANUBOT_METADATA
    metadata: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if metadata_file.is_file():
        metadata, lines = _yaml_file(metadata_file)
    # Manubot's own bibliography of works it cannot look up by identifier
    manual = [path.name for path in sorted(content.glob("manual-references*.json"))]
    if "bibliography" not in metadata and manual:
        metadata["bibliography"] = manual
    return Book(
        "manubot",
        content,
        _folder_name(folder),
        chapters,
        metadata,
        metadata_file if metadata_file.is_file() else None,
        {key: line for key, line in lines.items() if "." not in key},
    )


# --- bookdown -------------------------------------------------------------------------


def _bookdown_book(folder: Path) -> Book:
    path = folder / BOOKDOWN_FILE
    document, lines = _yaml_file(path)
    listed = document.get("rmd_files")
    if isinstance(listed, Mapping):  # per-format lists: the print one
        listed = listed.get("latex") or listed.get("html")
    if isinstance(listed, list):
        files = [_chapter_file(folder, str(name), path, lines.get("rmd_files")) for name in listed]
    else:
        found = [
            item
            for item in sorted(folder.iterdir())
            if item.suffix.lower() in (".rmd", ".md")
            and not item.name.startswith("_")
            and item.name.lower() != "readme.md"
        ]
        files = sorted(found, key=lambda item: item.stem.lower() != "index")
    if not files:
        raise ManuscriptError(
            "the bookdown book has no chapter files",
            path=path,
            hint="list them under `rmd_files:`",
        )
    name = document.get("book_filename")
    return Book(
        "bookdown",
        folder,
        str(name) if isinstance(name, str) and name.strip() else _folder_name(folder),
        tuple(Chapter(file) for file in files),
    )


# --- shared ---------------------------------------------------------------------------


def _folder_name(folder: Path) -> str:
    name = folder.resolve().name
    return name or "book"


def _chapter_file(folder: Path, name: str, config: Path, line: int | None) -> Path:
    path = folder / name
    if path.suffix.lower() not in CHAPTER_SUFFIXES:
        raise ManuscriptError(
            f"the chapter {name!r} is not a Markdown file ({', '.join(CHAPTER_SUFFIXES)})",
            path=config,
            line=line,
            hint="a .ipynb chapter: render it to Markdown first (quarto convert)",
        )
    if not path.is_file():
        raise ManuscriptError(
            f"the chapter {name!r} does not exist",
            path=config,
            line=line,
            hint=f"fix the file name (it is relative to {folder})",
        )
    return path


def _yaml_file(path: Path, *, quiet: bool = False) -> tuple[dict[str, Any], dict[str, int]]:
    """A book's YAML file and the line of each key (dotted for nested keys)."""
    import yaml

    from typeset.confine import Roots
    from typeset.limits import MAX_CONFIG_BYTES, bounded_yaml, read_input

    try:
        raw = read_input(
            path,
            # checked on the opened file: a link out of the book's folder is refused
            roots=Roots.of(untrusted=[path.parent]),
            what="book file",
            error=ManuscriptError,
            max_bytes=MAX_CONFIG_BYTES,
            hint="",
        )
        text = raw.decode("utf-8-sig")
        value = bounded_yaml(text, path, ManuscriptError)
        root = yaml.compose(text)
    except (ManuscriptError, UnicodeDecodeError, yaml.YAMLError, ValueError) as error:
        if quiet:
            return {}, {}
        mark = getattr(error, "problem_mark", None)
        raise ManuscriptError(
            f"cannot read {path.name}: {getattr(error, 'message', None) or error}"[:300],
            path=path,
            line=mark.line + 1 if mark else None,
            hint="fix the YAML at that line (indentation, colons, quotes)",
        ) from None
    if value is None:
        return {}, {}
    if not isinstance(value, dict):
        if quiet:
            return {}, {}
        raise ManuscriptError(
            f"{path.name} is not a mapping of keys",
            path=path,
            line=1,
            hint="write `key: value` lines",
        )
    return value, _key_lines(root)


def _key_lines(node: Any, prefix: str = "") -> dict[str, int]:
    import yaml

    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            dotted = f"{prefix}{key_node.value}"
            lines[dotted] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, dotted + "."))
    return lines


# A footnote's definition, `[^label]:` at the start of a line.
NOTE_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:")


def front_matter_layers(
    manuscript: Path, more: Sequence[Path] = (), roots: Roots | None = None
) -> list[tuple[Path, Mapping[str, Any], Mapping[str, int]]]:
    """The front matters of a manuscript, in the order pandoc merges them (a later key
    wins): (file, values, line of each key). One file: its own; a book: its metadata file
    (_quarto.yml, metadata.yaml), then each chapter's leading block."""
    from typeset.frontmatter import leading_front_matter

    book = book_of(manuscript, more) if manuscript.is_dir() or more else None
    if book is None:
        front_matter = leading_front_matter(manuscript, roots)
        return [(manuscript, front_matter.values, front_matter.lines)]
    layers: list[tuple[Path, Mapping[str, Any], Mapping[str, int]]] = []
    if book.metadata_file is not None:
        layers.append((book.metadata_file, book.metadata, book.metadata_lines))
    for chapter in book.chapters:
        # read inside the same roots as the first file: a chapter elsewhere is refused
        # by the manuscript's own read (typeset/confine.py)
        front_matter = leading_front_matter(chapter.path, roots)
        if front_matter.values:
            layers.append((chapter.path, front_matter.values, front_matter.lines))
    return layers


def manuscript_folder(manuscript: Path) -> Path:
    """The folder a manuscript's own files are in: a book's folder, or the file's."""
    return manuscript if manuscript.is_dir() else manuscript.parent
