"""Quarto's `{{< include file >}}`: the file's text in place of the line, recursively.

As in Quarto, the path is relative to the file that includes it, and an include is
expanded before anything else (an included file may hold cells and shortcodes). Unlike a
trusted local render, a build reads nothing outside the manuscript's folder or project,
follows at most MAX_INCLUDE_DEPTH levels, and refuses a file that includes itself.
Every line keeps its origin, so a later warning names the included file's own line.
"""

from __future__ import annotations

import re
from pathlib import Path

from typeset.confine import Roots
from typeset.errors import ManuscriptError
from typeset.limits import MAX_MANUSCRIPT_BYTES, read_input, utf8_text
from typeset.quarto.lines import FENCE, Origin, SourceLine, closes_fence, source_lines
from typeset.quarto.project import is_inside

MAX_INCLUDE_DEPTH = 10
# Over all includes of one manuscript: a file included a thousand times is no book.
MAX_INCLUDED_BYTES = MAX_MANUSCRIPT_BYTES

INCLUDE_LINE = re.compile(r"^(\s*)\{\{<\s*include\s+(\"[^\"]+\"|'[^']+'|\S+)\s*>\}\}\s*$")


def expand_includes(
    lines: list[SourceLine], allowed_roots: list[Path], files_read: list[Path]
) -> list[SourceLine]:
    """`lines` with every include line replaced by its file's lines (recursively);
    `files_read` gets each included file, for the build's up-to-date check and cache."""
    budget = [MAX_INCLUDED_BYTES]
    return _expand(lines, allowed_roots, files_read, stack=(), budget=budget)


def _expand(
    lines: list[SourceLine],
    roots: list[Path],
    files_read: list[Path],
    stack: tuple[Path, ...],
    budget: list[int],
) -> list[SourceLine]:
    result: list[SourceLine] = []
    fence: str | None = None
    for line in lines:
        fence = _fence_after(line.text, fence)
        match = INCLUDE_LINE.match(line.text) if fence is None else None
        if not match:
            result.append(line)
            continue
        target = match.group(2).strip("\"'")
        path = _included_path(target, line.origin, roots, stack)
        text = _read_included(path, line.origin, budget, Roots.of(untrusted=roots))
        files_read.append(path)
        included = source_lines(path, text)
        indent = match.group(1)
        if indent:  # an include inside a list item or block keeps that indentation
            included = [
                SourceLine(indent + item.text if item.text else "", item.origin)
                for item in included
            ]
        result.extend(_expand(included, roots, files_read, (*stack, path), budget))
    return result


def _fence_after(text: str, fence: str | None) -> str | None:
    """The open code fence after `text` (an include inside a code block is an example)."""
    if fence is None:
        match = FENCE.match(text)
        return match.group(1) if match else None
    return None if closes_fence(text, fence) else fence


def _included_path(target: str, origin: Origin, roots: list[Path], stack: tuple[Path, ...]) -> Path:
    path = (origin.path.parent / target).resolve()
    if not is_inside(path, roots):
        raise ManuscriptError(
            f"{{{{< include {target} >}}}} reaches outside the manuscript's folder",
            path=origin.path,
            line=origin.line,
            hint="keep included files inside the manuscript's folder or project",
        )
    if path in stack or path == origin.path.resolve():
        raise ManuscriptError(
            f"{{{{< include {target} >}}}} includes a file that is already being included "
            "(a cycle)",
            path=origin.path,
            line=origin.line,
            hint="remove the include that leads back to a file above it",
        )
    if len(stack) >= MAX_INCLUDE_DEPTH:
        raise ManuscriptError(
            f"includes nested more than {MAX_INCLUDE_DEPTH} levels deep",
            path=origin.path,
            line=origin.line,
            hint="include the files from fewer levels",
        )
    return path


def _read_included(path: Path, origin: Origin, budget: list[int], confined: Roots) -> str:
    try:
        raw = read_input(
            path,
            roots=confined,  # checked on the opened file: a swapped symlink cannot escape
            what="included file",
            error=ManuscriptError,
            max_bytes=MAX_MANUSCRIPT_BYTES,
            hint="fix the path in the include shortcode (relative to the including file)",
        )
    except ManuscriptError as error:
        raise ManuscriptError(
            f"{{{{< include >}}}}: {error.message}: {path.name}",
            path=origin.path,
            line=origin.line,
            hint=error.hint,
        ) from None
    budget[0] -= len(raw)
    if budget[0] < 0:
        raise ManuscriptError(
            "the included files add up to more text than a build reads",
            path=origin.path,
            line=origin.line,
            hint="check the includes for a file included many times",
        )
    text = utf8_text(raw, path, what="included file", error=ManuscriptError)
    return text.replace("\r\n", "\n").removesuffix("\n")
