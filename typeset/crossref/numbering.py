"""Number what is labelled, in document order: figures (and their panels' subfigures),
tables, display equations (`\\tag{}` keeps the author's number), headings (appendices
lettered), theorems and listings; captions get "Figure 1:" in front.

`number_targets` returns the rewritten blocks and every label's Target, which the
references (typeset.crossref.resolve) and the lists (typeset.crossref.lists) read.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from typeset import ast, locale
from typeset.ast import Node
from typeset.crossref.syntax import (
    EQUATION_LABEL,
    EQUATION_TAG,
    LISTING_KINDS,
    PROOF_CLASSES,
    THEOREM_KINDS,
    UNNUMBERED_CLASSES,
    kind_of,
    str_node,
    with_cell_options,
)
from typeset.crossref.words import Words


@dataclass
class Target:
    """One labelled thing: its kind, its number ('2', '2.1', 'A', '1 (a)'), a title."""

    kind: str
    number: str | None
    title: list[Node] = field(default_factory=list)
    is_appendix: bool = False
    is_chapter: bool = False  # a top-level heading under `crossref: chapters: true`


def number_targets(
    blocks: list[Node],
    words: Words,
    *,
    number_sections: bool,
    captions: Mapping[str, list[Node]] | None = None,
    chapters: bool = False,
) -> tuple[list[Node], dict[str, Target], tuple[str, ...]]:
    """Give each labelled figure, table and equation its number, in document order, and
    number the headings; return the rewritten blocks, every label's target and the labels
    used more than once. With `chapters` (Quarto's `crossref: chapters: true`, a book's
    default), numbers start again in each numbered chapter, after its number: 2.1, A.1."""
    numberer = _Numberer(words, number_sections, captions or {}, chapters=chapters)
    result = numberer.blocks(blocks)
    return result, numberer.targets, tuple(dict.fromkeys(numberer.duplicates))


class _Numberer:
    def __init__(
        self,
        words: Words,
        number_sections: bool,
        captions: Mapping[str, list[Node]],
        *,
        chapters: bool = False,
    ) -> None:
        self.words = words
        self.captions = captions
        self.chapters = chapters
        self.chapter: str | None = None  # the number of the chapter we are in (`chapters`)
        self.number_sections = number_sections
        self.targets: dict[str, Target] = {}
        self.counts = {"fig": 0, "tbl": 0, "eq": 0}
        self.section_counters: list[int] = []
        self.top_level: int | None = None
        self.in_appendix = False
        self.appendix_count = 0
        self.unnumbered_below: int | None = None  # level of the unnumbered heading we are in
        self.duplicates: list[str] = []  # labels used again after their first element

    def register(self, label: str, target: Target) -> str:
        """Record `label`'s target; the id its element keeps: the label, or "" for a
        second element with the same label (references go to the first, as in LaTeX and
        Quarto, and no two elements of an output share an id)."""
        if label in self.targets:
            self.duplicates.append(label)
            return ""
        self.targets[label] = target
        return label

    def blocks(self, blocks: list[Node]) -> list[Node]:
        if self.top_level is None:
            levels = [node["c"][0] for node in ast.walk(blocks) if node["t"] == "Header"]
            self.top_level = min(levels, default=1)
        numbered = [self.block(block) for block in blocks]
        # The very list when no block changed, so what was learnt of it (ast.survey) holds.
        unchanged = all(new is old for new, old in zip(numbered, blocks, strict=True))
        return blocks if unchanged else numbered

    def block(self, block: Node) -> Node:
        kind = block["t"]
        if kind == "Header":
            return self.header(block)
        if kind == "Figure":
            return self.figure(block)
        if kind == "Table":
            return self.table(block)
        if kind in ("Para", "Plain"):
            return {"t": kind, "c": self.inlines(block["c"])}
        if kind == "Div" and kind_of(block["c"][0][0]) in THEOREM_KINDS:
            return self.theorem(block)
        if kind == "Div" and PROOF_CLASSES.keys() & set(block["c"][0][1]):
            return self.proof(block)
        if kind == "CodeBlock" and not block["c"][0][0]:
            block = with_cell_options(block)
        if kind in ("Div", "CodeBlock") and kind_of(block["c"][0][0]) in LISTING_KINDS:
            return self.listing(block)
        if kind in ("Div", "BlockQuote"):
            content = block["c"][1] if kind == "Div" else block["c"]
            new = [self.block(child) for child in content]
            return {"t": kind, "c": [block["c"][0], new] if kind == "Div" else new}
        if kind in ("BulletList", "OrderedList"):
            items = block["c"] if kind == "BulletList" else block["c"][1]
            new_items = [[self.block(child) for child in item] for item in items]
            return {
                "t": kind,
                "c": new_items if kind == "BulletList" else [block["c"][0], new_items],
            }
        if kind == "DefinitionList":
            return {
                "t": kind,
                "c": [
                    [term, [[self.block(child) for child in body] for body in bodies]]
                    for term, bodies in block["c"]
                ],
            }
        return block

    # headings

    def header(self, block: Node) -> Node:
        level, (identifier, classes, attributes), inlines = block["c"]
        assert self.top_level is not None
        depth = level - self.top_level  # 0 for a top-level heading
        if self.unnumbered_below is not None and level <= self.unnumbered_below:
            self.unnumbered_below = None
        is_appendix = "appendix" in classes
        if is_appendix and depth <= 0:
            self.in_appendix = True
        unnumbered = bool(UNNUMBERED_CLASSES & set(classes)) or self.unnumbered_below is not None
        number: str | None = None
        if unnumbered:
            if self.unnumbered_below is None:
                self.unnumbered_below = level
        elif self.number_sections:
            number = self.section_number(depth)
        if self.chapters and depth <= 0:  # a new chapter: its floats are numbered anew
            self.counts = {"fig": 0, "tbl": 0, "eq": 0}
            self.chapter = number
        if kind_of(identifier) == "sec":
            identifier = self.register(
                identifier,
                Target(
                    "sec",
                    number,
                    list(inlines),
                    is_appendix=self.in_appendix and depth == 0,
                    is_chapter=self.chapters and depth == 0,
                ),
            )
        if number is not None:
            label = {"t": "Span", "c": [["", ["header-section-number"], []], [str_node(number)]]}
            inlines = [label, {"t": "Space"}, *inlines]
        return {"t": "Header", "c": [level, [identifier, classes, attributes], inlines]}

    def next_number(self, kind: str) -> str:
        """The next number of `kind`: 3, or 2.3 in chapter 2 under `chapters`."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        number = str(self.counts[kind])
        return f"{self.chapter}.{number}" if self.chapters and self.chapter else number

    def section_number(self, depth: int) -> str:
        counters = self.section_counters
        del counters[depth + 1 :]
        while len(counters) < depth + 1:
            counters.append(0)
        if depth == 0 and self.in_appendix:
            self.appendix_count += 1
            counters[0] = self.appendix_count
        else:
            counters[depth] += 1
        parts = [str(value) for value in counters]
        if self.in_appendix:
            parts[0] = _letter(counters[0])
        return ".".join(parts)

    # floats

    def figure(self, block: Node, *, parent: str | None = None, index: int = 0) -> Node:
        (identifier, classes, attributes), (short, caption), content = block["c"]
        if kind_of(identifier) == "tbl":  # a table made of something else, or a panel
            return self._lettered(self._float("tbl", block), identifier, "Table")
        if kind_of(identifier) != "fig":
            return {"t": "Figure", "c": [block["c"][0], block["c"][1], self.blocks_below(content)]}
        if parent is not None:
            letter = f"({string.ascii_lowercase[index % 26]})"
            parent_number = self.targets[parent].number
            identifier = self.register(
                identifier, Target("fig", f"{parent_number} ({letter[1:-1]})", caption)
            )
            new_caption = _prefixed_caption(caption, [str_node(letter)], "")
            return {
                "t": "Figure",
                "c": [[identifier, classes, attributes], [short, new_caption], content],
            }
        return self._lettered(self._float("fig", block), identifier, "Figure")

    def _lettered(self, numbered: Node, parent: str, child_type: str) -> Node:
        """A panel's labelled children of its own kind (subfigures, subtables) lettered
        (a), (b), ... after the panel's number, as Quarto does."""
        content = numbered["c"][2]
        kind = kind_of(parent)
        if not any(child["t"] == child_type for child in content):
            return numbered
        new_content = []
        position = 0
        for child in content:
            if child["t"] == child_type and kind_of(child["c"][0][0]) == kind:
                new_content.append(self.subfloat(child, parent, position))
                position += 1
            else:
                new_content.append(child)
        return {"t": "Figure", "c": [numbered["c"][0], numbered["c"][1], new_content]}

    def subfloat(self, block: Node, parent: str, index: int) -> Node:
        if block["t"] == "Figure":
            return self.figure(block, parent=parent, index=index)
        (identifier, classes, attributes), (short, caption), *rest = block["c"]
        letter = string.ascii_lowercase[index % 26]
        identifier = self.register(
            identifier,
            Target(
                "tbl", f"{self.targets[parent].number} ({letter})", _caption_inlines(caption, short)
            ),
        )
        new_caption = _prefixed_caption(caption, [str_node(f"({letter})")], "")
        return {"t": "Table", "c": [[identifier, classes, attributes], [short, new_caption], *rest]}

    def blocks_below(self, blocks: list[Node]) -> list[Node]:
        return [self.block(child) for child in blocks]

    def table(self, block: Node) -> Node:
        if kind_of(block["c"][0][0]) != "tbl":
            return block
        return self._float("tbl", block)

    def _float(self, kind: str, block: Node) -> Node:
        """Number a Figure or Table whose id has `kind`'s prefix; caption "Figure 1: ..."."""
        attr, (short, caption), *rest = block["c"]
        number = self.next_number(kind)
        identifier = self.register(attr[0], Target(kind, number, _caption_inlines(caption, short)))
        attr = [identifier, *attr[1:]]
        label = self.words.numbered(self.words.title(kind), number)
        new_caption = _prefixed_caption(caption, [str_node(label)], self.words.title_delimiter)
        return {"t": block["t"], "c": [attr, [short, new_caption], *rest]}

    # theorems, proofs and listings

    def theorem(self, block: Node) -> Node:
        """`::: {#thm-x name="..."}` (or a heading first, as Quarto allows): numbered per
        kind, its title ("Theorem 1 (Name)") opening its first paragraph in bold."""
        (identifier, classes, attributes), content = block["c"]
        kind = kind_of(identifier)
        assert kind is not None
        number = self.next_number(kind)
        name: list[Node] = []
        named = dict(attributes).get("name")
        if named:
            name = [str_node(named)]
        elif content and content[0]["t"] == "Header":
            name, content = list(content[0]["c"][2]), content[1:]
        identifier = self.register(identifier, Target(kind, number, name))
        title: list[Node] = [str_node(self.words.numbered(self.words.title(kind), number))]
        if name:
            title += [{"t": "Space"}, str_node("("), *name, str_node(")")]
        opening = {"t": "Span", "c": [["", ["theorem-title"], []], [{"t": "Strong", "c": title}]]}
        body = self.blocks_below(content)
        classes = [*classes, "theorem", kind]
        return {"t": "Div", "c": [[identifier, classes, attributes], _opened(opening, body)]}

    def proof(self, block: Node) -> Node:
        """`::: {.proof}`: "Proof." in italics opens it, as Quarto and amsthm print it."""
        attr, content = block["c"]
        word = next(PROOF_CLASSES[name] for name in attr[1] if name in PROOF_CLASSES)
        title: list[Node] = [str_node(locale.term(self.words.lang, word) + ".")]
        if content and content[0]["t"] == "Header":  # `## Proof of Theorem 1`
            title = [*content[0]["c"][2], str_node(".")]
            content = content[1:]
        opening = {"t": "Span", "c": [["", ["proof-title"], []], [{"t": "Emph", "c": title}]]}
        return {"t": "Div", "c": [attr, _opened(opening, self.blocks_below(content))]}

    def listing(self, block: Node) -> Node:
        """A code listing or an algorithm with a `#lst-`/`#algo-` label: numbered, its
        caption (`lst-cap`, `caption` or `algo-cap`) above the code, as Quarto sets it."""
        (identifier, classes, attributes), *rest = block["c"]
        kind = kind_of(identifier)
        assert kind is not None
        number = self.next_number(kind)
        keys = {"lst-cap", "caption", f"{kind}-cap"}
        caption_text = next((value for key, value in attributes if key in keys), "")
        caption: list[Node] = [str_node(caption_text)] if caption_text else []
        caption = list(self.captions.get(identifier, caption)) if caption_text else []
        identifier = self.register(identifier, Target(kind, number, caption))
        label = self.words.numbered(self.words.title(kind), number)
        words: list[Node] = [str_node(label + (self.words.title_delimiter if caption else ""))]
        if caption:
            words.append({"t": "Space"})
        heading = {
            "t": "Para",
            "c": [{"t": "Span", "c": [["", ["caption-label"], []], words]}, *caption],
        }
        kept = [[key, value] for key, value in attributes if key not in keys]
        inner = {"t": block["t"], "c": [["", classes, kept], *rest]}
        if block["t"] == "Div":
            inner = {"t": "Div", "c": [["", classes, kept], self.blocks_below(rest[0])]}
        caption_div = {"t": "Div", "c": [["", ["listing-caption"], []], [heading]]}
        return {"t": "Div", "c": [[identifier, ["listing", kind], []], [caption_div, inner]]}

    # equations

    def inlines(self, inlines: list[Node]) -> list[Node]:
        """`$$ ... $$ {#eq-x}` -> a numbered display-equation span."""
        result: list[Node] = []
        index = 0
        while index < len(inlines):
            node = inlines[index]
            if node["t"] == "Math" and node["c"][0]["t"] == "DisplayMath":
                after = index + 1
                while after < len(inlines) and inlines[after]["t"] in ("Space", "SoftBreak"):
                    after += 1
                match = (
                    EQUATION_LABEL.match(inlines[after]["c"])
                    if after < len(inlines) and inlines[after]["t"] == "Str"
                    else None
                )
                if match:
                    label = match.group(1)
                    tag = EQUATION_TAG.search(node["c"][1])
                    if tag:  # `\tag{A}`: the author's number, the count goes on
                        number = tag.group(1).strip()
                        tex = EQUATION_TAG.sub("", node["c"][1]).strip()
                        node = {"t": "Math", "c": [node["c"][0], tex]}
                    else:
                        number = self.next_number("eq")
                    label = self.register(label, Target("eq", number))
                    result.append(_equation(label, node, number))
                    index = after + 1
                    continue
            result.append(node)
            index += 1
        return result


def figure_id_on_div(node: Node) -> Node | None:
    """Carry a labelled Figure's id on a Div around it.

    pandoc 3.9's EPUB writer does not know Figure ids when it points links into the
    chapter files, so `#fig-x` would dangle (EPUBCheck RSC-012); a Div's id it knows, and
    every format writes that id (HTML id, DOCX bookmark) just the same.
    """
    if node["t"] != "Figure" or kind_of(node["c"][0][0]) is None:
        return None
    identifier, classes, attributes = node["c"][0]
    figure = {"t": "Figure", "c": [["", classes, attributes], *node["c"][1:]]}
    return {"t": "Div", "c": [[identifier, ["float"], []], [figure]]}


def equation_span(label: str, math: Node, number: str) -> Node:
    """A display equation with its number beside it; `label` may be empty (a `\\tag`)."""
    return _equation(label, math, number)


def _opened(opening: Node, blocks: list[Node]) -> list[Node]:
    """`blocks` with `opening` and a space before the first paragraph's text (or in a
    paragraph of its own when the block starts with something else)."""
    if blocks and blocks[0]["t"] in ("Para", "Plain"):
        first = blocks[0]
        return [{"t": first["t"], "c": [opening, {"t": "Space"}, *first["c"]]}, *blocks[1:]]
    return [{"t": "Para", "c": [opening]}, *blocks]


def _equation(label: str, math: Node, number: str) -> Node:
    number_span = {"t": "Span", "c": [["", ["equation-number"], []], [str_node(f"({number})")]]}
    return {"t": "Span", "c": [[label, ["display-equation"], []], [math, number_span]]}


def _prefixed_caption(caption: list[Node], label: list[Node], delimiter: str) -> list[Node]:
    """Caption blocks with "Figure 1:" in front, in a span a stylesheet can reach."""
    inlines = [*label, *([str_node(delimiter)] if delimiter else [])]
    span = {"t": "Span", "c": [["", ["caption-label"], []], inlines]}
    if not caption:
        return [{"t": "Plain", "c": [span]}]
    first = caption[0]
    if first["t"] in ("Plain", "Para"):
        return [{"t": first["t"], "c": [span, {"t": "Space"}, *first["c"]]}, *caption[1:]]
    return [{"t": "Plain", "c": [span]}, *caption]


def _caption_inlines(caption: list[Node], short: list[Node] | None) -> list[Node]:
    if short:
        return list(short)
    for block in caption:
        if block["t"] in ("Plain", "Para"):
            return list(block["c"])
    return []


def _letter(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA: appendix numbers."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = string.ascii_uppercase[remainder] + letters
    return letters


# --- per-format finishing ----------------------------------------------------------------


def equation_numbers_in_math(document: dict[str, Any]) -> dict[str, Any]:
    """For Word: a numbered equation's "(1)" moved into the equation, after a wide space.

    A Word display equation (m:oMathPara) takes a line of its own, so a number beside it
    in the same paragraph drops to the next line; inside the equation it stays on the
    formula's line, as pandoc-crossref does for DOCX. The bookmark (the span's id) stays.
    """

    def rewrite(node: Node) -> Node | None:
        if node["t"] != "Span" or "display-equation" not in node["c"][0][1]:
            return None
        content = node["c"][1]
        maths = [child for child in content if child["t"] == "Math"]
        numbers = [
            ast.plain_text(child)
            for child in content
            if child["t"] == "Span" and "equation-number" in child["c"][0][1]
        ]
        if len(maths) != 1 or not numbers:
            return None
        math_type, tex = maths[0]["c"]
        numbered_math = {"t": "Math", "c": [math_type, f"{tex} \\qquad \\text{{{numbers[0]}}}"]}
        return {"t": "Span", "c": [node["c"][0], [numbered_math]]}

    result: dict[str, Any] = ast.transform(document, rewrite)
    return result
