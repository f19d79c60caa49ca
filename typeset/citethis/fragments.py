"""Rendering fragments of pandoc AST to HTML or text, many in one pandoc run."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from typeset.errors import OutputError
from typeset.pandoc import run_pandoc

Block = dict[str, Any]


_FRAGMENT_MARKER = "TYPESETFRAGMENT{}END"
_FRAGMENT_SPLIT = re.compile(r"(?:<p>)?TYPESETFRAGMENT(\d+)END(?:</p>)?\n*")


def render_fragments(
    fragments: Sequence[Sequence[Block]], to: Literal["html", "plain"]
) -> list[str]:
    """Render lists of pandoc blocks to HTML or plain text with one pandoc run for all.

    A marker paragraph separates the fragments; the output is split on it.
    """
    blocks: list[Block] = []
    for index, fragment in enumerate([*fragments, []]):
        blocks.append({"t": "Para", "c": [{"t": "Str", "c": _FRAGMENT_MARKER.format(index)}]})
        blocks.extend(fragment)
    document = {"pandoc-api-version": pandoc_api_version(), "meta": {}, "blocks": blocks}
    output = run_pandoc(
        ["--from", "json", "--to", to, "--wrap=none", "--sandbox"], _json(document)
    ).decode()
    pieces = _FRAGMENT_SPLIT.split(output)
    # split() gives [before, index0, text0, index1, text1, ..., indexN, after]
    texts = [piece.strip() for piece in pieces[2::2]]
    if len(texts) != len(fragments) + 1:
        raise OutputError(f"could not split pandoc's {to} output into {len(fragments)} parts")
    return texts[:-1]


@functools.cache
def pandoc_api_version() -> list[int]:
    version: list[int] = json.loads(run_pandoc(["--from", "markdown", "--to", "json"], b""))[
        "pandoc-api-version"
    ]
    return version


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()
