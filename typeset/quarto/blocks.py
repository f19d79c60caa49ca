"""Quarto's presentation attributes and divs, read on the parsed manuscript, before the
cross-reference stage numbers it.

- callouts (`.callout-note|tip|warning|important|caution`): a title block first, from the
  `title` attribute, else a heading that opens the callout (then not a section of the
  document), else the kind's word in the document's language (typeset.locale);
  `collapse`, `appearance` and `icon` are screen behaviour, dropped in print;
- figures and tables (`fig-alt` is typeset.presentation's): `fig-align` becomes a class
  the stylesheets align by, `fig-cap`/`tbl-cap` on a div its caption, `tbl-colwidths`
  the table's column widths; in a `layout-*` figure each image is a subfigure (given an
  id so it is lettered (a), (b), ...);
- the `.cell` and `.cell-output*` divs Quarto's frozen results wrap outputs in are opened,
  so a figure inside is a subfigure of its panel as in the source.

Side by side placement happens after numbering (typeset.quarto.layout).
"""

from __future__ import annotations

import json
import re
from typing import Any

from typeset import ast, locale

Node = dict[str, Any]

CALLOUT_KINDS = ("note", "tip", "warning", "important", "caution")
# Screen-only callout behaviour: a printed page cannot fold or show an icon.
CALLOUT_SCREEN_ATTRIBUTES = frozenset({"collapse", "appearance", "icon"})
LAYOUT_ATTRIBUTES = ("layout-ncol", "layout-nrow", "layout")
CELL_WRAPPERS = frozenset({"cell", "cell-output", "cell-output-display", "cell-output-stdout"})


def with_quarto_blocks(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with callouts titled, figure attributes applied and cell divs opened."""
    found = ast.survey(document["blocks"])
    if not (found.types & {"Div", "Figure"} or "tbl-colwidths" in found.attribute_keys):
        return document  # each rewrite is of a Div, a Figure or a Table's column widths
    lang = ast.plain_text(document["meta"].get("lang"))
    rewrite = ast.first_of(
        lambda node: _callout(node, lang),
        _figure_attributes,
        _table_column_widths,
    )
    blocks = ast.transform(document["blocks"], rewrite, rewrite_list=_opened_cell_divs)
    return {**document, "blocks": blocks}


# --- callouts ------------------------------------------------------------------------------


def callout_kind(classes: list[str]) -> str | None:
    for name in classes:
        if name.startswith("callout-") and name.removeprefix("callout-") in CALLOUT_KINDS:
            return name.removeprefix("callout-")
    # A bare `.callout` is Quarto's untyped callout: framed, titled only if given one.
    return "" if "callout" in classes else None


def _callout(node: Node, lang: str) -> Node | None:
    if node["t"] != "Div":
        return None
    (identifier, classes, attributes), content = node["c"]
    kind = callout_kind(classes)
    if kind is None or "callout-title" in classes or _has_title(content):
        return None
    named = dict(attributes)
    title: list[Node]
    if named.get("title"):
        title = _words(named["title"])
    elif content and content[0]["t"] == "Header":
        title, content = content[0]["c"][2], content[1:]
    elif kind:
        title = _words(locale.callout_title(lang, kind))
    else:
        return None
    heading = {
        "t": "Div",
        "c": [["", ["callout-title"], []], [{"t": "Para", "c": [{"t": "Strong", "c": title}]}]],
    }
    kept = [
        [key, value]
        for key, value in attributes
        if key not in CALLOUT_SCREEN_ATTRIBUTES and key != "title"
    ]
    new_classes = ["callout", *[name for name in classes if name != "callout"]]
    if kind and f"callout-{kind}" not in new_classes:
        new_classes.append(f"callout-{kind}")
    return {"t": "Div", "c": [[identifier, new_classes, kept], [heading, *content]]}


def _has_title(content: list[Node]) -> bool:
    return bool(content) and content[0]["t"] == "Div" and "callout-title" in content[0]["c"][0][1]


# --- figures and tables --------------------------------------------------------------------


def _figure_attributes(node: Node) -> Node | None:
    kind = node["t"]
    if kind == "Figure":
        return _layout_panel(_aligned(node), node)
    if kind == "Div":
        return _layout_panel(node, node)
    return None


def _aligned(node: Node) -> Node:
    """`fig-align` (on the figure or its image) as a class the stylesheets align by."""
    alignments = [
        value
        for child in ast.walk(node["c"][2])
        if child["t"] == "Image"
        for key, value in child["c"][0][2]
        if key == "fig-align"
    ]
    alignments += [value for key, value in node["c"][0][2] if key == "fig-align"]
    if not alignments or alignments[0] not in ("left", "right", "center"):
        return node
    identifier, classes, attributes = node["c"][0]
    new_classes = [*classes, f"fig-align-{alignments[0]}"]
    return {"t": "Figure", "c": [[identifier, new_classes, attributes], *node["c"][1:]]}


def _layout_panel(node: Node, original: Node) -> Node | None:
    """A figure or table div: its caption attribute becomes its caption paragraph, and in a
    layout each bare image becomes a subfigure with an id (so it is lettered)."""
    attr = node["c"][0]
    identifier, classes, attributes = attr
    named = dict(attributes)
    prefix = identifier.split("-", 1)[0] if "-" in identifier else ""
    caption_key = f"{prefix}-cap"
    changed = False
    content = list(node["c"][-1])
    if node["t"] == "Div" and prefix in ("fig", "tbl") and named.get(caption_key):
        content.append({"t": "Para", "c": _words(named[caption_key])})
        attributes = [[key, value] for key, value in attributes if key != caption_key]
        changed = True
    if prefix == "fig" and any(key in named for key in LAYOUT_ATTRIBUTES):
        subfigures = _subfigures(content[:-1] if node["t"] == "Div" else content, identifier)
        content = [*subfigures, content[-1]] if node["t"] == "Div" else subfigures
        changed = True
    if not changed:
        return node if node is not original else None
    return {"t": node["t"], "c": [[identifier, classes, attributes], *node["c"][1:-1], content]}


def _subfigures(blocks: list[Node], parent: str) -> list[Node]:
    """Each image of a layout panel as a Figure of its own, with an id if it had none."""
    result: list[Node] = []
    for block in blocks:
        images = _images_only(block)
        if images is None:
            result.append(block)
            continue
        for image in images:
            alt = image["c"][1]
            result.append(
                {
                    "t": "Figure",
                    "c": [
                        ["", [], []],
                        [None, [{"t": "Plain", "c": alt}] if alt else []],
                        [{"t": "Plain", "c": [image]}],
                    ],
                }
            )
    count = 0
    numbered = []
    for block in result:
        if block["t"] == "Figure":
            count += 1
            if not block["c"][0][0]:
                block = {
                    "t": "Figure",
                    "c": [[f"{parent}-{count}", *block["c"][0][1:]], *block["c"][1:]],
                }
        numbered.append(block)
    return numbered


def _images_only(block: Node) -> list[Node] | None:
    if block["t"] not in ("Para", "Plain"):
        return None
    images = [inline for inline in block["c"] if inline["t"] == "Image"]
    others = [
        inline
        for inline in block["c"]
        if inline["t"] not in ("Image", "Space", "SoftBreak", "LineBreak")
    ]
    return images if images and not others else None


def _table_column_widths(node: Node) -> Node | None:
    """`tbl-colwidths="[30,70]"` (percentages, as Quarto reads them) -> column widths."""
    if node["t"] != "Table":
        return None
    identifier, classes, attributes = node["c"][0]
    value = dict(attributes).get("tbl-colwidths")
    if value is None:
        return None
    kept = [[key, item] for key, item in attributes if key != "tbl-colwidths"]
    specs = node["c"][2]
    try:
        widths = [float(number) for number in json.loads(value)]
    except (ValueError, TypeError):
        widths = []
    if len(widths) == len(specs) and all(width > 0 for width in widths):
        total = sum(widths) if sum(widths) > 100 else 100.0
        specs = [
            [align, {"t": "ColWidth", "c": width / total}]
            for (align, _), width in zip(specs, widths, strict=True)
        ]
    return {"t": "Table", "c": [[identifier, classes, kept], node["c"][1], specs, *node["c"][3:]]}


# --- frozen cells ---------------------------------------------------------------------------


def _opened_cell_divs(blocks: list[Any]) -> list[Any] | None:
    """The contents of `.cell` / `.cell-output*` divs in place of the divs (their id,
    `cell-fig-x`, names no target; a figure's own id is on the figure)."""
    if not any(isinstance(block, dict) and _is_cell_wrapper(block) for block in blocks):
        return None
    result: list[Any] = []
    for block in blocks:
        if isinstance(block, dict) and _is_cell_wrapper(block):
            result.extend(block["c"][1])
        else:
            result.append(block)
    return result


def _is_cell_wrapper(block: Node) -> bool:
    if block.get("t") != "Div":
        return False
    identifier, classes, _ = block["c"][0]
    return bool(CELL_WRAPPERS & set(classes)) and not re.match(r"^(fig|tbl)-", identifier)


def _words(text: str) -> list[Node]:
    inlines: list[Node] = []
    for word in str(text).split():
        if inlines:
            inlines.append({"t": "Space"})
        inlines.append({"t": "Str", "c": word})
    return inlines
