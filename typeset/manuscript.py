"""Read the Markdown manuscript and parse it, once, into pandoc's AST."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.book import NOTE_DEFINITION, Book, Chapter, book_of
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
from typeset.quarto.lines import FENCE, Origin, SourceLine, closes_fence, joined, warn
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
    # A manuscript in several files (typeset/book.py): where each line of `text` was
    # written, the book's folder (images are relative to it) and its outputs' stem.
    origins: tuple[Origin, ...] = ()
    book_folder: Path | None = None
    book_name: str = ""

    @property
    def folder(self) -> Path:
        return self.book_folder or self.path.parent

    @property
    def stem(self) -> str:
        return self.book_name or self.path.stem

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
        return self.at(line)

    def at(self, line: int | None) -> tuple[Path, int | None]:
        """The author's file and line of line `line` of `text` (a chapter's own line in a
        manuscript of several files)."""
        if line is not None and 1 <= line <= len(self.origins):
            origin = self.origins[line - 1]
            return origin.path, origin.line
        return self.path, line

    def line_of_field(self, field: str) -> int | None:
        """The line where the front matter's top-level `field:` is written."""
        return _line_of_key(self.text, field, top_level=True)

    def where_key(self, key: str) -> tuple[Path, int | None]:
        """The file and line that first cite `key` (see `line_of_key`): the manuscript's,
        a chapter's, or an included file's."""
        line = self.line_of_key(key)
        if line is None:
            for source in self.included:
                if _line_citing(source.text, key) is not None:
                    return source.origin.path, source.origin.line
        return self.at(line)

    def also_missing(self, keys: list[str] | tuple[str, ...]) -> str:
        """ " (also missing: a at line 3, b at line 9)" for an error about the first of
        several missing keys or labels; empty when there is one."""
        if len(keys) < 2:
            return ""
        where = ", ".join(f"{key} at {self._shown(self.where_key(key))}" for key in keys[1:])
        return f" (also missing: {where})"

    def _shown(self, place: tuple[Path, int | None]) -> str:
        path, line = place
        if path == self.path:
            return f"line {line}"
        return f"{path.name} line {line}"

    def line_of_key(self, key: str) -> int | None:
        """The first source line that cites `key` (pandoc's AST has no positions), as
        `@key` or in a LaTeX citation command."""
        return _line_citing(self.text, key)


def _line_citing(text: str, key: str) -> int | None:
    """The first line of `text` that cites `key`: `@key`, or `\\cite{key}` and kin."""
    escaped = re.escape(key)
    pattern = re.compile(
        r"@\{?" + escaped + r"(?![\w:.#$%&+?<>~/-]*\w)"
        # or LaTeX's \cite{a,key}, \citep[p. 3]{key} (typeset/rawlatex.py reads them)
        r"|\\[A-Za-z]*cite[A-Za-z]*\*?(?:\[[^\]]*\]){0,2}\{[^}]*?(?<![\w:.-])"
        + escaped
        + r"(?![\w:.-])"
    )
    for number, line in enumerate(text.splitlines(), start=1):
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
    chapters: Sequence[Path] = (),
) -> Manuscript:
    """Read and parse `path`; `metadata` (from the config) overrides its front matter.

    With `anonymous`, every identifying field is dropped, so no writer can put an author
    name into the text, a title page, a cover or a file's properties. Quarto's includes,
    cells and shortcodes are expanded first (typeset/quarto/), reading files only inside
    `allowed_roots` (default: the manuscript's folder). A book's folder, or `path` with
    more `chapters`, is read as one manuscript in several files (typeset/book.py).
    """
    book = book_of(path, chapters)
    if book is not None:
        expanded = _read_book(book, metadata, roots, allowed_roots)
        text = expanded.text
    else:
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
    origins = tuple(line.origin for line in expanded.lines) if book else ()
    _refuse_unusable_metadata(document["meta"], path, text, origins)
    document = with_quarto_blocks(with_quarto_metadata(document, path))
    document["meta"] = with_generated_words(document["meta"])
    manuscript = Manuscript(
        path=path,
        text=text,
        document=document,
        sources=expanded.files,
        included=() if book else tuple(line for line in expanded.lines if line.origin.path != path),
        origins=origins,
        book_folder=book.folder if book else None,
        book_name=book.name if book else "",
    )
    date_path, date_line = manuscript.where("date:")
    warn_about_unreadable_date(manuscript.meta, date_path, date_line)
    return manuscript


def _read_book(
    book: Book,
    metadata: Mapping[str, Any] | None,
    roots: Roots | None,
    allowed_roots: list[Path] | None,
) -> ExpandedSource:
    """The chapters as one text, each line remembering its file and line: the book's
    metadata as a leading YAML block, then each chapter, expanded on its own as Quarto
    renders each chapter (its includes, cells with its own frozen results, shortcodes),
    after its part's title and, for the first appendix, `\\appendix`."""
    lines: list[SourceLine] = _metadata_block(book)
    files: list[Path] = [book.metadata_file] if book.metadata_file else []
    if book.kind in ("manubot", "bookdown"):  # chapters found by listing the folder
        files.append(book.folder)  # a chapter added or removed changes its mtime
    book_metadata = {**book.metadata, **(metadata or {})}
    chapters: list[list[SourceLine]] = []
    for chapter in book.chapters:
        text = _read_text(chapter.path, roots)
        if book.kind == "manubot":
            text = _without_templates(chapter.path, text)
        expanded = expand_quarto(
            chapter.path,
            text,
            metadata=book_metadata,
            allowed_roots=[*(allowed_roots or []), book.folder, chapter.path.parent],
            keep_lines=True,
        )
        files.extend([chapter.path, *expanded.files])
        chapter_lines = _rebased_images(list(expanded.lines), chapter.path.parent, book.folder)
        # bookdown's index.Rmd front matter is the book's; Quarto's is in _quarto.yml
        if book.kind == "quarto" or (book.kind == "bookdown" and chapters):
            chapter_lines = _title_as_heading(chapter_lines, chapter.path)
        if book.kind == "quarto" and chapter.path.stem == "index":
            chapter_lines = _unnumbered(chapter_lines)  # Quarto's rule for index.qmd
        chapters.append(chapter_lines)
    for chapter, chapter_lines in zip(book.chapters, _notes_scoped(chapters), strict=True):
        lines.extend(_opening(chapter, book))
        lines.extend(chapter_lines)
        last = chapter_lines[-1].origin if chapter_lines else Origin(chapter.path, 1)
        lines.extend([SourceLine("", last), SourceLine("", last)])
    return ExpandedSource(joined(lines), tuple(lines), tuple(dict.fromkeys(files)))


def _metadata_block(book: Book) -> list[SourceLine]:
    """The book's metadata as a YAML block pandoc reads first, so a chapter's own front
    matter is merged over it (a later block's key wins) and errors name the YAML file."""
    if not book.metadata or book.metadata_file is None:
        return []
    import yaml

    where = book.metadata_file
    lines = [SourceLine("---", Origin(where, 1))]
    for key, value in book.metadata.items():
        dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=1000)
        origin = Origin(where, book.metadata_lines.get(key, 1))
        lines.extend(SourceLine(line, origin) for line in dumped.rstrip("\n").split("\n"))
    lines.extend([SourceLine("---", Origin(where, 1)), SourceLine("", Origin(where, 1))])
    return lines


def _opening(chapter: Chapter, book: Book) -> list[SourceLine]:
    """What comes before a chapter: the first appendix's `\\appendix` (the headings from
    here on are lettered, typeset/rawlatex.py) and a part's title, an unnumbered heading."""
    origin = Origin(book.metadata_file or chapter.path, 1)
    opening: list[SourceLine] = []
    if chapter.appendix:
        opening += [SourceLine("\\appendix", origin), SourceLine("", origin)]
    if chapter.part:
        title = chapter.part.replace("\n", " ")
        opening += [SourceLine(f"# {title} {{.unnumbered .part}}", origin), SourceLine("", origin)]
    return opening


def _title_as_heading(lines: list[SourceLine], path: Path) -> list[SourceLine]:
    """A Quarto or bookdown chapter's front-matter `title` is the chapter's heading, as
    those tools print it, not the book's title (pandoc would let the last chapter's
    `title:` replace the book's)."""
    if not lines or lines[0].text.strip() != "---":
        return lines
    end = next(
        (index for index, line in enumerate(lines[1:], 1) if line.text.strip() in ("---", "...")),
        None,
    )
    if end is None:
        return lines
    import yaml

    block = "\n".join(line.text for line in lines[1:end])
    try:
        values = bounded_yaml(block, path, ManuscriptError, first_line=2)
    except (yaml.YAMLError, ValueError, TypeError):
        return lines  # pandoc reports it, with the line
    if not isinstance(values, dict) or not isinstance(values.get("title"), str):
        return lines
    title = " ".join(values.pop("title").split())
    title_line = next((line for line in lines[1:end] if line.text.startswith("title")), lines[0])
    rest: list[SourceLine] = []
    if values:
        dumped = yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=1000)
        rest = [
            lines[0],
            *(SourceLine(text, lines[1].origin) for text in dumped.rstrip("\n").split("\n")),
            lines[end],
        ]
    heading = [SourceLine("", title_line.origin), SourceLine(f"# {title}", title_line.origin)]
    return [*rest, *heading, *lines[end + 1 :]]


_TOP_HEADING = re.compile(r"^(# +.*?)(?:\s*\{([^{}]*)\})?\s*$")


def _unnumbered(lines: list[SourceLine]) -> list[SourceLine]:
    """The chapter's level-1 headings marked `{.unnumbered}` (the preface of a Quarto
    book, whose index.qmd headings Quarto leaves unnumbered; those below follow)."""
    result: list[SourceLine] = []
    fence: str | None = None
    for line in lines:
        opened = FENCE.match(line.text)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None:
            fence = None if closes_fence(line.text, fence) else fence
        heading = _TOP_HEADING.match(line.text) if fence is None and not line.verbatim else None
        if heading is None or ".unnumbered" in (heading.group(2) or ""):
            result.append(line)
            continue
        attributes = " ".join(filter(None, [(heading.group(2) or "").strip(), ".unnumbered"]))
        text = f"{heading.group(1).rstrip()} {{{attributes}}}"
        result.append(SourceLine(text, line.origin, line.verbatim))
    return result


# Manubot's content files are Jinja2 templates (`{{manubot.date}}`, `{% for author in
# manubot.authors %}`): the title block prints the authors and date from metadata.yaml.
_TEMPLATE = re.compile(r"\{%.*?%\}|\{#.*?#\}|\{\{(?!<)[^{}]*\}\}")


def _without_templates(path: Path, text: str) -> str:
    lines = text.split("\n")
    kept = [line for line in lines if not _TEMPLATE.search(line)]
    if len(kept) != len(lines):
        first = next(n for n, line in enumerate(lines, 1) if _TEMPLATE.search(line))
        warn(
            Origin(path, first),
            f"{len(lines) - len(kept)} line(s) of Manubot template (Jinja2) left out, "
            "the first here; the title block prints the authors and date of metadata.yaml",
        )
    return "\n".join(kept)


_IMAGE_TARGET = re.compile(r"(!\[[^\]]*\]\()(<[^>]*>|[^)\s]+)")


def _rebased_images(lines: list[SourceLine], folder: Path, book_folder: Path) -> list[SourceLine]:
    """A chapter's images are relative to the chapter's own file (as Quarto renders each
    chapter from its folder): a chapter in a subfolder has its image paths made relative
    to the book's folder, which the build resolves images against."""
    if folder.resolve() == book_folder.resolve():
        return lines
    prefix = os.path.relpath(folder.resolve(), book_folder.resolve()).replace(os.sep, "/")

    def rebased(match: re.Match[str]) -> str:
        target = match.group(2)
        bare = target.strip("<>")
        if "://" in bare or bare.startswith(("/", "data:", "#")):
            return match.group(0)
        rebased_target = f"{prefix}/{bare}"
        return match.group(1) + (
            f"<{rebased_target}>" if target.startswith("<") else rebased_target
        )

    return [
        line
        if line.verbatim or "![" not in line.text
        else SourceLine(_IMAGE_TARGET.sub(rebased, line.text), line.origin, line.verbatim)
        for line in lines
    ]


def _notes_scoped(chapters: list[list[SourceLine]]) -> list[list[SourceLine]]:
    """Each chapter's footnote labels its own: `[^1]` defined in two chapters would make
    pandoc print the last definition at both calls (pandoc's `--file-scope` does this)."""
    defined: list[set[str]] = [
        {match.group(1) for line in lines if (match := NOTE_DEFINITION.match(line.text))}
        for lines in chapters
    ]
    seen: set[str] = set()
    scoped: list[list[SourceLine]] = []
    for index, (lines, labels) in enumerate(zip(chapters, defined, strict=True)):
        clashing = labels & seen
        seen |= labels
        if not clashing:
            scoped.append(lines)
            continue
        pattern = re.compile(r"\[\^(" + "|".join(map(re.escape, clashing)) + r")\]")
        replacement = f"[^\\1-{index + 1}]"
        scoped.append(
            [
                line
                if line.verbatim
                else SourceLine(
                    pattern.sub(replacement, line.text),
                    line.origin,
                )
                for line in lines
            ]
        )
    return scoped


def _parse(path: Path, expanded: ExpandedSource) -> dict[str, Any]:
    """pandoc's AST of the expanded text; an error about a line of it names the author's
    file and line (an included file's, a chapter's)."""
    try:
        return _parsed(path, expanded)
    except ManuscriptError as error:
        origin = expanded.origin_of(error.line) if error.path == path else None
        if origin is not None:
            error.path, error.line = origin
        raise


def _parsed(path: Path, expanded: ExpandedSource) -> dict[str, Any]:
    text = expanded.text
    refuse_deep_markdown(text, path, ManuscriptError)
    _refuse_hostile_front_matter(text, path)
    try:
        parsed = run_pandoc(
            ["--from", MARKDOWN_FORMAT, "--to", "json", "--sandbox"],
            text.encode(),
            source=SourceText(
                path, text, tuple((line.origin.path, line.origin.line) for line in expanded.lines)
            ),
        )
    except PandocFailure as failure:
        message, line = _front_matter_problem(failure.stderr)
        raise ManuscriptError(  # `_parse` names the author's file and line
            f"cannot parse the manuscript: {message}",
            path=path,
            line=line,
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


def _refuse_unusable_metadata(
    meta: dict[str, Any], path: Path, text: str, origins: tuple[Origin, ...] = ()
) -> None:
    """Front-matter values no output can carry: control characters (written as escapes),
    and a `lang` that is not a language tag (it becomes LANG for pandoc, hyphenation, the
    EPUB's and DOCX's language)."""
    for key, value in meta.items():
        character = first_control_character(value)
        if character is not None:
            where, line = _origin(path, _line_of_key(text, key), origins)
            raise ManuscriptError(
                f"the front-matter field '{key}' contains the control character "
                f"U+{ord(character):04X}",
                path=where,
                line=line,
                hint="remove the escape (such as \\0 or \\x01) from that value",
            )
    lang = ast.plain_text(meta.get("lang"))
    if lang and not is_language_tag(lang):
        shown = lang if len(lang) <= 40 else lang[:40] + "…"
        where, line = _origin(path, _line_of_key(text, "lang"), origins)
        raise ManuscriptError(
            f"'lang' is {shown!r} ({len(lang):,} characters), not a language tag",
            path=where,
            line=line,
            hint="write a BCP 47 tag such as en-GB, de-DE or fr",
        )


def _origin(path: Path, line: int | None, origins: tuple[Origin, ...]) -> tuple[Path, int | None]:
    if line is not None and 1 <= line <= len(origins):
        return origins[line - 1].path, origins[line - 1].line
    return path, line


def _line_of_key(text: str, key: str, *, top_level: bool = False) -> int | None:
    indent = "" if top_level else r"[ \t]*"
    found = re.search(rf"^{indent}['\"]?{re.escape(key)}['\"]?[ \t]*:", text, re.MULTILINE)
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
