"""Small helpers over pandoc's JSON AST (dicts and lists, as `pandoc -t json` prints)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Node = dict[str, Any]
# What ast.transform applies to each node: a new node, or None to keep it.
Rewrite = Callable[[Node], Node | None]


def walk(value: Any) -> Iterator[Node]:
    """Yield every element node (a dict with a 't' tag) below `value`, depth first.

    Iterative: a book-length AST has millions of nodes, and nested generators cost a
    frame per level for every node they pass up.
    """
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if "t" in current:
                yield current
            children = current.get("c") if "t" in current else list(current.values())
            if isinstance(children, list):
                stack.extend(reversed(children))
            elif isinstance(children, dict):
                stack.append(children)
        elif isinstance(current, list):
            stack.extend(reversed(current))


def walk_with_enclosing(value: Any) -> Iterator[tuple[Node, frozenset[str]]]:
    """Like `walk`, with the types of the element nodes each node sits inside (e.g. to
    tell a citation in a footnote from one in the text)."""
    stack: list[tuple[Any, frozenset[str]]] = [(value, frozenset())]
    while stack:
        current, enclosing = stack.pop()
        if isinstance(current, dict):
            children = current.get("c") if "t" in current else list(current.values())
            inner = enclosing
            if "t" in current:
                yield current, enclosing
                inner = enclosing | {current["t"]}
            if isinstance(children, list):
                stack.extend((child, inner) for child in reversed(children))
            elif isinstance(children, dict):
                stack.append((children, inner))
        elif isinstance(current, list):
            stack.extend((child, enclosing) for child in reversed(current))


def transform(
    value: Any,
    rewrite: Callable[[Node], Node | None] | None = None,
    *,
    rewrite_list: Callable[[list[Any]], list[Any] | None] | None = None,
) -> Any:
    """Return `value` with each node replaced by `rewrite(node)`, copying only what changes.

    `rewrite` sees nodes bottom-up (children already rewritten), returns None to keep the
    node as it is, and must not modify the node it is given: unchanged subtrees are shared
    between the input and the result. `rewrite_list` does the same for each list (of
    inlines, blocks...), for rewrites that look at neighbours.
    """
    if isinstance(value, list):
        result = None
        for index, child in enumerate(value):
            new = transform(child, rewrite, rewrite_list=rewrite_list)
            if new is not child:
                if result is None:
                    result = list(value)
                result[index] = new
        current = value if result is None else result
        if rewrite_list is not None:
            replaced_list = rewrite_list(current)
            if replaced_list is not None:
                return replaced_list
        return current
    if isinstance(value, dict):
        node = value
        for key, child in value.items():
            if isinstance(child, (list, dict)):
                new = transform(child, rewrite, rewrite_list=rewrite_list)
                if new is not child:
                    if node is value:
                        node = dict(value)
                    node[key] = new
        if "t" in node and rewrite is not None:
            replaced = rewrite(node)
            if replaced is not None:
                return replaced
        return node
    return value


def first_of(*rewrites: Rewrite | None) -> Rewrite:
    """One rewrite made of several that each handle their own node types: a node gets the
    first one's answer that is not None. One transform pass instead of one per rewrite
    (a pass over a book's AST is a tenth of a second or more)."""
    present = [rewrite for rewrite in rewrites if rewrite is not None]

    def first(node: Node) -> Node | None:
        for rewrite in present:
            replaced = rewrite(node)
            if replaced is not None:
                return replaced
        return None

    return first


def cite_keys(value: Any) -> list[str]:
    """Citation keys in document order, each once."""
    keys: dict[str, None] = {}
    for node in walk(value):
        if node["t"] == "Cite":
            for citation in node["c"][0]:
                keys.setdefault(citation["citationId"], None)
    return list(keys)


def meta_value(value: Any) -> Node:
    """Convert a plain YAML value (from the config) into a pandoc MetaValue."""
    if isinstance(value, bool):
        return {"t": "MetaBool", "c": value}
    if isinstance(value, dict):
        return {"t": "MetaMap", "c": {str(k): meta_value(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"t": "MetaList", "c": [meta_value(item) for item in value]}
    return {"t": "MetaString", "c": str(value)}


# The marks smart typography's Quoted nodes stand for: pandoc adds them only in a writer,
# so text flattened from Str nodes alone would lose them from a title.
QUOTE_MARKS = {"DoubleQuote": ("\u201c", "\u201d"), "SingleQuote": ("\u2018", "\u2019")}
_BREAKS = frozenset({"Space", "SoftBreak", "LineBreak"})
# Elements whose content is [attributes or citations, inlines, ...]: only the inlines are text.
_SECOND_PART_IS_TEXT = frozenset({"Span", "Div", "Link", "Image", "Cite"})


def plain_text(value: Any, *, notes: bool = False) -> str:
    """What a reader sees of pandoc inlines, blocks or a MetaValue, as one line of text.

    Quotation marks, code and math are kept; raw markup is not. A footnote is dropped
    (a note in a title is not part of its name), or with `notes` written `^[...]` where
    its call is, so a note citation and the text around it read as one string. Blocks
    are separated by a space; runs of whitespace become one space.
    """
    parts: list[str] = []
    _flatten(value, parts, notes)
    return " ".join("".join(parts).split())


def _flatten(value: Any, parts: list[str], notes: bool) -> None:
    if isinstance(value, list):
        for child in value:
            _flatten(child, parts, notes)
        return
    if not isinstance(value, dict) or "t" not in value:
        return
    kind: str = value["t"]
    content: Any = value.get("c")
    if kind in ("Str", "MetaString"):
        parts.append(str(content))
    elif kind in _BREAKS:
        parts.append(" ")
    elif kind in ("Code", "Math"):
        parts.append(str(content[1]))
    elif kind in ("RawInline", "RawBlock"):
        return
    elif kind == "Quoted":
        opening, closing = QUOTE_MARKS[content[0]["t"]]
        parts.append(opening)
        _flatten(content[1], parts, notes)
        parts.append(closing)
    elif kind == "Note":
        if notes:
            note: list[str] = []
            _flatten(content, note, notes)
            parts.append("^[" + "".join(note).strip() + "]")
    elif kind in _SECOND_PART_IS_TEXT:
        _flatten(content[1], parts, notes)
    elif kind in ("Para", "Plain", "Header"):
        _flatten(content[-1] if kind == "Header" else content, parts, notes)
        parts.append(" ")
    elif kind == "MetaMap":
        _flatten(list(content.values()), parts, notes)
    elif isinstance(content, list):
        _flatten(content, parts, notes)


def alt_text(image: Node) -> str:
    """The text a reader is given for an image: an explicit `{alt=...}` attribute, else
    its description (for a figure, the caption), as pandoc writes it."""
    attributes = dict(image["c"][0][2])
    if "alt" in attributes:
        return str(attributes["alt"]).strip()
    return plain_text(image["c"][1])
