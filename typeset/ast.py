"""Small helpers over pandoc's JSON AST (dicts and lists, as `pandoc -t json` prints)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


# Where an element node keeps its [id, classes, attributes] in its content.
ATTRIBUTE_POSITION = {
    "Div": 0, "Span": 0, "CodeBlock": 0, "Code": 0, "Figure": 0, "Table": 0, "Header": 1,
    "Image": 0, "Link": 0,
}  # fmt: skip


@dataclass(frozen=True)
class Survey:
    """What occurs anywhere in a value of the AST, gathered in one walk.

    A pass that only acts on, say, raw LaTeX or a Div of some class asks the survey
    first and skips its own walk of the whole book when there is nothing of the kind
    (most passes have nothing to do on most books). Each pass's test sits beside it.
    """

    types: frozenset[str]  # element node types ("Div", "Math", "RawInline"...)
    identifiers: frozenset[str]  # non-empty ids of the nodes that carry attributes
    classes: frozenset[str]
    attribute_keys: frozenset[str]
    raw_formats: frozenset[str]  # of RawInline and RawBlock, lower-cased
    citation_ids: frozenset[str]
    brace_labels: frozenset[str]  # "eq-x" for a Str "{#eq-x}" (a label written after math)


# The last values surveyed, by identity: the AST is never modified in place (see
# `transform`), so a pass that changed nothing hands the next one the very list it was
# given, and the survey of it still holds. Values are kept so their ids stay unique.
_SURVEYED: list[tuple[Any, Survey]] = []
_SURVEYS_KEPT = 4


def survey(value: Any) -> Survey:
    """The survey of `value` (blocks, a document, a MetaValue...). A document's blocks and
    metadata are surveyed apart: passes that rebuild the document dict around the same
    blocks then share one walk of them."""
    if isinstance(value, dict) and "blocks" in value and "t" not in value:
        parts = [survey(part) for key, part in value.items() if key != "pandoc-api-version"]
        return Survey(
            *(frozenset().union(*(getattr(part, name) for part in parts)) for name in _FIELDS)
        )
    for surveyed, found in _SURVEYED:
        if surveyed is value:
            return found
    found = _survey(value)
    _SURVEYED.insert(0, (value, found))
    del _SURVEYED[_SURVEYS_KEPT:]
    return found


_FIELDS = tuple(field.name for field in dataclasses.fields(Survey))


def _survey(value: Any) -> Survey:
    types: set[str] = set()
    identifiers: set[str] = set()
    classes: set[str] = set()
    keys: set[str] = set()
    raw_formats: set[str] = set()
    citation_ids: set[str] = set()
    brace_labels: set[str] = set()
    # Lists only on the stack, their items looked at in place: most nodes are Str and
    # Space, which end here without a push.
    stack: list[list[Any]] = [[value]]
    while stack:
        for current in stack.pop():
            if isinstance(current, list):
                stack.append(current)
                continue
            if not isinstance(current, dict):
                continue
            kind = current.get("t")
            if kind is None:  # a citation, a MetaMap's entries, the document itself
                stack.append(list(current.values()))
                continue
            types.add(kind)
            content = current.get("c")
            if isinstance(content, str):
                if kind == "Str" and content.startswith("{#") and content.endswith("}"):
                    brace_labels.add(content[2:-1])
                continue
            if content is None:
                continue
            position = ATTRIBUTE_POSITION.get(kind)
            if position is not None:
                identifier, node_classes, attributes = content[position]
                if identifier:
                    identifiers.add(identifier)
                classes.update(node_classes)
                keys.update(key for key, _ in attributes)
            elif kind in ("RawInline", "RawBlock"):
                raw_formats.add(content[0].lower())
            elif kind == "Cite":
                citation_ids.update(citation["citationId"] for citation in content[0])
            stack.append(content if isinstance(content, list) else [content])
    return Survey(
        types=frozenset(types),
        identifiers=frozenset(identifiers),
        classes=frozenset(classes),
        attribute_keys=frozenset(keys),
        raw_formats=frozenset(raw_formats),
        citation_ids=frozenset(citation_ids),
        brace_labels=frozenset(brace_labels),
    )


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
