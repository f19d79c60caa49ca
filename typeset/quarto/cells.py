"""Quarto's executable cells, shown as Quarto shows them, without running any code.

    ```{python}            ```{r fig-growth, echo=FALSE}      ```{mermaid}
    #| label: fig-growth   plot(growth)                       %%| label: fig-flow
    #| fig-cap: Growth     ```                                flowchart LR ...
    plot(growth)                                               ```
    ```

A cell is a fence whose info string is `{engine ...}`; pandoc would read it as a code
block with a garbled class, or pair its fences wrongly. Each cell becomes plain Markdown:

- its options: the `#|` lines (YAML, any comment prefix: `#|`, `//|`, `%%|`, `--|`), the
  knitr header (`{r label, echo=FALSE, fig.cap="..."}`), over the document's `execute:`
  (or top-level / `knitr: opts_chunk:`) defaults;
- its code as a highlighted listing, unless `echo` is false (`fenced` shows the fences);
  diagrams (`mermaid`, `dot`) default to no echo, as in Quarto;
- its outputs from Quarto's frozen results (typeset.quarto.freeze) when they hold the cell,
  unless `eval`/`output` is false; `include: false` leaves nothing at all;
- otherwise a figure or table cell (a `fig-`/`tbl-` label or a caption) becomes a visible
  placeholder with the label and caption, so `@fig-x` still resolves to its number, and
  one warning names the cell's line. A diagram is never rendered here: its source is
  printed as a listing (in its figure, when labelled) and a warning says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from typeset.errors import ManuscriptError
from typeset.limits import bounded_yaml
from typeset.quarto.freeze import FrozenCell, FrozenResults, normalised_code
from typeset.quarto.lines import FENCE as _FENCE
from typeset.quarto.lines import Origin, SourceLine, closes_fence, log, warn

_CELL_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{(\{?)([A-Za-z][\w+-]*)([^{}]*)\}(\}?)\s*$")
_OPTION_LINE = re.compile(r"^\s*(#|//|%%|--|%|')\|\s?(.*)$")
_INLINE_CELL = re.compile(r"`\{([A-Za-z][\w+-]*)\}()\s+([^`]+)`")
_KNITR_INLINE = re.compile(r"`(?:\{([A-Za-z][\w+-]*)\}|(r))\s+([^`]+)`")

DIAGRAM_ENGINES = frozenset({"mermaid", "dot"})
# The class pandoc's highlighter knows each engine's code by.
HIGHLIGHT_LANGUAGE = {"ojs": "javascript", "rcpp": "cpp", "r": "r", "dot": "dot"}
DOCUMENT_OPTIONS = ("echo", "eval", "include", "output")


@dataclass
class CellReport:
    """What the pass did, for one summary line instead of one warning per plain cell."""

    cells: int = 0
    frozen: int = 0
    without_output: list[int] = field(default_factory=list)


def document_defaults(front_matter: Mapping[str, Any]) -> dict[str, Any]:
    """The cell options the document sets for every cell: `execute:`, then the same keys
    at the top level and knitr's `opts_chunk` (Quarto reads all three)."""
    defaults: dict[str, Any] = {}
    knitr = front_matter.get("knitr")
    if isinstance(knitr, Mapping) and isinstance(knitr.get("opts_chunk"), Mapping):
        defaults.update(_knitr_names(knitr["opts_chunk"]))
    for key in DOCUMENT_OPTIONS:
        if key in front_matter:
            defaults[key] = front_matter[key]
    execute = front_matter.get("execute")
    if isinstance(execute, Mapping):
        defaults.update({key: value for key, value in execute.items() if isinstance(key, str)})
    return defaults


def expand_cells(
    lines: list[SourceLine],
    defaults: Mapping[str, Any],
    frozen: FrozenResults | None,
    report: CellReport,
) -> list[SourceLine]:
    """`lines` with every executable cell replaced by what a print render shows."""
    result: list[SourceLine] = []
    index = 0
    fence: str | None = None
    # knitr's inline `r expr` is R code only in a document that runs R (elsewhere it may
    # be any inline code starting with "r ").
    inline = _KNITR_INLINE if any(_is_r_cell(line.text) for line in lines) else _INLINE_CELL
    while index < len(lines):
        line = lines[index]
        if fence is None:
            opening = _CELL_OPEN.match(line.text)
            if opening:
                end = _closing_fence(lines, index, opening.group(2))
                cell = _Cell.read(opening, lines[index + 1 : end], line.origin)
                result.extend(cell.render(defaults, frozen, report))
                index = end + 1
                continue
            plain = _FENCE.match(line.text)
            if plain:
                fence = plain.group(1)
            result.append(_with_inline_cells(line, inline))
        else:
            if closes_fence(line.text, fence):
                fence = None
            result.append(line)
        index += 1
    return result


def summarise(report: CellReport, manuscript: Path, frozen: FrozenResults | None) -> None:
    """One warning for the plain cells whose output (if any) is not printed."""
    if report.cells:
        log.info(
            "%s: %d code cell(s), %d with frozen outputs", manuscript, report.cells, report.frozen
        )
    if report.without_output:
        shown = ", ".join(map(str, report.without_output[:12]))
        more = " ..." if len(report.without_output) > 12 else ""
        where = (
            f"no frozen result holds them ({frozen.json_path})"
            if frozen
            else ("there are no frozen results (_freeze/)")
        )
        warn(
            Origin(manuscript, report.without_output[0]),
            f"{len(report.without_output)} code cell(s) shown without their output (lines "
            f"{shown}{more}): typeset runs no code and {where}; render once with Quarto "
            "and `freeze: auto` to keep their outputs",
        )


def _closing_fence(lines: list[SourceLine], start: int, fence: str) -> int:
    for index in range(start + 1, len(lines)):
        if closes_fence(lines[index].text, fence):
            return index
    return len(lines)  # an unclosed cell runs to the end, as pandoc reads an unclosed fence


def _is_r_cell(text: str) -> bool:
    opening = _CELL_OPEN.match(text)
    return opening is not None and opening.group(4).lower() == "r" and not opening.group(3)


def _with_inline_cells(line: SourceLine, inline: re.Pattern[str]) -> SourceLine:
    """`{python} expr` (and knitr's `r expr`) inline: shown as the code it is, with a
    warning, as it is not evaluated."""
    if line.verbatim or "`" not in line.text:
        return line

    def replace(match: re.Match[str]) -> str:
        engine, expression = match.group(1) or match.group(2), match.group(3).strip()
        warn(
            line.origin,
            f"inline expression `{{{engine}}} {expression}` is not evaluated (typeset runs "
            "no code); its code is printed",
        )
        return f"`{expression}`"

    return SourceLine(inline.sub(replace, line.text), line.origin)


def _knitr_names(options: Mapping[Any, Any]) -> dict[str, Any]:
    """knitr's `fig.cap`, `out.width` are Quarto's `fig-cap`, `out-width`."""
    return {str(key).replace(".", "-"): value for key, value in options.items()}


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("false", "no", "f", "0", "off"):
        return False
    if text in ("true", "yes", "t", "1", "on", "fenced", "asis"):
        return True
    return default


def _knitr_value(text: str) -> Any:
    text = text.strip()
    if text in ("TRUE", "T"):
        return True
    if text in ("FALSE", "F"):
        return False
    if len(text) >= 2 and text[0] in "\"'" and text[-1] == text[0]:
        return text[1:-1]
    return text


# One option of a cell header: `key=value` (quoted, a call such as `c(6, 4)`, or a bare
# word) or a bare word (the label, when first). knitr separates them with commas, Quarto's
# `{python echo=false}` with spaces: both are read.
_HEADER_OPTION = re.compile(
    r"""([\w.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*'|[\w.]*\([^()]*\)|[^,\s]+)|([^,\s=]+)"""
)


def _header_options(text: str) -> dict[str, Any]:
    """knitr's `label, echo=FALSE, fig.cap="a, b"` or `echo=false fig-cap="x"`."""
    options: dict[str, Any] = {}
    for position, match in enumerate(_HEADER_OPTION.finditer(text)):
        if match.group(1):
            options[match.group(1).replace(".", "-")] = _knitr_value(match.group(2))
        elif position == 0 and not match.group(3).startswith((".", "#")):
            options["label"] = match.group(3)
    return options


@dataclass
class _Cell:
    engine: str
    displayed_only: bool  # ```{{python}}: a cell shown as an example, never run
    indent: str
    options: dict[str, Any]
    code: list[str]  # without the option lines
    source: list[str]  # the whole cell as written, for echo: fenced
    origin: Origin

    @classmethod
    def read(cls, opening: re.Match[str], body: list[SourceLine], origin: Origin) -> _Cell:
        indent, engine = opening.group(1), opening.group(4)
        displayed_only = bool(opening.group(3)) and bool(opening.group(6))
        options = _header_options(opening.group(5).strip().lstrip(",").strip())
        texts = [
            line.text[len(indent) :] if line.text.startswith(indent) else line.text.lstrip()
            for line in body
        ]
        option_lines: list[str] = []
        start = 0
        while start < len(texts):
            match = _OPTION_LINE.match(texts[start])
            if not match:
                break
            option_lines.append(match.group(2))
            start += 1
        if option_lines and not displayed_only:
            options.update(_yaml_options(option_lines, origin))
        fence = opening.group(2)
        source = [f"{fence}{{{engine}{opening.group(5)}}}", *texts, fence]
        code = texts if displayed_only else texts[start:]
        while code and not code[-1].strip():
            code = code[:-1]
        return cls(engine, displayed_only, indent, options, code, source, origin)

    # --- options --------------------------------------------------------------------------

    def option(self, key: str, defaults: Mapping[str, Any]) -> Any:
        return self.options.get(key, defaults.get(key))

    @property
    def label(self) -> str:
        value = self.options.get("label")
        return str(value) if value is not None else ""

    @property
    def float_kind(self) -> str:
        """'fig' or 'tbl' for a figure or table cell, '' otherwise."""
        for kind in ("fig", "tbl"):
            if self.label.startswith(f"{kind}-") or self.options.get(f"{kind}-cap"):
                return kind
        return ""

    def caption(self) -> str:
        value = self.options.get(f"{self.float_kind}-cap") if self.float_kind else None
        if isinstance(value, list):
            value = " ".join(str(item) for item in value)
        return " ".join(str(value).split()) if value else ""

    # --- rendering ------------------------------------------------------------------------

    def render(
        self, defaults: Mapping[str, Any], frozen: FrozenResults | None, report: CellReport
    ) -> list[SourceLine]:
        if self.displayed_only:
            return self._lines(self._listing(fenced=True, language="markdown"))
        report.cells += 1
        if not _flag(self.option("include", defaults), True):
            return []
        diagram = self.engine.lower() in DIAGRAM_ENGINES
        echo_value = self.option("echo", {} if diagram else defaults)
        echo = _flag(echo_value, not diagram)
        fenced = str(echo_value).strip().lower() == "fenced"
        listing = self._listing(fenced=fenced) if echo else []
        if diagram:
            return self._lines(self._diagram())
        evaluated = _flag(self.option("eval", defaults), True)
        shown = evaluated and _flag(self.option("output", defaults), True)
        if not shown or (self.engine.lower() == "ojs" and not self.float_kind):
            return self._lines(listing)  # OJS runs in a browser: print shows its code
        cell = frozen.claim(self.label, normalised_code(self.code)) if frozen is not None else None
        if frozen is not None and cell is not None:
            report.frozen += 1
            return self._lines([*listing, *self._frozen_outputs(cell, frozen)])
        if self.float_kind:
            warn(
                self.origin,
                f"cell {self.label or '(unlabelled ' + self.float_kind + ')'} was not run "
                "(typeset runs no code) and has no frozen result; a placeholder is printed "
                "in its place (render once with Quarto and `freeze: auto` to keep its output)",
            )
            return self._lines([*listing, *self._placeholder()])
        report.without_output.append(self.origin.line)
        return self._lines(listing)

    def _lines(self, texts: list[str]) -> list[SourceLine]:
        return [
            SourceLine(self.indent + text if text else "", self.origin, verbatim=True)
            for text in texts
        ]

    def _listing(self, *, fenced: bool, language: str | None = None) -> list[str]:
        body = self.source if fenced else self.code
        longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
        fence = "`" * max(3, longest + 1)
        name = language or HIGHLIGHT_LANGUAGE.get(self.engine.lower(), self.engine.lower())
        return ["", f"{fence} {{.{name} .cell-code}}", *body, fence, ""]

    def _float(self, content: list[str]) -> list[str]:
        """`content` as a figure/table div with the cell's label and caption, which the
        cross-reference stage numbers like any other."""
        attributes = [f"#{self.label}"] if self.label.startswith(f"{self.float_kind}-") else []
        for key in ("layout-ncol", "layout-nrow", "layout", "fig-align"):
            if key in self.options:
                attributes.append(f'{key}="{self.options[key]}"')
        caption = self.caption()
        return [
            "",
            f"::: {{{' '.join(attributes)}}}",
            *content,
            "",
            *([caption, ""] if caption else []),
            ":::",
            "",
        ]

    def _placeholder(self) -> list[str]:
        name = self.label or self.float_kind
        return self._float(
            [
                "",
                "::: {.cell-output-missing}",
                f"[Output of cell **{name}** not available: the code was not run.]",
                ":::",
            ]
        )

    def _diagram(self) -> list[str]:
        name = f"{self.engine} diagram {self.label}".strip()
        warn(
            self.origin,
            f"{name} is not drawn (typeset has no {self.engine} renderer); its source is "
            "printed as a listing",
        )
        listing = self._listing(fenced=False)
        return self._float(listing) if self.float_kind else listing

    def _frozen_outputs(self, cell: FrozenCell, frozen: FrozenResults) -> list[str]:
        outputs = [frozen.figure_path(line) for line in cell.outputs]
        if not self.float_kind or (self.label and self.label in cell.labels):
            return ["", *outputs, ""]
        caption_key = f"{self.float_kind}-cap"
        if not self.caption() and caption_key in cell.attributes:
            self.options[caption_key] = cell.attributes[caption_key]
        return self._float(outputs)


def _yaml_options(lines: list[str], origin: Origin) -> dict[str, Any]:
    try:
        # measured first: an alias bomb in a cell's options must not hang the build
        value = bounded_yaml(
            "\n".join(lines), origin.path, ManuscriptError, first_line=origin.line + 1
        )
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = origin.line + 1 + (mark.line if mark is not None else 0)
        warn(Origin(origin.path, line), f"cell options are not valid YAML; ignored ({error})")
        return {}
    if not isinstance(value, dict):
        warn(origin, "cell options are not `key: value` lines; ignored")
        return {}
    return {str(key): item for key, item in value.items()}
