"""Notes as page footnotes: every block a note holds, in phrasing HTML for `float: footnote`.

WeasyPrint sets an element floated to the footnote area at the foot of the page where it
is called, which means the element must sit where the call is: inside a paragraph. A
paragraph may hold only phrasing content, and the HTML parser closes it at the first
<p>, <blockquote> or <ul> inside: so a note's blocks are written by pandoc as usual, then
each block element is renamed to a <span class="note-TAG">, which print.css displays as
the block it was (paragraphs, quotations, lists, code, tables).
"""

from __future__ import annotations

import concurrent.futures
import html
import json
import re
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from typeset import ast
from typeset.formats.html_elements import VOID_ELEMENTS
from typeset.pandoc import run_pandoc

# Elements HTML does not allow inside a paragraph, as pandoc writes them for a note's
# blocks. print.css gives each `span.note-TAG` the display of TAG.
BLOCK_ELEMENTS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
# Void block elements: a rule keeps its place; column widths mean nothing in a note.
DROPPED_ELEMENTS = frozenset({"col", "colgroup"})
KEPT_ATTRIBUTES = frozenset({"id", "lang", "dir", "style", "title", "role", "colspan", "rowspan"})
NOTE_MARKER = "typeset-note-"


@dataclass(frozen=True)
class PrintNotes:
    """A document's notes as page footnotes. `rewrite` (for ast.transform) puts a
    placeholder where each Note was; `filled` puts each note's HTML in its place in the
    page's HTML. The notes are written by pandoc in a thread of their own while the body
    is written by another pandoc run."""

    rewrite: ast.Rewrite
    _written: concurrent.futures.Future[list[str]]
    _placeholder: re.Pattern[bytes]

    def filled(self, page: bytes) -> bytes:
        notes = self._written.result()
        return self._placeholder.sub(lambda match: notes[int(match[1])].encode(), page)


def print_notes(
    document: dict[str, Any],
    body: ast.Rewrite,
    pandoc_options: list[str],
    *,
    tagged: bool = True,
) -> PrintNotes | None:
    """The document's notes as `<span class="footnote">` HTML; None when it has none.

    All notes are written by one pandoc run (with the options of the main HTML run), so
    a note reads exactly as the same blocks would in the body: `body` is the rewrite the
    body gets (math, headings, tables), applied to each note first. In a tagged PDF a link
    in a note is kept as its text: WeasyPrint 70 tags the links of the footnote area under
    Span or NonStruct rather than a Link element, which PDF/UA forbids (Matterhorn 28-011)
    and screen readers then skip; the citation still names the work, and the DOI or URL
    is still printed.
    """
    in_notes = ast.first_of(body, _unlinked if tagged else None)
    notes = [
        ast.transform(node["c"], in_notes)
        for node in ast.walk(document["blocks"])
        if node["t"] == "Note"
    ]
    if not notes:
        return None
    executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="print-notes")
    written = executor.submit(_notes_as_html, notes, document, pandoc_options)
    executor.shutdown(wait=False)  # the thread ends with its one task
    # A token no manuscript holds: the placeholders are found again by it alone.
    token = f"typeset-note-{secrets.token_hex(8)}-"
    numbers = iter(range(len(notes)))

    def footnote_span(node: ast.Node) -> ast.Node | None:
        if node["t"] != "Note":
            return None
        placeholder = f"{token}{next(numbers)}-"
        return {"t": "RawInline", "c": ["html", f'<span class="footnote">{placeholder}</span>']}

    # ast.transform visits bottom-up in document order, the order ast.walk found them;
    # the rewrite serves one transform of the document's blocks.
    pattern = re.compile(re.escape(token.encode()) + rb"(\d+)-")
    return PrintNotes(footnote_span, written, pattern)


def _unlinked(node: ast.Node) -> ast.Node | None:
    if node["t"] != "Link":
        return None
    return {"t": "Span", "c": [node["c"][0], node["c"][1]]}


def _notes_as_html(
    notes: list[list[Any]], document: dict[str, Any], pandoc_options: list[str]
) -> list[str]:
    wrapped = [
        {"t": "Div", "c": [[f"{NOTE_MARKER}{index}", [], []], blocks]}
        for index, blocks in enumerate(notes)
    ]
    notes_document = {**document, "blocks": wrapped}
    output = run_pandoc(
        ["--from", "json", "--to", "html5", "--wrap=none", *pandoc_options],
        json.dumps(notes_document).encode(),
    ).decode()
    splitter = _NoteSplitter(len(notes))
    splitter.feed(output)
    splitter.close()
    return splitter.notes


class _NoteSplitter(HTMLParser):
    """Cut pandoc's output into the notes' HTML, block elements renamed to spans."""

    def __init__(self, count: int) -> None:
        super().__init__(convert_charrefs=False)
        self.notes = [""] * count
        self._current: int | None = None
        self._depth = 0
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_ELEMENTS:  # `<img ...>` without the slash (our equations) opens nothing
            self.handle_startendtag(tag, attrs)
            return
        if self._current is None:
            identifier = dict(attrs).get("id") or ""
            if tag == "div" and identifier.startswith(NOTE_MARKER):
                self._current = int(identifier.removeprefix(NOTE_MARKER))
                self._depth = 0
            return
        self._depth += 1
        self._in_pre += tag == "pre"
        self._emit(_start_tag(tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._current is None:
            return
        if tag == "hr":
            self._emit('<span class="note-hr"></span>')
        elif tag not in DROPPED_ELEMENTS:
            self._emit(_start_tag(tag, attrs, void=True))

    def handle_endtag(self, tag: str) -> None:
        if self._current is None:
            return
        if self._depth == 0:
            self._current = None
            return
        self._depth -= 1
        self._in_pre -= tag == "pre"
        if tag in DROPPED_ELEMENTS:
            return
        self._emit("</span>" if tag in BLOCK_ELEMENTS else f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._current is None:
            return
        if not self._in_pre:
            # The newlines pandoc puts between blocks are not text; inside a paragraph
            # WeasyPrint 70 would keep them as forced breaks in the floated note. A space
            # between two inline elements (`</span> <em>`) is text: pandoc writes a
            # paragraph on one line (--wrap=none), so it holds no newline.
            if not data.strip() and "\n" in data:
                return
            data = data.replace("\n", " ")
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self._emit(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._emit(f"&#{name};")

    def _emit(self, text: str) -> None:
        if self._current is not None:
            self.notes[self._current] += text


def _start_tag(tag: str, attrs: list[tuple[str, str | None]], void: bool = False) -> str:
    if tag in DROPPED_ELEMENTS:
        return ""
    values = dict(attrs)
    if tag not in BLOCK_ELEMENTS:
        rendered = "".join(
            f' {name}="{html.escape(value, quote=True)}"' if value is not None else f" {name}"
            for name, value in attrs
        )
        return f"<{tag}{rendered}{' /' if void else ''}>"
    classes = " ".join(filter(None, [f"note-{tag}", values.get("class")]))
    styles = [style] if (style := values.get("style")) else []
    start = values.get("start")
    if tag == "ol" and start and re.fullmatch(r"-?\d+", start):
        # A span has no `start`: the list-item counter starts where the list does.
        styles.append(f"counter-reset: list-item {int(start) - 1}")
    kept = {name: value for name, value in values.items() if name in KEPT_ATTRIBUTES}
    if styles:
        kept["style"] = "; ".join(styles)
    rendered = "".join(
        f' {name}="{html.escape(value or "", quote=True)}"' for name, value in kept.items()
    )
    return f'<span class="{classes}"{rendered}>'
