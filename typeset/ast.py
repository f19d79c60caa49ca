"""Small helpers over pandoc's JSON AST (dicts and lists, as `pandoc -t json` prints)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Node = dict[str, Any]


def walk(value: Any) -> Iterator[Node]:
    """Yield every element node (a dict with a 't' tag) below `value`, depth first."""
    if isinstance(value, dict):
        if "t" in value:
            yield value
        for child in value.values():
            yield from walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child)


def transform(value: Any, rewrite: Callable[[Node], Node | None]) -> Any:
    """Return a copy of `value` with each node replaced by `rewrite(node)`.

    `rewrite` sees nodes bottom-up (children already rewritten) and returns None to keep
    the node as it is.
    """
    if isinstance(value, list):
        return [transform(child, rewrite) for child in value]
    if isinstance(value, dict):
        copied = {key: transform(child, rewrite) for key, child in value.items()}
        if "t" in copied:
            replaced = rewrite(copied)
            return copied if replaced is None else replaced
        return copied
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
