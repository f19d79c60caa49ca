"""The lists of figures and tables (`lof`, `lot`): a heading and one linked entry each."""

from __future__ import annotations

from typeset import ast
from typeset.ast import Node
from typeset.crossref.numbering import Target
from typeset.crossref.syntax import str_node
from typeset.crossref.words import Words


def list_of(targets: dict[str, Target], kind: str, name: str, words: Words, level: int) -> Node:
    """A heading and one linked entry per numbered figure or table (not subfigures).

    The PDF stylesheet adds dotted leaders and page numbers (target-counter), as for the
    contents; EPUB and DOCX show the plain linked list.
    """
    entries = []
    for label, target in targets.items():
        if target.kind != kind or target.number is None or " " in target.number:
            continue
        number = {"t": "Span", "c": [["", ["list-number"], []], [str_node(target.number)]]}
        title = _plain_inlines(target.title)
        link = {
            "t": "Link",
            "c": [["", [], []], [number, {"t": "Space"}, *title], [f"#{label}", ""]],
        }
        entries.append([{"t": "Plain", "c": [link]}])
    heading = {
        "t": "Header",
        "c": [
            level,
            [f"{name}-title", ["unnumbered", "unlisted"], []],
            [str_node(words.list_title(kind))],
        ],
    }
    body: list[Node] = [heading]
    if entries:
        body.append({"t": "BulletList", "c": entries})
    return {"t": "Div", "c": [[name, [name], []], body]}


def _plain_inlines(inlines: list[Node]) -> list[Node]:
    """A caption fit for a list entry: no footnotes (they would print twice), no links
    (the entry is one), no ids (they would be duplicated)."""

    def rewrite(node: Node) -> Node | None:
        kind = node["t"]
        if kind == "Link":
            return {"t": "Span", "c": [["", [], []], node["c"][1]]}
        if kind == "Note":
            return {"t": "Span", "c": [["", [], []], []]}
        if kind == "Span" and node["c"][0][0]:
            return {"t": "Span", "c": [["", node["c"][0][1], node["c"][0][2]], node["c"][1]]}
        return None

    result: list[Node] = ast.transform(inlines, rewrite)
    return result
