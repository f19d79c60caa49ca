"""Raw HTML tags that do not pair up, repaired before any writer sees them.

pandoc keeps each tag of raw HTML in a Markdown manuscript as its own raw node, with the
Markdown between them parsed as usual; a typo such as `<h3>Bibliographie</h6>` or a tag
never closed then reaches the EPUB's XHTML as it is, and the EPUB writer stops with an
XML syntax error. Here the lone tags of each list of blocks or inlines are matched as an
HTML5 parser would: an end tag closes the elements opened after its own start tag, a
heading's end tag closes whichever heading is open, a stray end tag is dropped, and what
is still open at the end of the list is closed there. Each repair is a warning naming the
manuscript line. (Within one raw node, nh3's HTML5 parser already repairs the markup.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from typeset import ast
from typeset.formats.html_elements import VOID_ELEMENTS

Node = dict[str, Any]

_START = re.compile(r"^\s*<([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*?(/?)>\s*$")
_END = re.compile(r"^\s*</([a-zA-Z][a-zA-Z0-9-]*)\s*>\s*$")
VOID = VOID_ELEMENTS  # elements with no end tag: never open, never closed
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
RAW_HTML = frozenset({"html", "html5", "html4", "xhtml", "epub", "epub3"})


def balanced_html(value: Any, warn: Callable[[str, str], None]) -> Any:
    """`value` (blocks or a document) with every list's lone HTML tags paired up;
    `warn(message, source text)` is told of each repair."""
    if not ast.survey(value).raw_formats & RAW_HTML:
        return value  # no raw HTML: no tag to pair, no walk

    def rewrite_list(items: list[Any]) -> list[Any] | None:
        if not any(_tag(item) for item in items):
            return None
        result: list[Any] = []
        open_tags: list[tuple[str, str]] = []  # (name, node type)
        changed = False
        for item in items:
            tag = _tag(item)
            if tag is None:
                result.append(item)
                continue
            name, is_end = tag
            if not is_end:
                open_tags.append((name, item["t"]))
                result.append(item)
                continue
            names = [open_name for open_name, _ in open_tags]
            match = name if name in names else None
            if match is None and name in HEADINGS:
                match = next(
                    (open_name for open_name in reversed(names) if open_name in HEADINGS), None
                )
            if match is None:
                warn(
                    f"raw HTML end tag </{name}> closes nothing that is open; left out",
                    f"</{name}>",
                )
                changed = True
                continue
            while open_tags:
                open_name, kind = open_tags.pop()
                if open_name == match:
                    if open_name != name:
                        warn(
                            f"raw HTML <{open_name}> is closed by </{name}>; read as "
                            f"</{open_name}>",
                            f"</{name}>",
                        )
                        changed = True
                        result.append(_end(open_name, item["t"]))
                    else:
                        result.append(item)
                    break
                warn(
                    f"raw HTML <{open_name}> is not closed; closed before </{name}>",
                    f"<{open_name}",
                )
                changed = True
                result.append(_end(open_name, kind))
        for open_name, kind in reversed(open_tags):
            warn(
                f"raw HTML <{open_name}> is not closed; closed where its block ends",
                f"<{open_name}",
            )
            changed = True
            result.append(_end(open_name, kind))
        return result if changed else None

    return ast.transform(value, rewrite_list=rewrite_list)


def _tag(item: Any) -> tuple[str, bool] | None:
    """(name, is it an end tag) for a raw node that is one lone non-void HTML tag."""
    if not isinstance(item, dict) or item.get("t") not in ("RawInline", "RawBlock"):
        return None
    raw_format, text = item["c"]
    if raw_format.lower() not in RAW_HTML:
        return None
    end = _END.match(text)
    if end:
        return end.group(1).lower(), True
    start = _START.match(text)
    if start and not start.group(2) and start.group(1).lower() not in VOID:
        return start.group(1).lower(), False
    return None


def _end(name: str, kind: str) -> Node:
    return {"t": kind, "c": ["html", f"</{name}>"]}
