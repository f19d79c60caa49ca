"""Quarto's `{{< embed notebook.ipynb#label >}}`: a cell's stored outputs in place.

Quarto manuscripts keep their computations in notebooks and embed one cell's output (a
figure, a table) in the article. Nothing is run here either: a Jupyter notebook's outputs
are the ones saved in it (images become data: URIs, which the sanitiser checks like any
image), a `.qmd` notebook's come from its frozen results. The cell is found by its
`#| label:` option (or its cell id); its `fig-cap`/`tbl-cap` become the caption, and a
`fig-`/`tbl-` label keeps its number. A cell that cannot be found or has no stored output
prints a placeholder naming it, with a warning.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from typeset.confine import Roots
from typeset.errors import ManuscriptError
from typeset.limits import MAX_BIBLIOGRAPHY_BYTES, read_input
from typeset.quarto.freeze import find_frozen_results
from typeset.quarto.lines import Origin, warn
from typeset.quarto.project import is_inside

_OPTION = re.compile(r"^\s*(#|//|%%|--)\|\s?(.*)$")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


def embedded(
    arguments: list[str],
    origin: Origin,
    roots: list[Path],
    project: Path,
    reader: Path,
    files: list[Path],
) -> str:
    """The Markdown of the embedded cell's outputs (several lines), or a placeholder."""
    target = arguments[0] if arguments else ""
    file_name, _, label = target.partition("#")
    path = (origin.path.parent / file_name).resolve()
    if not file_name or not is_inside(path, roots):
        raise ManuscriptError(
            f"{{{{< embed {target} >}}}} names no notebook inside the manuscript's folder",
            path=origin.path,
            line=origin.line,
            hint="embed a notebook of the project: {{< embed notebooks/analysis.ipynb#fig-x >}}",
        )
    try:
        found_file = path.is_file()
    except OSError:  # a name too long for the file system, ...
        found_file = False
    if not found_file:
        raise ManuscriptError(
            f"{{{{< embed >}}}}: notebook not found: {file_name}",
            path=origin.path,
            line=origin.line,
            hint="fix the path (relative to the file that embeds it)",
        )
    files.append(path)
    if path.suffix == ".ipynb":
        found = _notebook_cell(path, label, origin, reader, Roots.of(untrusted=roots))
    else:
        found = _frozen_cell(path, label, project, reader)
    if found is None:
        warn(
            origin,
            f"{{{{< embed {target} >}}}}: no stored output for cell {label or '(none named)'}; "
            "a placeholder is printed (save the notebook with its outputs, or render it once "
            "with Quarto and `freeze: auto`)",
        )
        return _panel(label, "", [f"[Output of cell **{label}** not available.]"])
    return found


def _panel(label: str, caption: str, content: list[str]) -> str:
    kind = label.split("-", 1)[0] if "-" in label else ""
    if kind not in ("fig", "tbl"):
        return "\n\n" + "\n".join(content) + "\n\n"
    lines = ["", "", f"::: {{#{label}}}", "", *content, ""]
    if caption:
        lines += [" ".join(caption.split()), ""]
    return "\n".join([*lines, ":::", "", ""])


def _notebook_cell(
    path: Path, label: str, origin: Origin, reader: Path, confined: Roots
) -> str | None:
    raw = read_input(
        path,
        roots=confined,  # checked on the opened file
        what="notebook",
        error=ManuscriptError,
        max_bytes=MAX_BIBLIOGRAPHY_BYTES,
        hint="embed a smaller notebook",
    )
    try:
        notebook = json.loads(raw.decode("utf-8"))
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise ManuscriptError(
            "not a Jupyter notebook (.ipynb JSON)",
            path=path,
            hint="re-save the notebook from Jupyter",
        ) from None
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        options = _options(cell.get("source", ""))
        if label and label not in (options.get("label"), cell.get("id")):
            continue
        content = _outputs(cell.get("outputs") or [], label)
        if not content:
            return None
        caption = options.get("fig-cap") or options.get("tbl-cap") or ""
        return _panel(label, str(caption), content)
    return None


def _options(source: Any) -> dict[str, Any]:
    text = "".join(source) if isinstance(source, list) else str(source)
    lines = []
    for line in text.split("\n"):
        match = _OPTION.match(line)
        if not match:
            break
        lines.append(match.group(2))
    try:
        value = yaml.safe_load("\n".join(lines)) if lines else {}
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


def _outputs(outputs: list[Any], label: str) -> list[str]:
    """A notebook cell's outputs as Markdown: images, Markdown, then plain text."""
    content: list[str] = []
    for output in outputs:
        if not isinstance(output, dict):
            continue
        if output.get("output_type") == "stream":
            content += ["```", _text(output.get("text")).rstrip("\n"), "```", ""]
            continue
        data = output.get("data") or {}
        image = next((kind for kind in IMAGE_TYPES if kind in data), None)
        if image:
            encoded = "".join(_text(data[image]).split())
            content += [f"![](data:{image};base64,{encoded})", ""]
        elif "text/markdown" in data:
            content += [_text(data["text/markdown"]), ""]
        elif "text/plain" in data:
            content += ["```", _text(data["text/plain"]).rstrip("\n"), "```", ""]
    return content


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _frozen_cell(path: Path, label: str, project: Path, reader: Path) -> str | None:
    frozen = find_frozen_results(path, project, reader_folder=reader)
    if frozen is None or not label:
        return None
    cell = frozen.claim(label, "")
    if cell is None:
        return None
    outputs = [frozen.figure_path(line) for line in cell.outputs]
    if label in cell.labels:
        return "\n\n" + "\n".join(outputs) + "\n\n"
    caption = cell.attributes.get("fig-cap") or cell.attributes.get("tbl-cap") or ""
    return _panel(label, caption, outputs)
