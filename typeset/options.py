"""Every build option, declared once: its name, meaning, default, how a raw value becomes
typed (and is checked), and, for some, the command-line flag that sets it.

Everything else is made from OPTIONS: typeset/config.py reads typeset.yaml, its profiles,
the front matter and the flags through the converters, and names the option's doc in its
errors; typeset/cli.py makes its option flags and the defaults its --help lists; the
README's option table is checked against it (tests/test_config.py). `Config`
(typeset/config.py) repeats only each option's name and type, for mypy, and checks at
import that its fields and OPTIONS name the same options.

Why a dict of records rather than `Config` fields carrying all this in their `metadata`
(so that mypy would check each converter against its field's type): a default here is
the value as written, a path not yet anchored in a project folder, so `Config` has none
and only load_config() makes one, with every value given; a test checks that each
converter makes the type its field declares. And the command line reads this module at
every start, the "nothing changed" path too: building the Config dataclass costs ~1.5 ms
there, these records next to nothing. For the same reason this module imports only the
standard library, the names and the registries (names as strings); the one heavy helper
of a converter (typeset/limits.py) is imported on use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from typeset.citations import engine_names
from typeset.formats import format_names
from typeset.names import OUTPUT_FOLDER, PAPER_SIZES, PDF_VARIANTS, STYLES_FOLDER

# The registries in typeset/formats/__init__.py and typeset/citations/__init__.py.
FORMATS = format_names()
ENGINES = engine_names()


class InvalidValue(ValueError):
    """Raised by converters; the loader (typeset/config.py) adds file and line."""


Converter = Callable[[Any, str], Any]


# NamedTuples and plain classes, not frozen dataclasses: each of those costs a few tenths
# of a millisecond to create, at every start of the command line.


class Flag(NamedTuple):
    """The command-line flag that sets an option, over the config and the profile."""

    name: str  # e.g. "--to"; its value reaches the option's converter as typed
    metavar: str | None = None
    repeated: bool = False  # one value per use: `--bibliography a.bib --bibliography b.json`
    note: str = ""  # what the help adds to the option's doc about the flag's form


class Option(NamedTuple):
    """One config key: what it means, its default, how a raw value becomes typed."""

    doc: str
    default: Any  # as written in typeset.yaml: converted, and paths anchored, on loading
    convert: Converter
    flag: Flag | None = None

    def choices(self) -> tuple[str, ...]:
        """The values it is drawn from, read now (a format registered after import counts
        too); empty for an option of free values."""
        return self.convert.allowed() if isinstance(self.convert, (OneOf, ListOf)) else ()


# --- converters: raw YAML (or flag, or front-matter) value -> typed value ----------------------


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"'{key}' must be a non-empty string, not {value!r}")
    return value.strip()


def _path(value: Any, key: str) -> Path:
    return Path(_text(str(value) if isinstance(value, Path) else value, key))


def _manuscripts(value: Any, key: str) -> Path | tuple[Path, ...]:
    """One Markdown file or book folder, or a list of files read as one manuscript."""
    if isinstance(value, (list, tuple)):
        return _paths(value, key) if len(value) > 1 else _paths(value, key)[0]
    return _path(value, key)


def _paths(value: Any, key: str) -> tuple[Path, ...]:
    """One path or a list of them (pandoc's `bibliography: [a.bib, b.json]`)."""
    if isinstance(value, (str, Path)):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidValue(f"'{key}' must be a file name or a list of file names, not {value!r}")
    return tuple(dict.fromkeys(_path(item, key) for item in value))


def _optional_path(value: Any, key: str) -> Path | None:
    return None if value is None else _path(value, key)


class OneOf:
    """One of the `allowed()` values (the command line offers them as its choices)."""

    def __init__(self, allowed: Callable[[], tuple[str, ...]]) -> None:
        self.allowed = allowed

    def __call__(self, value: Any, key: str) -> str:
        allowed = self.allowed()
        text = str(value).strip().lower() if isinstance(value, str) else value
        if text not in allowed:
            raise InvalidValue(f"'{key}' is {value!r}; allowed values: {', '.join(allowed)}")
        return str(text)


def _one_of(*allowed: str) -> OneOf:
    return OneOf(lambda: allowed)


class ListOf:
    """A list drawn from the `allowed()` values, or the same as comma-separated text (as
    the command line gives it); repeats are dropped, the order kept."""

    def __init__(self, allowed: Callable[[], tuple[str, ...]], item: str) -> None:
        self.allowed = allowed
        self.item = item  # what one value is, for the error: "format"

    def __call__(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        known = self.allowed()
        if not isinstance(value, list) or not value:
            raise InvalidValue(f"'{key}' must be a list drawn from {', '.join(known)}")
        unknown = [item for item in value if item not in known]
        if unknown:
            raise InvalidValue(
                f"unknown {self.item} {unknown[0]!r} in '{key}'; allowed: {', '.join(known)}"
            )
        return tuple(dict.fromkeys(value))


_CSS_LENGTH = r"0|\d+(\.\d+)?(mm|cm|in|pt|pc|px)"  # compiled (and cached) by re on first use


def _css_lengths(value: Any, key: str) -> str:
    from typeset.limits import absurd_css_length  # imports YAML: not at the CLI's start

    parts = str(value).split()
    if (
        not 1 <= len(parts) <= 4
        or not all(re.fullmatch(_CSS_LENGTH, part) for part in parts)
        or absurd_css_length(str(value))
    ):
        raise InvalidValue(
            f"'{key}' must be one to four lengths such as '25mm' or '1in 1.25in', not {value!r}"
        )
    return " ".join(parts)


def _font_size(value: Any, key: str) -> str:
    text = (
        f"{value}pt" if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    )
    if not isinstance(text, str) or not re.match(r"^\d+(\.\d+)?(pt|px)$", text.strip()):
        raise InvalidValue(f"'{key}' must be a size such as '12pt', not {value!r}")
    if not 6 <= float(re.sub(r"[a-z]+$", "", text.strip())) <= 24:
        raise InvalidValue(f"'{key}' must be between 6pt and 24pt, not {value!r}")
    return text.strip()


def _line_stretch(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.8 <= value <= 3:
        raise InvalidValue(f"'{key}' must be a number from 0.8 to 3 (2 is double spacing)")
    return float(value)


def _installed_font(value: Any, key: str) -> str | None:
    """A font family fontconfig knows: WeasyPrint would silently fall back otherwise."""
    if value is None:
        return None
    name = _text(value, key)
    families = installed_font_families()
    if families and name.casefold() not in families:
        raise InvalidValue(
            f"'{key}' is {name!r}, which is not installed; `fc-list : family` lists the "
            "installed families"
        )
    return name


def installed_font_families() -> frozenset[str]:
    """Every family fontconfig lists (casefolded); empty when fc-list is missing."""
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return frozenset()
    listed = subprocess.run(
        [fc_list, ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    return frozenset(
        family.strip().casefold() for line in listed.splitlines() for family in line.split(",")
    )


def _columns(value: Any, key: str) -> int:
    if value not in (1, 2) or isinstance(value, bool):
        raise InvalidValue(f"'{key}' must be 1 or 2, not {value!r}")
    return int(value)


def _optional_style_list(value: Any, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidValue(f"'{key}' must be a list of CSL style names")
    return tuple(value)


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"'{key}' must be true or false, not {value!r}")
    return value


def _heading_depth(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 6:
        raise InvalidValue(f"'{key}' must be a heading level from 1 to 6, not {value!r}")
    return value


def _url_prefixes(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.startswith(("http://", "https://")) for item in value
    ):
        raise InvalidValue(f"'{key}' must be a list of URL prefixes starting with http(s)://")
    return tuple(value)


def _metadata(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidValue(f"'{key}' must be a mapping of front-matter fields")
    # Front-matter field names are text: `1: one` or `true: x` would reach pandoc as
    # numbers and booleans, which no writer (nor the cache's fingerprint) can key on.
    wrong = [name for name in value if not isinstance(name, str)]
    if wrong:
        raise InvalidValue(f"'{key}' field names must be text, not {wrong[0]!r} (quote it)")
    return dict(value)


# --- the options, in the order the help and the error messages list them ----------------------

OPTIONS: dict[str, Option] = {
    "manuscript": Option(
        "Markdown manuscript to build: a file, a list of files read as one (chapters), or "
        "a book's folder (Quarto, Manubot, bookdown).",
        "manuscript/essay.md",
        _manuscripts,
        flag=Flag("--manuscript", note="The same as MANUSCRIPT."),
    ),
    "bibliography": Option(
        "Bibliography file, or a list of them: BibTeX (.bib), BibLaTeX (.biblatex), "
        "CSL-JSON (.json) or CSL-YAML (.yaml, .yml); refs.bib when it exists.",
        "refs.bib",
        _paths,
        flag=Flag(
            "--bibliography",
            repeated=True,
            note="Repeat the flag for several; they replace the config's and the front matter's.",
        ),
    ),
    "style": Option(
        "CSL style: a name (styles/NAME.csl, then the bundled catalog; see --list-styles) "
        "or a path to a .csl file.",
        "chicago-author-date",
        _text,
        flag=Flag("--style"),
    ),
    "formats": Option(
        "Formats to build: a list, or comma-separated text.",
        list(FORMATS),
        ListOf(format_names, "format"),  # read on use: a format registered later counts too
        flag=Flag("--to", metavar="FORMATS"),
    ),
    "output_dir": Option(
        "Folder the outputs are written to.", OUTPUT_FOLDER, _path, flag=Flag("--output-dir")
    ),
    "engine": Option("Citation engine.", "pandoc", OneOf(engine_names), flag=Flag("--engine")),
    "paper": Option("PDF paper size.", "a4", _one_of(*PAPER_SIZES), flag=Flag("--paper")),
    "docx_reference": Option(
        "Reference document whose styles the DOCX uses.",
        f"{STYLES_FOLDER}/reference-finished.docx",
        _path,
    ),
    "margins": Option(
        "PDF page margins as CSS lengths: one to four values (top right bottom left). "
        "The default gives about 70 characters a line on A4 and Letter.",
        "27mm 42mm 32mm",
        _css_lengths,
    ),
    "cover_image": Option(
        "EPUB cover image (PNG or JPEG); a cover is generated from the title when unset.",
        None,
        _optional_path,
    ),
    "pdf_variant": Option(
        "PDF flavour: pdf/ua-1 (tagged, accessible), pdf/a-2b or pdf/a-3u (archival), "
        "tagged, or plain.",
        "pdf/ua-1",
        _one_of(*PDF_VARIANTS),
    ),
    "toc": Option("Add a table of contents.", False, _flag),
    "lof": Option(
        "Add a list of figures (with page numbers in the PDF); front-matter `lof: true` "
        "does the same.",
        False,
        _flag,
    ),
    "lot": Option(
        "Add a list of tables (with page numbers in the PDF); front-matter `lot: true` "
        "does the same.",
        False,
        _flag,
    ),
    "number_sections": Option(
        "Number the headings (1, 1.1, appendices A, A.1) so `@sec-x` prints 'Section 1.1'; "
        "front-matter `number-sections: true` does the same.",
        False,
        _flag,
    ),
    "toc_depth": Option("Heading levels the table of contents lists.", 3, _heading_depth),
    "anonymous": Option(
        "Anonymised review copy: no author names or affiliations in any output.",
        False,
        _flag,
    ),
    "allowed_urls": Option(
        "URL prefixes a build may fetch (images, stylesheets); none by default.",
        [],
        _url_prefixes,
    ),
    "cite_this_work": Option(
        "Write a reference to the manuscript itself in several styles (an HTML page with "
        "copy buttons, text, BibTeX, RIS and CSL-JSON) beside the outputs.",
        False,
        _flag,
    ),
    "cite_this_work_section": Option(
        "Add a 'How to cite this essay' section at the end of the PDF and EPUB.",
        False,
        _flag,
    ),
    "cite_this_work_styles": Option(
        "Styles for the cite-this-work references (default: eight common ones).",
        None,
        _optional_style_list,
    ),
    "missing_citations": Option(
        "A citation key missing from the bibliography: 'error' (no output), or 'warning' "
        "for drafts (the key is printed visibly marked).",
        "error",
        _one_of("error", "warning"),
    ),
    "fail_on_warnings": Option(
        "--check fails on warnings too (for a release or submission profile).",
        False,
        _flag,
    ),
    "typography": Option(
        "--check's typographic preflight of the PDF (typeset/formats/pdf/preflight.py): its "
        "findings are 'warning's, 'error's (a submission profile), or 'off'.",
        "warning",
        _one_of("warning", "error", "off"),
    ),
    "font_size": Option(
        "PDF body text size (front matter `fontsize`, as pandoc's LaTeX).", "11pt", _font_size
    ),
    "line_stretch": Option(
        "PDF line spacing as a multiple of single spacing, 1.2 times the size (front matter "
        "`linestretch`); unset: 1.4 times the size.",
        None,
        _line_stretch,
    ),
    "main_font": Option(
        "PDF text face: an installed font family (front matter `mainfont`).",
        None,
        _installed_font,
    ),
    "columns": Option(
        "PDF text columns: 1, or 2 (front matter `classoption: twocolumn`).", 1, _columns
    ),
    "line_numbers": Option(
        "Number the PDF's lines in the left margin, for a review copy (front matter "
        "`line_numbers`).",
        False,
        _flag,
    ),
    "double_spacing": Option(
        "Double-space the PDF's text, as submission systems ask (front matter `double_spacing`).",
        False,
        _flag,
    ),
    "metadata": Option(
        "Front-matter fields to set or override (author, subtitle, abstract...).",
        {},
        _metadata,
    ),
}
# Options naming files: relative values are anchored where they were written.
PATH_OPTIONS = frozenset(
    name
    for name, option in OPTIONS.items()
    if option.convert in (_path, _optional_path, _paths, _manuscripts)
)
