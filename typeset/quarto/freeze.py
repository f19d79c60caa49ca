"""Quarto's frozen computations: the outputs a `quarto render` stored under `_freeze/`.

With `freeze` on, Quarto writes `_freeze/<path of the manuscript without extension>/
execute-results/<format>.json`, whose `result.markdown` is the whole document as the
engine left it: each executable cell a fenced div with class `cell`, its code in a
`.cell-code` block, its outputs in `.cell-output*` divs, figures as images under
`<stem>_files/figure-<format>/`, stored beside the JSON as `_freeze/<path>/figure-<format>/`.

This module reads those cells; `typeset.quarto.cells` puts each one's outputs in place of
the source cell it belongs to, so the author's current text stays the source of truth and
only the outputs come from the freeze (what `freeze: true` does in Quarto, without its
check that the source is unchanged: typeset cannot run the code to refresh them).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from typeset.limits import MAX_BIBLIOGRAPHY_BYTES
from typeset.quarto.lines import FENCE as _FENCE
from typeset.quarto.lines import Origin, closes_fence, warn
from typeset.quarto.project import read_project_file

# Formats whose figures every output can show (PNG/SVG), before those stored as PDF.
PREFERRED_RESULTS = ("html", "epub", "docx", "typst", "gfm", "markdown", "latex", "tex", "pdf")

_DIV_OPEN = re.compile(r"^\s*(:{3,})\s*\{([^}]*)\}\s*$|^\s*(:{3,})\s*([\w-]+)\s*$")
_DIV_CLOSE = re.compile(r"^\s*(:{3,})\s*$")
_LABEL_IN_TEXT = re.compile(r"#((?:fig|tbl)-[\w:.-]+)")


@dataclass(frozen=True)
class FrozenCell:
    identifier: str
    classes: tuple[str, ...]
    attributes: dict[str, str]
    code: str  # normalised, for matching a source cell
    outputs: list[str]  # Markdown lines: the cell's content without its code
    labels: frozenset[str]  # fig-/tbl- labels its outputs carry


@dataclass
class FrozenResults:
    """The cells of one frozen result, taken in order as source cells claim them."""

    cells: list[FrozenCell]
    json_path: Path
    figure_prefix: str  # `<stem>_files/` as the markdown writes figure paths
    figure_folder: str  # the same files, relative to the manuscript's folder
    cursor: int = 0
    claimed: int = 0

    def claim(self, label: str, code: str) -> FrozenCell | None:
        """The frozen cell of a source cell: by its label, else the next with its code."""
        found = None
        if label:
            found = next(
                (
                    index
                    for index, cell in enumerate(self.cells)
                    if cell.identifier in (label, f"cell-{label}") or label in cell.labels
                ),
                None,
            )
        if found is None and code:
            found = next(
                (
                    index
                    for index in range(self.cursor, len(self.cells))
                    if self.cells[index].code == code
                ),
                None,
            )
        if found is None:
            return None
        self.cursor = max(self.cursor, found + 1)
        self.claimed += 1
        return self.cells[found]

    def figure_path(self, text: str) -> str:
        """Figure paths of the frozen Markdown pointed into `_freeze/`, where Quarto keeps
        them between renders (the `<stem>_files/` copy exists only after a render)."""
        return text.replace(self.figure_prefix, self.figure_folder)


def normalised_code(lines: list[str]) -> str:
    kept = [line.rstrip() for line in lines if not re.match(r"^\s*(#|//|%%|--|%)\|", line)]
    return "\n".join(kept).strip("\n")


def find_frozen_results(
    manuscript: Path, project: Path, *, reader_folder: Path | None = None
) -> FrozenResults | None:
    """The frozen results of `manuscript` under `project`'s `_freeze/`, or None; figure
    paths are made relative to `reader_folder` (default: the manuscript's folder)."""
    try:
        relative = manuscript.resolve().relative_to(project.resolve()).with_suffix("")
    except ValueError:
        return None
    folder = project / "_freeze" / relative
    results = folder / "execute-results"
    if not results.is_dir():
        return None
    candidates = [results / f"{name}.json" for name in PREFERRED_RESULTS]
    candidates += sorted(results.glob("*.json"))
    json_path = next((path for path in candidates if path.is_file()), None)
    if json_path is None:
        return None
    origin = Origin(json_path, 1)
    raw = read_project_file(
        json_path,
        project,
        what="frozen result",
        max_bytes=MAX_BIBLIOGRAPHY_BYTES,
        hint="render the manuscript again with quarto, or delete the _freeze folder",
    )
    try:
        markdown = json.loads(raw.decode("utf-8"))["result"]["markdown"]
    except (ValueError, KeyError, TypeError, RecursionError):
        warn(origin, "not a Quarto frozen result (no result.markdown); its outputs are not used")
        return None
    if not isinstance(markdown, str):
        return None
    stem = manuscript.stem
    reader = (reader_folder or manuscript.parent).resolve()
    figure_folder = os.path.relpath(folder.resolve(), reader).replace(os.sep, "/")
    return FrozenResults(
        cells=frozen_cells(markdown),
        json_path=json_path,
        figure_prefix=f"{stem}_files/",
        figure_folder=f"{figure_folder}/",
    )


def frozen_cells(markdown: str) -> list[FrozenCell]:
    """Every top-level `::: {.cell}` div of a frozen result's Markdown, in order."""
    cells: list[FrozenCell] = []
    lines = markdown.split("\n")
    index = 0
    while index < len(lines):
        match = _DIV_OPEN.match(lines[index])
        if match and match.group(2) is not None and ".cell" in match.group(2).split():
            end = _div_end(lines, index)
            cells.append(_frozen_cell(match.group(2), lines[index + 1 : end]))
            index = end + 1
            continue
        index += 1
    return cells


def _div_end(lines: list[str], start: int) -> int:
    """The index of the line closing the div opened at `start` (or the last line)."""
    depth = 0
    fence: str | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        fence_match = _FENCE.match(line)
        if fence is not None:
            if closes_fence(line, fence):
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        if _DIV_OPEN.match(line):
            depth += 1
        elif _DIV_CLOSE.match(line):
            depth -= 1
            if depth == 0:
                return index
    return len(lines) - 1


def _frozen_cell(attributes_text: str, body: list[str]) -> FrozenCell:
    identifier, classes, attributes = parse_attributes(attributes_text)
    code: list[str] = []
    outputs: list[str] = []
    index = 0
    while index < len(body):
        line = body[index]
        fence_match = _FENCE.match(line)
        if fence_match and ".cell-code" in fence_match.group(2):
            end = _fence_end(body, index, fence_match.group(1))
            code.extend(body[index + 1 : end])
            index = end + 1
            continue
        div_match = _DIV_OPEN.match(line)
        if div_match and div_match.group(2) is not None and ".hidden" in div_match.group(2).split():
            index = _div_end(body, index) + 1
            continue
        outputs.append(line)
        index += 1
    labels = frozenset(_LABEL_IN_TEXT.findall("\n".join(outputs)))
    return FrozenCell(
        identifier, tuple(classes), attributes, normalised_code(code), outputs, labels
    )


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    for index in range(start + 1, len(lines)):
        if closes_fence(lines[index], fence):
            return index
    return len(lines) - 1


_ATTRIBUTE = re.compile(r"""([#.][^\s#.=]+)|([\w-]+)=("[^"]*"|'[^']*'|\S+)""")


def parse_attributes(text: str) -> tuple[str, list[str], dict[str, str]]:
    """pandoc's `{#id .class key=value}` as (id, classes, attributes)."""
    identifier = ""
    classes: list[str] = []
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        if match.group(1):
            if match.group(1)[0] == "#":
                identifier = match.group(1)[1:]
            else:
                classes.append(match.group(1)[1:])
        else:
            value = match.group(3)
            if value[:1] in "\"'" and value[-1:] == value[:1]:
                value = value[1:-1]
            attributes[match.group(2)] = value
    return identifier, classes, attributes
