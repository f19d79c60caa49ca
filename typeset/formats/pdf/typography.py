"""The print HTML's fine typography: where a line may and may not break.

The printed page breaks lines where pango's line-breaking rules allow; a few places need
the author's intent said explicitly (checked by the typographic preflight, typeset/
preflight.py, on the corpus):

- a quotation mark pandoc writes for a `Quoted` inline is its own text, and WeasyPrint
  may break between it and a following element ("Zhai, “" / "China's Decision"): the
  opening mark is glued to the first word it quotes and the closing mark to the last;
- adjacent note calls print as one number ("⁴⁵" reads as note 45): a superscript comma
  separates them, as the Chicago Manual and Duden set them;
- a URL breaks where a reader expects (CMOS 6.8.5): before "/", ".", "?", "#", "&", "=",
  never inside or right after its scheme: "https://doi.org" stays whole, and a zero-width
  word joiner after each separator stops pango's own break after "/".

(A line before a hard line break, `\\` in Markdown, needs nothing: WeasyPrint 70 does
not stretch it.)

These rewrites are for the PDF only: the EPUB's reading systems break lines themselves and
DOCX leaves it to Word.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

from typeset import ast

# pandoc's HTML writer prints a Quoted inline with these marks.
QUOTE_MARKS = {"DoubleQuote": ("\u201c", "\u201d"), "SingleQuote": ("\u2018", "\u2019")}
# Inline containers whose first or last text is still the quotation's first or last word;
# the index of their inlines in the node's content.
INLINE_CONTENT = {
    "Emph": None,
    "Strong": None,
    "Underline": None,
    "Strikeout": None,
    "SmallCaps": None,
    "Superscript": None,
    "Subscript": None,
    "Span": 1,
    "Link": 1,
    "Quoted": 1,
    "Cite": 1,
}
URL = re.compile(r"^(?P<url>(?:(?:https?|ftp)://|www\.)\S+?)(?P<after>[.,;:)\]]*)$")
URL_HEAD = re.compile(r"^(?:(?:https?|ftp)://)?[^/?#]*")
URL_SEPARATORS = re.compile(r"([/.?#&=])")
WORD_JOINER = "\u2060"
OPENING_MARKS = frozenset("“‘„‚([{¿¡«‹")  # noqa: RUF001
# Between two note calls: a superscript comma (print.css `.note-call-separator`).
NOTE_CALL_SEPARATOR = {
    "t": "RawInline",
    "c": ["html", '<span class="note-call-separator">,</span>'],
}


def print_typography(node: ast.Node) -> ast.Node | None:
    """The rewrite (for ast.transform) of quotations and URLs."""
    kind = node["t"]
    if kind == "Quoted":
        return _joined_quotation(node)
    if kind == "Str":
        return _breakable_url(node["c"])
    return None


def print_inline_lists(inlines: list[Any]) -> list[Any] | None:
    """The list rewrite (ast.transform's `rewrite_list`): adjacent notes separated, and
    opening punctuation the author typed before an element glued into it."""
    glued = _glued_opening_punctuation(inlines)
    separated = separated_note_calls(glued if glued is not None else inlines)
    return separated if separated is not None else glued


def _glued_opening_punctuation(inlines: list[Any]) -> list[Any] | None:
    """A Str ending with an opening mark ("“", "(") right before an inline element
    (`“*China's Decision*”`, `(<https://...>)`): the mark moves into the element's first
    word, so no break is possible between them."""
    changed: list[Any] | None = None
    index = 0
    while index < len(inlines) - 1:
        here, after = inlines[index], inlines[index + 1]
        if (
            isinstance(here, dict)
            and here.get("t") == "Str"
            and here["c"][-1:] in OPENING_MARKS
            and isinstance(after, dict)
            and after.get("t") in INLINE_CONTENT
        ):
            moved = _glue([after], here["c"][-1], first=True)
            if moved is not None:
                changed = list(inlines) if changed is None else changed
                rest = here["c"][:-1]
                position = index + (len(changed) - len(inlines))
                changed[position : position + 2] = (
                    [{"t": "Str", "c": rest}] if rest else []
                ) + moved
        index += 1
    return changed


def separated_note_calls(inlines: list[Any]) -> list[Any] | None:
    """Adjacent note calls with a separator between them."""
    if not any(_is_note(left) and _is_note(right) for left, right in itertools.pairwise(inlines)):
        return None
    separated: list[Any] = []
    for inline in inlines:
        if separated and _is_note(inline) and _is_note(separated[-1]):
            separated.append(NOTE_CALL_SEPARATOR)
        separated.append(inline)
    return separated


def _is_note(value: Any) -> bool:
    return isinstance(value, dict) and value.get("t") == "Note"


def _joined_quotation(node: ast.Node) -> ast.Node:
    quote_type, inlines = node["c"]
    opening, closing = QUOTE_MARKS.get(quote_type["t"], QUOTE_MARKS["DoubleQuote"])
    glued = _glue(inlines, opening, first=True)
    glued = _glue(glued, closing, first=False) if glued is not None else None
    if glued is None:  # no word to glue to (the quotation is only math or a note)
        glued = [{"t": "Str", "c": opening}, *inlines, {"t": "Str", "c": closing}]
    return {"t": "Span", "c": [["", [], []], glued]}


def _glue(inlines: list[Any], mark: str, *, first: bool) -> list[Any] | None:
    """`inlines` with `mark` joined to the text of their first (or last) word."""
    if not inlines:
        return None
    index = 0 if first else len(inlines) - 1
    inline = inlines[index]
    kind = inline["t"]
    if kind == "Str":
        text = mark + inline["c"] if first else inline["c"] + mark
        replaced: Any = {"t": "Str", "c": text}
    elif kind in INLINE_CONTENT:
        position = INLINE_CONTENT[kind]
        content = inline["c"] if position is None else inline["c"][position]
        inner = _glue(content, mark, first=first)
        if inner is None:
            return None
        if position is None:
            replaced = {"t": kind, "c": inner}
        else:
            parts = list(inline["c"])
            parts[position] = inner
            replaced = {"t": kind, "c": parts}
    else:
        return None
    return [*inlines[:index], replaced, *inlines[index + 1 :]]


def _breakable_url(text: str) -> ast.Node | None:
    match = URL.match(text)
    if match is None:
        return None
    url = match["url"]
    head = URL_HEAD.match(url)
    assert head is not None  # the pattern matches the empty string
    rest = url[head.end() :]
    pieces = [
        f"<wbr>{html.escape(piece)}{WORD_JOINER}"
        if URL_SEPARATORS.fullmatch(piece)
        else html.escape(piece)
        for piece in URL_SEPARATORS.split(rest)
        if piece
    ]
    markup = (
        f'<span class="url"><span class="url-head">{html.escape(head.group(0))}</span>'
        f"{''.join(pieces)}</span>{html.escape(match['after'])}"
    )
    return {"t": "RawInline", "c": ["html", markup]}
