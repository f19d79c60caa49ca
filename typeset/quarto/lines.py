"""Source lines that remember where they came from, so a warning about text that an
include or a code cell moved still names the file and line the author wrote."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("typeset.quarto")


@dataclass(frozen=True)
class Origin:
    """A line of an author's file: the manuscript's own, or one it includes."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class SourceLine:
    """One line of the text pandoc will read. `verbatim` lines (the code of an executable
    cell) are code as the author wrote it: no shortcode is expanded in them."""

    text: str
    origin: Origin
    verbatim: bool = False


def source_lines(path: Path, text: str) -> list[SourceLine]:
    return [
        SourceLine(line, Origin(path, number))
        for number, line in enumerate(text.split("\n"), start=1)
    ]


def joined(lines: list[SourceLine]) -> str:
    return "\n".join(line.text for line in lines)


def warn(origin: Origin, message: str) -> None:
    log.warning("%s: %s", origin, message)


FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")


def closes_fence(text: str, fence: str) -> bool:
    """Whether `text` closes a code block opened by `fence` (same character, at least as
    long, nothing after it), as CommonMark and pandoc read fences."""
    match = FENCE.match(text)
    return bool(
        match
        and match.group(1)[0] == fence[0]
        and len(match.group(1)) >= len(fence)
        and not match.group(2).strip()
    )
