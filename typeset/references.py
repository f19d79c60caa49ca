"""Read the bibliography once into CSL items.

pandoc reads BibTeX better than anything else in Python (LaTeX accents, braces, name
particles), so it converts the .bib to CSL-JSON once; every citation engine then works
from the same list of items.

Two facts of that conversion depend on the document, not the file:

- **Title case.** BibTeX titles are written in title case; CSL wants them stored in
  sentence case, so pandoc's BibTeX reader lower-cases the words of *English* entries
  (CSL applies text-case="title" only to English items, so nothing else needs it). An
  entry's `langid`/`language` says what it is; an entry without one is in the document's
  language, which pandoc's reader takes from LANG when it runs alone (and from the
  document's `lang` under `--citeproc`). The conversion therefore runs with
  LANG=<the document's lang>, so "Die Realität der Massenmedien" in a `de-DE` document
  keeps its capitals, as with pandoc run directly.
- **Case protection.** Braced words (`{eBay}`) become `nocase` spans in pandoc's AST,
  but its csljson writer (pandoc 3.9) drops them. The conversion goes through the AST
  and writes each span as CSL rich text (`<span class="nocase">eBay</span>`), which
  pandoc's citeproc and the citeproc-py engine both honour.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.cache import BuildCache, fingerprint
from typeset.errors import BibliographyError
from typeset.pandoc import PandocFailure, line_of_pandoc_error, pandoc_fingerprint, run_pandoc

CslItem = dict[str, Any]


@dataclass(frozen=True)
class Bibliography:
    """The works a manuscript may cite, as CSL-JSON items keyed by id."""

    source: Path
    items: tuple[CslItem, ...]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(str(item["id"]) for item in self.items)

    def to_csl_json(self) -> bytes:
        return json.dumps(list(self.items), ensure_ascii=False, indent=1).encode()


# A document without `lang` is English, as for pandoc's citeproc (its default locale).
DEFAULT_LANGUAGE = "en-US"
# Bump when the BibTeX -> CSL-JSON conversion changes: cached conversions are keyed by it.
CONVERSION_VERSION = 2


def read_bibliography(
    path: Path, *, lang: str | None = None, cache: BuildCache | None = None
) -> Bibliography:
    """Parse a BibTeX (.bib) or CSL-JSON (.json) file for a document in `lang`."""
    if path.is_dir():
        raise BibliographyError(
            "bibliography path is a folder, not a file",
            path=path,
            hint="pass the .bib file itself with --bibliography",
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BibliographyError(
            "bibliography file not found",
            path=path,
            hint="pass --bibliography FILE or set 'bibliography' in the config",
        ) from None
    except OSError as error:
        raise BibliographyError(f"cannot read bibliography: {error.strerror}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise BibliographyError(
            "bibliography is not UTF-8 text",
            path=path,
            line=line,
            hint='re-save the file as UTF-8 (or write accents as LaTeX, e.g. {\\"u})',
        ) from None
    if path.suffix.lower() == ".json":
        return Bibliography(path, _items_from_csl_json(text, path))
    input_format = "biblatex" if path.suffix.lower() == ".biblatex" else "bibtex"
    _refuse_duplicate_keys(text, path)
    language = lang or DEFAULT_LANGUAGE
    key = fingerprint(text, input_format, language, CONVERSION_VERSION, pandoc_fingerprint())
    cached = cache.get_json("bibliography", key) if cache else None
    if cached is not None:
        return Bibliography(path, tuple(cached))
    try:
        parsed = run_pandoc(
            ["--from", input_format, "--to", "json"],
            text.encode(),
            environment={"LANG": language},
        )
    except PandocFailure as failure:
        raise _syntax_error(text, path, failure.stderr) from None
    csl_json = run_pandoc(
        ["--from", "json", "--to", "csljson"],
        json.dumps(ast.transform(json.loads(parsed), _nocase_as_rich_text)).encode(),
    )
    bibliography = Bibliography(path, _items_from_csl_json(csl_json.decode(), path))
    if cache:
        cache.put_json("bibliography", key, list(bibliography.items))
    return bibliography


def _nocase_as_rich_text(node: ast.Node) -> ast.Node | None:
    """A nocase span as the CSL rich-text markup the csljson writer passes through."""
    if node["t"] != "Span" or "nocase" not in node["c"][0][1]:
        return None
    opening = {"t": "Str", "c": '<span class="nocase">'}
    closing = {"t": "Str", "c": "</span>"}
    return {"t": "Span", "c": [["", [], []], [opening, *node["c"][1], closing]]}


# An entry's opening: `@type{key,` (BibTeX also allows parentheses).
ENTRY_START = re.compile(r"^[ \t]*@([A-Za-z]+)[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.MULTILINE)


def entry_lines(text: str) -> dict[str, list[tuple[str, int]]]:
    """Each key's entries as (type, line number), in file order."""
    found: dict[str, list[tuple[str, int]]] = {}
    for match in ENTRY_START.finditer(text):
        kind = match.group(1).lower()
        if kind in ("string", "preamble", "comment"):
            continue
        line = text.count("\n", 0, match.start()) + 1
        found.setdefault(match.group(2), []).append((kind, line))
    return found


def _refuse_duplicate_keys(text: str, path: Path) -> None:
    """pandoc silently keeps one of two entries with the same key; which one is luck."""
    for key, entries in entry_lines(text).items():
        if len(entries) > 1:
            lines = ", ".join(str(line) for _, line in entries)
            raise BibliographyError(
                f"duplicate key '{key}' (entries at lines {lines})",
                path=path,
                line=entries[1][1],
                hint="give each entry its own key, or delete the duplicate",
            )


def _syntax_error(text: str, path: Path, stderr: str) -> BibliographyError:
    """Point at the entry at fault, not where pandoc's parser gave up.

    pandoc reports the position where parsing failed: often the '@' of the *next* entry,
    or past the end of the file when an entry is never closed. The entry at fault is the
    last one that starts before that position.
    """
    reported = line_of_pandoc_error(stderr)
    starts = sorted(
        (line, key) for key, entries in entry_lines(text).items() for _, line in entries
    )
    last_line = text.count("\n") + 1
    problem = _first_message(stderr)
    if reported is None or not starts:
        return BibliographyError(
            f"BibTeX syntax error: {problem}",
            path=path,
            line=min(reported, last_line) if reported else None,
            hint="check that line for a missing brace, comma or quote",
        )
    gave_up_at_next_entry = reported > last_line or any(line == reported for line, _ in starts)
    if gave_up_at_next_entry:
        # The entry before never closed: point at its start, where the reader can look.
        before = [(line, key) for line, key in starts if line < reported]
        if before:
            line, key = before[-1]
            return BibliographyError(
                f"BibTeX syntax error: the entry '{key}' is not closed ({problem})",
                path=path,
                line=line,
                hint="check that entry for an unclosed brace or a stray quote",
            )
    within = [(line, key) for line, key in starts if line <= reported]
    entry = f" in the entry '{within[-1][1]}'" if within else ""
    return BibliographyError(
        f"BibTeX syntax error{entry} ({problem})",
        path=path,
        line=min(reported, last_line),
        hint="check that line for a missing comma, brace or quote",
    )


def _first_message(stderr: str) -> str:
    """pandoc's own words, without its quotation of the source (which may be huge)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = [line for line in lines if not line.startswith("Error at")]
    message = detail[0] if detail else (lines[0] if lines else "unreadable")
    return message if len(message) <= 120 else message[:117] + "..."


def _items_from_csl_json(text: str, path: Path) -> tuple[CslItem, ...]:
    try:
        items = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as error:
        raise BibliographyError(
            f"CSL-JSON syntax error: {error.msg}",
            path=path,
            line=error.lineno,
            hint="fix the JSON at that line (a missing comma, bracket or quote)",
        ) from None
    except (ValueError, RecursionError) as error:  # absurd numbers or nesting depth
        raise BibliographyError(
            f"CSL-JSON cannot be read: {str(error)[:120]}",
            path=path,
            hint="export the bibliography again from your reference manager",
        ) from None
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and "id" in item for item in items
    ):
        raise BibliographyError(
            "CSL-JSON bibliography must be a list of items, each with an 'id'",
            path=path,
            hint="export it again as CSL-JSON (a list of items), or use the .bib file",
        )
    return tuple(items)
