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
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from typeset import ast
from typeset.bibtex import (
    balanced_end,
    converted_references,
    prepared_for_pandoc,
    with_csl_conventions,
)
from typeset.cache import BuildCache, fingerprint
from typeset.confine import Roots
from typeset.errors import BibliographyError
from typeset.limits import (
    CONTROL_CHARACTER,
    MAX_BIBLIOGRAPHY_BYTES,
    bounded_yaml,
    is_language_tag,
    read_input,
    utf8_text,
    yaml_syntax_error,
)
from typeset.pandoc import PandocFailure, line_of_pandoc_error, pandoc_fingerprint, run_pandoc

log = logging.getLogger(__name__)

CslItem = dict[str, Any]


@dataclass(frozen=True)
class Bibliography:
    """The works a manuscript may cite, as CSL-JSON items keyed by id, read from `files`
    (none for a manuscript that cites nothing)."""

    files: tuple[Path, ...]
    items: tuple[CslItem, ...]
    # Where each key is defined: (file, line), for messages about one entry.
    origins: Mapping[str, tuple[Path, int | None]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Each file's text as read (once, inside the allowed roots), in the order of `files`:
    # a later reader of the BibTeX markup uses it rather than opening the file again.
    texts: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(str(item["id"]) for item in self.items)

    @property
    def source(self) -> Path | None:
        """The first file (where a message about the whole bibliography points)."""
        return self.files[0] if self.files else None

    @property
    def name(self) -> str:
        """The files for a message: `refs.bib`, `refs.bib, more.json`, or `(none)`."""
        return ", ".join(str(path) for path in self.files) or "(no bibliography file)"

    def to_csl_json(self) -> bytes:
        return json.dumps(list(self.items), ensure_ascii=False, indent=1).encode()


# The formats pandoc reads a bibliography in, by extension. `.bib` is read as BibTeX (its
# titles are sentence-cased as BibTeX's convention asks), `.biblatex` as BibLaTeX.
BIBLIOGRAPHY_FORMATS = {
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".biblatex": "biblatex",
    ".json": "csljson",
    ".yaml": "cslyaml",
    ".yml": "cslyaml",
}


def read_bibliographies(
    paths: Sequence[Path],
    *,
    lang: str | None = None,
    cache: BuildCache | None = None,
    draft: bool = False,
    roots: Roots | None = None,
) -> Bibliography:
    """Read every file into one bibliography. A key defined in two files is an error naming
    both (under `draft` a warning, and the first file's entry is kept)."""
    return merged(
        [
            read_bibliography(path, lang=lang, cache=cache, draft=draft, roots=roots)
            for path in paths
        ],
        draft,
    )


def merged(bibliographies: Sequence[Bibliography], draft: bool = False) -> Bibliography:
    """One bibliography of several, in order; a key in two of them is refused (see above)."""
    files: list[Path] = []
    texts: list[str] = []
    items: list[CslItem] = []
    origins: dict[str, tuple[Path, int | None]] = {}
    for one in bibliographies:
        files.extend(one.files)
        texts.extend(one.texts)
        for item in one.items:
            key = str(item["id"])
            source, line = one.origins.get(key, (one.source or Path("?"), None))
            if key in origins:
                first, first_line = origins[key]
                where = f"{first}:{first_line}" if first_line else str(first)
                error = BibliographyError(
                    f"the key '{key}' is defined twice: in {where} and here",
                    path=source,
                    line=line,
                    hint="keep one of the two entries (or rename one key)",
                )
                if not draft:
                    raise error
                log.warning("%s (draft: the entry in %s is used)", error, first)
                continue
            origins[key] = (source, line)
            items.append(item)
    return Bibliography(tuple(files), tuple(items), origins, tuple(texts))


def inline_references(document: Mapping[str, Any], path: Path, line: int | None) -> Bibliography:
    """The works a manuscript lists in its own front matter (`references:`, as pandoc and
    Quarto read them), converted by pandoc's CSL-JSON writer."""
    references = document["meta"].get("references")
    if references is None:
        return Bibliography((), ())
    only_references = {**document, "meta": {"references": references}, "blocks": []}
    try:
        converted = run_pandoc(
            ["--from", "json", "--to", "csljson", "--sandbox"],
            json.dumps(only_references).encode(),
            source=path,
        )
    except PandocFailure as failure:
        raise BibliographyError(
            f"the front matter's references cannot be read: {_first_message(failure.stderr)}",
            path=path,
            line=line,
            hint="give each work an 'id:' and CSL fields (type, title, author, issued)",
        ) from None
    items = _without_duplicate_ids(
        _items_from_csl_json(converted.decode(), path), path, {}, draft=False
    )
    return Bibliography((), items, {str(item["id"]): (path, line) for item in items})


# A document without `lang` is English, as for pandoc's citeproc (its default locale).
DEFAULT_LANGUAGE = "en-US"
# Bump when the BibTeX -> CSL-JSON conversion changes: cached conversions are keyed by it.
CONVERSION_VERSION = 3


def read_bibliography(
    path: Path,
    *,
    lang: str | None = None,
    cache: BuildCache | None = None,
    draft: bool = False,
    roots: Roots | None = None,
) -> Bibliography:
    """Parse one BibTeX, BibLaTeX, CSL-JSON or CSL-YAML file for a document in `lang`.

    Two entries with one key are an error; in a `draft`, a warning naming both lines,
    and the first entry is kept (as pandoc does), so a thesis can still be read.
    """
    input_format = BIBLIOGRAPHY_FORMATS.get(path.suffix.lower())
    if input_format is None:
        raise BibliographyError(
            f"unknown bibliography format '{path.suffix or path.name}'",
            path=path,
            hint="use BibTeX (.bib), BibLaTeX (.biblatex), CSL-JSON (.json) or CSL-YAML (.yaml)",
        )
    raw = read_input(
        path,
        roots=roots,
        what="bibliography",
        error=BibliographyError,
        max_bytes=MAX_BIBLIOGRAPHY_BYTES,
        hint="pass the .bib file itself with --bibliography (or set 'bibliography' in the config)",
    )
    text = utf8_text(
        raw,
        path,
        what="bibliography",
        error=BibliographyError,
        hint='re-save the file as UTF-8 (or write accents as LaTeX, e.g. {\\"u})',
        encoding="utf-8",
    )
    _refuse_control_characters(text, path)
    if input_format == "csljson":
        items = _items_from_csl_json(text, path)
        lines = {str(item["id"]): _line_of_item(text, index) for index, item in enumerate(items)}
        kept = _without_duplicate_ids(items, path, {}, draft=draft)
        return _bibliography(path, kept, lines, text)
    if input_format == "cslyaml":
        items = _items_from_csl_yaml(text, path)
        kept = _without_duplicate_ids(items, path, {}, draft=draft)
        return _bibliography(path, kept, _yaml_id_lines(text), text)
    entries = scan_entries(text)
    _refuse_crossref_cycles(entries, path)
    # The manuscript's read reports a `lang` that is no language tag; LANG gets the default.
    language = lang if lang and is_language_tag(lang) else DEFAULT_LANGUAGE
    key = fingerprint(text, input_format, language, CONVERSION_VERSION, pandoc_fingerprint())
    cached = cache.get_json("bibliography", key) if cache else None
    if cached is not None:
        items = tuple(cached)
    else:
        items = _converted_bibtex(text, path, input_format, language)
        if cache:
            cache.put_json("bibliography", key, list(items))
    # pandoc keeps every entry, duplicates included, and citeproc then silently uses one:
    # the parsed items are the truth about keys (comments and odd layouts included).
    found = entry_lines(text)
    lines = {key: places[0][1] for key, places in found.items()}
    kept = _without_duplicate_ids(items, path, found, draft=draft)
    return _bibliography(path, kept, lines, text)


def _converted_bibtex(
    text: str, path: Path, input_format: str, language: str
) -> tuple[CslItem, ...]:
    """BibTeX -> CSL items, by pandoc's reader with the fixes of typeset/bibtex.py."""
    try:
        # No --sandbox here: it also hides LANG from the BibTeX reader (pandoc 3.9), which
        # then sentence-cases every title as English. The reader opens no other file.
        parsed = run_pandoc(
            ["--from", input_format, "--to", "json"],
            prepared_for_pandoc(text, language).encode(),
            environment={"LANG": language},
            source=path,
        )
    except PandocFailure as failure:
        raise _syntax_error(text, path, failure.stderr) from None
    document = converted_references(json.loads(parsed))
    csl_json = run_pandoc(
        ["--from", "json", "--to", "csljson", "--sandbox"],
        json.dumps(ast.transform(document, _nocase_as_rich_text)).encode(),
        source=path,
    )
    return with_csl_conventions(_items_from_csl_json(csl_json.decode(), path))


def _bibliography(
    path: Path, items: tuple[CslItem, ...], lines: Mapping[str, int | None], text: str
) -> Bibliography:
    origins = {str(item["id"]): (path, lines.get(str(item["id"]))) for item in items}
    return Bibliography((path,), items, origins, (text,))


def _items_from_csl_yaml(text: str, path: Path) -> tuple[CslItem, ...]:
    """CSL-YAML (pandoc's: a `references:` list, or the list alone) to CSL items. pandoc
    reads it as Markdown metadata, so `*emphasis*` in a title means what it means there."""
    try:
        document = bounded_yaml(text, path, BibliographyError) if text.strip() else []
    except yaml.YAMLError as error:
        raise yaml_syntax_error(error, path, BibliographyError, what="CSL-YAML") from None
    except ValueError as error:  # e.g. a date YAML cannot be (2001-02-30)
        raise BibliographyError(
            f"CSL-YAML value cannot be read: {str(error)[:120]}", path=path, hint="quote it"
        ) from None
    if isinstance(document, dict) and "references" in document:
        document = document["references"]
    if document is None:
        document = []
    if not isinstance(document, list):
        raise BibliographyError(
            "CSL-YAML bibliography must be a list of items under 'references:'",
            path=path,
            line=1,
            hint="write 'references:' followed by one '- id: key' item per work",
        )
    missing_id = [index for index, item in enumerate(document) if not _has_id(item)]
    if missing_id:
        raise BibliographyError(
            f"CSL-YAML item {missing_id[0] + 1} has no 'id'",
            path=path,
            hint="give every item an 'id:' (the key the manuscript cites it by)",
        )
    if not document:
        return ()
    wrapped = "---\n" + json.dumps({"references": document}, default=str) + "\n...\n"
    try:
        converted = run_pandoc(["--from", "markdown", "--to", "csljson"], wrapped.encode())
    except PandocFailure as failure:
        raise BibliographyError(
            f"CSL-YAML cannot be read: {_first_message(failure.stderr)}",
            path=path,
            hint="check the items against pandoc's CSL-YAML format",
        ) from None
    return _items_from_csl_json(converted.decode(), path)


def _has_id(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("id"), (str, int)) and item["id"] != ""


_YAML_ID = re.compile(r"^[ \t]*(?:-[ \t]+)?id:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)


def _yaml_id_lines(text: str) -> dict[str, int | None]:
    lines: dict[str, int | None] = {}
    for match in _YAML_ID.finditer(text):
        lines.setdefault(match.group(1), text.count("\n", 0, match.start()) + 1)
    return lines


def _nocase_as_rich_text(node: ast.Node) -> ast.Node | None:
    """A nocase span as the CSL rich-text markup the csljson writer passes through."""
    if node["t"] != "Span" or "nocase" not in node["c"][0][1]:
        return None
    opening = {"t": "Str", "c": '<span class="nocase">'}
    closing = {"t": "Str", "c": "</span>"}
    return {"t": "Span", "c": [["", [], []], [opening, *node["c"][1], closing]]}


@dataclass(frozen=True)
class Entry:
    """One `@type{key, ...}` as it stands in the BibTeX text."""

    kind: str
    key: str
    line: int
    crossrefs: tuple[str, ...]


_ENTRY_TYPE = re.compile(r"@[ \t]*([A-Za-z][\w-]*)[\s]*([{(])")
# Bounded and anchored at a word start: an unbounded name would make a 3 MB field value
# quadratic to search.
_FIELD = re.compile(r"(?<![\w:.+-])([A-Za-z][\w:.+-]{0,63})\s*=\s*", re.ASCII)
_CROSSREF_FIELDS = ("crossref", "xref", "xdata")


def scan_entries(text: str) -> list[Entry]:
    """The entries of a BibTeX file, found as BibTeX finds them (not line by line).

    A key may sit on the line after `@book{`; `@comment{...}` and `@preamble` hold no
    entries, whatever they contain; text between entries is a comment. Broken syntax is
    tolerated (pandoc reports it): an unclosed entry runs to the end of the file.
    """
    entries: list[Entry] = []
    position = 0
    counted_to, line = 0, 1  # lines counted incrementally: one huge line must stay linear
    while True:
        found = _ENTRY_TYPE.search(text, position)
        if found is None:
            return entries
        kind = found.group(1).lower()
        closing = "}" if found.group(2) == "{" else ")"
        body_end = balanced_end(text, found.end(), closing)
        position = body_end
        if kind in ("comment", "preamble", "string"):
            continue
        body = text[found.end() : body_end]
        key, _, fields = body.partition(",")
        key = key.strip()
        if not key or any(character in key for character in ' \t\n{}()"=@'):
            continue
        key_offset = found.end() + body.find(key)
        line += text.count("\n", counted_to, key_offset)
        counted_to = key_offset
        entries.append(Entry(kind, key, line, _crossrefs(fields)))


def _crossrefs(fields: str) -> tuple[str, ...]:
    """Values of the fields that make an entry inherit from another."""
    found: list[str] = []
    for field_match in _FIELD.finditer(fields):
        if field_match.group(1).lower() not in _CROSSREF_FIELDS:
            continue
        rest = fields[field_match.end() :]
        if rest.startswith("{"):
            value = rest[1 : balanced_end(rest, 1, "}") - 1]
        elif rest.startswith('"'):
            value = rest[1:].split('"', 1)[0]
        else:
            value = re.split(r"[,\s}]", rest, maxsplit=1)[0]
        found.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(found)


def entry_lines(text: str) -> dict[str, list[tuple[str, int]]]:
    """Each key's entries as (type, line number), in file order."""
    found: dict[str, list[tuple[str, int]]] = {}
    for entry in scan_entries(text):
        found.setdefault(entry.key, []).append((entry.kind, entry.line))
    return found


def _refuse_crossref_cycles(entries: list[Entry], path: Path) -> None:
    """An entry that inherits from itself, directly or not, sends pandoc into a loop."""
    by_key = {entry.key.lower(): entry for entry in entries}
    done: set[str] = set()
    for first in by_key:
        if first in done:
            continue
        chain: list[str] = []  # the path being walked (grey nodes)
        stack: list[tuple[str, int]] = [(first, 0)]
        while stack:
            key, next_target = stack.pop()
            if next_target == 0:
                chain.append(key)
            targets = [target.lower() for target in by_key[key].crossrefs]
            targets = [target for target in targets if target in by_key and target not in done]
            if next_target < len(targets):
                stack.append((key, next_target + 1))
                target = targets[next_target]
                if target in chain:
                    loop = [*chain[chain.index(target) :], target]
                    raise BibliographyError(
                        "crossref cycle: " + " -> ".join(by_key[k].key for k in loop),
                        path=path,
                        line=by_key[target].line,
                        hint="remove the crossref (or xref/xdata) field that points back",
                    )
                stack.append((target, 0))
            else:
                chain.pop()
                done.add(key)


def _without_duplicate_ids(
    items: tuple[CslItem, ...],
    path: Path,
    lines: dict[str, list[tuple[str, int]]],
    *,
    draft: bool,
) -> tuple[CslItem, ...]:
    """The items, each key once: pandoc silently keeps one of two entries with the same
    key, and which one is luck. An error, or in a draft a warning keeping the first."""
    seen: set[str] = set()
    kept: list[CslItem] = []
    for item in items:
        key = str(item["id"])
        if key not in seen:
            seen.add(key)
            kept.append(item)
            continue
        where = [line for _, line in lines.get(key, [])]
        at = f" (entries at lines {', '.join(map(str, where))})" if len(where) > 1 else ""
        error = BibliographyError(
            f"duplicate key '{key}'{at}",
            path=path,
            line=where[1] if len(where) > 1 else None,
            hint="give each entry its own key, or delete the duplicate",
        )
        if not draft:
            raise error
        first = f"the first (line {where[0]})" if where else "the first"
        log.warning("%s (draft: %s is used)", error, first)
    return tuple(kept)


_ENTRY_START_LINE = re.compile(
    r"^[ \t]*@([A-Za-z]+)[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.MULTILINE
)


def _syntax_error(text: str, path: Path, stderr: str) -> BibliographyError:
    """Point at the entry at fault, not where pandoc's parser gave up.

    pandoc reports the position where parsing failed: often the '@' of the *next* entry,
    or past the end of the file when an entry is never closed. The entry at fault is the
    last one that starts before that position.
    """
    reported = line_of_pandoc_error(stderr)
    # Line by line, not scan_entries: in a broken file an unclosed entry would swallow
    # the ones after it, and pandoc's position is often the '@' of the next one.
    starts = sorted(
        (text.count("\n", 0, match.start()) + 1, match.group(2))
        for match in _ENTRY_START_LINE.finditer(text)
        if match.group(1).lower() not in ("string", "preamble", "comment")
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


def _refuse_control_characters(text: str, path: Path) -> None:
    """A control character (a NUL from a bad export, or a CSL-JSON \\u0000) in any field:
    no output format can carry it, and the XML writers fail on it."""
    found = CONTROL_CHARACTER.search(text)
    if found is None:
        found = _ESCAPED_CONTROL.search(text) if path.suffix.lower() == ".json" else None
    if found is None:
        return
    shown = f"U+{ord(found.group()):04X}" if len(found.group()) == 1 else found.group()
    raise BibliographyError(
        f"bibliography contains the control character {shown}",
        path=path,
        line=text.count("\n", 0, found.start()) + 1,
        hint="remove it (often a stray NUL from a bad export or copy-paste)",
    )


# CSL-JSON's escapes of control characters (an escaped backslash before one does not count).
_ESCAPED_CONTROL = re.compile(r"(?<!\\)(?:\\\\)*\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")


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
    if not isinstance(items, list):
        raise BibliographyError(
            "CSL-JSON bibliography must be a list of items, each with an 'id'",
            path=path,
            hint="export it again as CSL-JSON (a list of items), or use the .bib file",
        )
    for index, item in enumerate(items):
        problem = _csl_item_problem(item)
        if problem:
            name = item.get("id") if isinstance(item, dict) else None
            which = f"item {index + 1}" + (f" ('{name}')" if isinstance(name, str) else "")
            raise BibliographyError(
                f"CSL-JSON {which}: {problem}",
                path=path,
                line=_line_of_item(text, index),
                hint="fix that item (see the CSL-JSON schema), or export the bibliography again",
            )
    return tuple(items)


# CSL-JSON variables by kind (the CSL 1.0.2 schema): citation engines crash or print
# nonsense on a name given as a string or a date given as a number.
NAME_VARIABLES = frozenset(
    [
        "author",
        "chair",
        "collection-editor",
        "compiler",
        "composer",
        "container-author",
        "contributor",
        "curator",
        "director",
        "editor",
        "editorial-director",
        "executive-producer",
        "guest",
        "host",
        "illustrator",
        "interviewer",
        "narrator",
        "organizer",
        "original-author",
        "performer",
        "producer",
        "recipient",
        "reviewed-author",
        "script-writer",
        "series-creator",
        "translator",
    ]
)
DATE_VARIABLES = frozenset(
    ["accessed", "available-date", "event-date", "issued", "original-date", "submitted"]
)


def _csl_item_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return f"is a {type(item).__name__}, not an object"
    identifier = item.get("id")
    if isinstance(identifier, bool) or not isinstance(identifier, (str, int)) or identifier == "":
        return f"'id' must be a non-empty string or number, not {json.dumps(identifier)}"
    for variable, value in item.items():
        if not isinstance(variable, str):
            continue
        if variable in NAME_VARIABLES and not (
            isinstance(value, list) and all(isinstance(name, dict) for name in value)
        ):
            return (
                f"'{variable}' must be a list of names like "
                f'[{{"family": "Doe", "given": "Jane"}}], not {json.dumps(value)[:60]}'
            )
        if variable in DATE_VARIABLES and not isinstance(value, dict):
            return (
                f"'{variable}' must be a date object like "
                f'{{"date-parts": [[2001]]}}, not {json.dumps(value)[:60]}'
            )
    if not isinstance(item.get("type", "document"), str):
        return "'type' must be a string"
    return None


def _line_of_item(text: str, index: int) -> int | None:
    """The line of the index-th top-level item of a JSON list (best effort)."""
    depth, count, in_string, escaped = 0, -1, False, False
    for offset, character in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            if depth == 2:
                count += 1
                if count == index:
                    return text.count("\n", 0, offset) + 1
        elif character in "]}":
            depth -= 1
    return None
