"""Quarto's panel layouts side by side: `layout-ncol`, `layout-nrow`, `layout="[[1,1],[2]]"`.

Run after the cross-reference stage has numbered the panel and lettered its subfigures.
The panel becomes a `layout-grid` div of `layout-row` divs of `layout-cell` divs, each
cell's width its share of the row: the stylesheets set the rows side by side (flex), so
the PDF and EPUB keep their structure (no data table is claimed); Word has no side by
side but tables, so `word_tables` makes each row a borderless table for the DOCX writer,
as Quarto itself lays out panels for DOCX. The panel's caption stays below.
"""

from __future__ import annotations

import json
import math
from typing import Any

from typeset import ast
from typeset.quarto.blocks import LAYOUT_ATTRIBUTES

Node = dict[str, Any]
MAX_COLUMNS = 12  # a wider row is no layout a page can print


def with_layouts(document: dict[str, Any]) -> dict[str, Any]:
    if not ast.survey(document["blocks"]).attribute_keys.intersection(LAYOUT_ATTRIBUTES):
        return document  # no panel: no walk
    return {**document, "blocks": ast.transform(document["blocks"], _panel)}


def _panel(node: Node) -> Node | None:
    if node["t"] not in ("Figure", "Div"):
        return None
    attr = node["c"][0]
    named = dict(attr[2])
    if not any(key in named for key in LAYOUT_ATTRIBUTES):
        return None
    content = node["c"][-1]
    cells, rest = _cells_and_caption(content, is_div=node["t"] == "Div" and bool(attr[0]))
    if len(cells) < 1:
        return None
    rows = _rows(cells, named)
    grid = {
        "t": "Div",
        "c": [["", ["layout-grid"], []], [_row(row, widths) for row, widths in rows]],
    }
    kept = [[key, value] for key, value in attr[2] if key not in LAYOUT_ATTRIBUTES]
    new_attr = [attr[0], attr[1], kept]
    return {"t": node["t"], "c": [new_attr, *node["c"][1:-1], [grid, *rest]]}


def _cells_and_caption(content: list[Node], *, is_div: bool) -> tuple[list[Node], list[Node]]:
    """A labelled panel div (not yet a Figure: a table panel) keeps its last paragraph,
    the caption, below the grid."""
    if is_div and len(content) > 1 and content[-1]["t"] == "Para":
        return content[:-1], content[-1:]
    return list(content), []


def _rows(cells: list[Node], named: dict[str, str]) -> list[tuple[list[Node], list[float]]]:
    spec = _layout_spec(named.get("layout", ""))
    rows: list[tuple[list[Node], list[float]]] = []
    if spec:
        index = 0
        while index < len(cells):
            for weights in spec:
                row = cells[index : index + len(weights)]
                if not row:
                    break
                total = sum(weights[: len(row)])
                rows.append((row, [weight / total for weight in weights[: len(row)]]))
                index += len(row)
        return rows
    if "layout-ncol" in named:
        columns = _count(named["layout-ncol"])
    else:
        columns = math.ceil(len(cells) / _count(named.get("layout-nrow", "1")))
    columns = max(1, min(columns, MAX_COLUMNS))
    for start in range(0, len(cells), columns):
        row = cells[start : start + columns]
        rows.append((row, [1 / columns] * len(row)))
    return rows


def _layout_spec(text: str) -> list[list[float]]:
    """`[[1,1],[1]]` or `[1,1]` -> rows of positive weights (negative: Quarto's spacers,
    taken as their width)."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    if isinstance(value, list) and value and all(isinstance(item, (int, float)) for item in value):
        value = [value]
    rows = []
    for row in value if isinstance(value, list) else []:
        if isinstance(row, list) and row and all(isinstance(item, (int, float)) for item in row):
            rows.append([abs(float(item)) or 1.0 for item in row][:MAX_COLUMNS])
    return rows


def _count(text: str) -> int:
    try:
        return max(1, int(str(text).strip()))
    except ValueError:
        return 1


def _row(row: list[Node], widths: list[float]) -> Node:
    cells = [
        {
            "t": "Div",
            "c": [["", ["layout-cell"], [["style", f"width: {width * 100:.2f}%"]]], [block]],
        }
        for block, width in zip(row, widths, strict=True)
    ]
    return {"t": "Div", "c": [["", ["layout-row"], []], cells]}


def word_tables(document: dict[str, Any]) -> dict[str, Any]:
    """Each `layout-row` div as a one-row borderless table: Word's side by side."""

    def rewrite(node: Node) -> Node | None:
        if node["t"] != "Div" or "layout-row" not in node["c"][0][1]:
            return None
        cells = node["c"][1]
        widths = [_width(cell) for cell in cells]
        return _row_table([cell["c"][1] for cell in cells], widths)

    return {**document, "blocks": ast.transform(document["blocks"], rewrite)}


def _width(cell: Node) -> float:
    style = dict(cell["c"][0][2]).get("style", "")
    try:
        return float(style.split(":")[1].strip().rstrip("%")) / 100
    except (IndexError, ValueError):
        return 0.0


def _row_table(row: list[list[Node]], widths: list[float]) -> Node:
    none = ["", [], []]
    total = sum(widths) or 1.0
    specs = [[{"t": "AlignCenter"}, {"t": "ColWidth", "c": width / total}] for width in widths]
    cells = [[none, {"t": "AlignCenter"}, 1, 1, blocks] for blocks in row]
    body = [none, 0, [], [[none, cells]]]
    return {
        "t": "Table",
        "c": [["", ["layout-grid"], []], [None, []], specs, [none, []], [body], [none, []]],
    }
