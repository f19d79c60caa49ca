"""What a pandoc or Quarto user writes in the front matter, read as they mean it.

Options. A pandoc user turns on a table of contents with `toc: true` in the front matter,
not in a config file. Every such option the project supports is declared once in
FRONT_MATTER_OPTIONS (front-matter key -> config option), and `load_config` reads them as
the lowest layer above the defaults. The precedence, highest first, is:

    command line > profile > config file (typeset.yaml) > front matter > defaults

so a journal's profile can still impose its format on any manuscript. Files the front
matter names (`bibliography`, `csl`) are relative to the manuscript, as in pandoc and
Quarto, and must lie inside the project folder.

Generated words. The contents and abstract titles the writers print come from
typeset/locale.py in the document's language, unless the front matter sets them
(`toc-title`, `abstract-title`, as in pandoc).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from typeset import ast
from typeset.confine import Roots
from typeset.dates import parse_date
from typeset.errors import ManuscriptError, TypesetError
from typeset.limits import MAX_MANUSCRIPT_BYTES, bounded_yaml, read_input
from typeset.locale import term
from typeset.names import CONFIG_NAME

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontMatterOption:
    """A front-matter key that sets a config option; `to_config` maps pandoc's spelling."""

    option: str
    to_config: Callable[[Any], Any] = lambda value: value


def _style(value: Any) -> Any:
    """`csl:` is a file or a style's Zotero address; the address names a catalogued style."""
    if isinstance(value, str):
        for prefix in ("https://www.zotero.org/styles/", "http://www.zotero.org/styles/"):
            if value.startswith(prefix):
                return value.removeprefix(prefix).removesuffix(".csl")
    return value


def _paper(value: Any) -> Any:
    """pandoc's `papersize` accepts a4, A4, a4paper, letter, letterpaper."""
    return value.lower().removesuffix("paper") if isinstance(value, str) else value


def _class_columns(value: Any) -> Any:
    """LaTeX's `classoption: twocolumn` (a string or a list of options) -> 2 columns."""
    options = value if isinstance(value, list) else str(value).split(",")
    return 2 if any(str(option).strip() == "twocolumn" for option in options) else 1


GEOMETRY_SIDES = ("top", "right", "bottom", "left")


def _geometry_margins(value: Any) -> Any:
    """pandoc's and Quarto's `geometry` (LaTeX geometry options: `margin=1in`, or a list
    like `[top=30mm, left=20mm]`) -> the CSS margins shorthand; sides left unset keep
    the default's."""
    from typeset.options import OPTIONS

    options = value if isinstance(value, list) else str(value).split(",")
    sides = dict(zip(GEOMETRY_SIDES, _four(str(OPTIONS["margins"].default).split()), strict=True))
    for option in options:
        name, _, length = str(option).partition("=")
        name, length = name.strip(), length.strip()
        if name == "margin":
            sides = dict.fromkeys(GEOMETRY_SIDES, length)
        elif name in ("hmargin", "vmargin"):
            for side in ("left", "right") if name == "hmargin" else ("top", "bottom"):
                sides[side] = length
        elif name in GEOMETRY_SIDES:
            sides[name] = length
        elif name in ("inner", "outer"):
            sides["left" if name == "inner" else "right"] = length
    return " ".join(sides[side] for side in GEOMETRY_SIDES)


def _four(parts: list[str]) -> list[str]:
    """CSS shorthand of one to four values as top, right, bottom, left."""
    top = parts[0]
    right = parts[1] if len(parts) > 1 else top
    bottom = parts[2] if len(parts) > 2 else top
    left = parts[3] if len(parts) > 3 else right
    return [top, right, bottom, left]


# front-matter key (pandoc/Quarto spelling) -> the config option it sets. Keys pandoc
# itself reads from the metadata (`reference-section-title`, `toc-title`,
# `abstract-title`, `lang`, `nocite`) need no entry: they reach pandoc as they are.
# `link-citations` reaches the citation engines as pandoc's (default: off).
FRONT_MATTER_OPTIONS: Final[dict[str, FrontMatterOption]] = {
    "toc": FrontMatterOption("toc"),
    "table-of-contents": FrontMatterOption("toc"),
    "toc-depth": FrontMatterOption("toc_depth"),
    "number-sections": FrontMatterOption("number_sections"),
    "papersize": FrontMatterOption("paper", _paper),
    "bibliography": FrontMatterOption("bibliography"),
    "csl": FrontMatterOption("style", _style),
    "geometry": FrontMatterOption("margins", _geometry_margins),
    "fontsize": FrontMatterOption("font_size"),
    "linestretch": FrontMatterOption("line_stretch"),
    "mainfont": FrontMatterOption("main_font"),
    "classoption": FrontMatterOption("columns", _class_columns),
    "line_numbers": FrontMatterOption("line_numbers"),
    "double_spacing": FrontMatterOption("double_spacing"),
}


_PRINT_CSS = "the PDF's type, spacing and colours come from styles/print.css (a copy in the "
_PRINT_CSS += "project's styles/ replaces the shipped one)"
_NO_CODE = "typeset runs no code: render the computed results first (e.g. `quarto render --to md`)"
_CITEPROC = "citations are always formatted by CSL (`engine` picks pandoc's or citeproc-py)"
_LATEX = "LaTeX only: typeset makes its PDF with WeasyPrint"

# Keys pandoc or Quarto users write that this tool does not act on, and what to do instead:
# the build goes on without them and says so, naming the manuscript line (docs/front-matter.md
# lists these with every key that is used).
_NOT_ACTED_ON_ANYWHERE: Final[dict[str, str]] = {
    "geometry": f"set the PDF margins with `margins` in {CONFIG_NAME}",
    **{
        key: f"set the PDF margins with `margins` in {CONFIG_NAME}"
        for key in ("margin-left", "margin-right", "margin-top", "margin-bottom")
    },
    **{
        key: _PRINT_CSS
        for key in (
            "fontsize",
            "fontfamily",
            "mainfont",
            "sansfont",
            "monofont",
            "mathfont",
            "CJKmainfont",
            "linestretch",
            "colorlinks",
            "linkcolor",
            "urlcolor",
            "citecolor",
            "toccolor",
        )
    },
    **{key: _LATEX for key in ("documentclass", "classoption", "pdf-engine", "include-in-header")},
    "format": f"Quarto's per-format options: use {CONFIG_NAME}'s options and profiles, and --to",
    **{key: _NO_CODE for key in ("execute", "jupyter", "knitr", "engine")},
    "filters": "typeset runs no pandoc filters or Lua code",
    **{key: _CITEPROC for key in ("citeproc", "cite-method", "natbib", "biblatex", "biblio-style")},
}
# A key the build acts on (FRONT_MATTER_OPTIONS: `geometry`, `fontsize`, `mainfont`...) is
# never also reported as not acted on.
NOT_ACTED_ON: Final[dict[str, str]] = {
    key: why for key, why in _NOT_ACTED_ON_ANYWHERE.items() if key not in FRONT_MATTER_OPTIONS
}


def warn_about_keys_not_acted_on(
    meta: Mapping[str, Any], where: Callable[[str], tuple[Path, int | None]]
) -> None:
    """One warning per front-matter key in NOT_ACTED_ON, with its file, line and what to
    do (`where` finds the file and line that hold a text)."""
    for key in meta:
        if key in NOT_ACTED_ON:
            path, line = where(f"{key}:")
            log.warning("%s:%s: '%s' is not used (%s)", path, line or "?", key, NOT_ACTED_ON[key])


@dataclass(frozen=True)
class FrontMatter:
    """The leading YAML block of a manuscript: its values and each key's file line."""

    values: Mapping[str, Any]
    lines: Mapping[str, int]


_LEADING_BLOCK = re.compile(r"\A\ufeff?---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*$", re.S | re.M)


def leading_front_matter(path: Path, roots: Roots | None = None) -> FrontMatter:
    """The manuscript's first YAML block, read without pandoc (empty when unreadable).

    The config is settled before pandoc parses the manuscript, and the bibliography is
    converted while it does; pandoc's own parse stays the authority for the document.
    Both ask for it: the file is read once per version of it (path, size, mtime). Like
    every read, it stays inside `roots` (by default the manuscript's own folder).
    """
    try:
        status = path.stat()
    except (OSError, ValueError):
        return FrontMatter({}, {})
    roots = roots or Roots.of(untrusted=[path.parent])
    return _front_matter_of(path, status.st_size, status.st_mtime_ns, roots)


@functools.lru_cache(maxsize=8)
def _front_matter_of(path: Path, size: int, mtime_ns: int, roots: Roots) -> FrontMatter:
    # Whatever is wrong with the file (a pipe, too large, not UTF-8, an alias bomb) is
    # reported by the manuscript's own read; here it only means "no options".
    try:
        raw = read_input(
            path,
            roots=roots,
            what="manuscript",
            error=ManuscriptError,
            max_bytes=MAX_MANUSCRIPT_BYTES,
            hint="",
        )
        text = raw.decode("utf-8-sig")
    except (TypesetError, UnicodeDecodeError):
        return FrontMatter({}, {})
    match = _LEADING_BLOCK.match(text)
    if not match or not match.group(1):
        return FrontMatter({}, {})
    try:
        values = bounded_yaml(match.group(1), path, ManuscriptError, first_line=2)
        root = yaml.compose(match.group(1))
    except (TypesetError, yaml.YAMLError, ValueError, RecursionError):
        return FrontMatter({}, {})  # pandoc's parse reports it, with the line
    if not isinstance(values, dict) or not isinstance(root, yaml.MappingNode):
        return FrontMatter({}, {})
    # +2: the block starts after the opening '---' on line 1
    lines = {str(key.value): key.start_mark.line + 2 for key, _ in root.value}
    return FrontMatter(values, lines)


def declared_language(path: Path, metadata: Mapping[str, Any] | None = None) -> str:
    """The `lang` the config's metadata or the manuscript's front matter declares, or ''."""
    if metadata and metadata.get("lang"):
        return str(metadata["lang"])
    lang = leading_front_matter(path).values.get("lang")
    return str(lang) if lang else ""


def warn_about_unreadable_date(meta: Mapping[str, Any], path: Path, line: int | None) -> None:
    """A `date` no reader can turn into a calendar date is left out of the EPUB: say so."""
    if "date" not in meta:
        return
    text = ast.plain_text(meta["date"])
    if parse_date(text, ast.plain_text(meta.get("lang"))) is None:
        log.warning(
            "%s:%s: cannot read the date %r (write it as 2025-03-14, '14 March 2025' or "
            "'March 2025'); the EPUB gets no publication date from it",
            path,
            line or "?",
            text,
        )


def with_generated_words(meta: Mapping[str, Any]) -> dict[str, Any]:
    """`meta` with the contents and abstract titles in the document's language."""
    lang = ast.plain_text(meta.get("lang"))
    completed = dict(meta)
    completed.setdefault("toc-title", ast.meta_value(term(lang, "contents")))
    completed.setdefault("abstract-title", ast.meta_value(term(lang, "abstract")))
    return completed
