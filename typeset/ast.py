"""Small helpers over pandoc's JSON AST (dicts and lists, as `pandoc -t json` prints)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Node = dict[str, Any]


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


def transform(value: Any, rewrite: Callable[[Node], Node | None]) -> Any:
    """Return `value` with each node replaced by `rewrite(node)`, copying only what changes.

    `rewrite` sees nodes bottom-up (children already rewritten), returns None to keep the
    node as it is, and must not modify the node it is given: unchanged subtrees are shared
    between the input and the result.
    """
    if isinstance(value, list):
        result = None
        for index, child in enumerate(value):
            new = transform(child, rewrite)
            if new is not child:
                if result is None:
                    result = list(value)
                result[index] = new
        return value if result is None else result
    if isinstance(value, dict):
        node = value
        for key, child in value.items():
            if isinstance(child, (list, dict)):
                new = transform(child, rewrite)
                if new is not child:
                    if node is value:
                        node = dict(value)
                    node[key] = new
        if "t" in node:
            replaced = rewrite(node)
            if replaced is not None:
                return replaced
        return node
    return value


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


def meta_text(meta_node: Any) -> str:
    """Plain text of a MetaValue (inlines flattened), for PDF info and file names."""
    if meta_node is None:
        return ""
    parts: list[str] = []
    for node in walk(meta_node):
        kind = node["t"]
        if kind in ("Str", "MetaString"):
            parts.append(node["c"])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
    return "".join(parts).strip()


def author_names(author: Any) -> list[str]:
    """Plain names from pandoc's `author`: a name, a list of names, or of {name: ...} maps."""
    if author is None:
        return []
    items = author["c"] if author["t"] == "MetaList" else [author]
    names = []
    for item in items:
        if item["t"] == "MetaMap":
            item = item["c"].get("name")
        name = meta_text(item)
        if name:
            names.append(name)
    return names
