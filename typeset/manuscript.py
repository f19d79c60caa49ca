"""Read the Markdown manuscript and parse it, once, into pandoc's AST."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.cache import BuildCache, fingerprint
from typeset.confine import Roots
from typeset.errors import ManuscriptError
from typeset.frontmatter import warn_about_unreadable_date, with_generated_words
from typeset.limits import (
    CONTROL_CHARACTER,
    MAX_HEADINGS,
    MAX_MANUSCRIPT_BYTES,
    bounded_yaml,
    first_control_character,
    is_language_tag,
    metadata_blocks,
    read_input,
    refuse_deep_markdown,
    utf8_text,
)
from typeset.pandoc import (
    PandocFailure,
    SourceText,
    line_of_pandoc_error,
    pandoc_fingerprint,
    run_pandoc,
)
from typeset.quarto import ExpandedSource, expand_quarto
from typeset.quarto.blocks import with_quarto_blocks
from typeset.quarto.lines import SourceLine
from typeset.quarto.metadata import with_quarto_metadata

# pandoc's Markdown plus the extensions an academic manuscript leans on; `raw_attribute`
# and friends stay on so authors can reach for format-specific output when needed.
MARKDOWN_FORMAT = "markdown+smart"


@dataclass(frozen=True)
class Manuscript:
    """The source text and its parsed AST (pandoc JSON), citations still unresolved."""

    path: Path
    text: str
    document: dict[str, Any]
    # Files the Quarto pass read besides the manuscript: includes, frozen results,
    # _variables.yml (typeset/quarto/).
    sources: tuple[Path, ...] = ()
    # The lines that came from those files, with their origins, for messages about them.
    included: tuple[SourceLine, ...] = ()
    # Every local file the manuscript names as an image, shown or refused (set by
    # typeset/sanitize.py): inputs all the same, which no output may replace.
    named_files: tuple[Path, ...] = field(default=(), compare=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = self.document["meta"]
        return meta

    @functools.cached_property
    def _cited_keys(self) -> list[str]:
        return ast.cite_keys(self.document["blocks"])

    def cited_keys(self) -> list[str]:
        """Keys cited in the body, in order."""
        return list(self._cited_keys)

    def nocite_keys(self) -> list[str]:
        return ast.cite_keys(self.meta.get("nocite"))

    def local_resources(self) -> list[Path]:
        return list(self._local_resources)

    @functools.cached_property
    def _local_resources(self) -> list[Path]:
        """Files the manuscript pulls in (images), resolved against its folder."""
        found: dict[Path, None] = {}
        for node in ast.walk(self.document["blocks"]):
            if node["t"] == "Image":
                target = node["c"][2][0]
                if "://" not in target and not target.startswith("data:"):
                    found.setdefault(self.folder / target, None)
        return list(found)

    @property
    def lang(self) -> str:
        """The document's language (BCP 47) as the front matter or config sets it, or ''."""
        return ast.plain_text(self.meta.get("lang"))

    def line_containing(self, needle: str) -> int | None:
        """The first source line containing `needle`, for messages about a construct."""
        for number, line in enumerate(self.text.splitlines(), start=1):
            if needle and needle in line:
                return number
        return None

    def where(self, needle: str) -> tuple[Path, int | None]:
        """The file and line where `needle` was written: the manuscript's own line, else
        the line of an included file (typeset/quarto/includes.py) that holds it."""
        line = self.line_containing(needle)
        if line is None and needle:
            for source in self.included:
                if needle in source.text:
                    return source.origin.path, source.origin.line
        return self.path, line

    def also_missing(self, keys: list[str] | tuple[str, ...]) -> str:
        """ " (also missing: a at line 3, b at line 9)" for an error about the first of
        several missing keys or labels; empty when there is one."""
        if len(keys) < 2:
            return ""
        where = ", ".join(f"{key} at line {self.line_of_key(key)}" for key in keys[1:])
        return f" (also missing: {where})"

    def line_of_key(self, key: str) -> int | None:
        """The first source line that cites `key` (pandoc's AST has no positions), as
        `@key` or in a LaTeX citation command."""
        escaped = re.escape(key)
        pattern = re.compile(
            r"@\{?" + escaped + r"(?![\w:.#$%&+?<>~/-]*\w)"
            # or LaTeX's \cite{a,key}, \citep[p. 3]{key} (typeset/rawlatex.py reads them)
            r"|\\[A-Za-z]*cite[A-Za-z]*\*?(?:\[[^\]]*\]){0,2}\{[^}]*?(?<![\w:.-])"
            + escaped
            + r"(?![\w:.-])"
        )
        for number, line in enumerate(self.text.splitlines(), start=1):
            if pattern.search(line):
                return number
        return None


# Front-matter fields that identify the author: all removed from an anonymised review copy.
IDENTIFYING_FIELDS = (
    "author",
    "authors",
    "affiliation",
    "affiliations",
    "institute",
    "institutes",
    "funding",
    "institution",
    "email",
    "orcid",
    "thanks",
    "acknowledgements",
    "acknowledgments",
    "corresponding",
    "contact",
    "rights",
    "creator",
    "contributor",
    "copyright",
)


def read_manuscript(
    path: Path,
    metadata: Mapping[str, Any] | None = None,
    *,
    anonymous: bool = False,
    cache: BuildCache | None = None,
    allowed_roots: list[Path] | None = None,
    roots: Roots | None = None,
) -> Manuscript:
    """Read and parse `path`; `metadata` (from the config) overrides its front matter.

    With `anonymous`, every identifying field is dropped, so no writer can put an author
    name into the text, a title page, a cover or a file's properties. Quarto's includes,
    cells and shortcodes are expanded first (typeset/quarto/), reading files only inside
    `allowed_roots` (default: the manuscript's folder).
    """
    text = _read_text(path, roots)
    expanded = expand_quarto(path, text, metadata=metadata, allowed_roots=allowed_roots)
    key = fingerprint(expanded.text, MARKDOWN_FORMAT, pandoc_fingerprint())
    document = cache.get_json("parse", key) if cache else None
    if document is None:
        document = _parse(path, expanded)
        if cache:
            cache.put_json("parse", key, document)
    for key, value in (metadata or {}).items():
        if value is None:
            document["meta"].pop(key, None)
        else:
            document["meta"][key] = ast.meta_value(value)
    if anonymous:
        for field in IDENTIFYING_FIELDS:
            document["meta"].pop(field, None)
    _refuse_unusable_metadata(document["meta"], path, text)
    document = with_quarto_blocks(with_quarto_metadata(document, path))
    document["meta"] = with_generated_words(document["meta"])
    manuscript = Manuscript(
        path=path,
        text=text,
        document=document,
        sources=expanded.files,
        included=tuple(line for line in expanded.lines if line.origin.path != path),
    )
    warn_about_unreadable_date(manuscript.meta, path, manuscript.line_containing("date:"))
    return manuscript


def _parse(path: Path, expanded: ExpandedSource) -> dict[str, Any]:
    text = expanded.text
    refuse_deep_markdown(text, path, ManuscriptError)
    _refuse_hostile_front_matter(text, path)
    try:
        parsed = run_pandoc(
            ["--from", MARKDOWN_FORMAT, "--to", "json", "--sandbox"],
            text.encode(),
            source=SourceText(path, text),
        )
    except PandocFailure as failure:
        message, line = _front_matter_problem(failure.stderr)
        origin = expanded.origin_of(line)  # an included file's own line
        raise ManuscriptError(
            f"cannot parse the manuscript: {message}",
            path=origin[0] if origin else path,
            line=origin[1] if origin else line,
            hint="fix the YAML front matter at that line (indentation, colons, quotes)",
        ) from None
    _refuse_escaped_control_characters(parsed, path, text)
    _refuse_too_many_headings(parsed, path, text)
    try:
        document: dict[str, Any] = json.loads(parsed)
    except RecursionError:
        raise ManuscriptError(
            "the manuscript is nested too deeply to process",
            path=path,
            hint="remove the deeply nested quotes, lists, divs or spans",
        ) from None
    return document


def _refuse_hostile_front_matter(text: str, path: Path) -> None:
    """Measure every YAML block before pandoc's own YAML reader expands it.

    Syntax errors are left to pandoc, whose message the caller already turns into a line.
    """
    import yaml

    for number, (first_line, block) in enumerate(metadata_blocks(text)):
        try:
            value = bounded_yaml(block, path, ManuscriptError, first_line=first_line)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            continue  # pandoc reports what it cannot read, with the line
        if number == 0 and first_line == 2 and value is not None and not isinstance(value, dict):
            raise ManuscriptError(
                f"the front matter is a YAML {type(value).__name__}, not a mapping of fields",
                path=path,
                line=first_line,
                hint="write it as 'field: value' lines, e.g. 'title: My Essay'",
            )


_YAML_BLOCK_START = re.compile(r"YAML metadata at .*?\(line (\d+)")
_YAML_PROBLEM = re.compile(r"YAML parse exception at line (\d+)")


def _front_matter_problem(stderr: str) -> tuple[str, int | None]:
    """pandoc numbers a YAML error from the start of the front matter; make it a file line."""
    block = _YAML_BLOCK_START.search(stderr)
    problem = _YAML_PROBLEM.search(stderr)
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = lines[-1] if lines else "unreadable"
    if block and problem:
        return detail[:200], int(block.group(1)) + int(problem.group(1))
    return detail[:200], line_of_pandoc_error(stderr)


# pandoc passes control characters into XHTML, where they are fatal to every EPUB reader.
_CONTROL_CHARACTER = CONTROL_CHARACTER
# ... and they arrive escaped too: a YAML "\0", an HTML `&#1;` (JSON `\u0001` in pandoc's
# output; an escaped backslash before it does not count).
_ESCAPED_CONTROL_CHARACTER = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])|\x7f"
)
_CONTROL_REFERENCE = re.compile(
    r"&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01]|127)|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]));"
)


def _refuse_unusable_metadata(meta: dict[str, Any], path: Path, text: str) -> None:
    """Front-matter values no output can carry: control characters (written as escapes),
    and a `lang` that is not a language tag (it becomes LANG for pandoc, hyphenation, the
    EPUB's and DOCX's language)."""
    for key, value in meta.items():
        character = first_control_character(value)
        if character is not None:
            raise ManuscriptError(
                f"the front-matter field '{key}' contains the control character "
                f"U+{ord(character):04X}",
                path=path,
                line=_line_of_key(text, key),
                hint="remove the escape (such as \\0 or \\x01) from that value",
            )
    lang = ast.plain_text(meta.get("lang"))
    if lang and not is_language_tag(lang):
        shown = lang if len(lang) <= 40 else lang[:40] + "…"
        raise ManuscriptError(
            f"'lang' is {shown!r} ({len(lang):,} characters), not a language tag",
            path=path,
            line=_line_of_key(text, "lang"),
            hint="write a BCP 47 tag such as en-GB, de-DE or fr",
        )


def _line_of_key(text: str, key: str) -> int | None:
    found = re.search(rf"^[ \t]*['\"]?{re.escape(key)}['\"]?[ \t]*:", text, re.MULTILINE)
    return text.count("\n", 0, found.start()) + 1 if found else None


_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)", re.MULTILINE)


def _refuse_too_many_headings(parsed: bytes, path: Path, text: str) -> None:
    """Bounded time for every writer: no more headings than any book needs."""
    count = parsed.count(b'{"t":"Header"')
    if count <= MAX_HEADINGS:
        return
    atx = list(_ATX_HEADING.finditer(text))
    beyond = atx[MAX_HEADINGS] if len(atx) > MAX_HEADINGS else None
    raise ManuscriptError(
        f"the manuscript has {count:,} headings, more than the {MAX_HEADINGS:,} a build "
        "lays out (each is a contents line, an outline entry and often a page)",
        path=path,
        line=text.count("\n", 0, beyond.start()) + 1 if beyond else None,
        hint="turn the minor headings into bold paragraphs, or split the manuscript",
    )


def _refuse_escaped_control_characters(parsed: bytes, path: Path, text: str) -> None:
    """In the body (pandoc's JSON after its top-level "blocks" key: the front matter's
    values are reported by field, in `_refuse_unusable_metadata`)."""
    if not _ESCAPED_CONTROL_CHARACTER.search(parsed, max(0, parsed.rfind(b'"blocks":'))):
        return
    reference = _CONTROL_REFERENCE.search(text)
    raise ManuscriptError(
        "the manuscript writes a control character as an escape"
        + (f" ({reference.group()})" if reference else ""),
        path=path,
        line=text.count("\n", 0, reference.start()) + 1 if reference else None,
        hint="remove it: no output format can carry a control character",
    )


def _read_text(path: Path, roots: Roots | None) -> str:
    raw = read_input(
        path,
        roots=roots,
        what="manuscript",
        error=ManuscriptError,
        max_bytes=MAX_MANUSCRIPT_BYTES,
        hint="pass the Markdown file itself with --manuscript (or set 'manuscript' in the config)",
    )
    text = utf8_text(raw, path, what="manuscript", error=ManuscriptError)
    if not text.strip():
        raise ManuscriptError(
            "manuscript is empty", path=path, hint="check that you passed the right file"
        )
    control = _CONTROL_CHARACTER.search(text)
    if control:
        raise ManuscriptError(
            f"manuscript contains the control character U+{ord(control.group()):04X}",
            path=path,
            line=text.count("\n", 0, control.start()) + 1,
            hint="remove it (often a stray NUL from a bad copy-paste or conversion)",
        )
    return text
