"""Quarto Markdown, read as Quarto reads it, before pandoc parses the manuscript.

A `.qmd` (or a `.md` written in Quarto's habits) carries constructs pandoc's Markdown
reader does not know: includes, executable cells and shortcodes. One source-level pass
turns them into plain pandoc Markdown, in Quarto's order:

    includes (typeset.quarto.includes) -> cells (cells, freeze) -> shortcodes (shortcodes,
    embed)

Every line keeps its origin (typeset.quarto.lines), so each warning names the file and
line the author wrote, an included file's own line included. Nothing is executed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from typeset.errors import ManuscriptError
from typeset.frontmatter import leading_front_matter
from typeset.limits import MAX_CONFIG_BYTES, bounded_yaml
from typeset.quarto.cells import CellReport, document_defaults, expand_cells, summarise
from typeset.quarto.embed import embedded
from typeset.quarto.freeze import find_frozen_results
from typeset.quarto.includes import expand_includes
from typeset.quarto.lines import Origin, SourceLine, joined, source_lines
from typeset.quarto.project import project_root, read_project_file
from typeset.quarto.shortcodes import expand_shortcodes

log = logging.getLogger(__name__)

# Text without any of these has nothing for this pass to do (most manuscripts).
_MARKERS = ("{{<", "{{{<", "```{", "~~~{", "`{")


@dataclass(frozen=True)
class ExpandedSource:
    """The text pandoc reads, where each of its lines came from, and the files read."""

    text: str
    lines: tuple[SourceLine, ...]  # empty when nothing was expanded
    files: tuple[Path, ...]

    def origin_of(self, line: int | None) -> tuple[Path, int] | None:
        """The author's file and line of line `line` of the expanded text."""
        if line is None or not 1 <= line <= len(self.lines):
            return None
        origin = self.lines[line - 1].origin
        return origin.path, origin.line


def expand_quarto(
    path: Path,
    text: str,
    *,
    metadata: Mapping[str, Any] | None = None,
    allowed_roots: list[Path] | None = None,
    keep_lines: bool = False,
) -> ExpandedSource:
    """`text` (the manuscript at `path`) with includes, cells and shortcodes expanded.
    With `keep_lines` (a chapter of a book), the lines carry their origins even when
    nothing was expanded."""
    if not any(marker in text for marker in _MARKERS):
        # its lines are the manuscript's own
        return ExpandedSource(text, tuple(source_lines(path, text)) if keep_lines else (), ())
    lines = source_lines(path, text)
    roots = allowed_roots or [path.parent]
    project = project_root(path, roots)
    files: list[Path] = []
    lines = expand_includes(lines, roots, files)
    front_matter = {**leading_front_matter(path).values, **(metadata or {})}
    frozen = find_frozen_results(path, project)
    if frozen is not None:
        files.append(frozen.json_path)
    report = CellReport()
    lines = expand_cells(lines, document_defaults(front_matter), frozen, report)
    summarise(report, path, frozen)
    variables = _variables(project, files)

    def embed(arguments: list[str], origin: Origin) -> str:
        return embedded(arguments, origin, roots, project, path.parent, files)

    lines = expand_shortcodes(lines, front_matter, variables, embed=embed)
    return ExpandedSource(joined(lines), tuple(lines), tuple(files))


def _variables(project: Path, files: list[Path]) -> Mapping[str, Any]:
    """The project's `_variables.yml` (Quarto's `{{< var >}}` values), or nothing."""
    path = project / "_variables.yml"
    if not path.is_file():
        return {}
    files.append(path)
    raw = read_project_file(
        path, project, what="_variables.yml", max_bytes=MAX_CONFIG_BYTES, hint=""
    )
    try:
        value = bounded_yaml(raw.decode("utf-8-sig"), path, ManuscriptError)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ManuscriptError(
            f"_variables.yml is not readable YAML: {error}",
            path=path,
            hint="write it as 'name: value' lines",
        ) from None
    return value if isinstance(value, Mapping) else {}
