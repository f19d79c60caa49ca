"""What an author writes: the labels' kinds, and the spellings made one before numbering.

A label is `kind-name` (Quarto's); pandoc-crossref's and LaTeX's `kind:name` is respelled
so (`with_dashed_labels`), and Quarto's `::: {#fig-x}` / `::: {#tbl-x}` divs become the
Figure and Table blocks every format knows (`floats_from_divs`).
"""

from __future__ import annotations

import re
from typing import Any

from typeset import ast
from typeset.ast import Node

# Label prefix -> the locale term its references and captions use.
KIND_TERMS: dict[str, str] = {
    "fig": "figure",
    "tbl": "table",
    "eq": "equation",
    "sec": "section",
    # Quarto's theorem-like blocks (`::: {#thm-x}`), numbered per kind
    "thm": "theorem",
    "lem": "lemma",
    "cor": "corollary",
    "prp": "proposition",
    "cnj": "conjecture",
    "def": "definition",
    "exm": "example",
    "exr": "exercise",
    "rem": "remark",
    "sol": "solution",
    # code listings (`{#lst-x lst-cap="..."}`) and algorithms (the pseudocode extension)
    "lst": "listing",
    "algo": "algorithm",
}
FLOAT_KINDS = ("fig", "tbl")
THEOREM_KINDS = frozenset({"thm", "lem", "cor", "prp", "cnj", "def", "exm", "exr", "rem", "sol"})
LISTING_KINDS = frozenset({"lst", "algo"})
# Unnumbered companions of the theorems: their word opens the block, in italics.
PROOF_CLASSES = {"proof": "proof", "remark": "remark", "solution": "solution"}
LABEL = re.compile(r"^(" + "|".join(KIND_TERMS) + r")-\S+$")
EQUATION_LABEL = re.compile(r"^\{#(eq-[^\s}]+)\}$")
EQUATION_TAG = re.compile(r"\\tag\*?\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
UNNUMBERED_CLASSES = frozenset({"unnumbered"})


def kind_of(label: str) -> str | None:
    """'fig' for 'fig-plot' (or 'Fig-plot'); None for a key that is no label kind."""
    match = LABEL.match(label[:1].lower() + label[1:])
    return match.group(1) if match else None


def lowered(label: str) -> str:
    """`@Fig-x` refers to `fig-x`: only the first letter carries the capital."""
    return label[:1].lower() + label[1:]


# --- pandoc-crossref's and LaTeX's `kind:name` labels -> Quarto's `kind-name` -------------

# `{#fig:x}`, `@eq:x`, `{#tab:x}` (the LaTeX habit for tables), `{#lst:x}`: the spellings of
# pandoc-crossref and of LaTeX authors, for the kinds Quarto's labels name with a dash.
COLON_LABEL = re.compile(r"^(fig|tbl|tab|eq|sec|lst|thm|lem|cor|def|algo?):(\S+)$")


def dashed_label(label: str) -> str:
    """'fig-x' for 'fig:x' (and 'tbl-x' for 'tab:x'); any other label as it is."""
    match = COLON_LABEL.match(label)
    if match is None:
        return label
    kind = {"tab": "tbl", "alg": "algo"}.get(match.group(1), match.group(1))
    return f"{kind}-{match.group(2)}"


def with_dashed_labels(blocks: list[Node], citation_keys: frozenset[str]) -> list[Node]:
    """Every `kind:name` id, `{#eq:name}` equation label and `@kind:name` reference (that is
    not a bibliography key) spelled `kind-name`, so one numbering serves both syntaxes."""
    found = ast.survey(blocks)
    if not any(
        COLON_LABEL.match(label)
        for label in (*found.identifiers, *found.brace_labels, *found.citation_ids)
    ):
        return blocks  # nothing spelled `kind:name`: no walk

    def rewrite(node: Node) -> Node | None:
        kind = node["t"]
        content: Any = node.get("c")
        if kind == "Cite":
            citations = content[0]
            if not any(
                COLON_LABEL.match(c["citationId"]) and c["citationId"] not in citation_keys
                for c in citations
            ):
                return None
            renamed = [
                {**c, "citationId": dashed_label(c["citationId"])}
                if c["citationId"] not in citation_keys
                else c
                for c in citations
            ]
            return {"t": "Cite", "c": [renamed, content[1]]}
        if kind == "Str" and content.startswith("{#") and content.endswith("}"):
            label = dashed_label(content[2:-1])
            return None if label == content[2:-1] else {"t": "Str", "c": "{#" + label + "}"}
        attr_index = ATTRIBUTE_POSITION.get(kind)
        if attr_index is None:
            return None
        attr = content[attr_index]
        label = dashed_label(attr[0])
        if label == attr[0]:
            return None
        new_content = list(content)
        new_content[attr_index] = [label, *attr[1:]]
        return {"t": kind, "c": new_content}

    result: list[Node] = ast.transform(blocks, rewrite)
    return result


ATTRIBUTE_POSITION = ast.ATTRIBUTE_POSITION  # where a node keeps its attributes


# --- Quarto's div syntax -> pandoc Figure and Table blocks -------------------------------


def floats_from_divs(blocks: list[Node]) -> list[Node]:
    """`::: {#fig-x}` / `::: {#tbl-x}` become a Figure (or a captioned Table) with that id.

    As in Quarto, the div's last paragraph is the caption; a table div holding one table
    gives the table the id and caption, so every format sees a native captioned table.
    A document with neither such a div nor a Figure is handed back without a walk.
    """
    found = ast.survey(blocks)
    has_float_divs = "Div" in found.types and any(
        label.split("-", 1)[0] in FLOAT_KINDS for label in found.identifiers if "-" in label
    )
    if not has_float_divs and "Figure" not in found.types:
        return blocks

    def rewrite(node: Node) -> Node | None:
        if node["t"] != "Div":
            return None
        (identifier, classes, attributes), content = node["c"]
        kind = identifier.split("-", 1)[0] if "-" in identifier else ""
        if kind not in FLOAT_KINDS or not content:
            return None
        caption: list[Node] = []
        body = content
        if len(content) > 1 and content[-1]["t"] == "Para":
            caption, body = content[-1]["c"], content[:-1]
        tables = [block for block in body if block["t"] == "Table"]
        if kind == "tbl" and len(body) == 1 and tables:
            table = body[0]
            short, old_caption = table["c"][1]
            caption_blocks = [{"t": "Plain", "c": caption}] if caption else old_caption
            return {
                "t": "Table",
                "c": [[identifier, classes, attributes], [short, caption_blocks], *table["c"][2:]],
            }
        return {
            "t": "Figure",
            "c": [
                [identifier, classes, attributes],
                [None, [{"t": "Plain", "c": caption}] if caption else []],
                body,
            ],
        }

    floats: list[Node] = ast.transform(blocks, rewrite)
    described: list[Node] = ast.transform(floats, _described_by_caption)
    return described


def _described_by_caption(node: Node) -> Node | None:
    """An image of a captioned figure with no description of its own (`![](plot.pdf)` in a
    `::: {#fig-x}` div, Quarto's habit) is described by the caption, as pandoc describes
    an implicit figure's image: a reader is never left with an undescribed image."""
    if node["t"] != "Figure" or not node["c"][1][1]:
        return None
    caption = ast.plain_text(node["c"][1][1])
    if not caption:
        return None

    def described(image: Node) -> Node | None:
        if image["t"] != "Image" or ast.alt_text(image):
            return None
        return {"t": "Image", "c": [image["c"][0], [str_node(caption)], image["c"][2]]}

    content: list[Node] = ast.transform(node["c"][2], described)
    if content is node["c"][2]:
        return None
    return {"t": "Figure", "c": [node["c"][0], node["c"][1], content]}


CELL_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")


def with_cell_options(block: Node) -> Node:
    """A plain code block whose first lines are Quarto cell options (```` ```pseudocode ````
    with `#| label: algo-x`, `#| algo-cap: ...`): labelled by them, the option lines
    removed. Any other code block is returned as it is."""
    (_, classes, attributes), text = block["c"]
    lines = text.split("\n")
    options: dict[str, str] = {}
    while lines and (match := CELL_OPTION.match(lines[0])):
        options[match.group(1)] = match.group(2).strip("\"'")
        lines.pop(0)
    label = options.get("label", "")
    if kind_of(label) not in LISTING_KINDS:
        return block
    captions = [[key, value] for key, value in options.items() if key.endswith("-cap")]
    return {"t": "CodeBlock", "c": [[label, classes, [*attributes, *captions]], "\n".join(lines)]}


def str_node(value: str) -> Node:
    return {"t": "Str", "c": value}
