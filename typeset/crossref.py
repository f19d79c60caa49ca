"""Quarto's cross-references: number figures, tables, equations and sections, resolve `@fig-x`.

One AST-to-AST stage on the parsed manuscript, run before the citation-key check, so the
PDF, EPUB and DOCX all start from the same numbered document. The syntax is Quarto's:

    ![Caption](plot.png){#fig-plot}          ::: {#fig-panel} ... Caption :::
    : Caption {#tbl-data}   (after a table)   ::: {#tbl-data} table, Caption :::
    $$ E = mc^2 $$ {#eq-energy}               ## Methods {#sec-methods}

`@fig-plot` -> "Figure 1" (a link), `@Fig-plot` capitalises the word, `[-@fig-plot]` -> "1",
`[Fig. @fig-plot]` -> "Fig. 1" (a prefix replaces the word, as in Quarto), and
`[@fig-a; @fig-b]` -> "Figure 1, Figure 2" (Quarto joins a group with commas).

Citations and labels never mix: a key with a cross-reference prefix that names a label is
a reference, taken out of its Cite; one that names no label but is a bibliography key
(`fig-1990`) stays a citation; one that is neither is a missing label.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from typeset import ast, locale
from typeset.errors import CitationError

if TYPE_CHECKING:
    from typeset.config import Config
    from typeset.manuscript import Manuscript

log = logging.getLogger(__name__)

Node = dict[str, Any]

# Label prefix -> the locale term its references and captions use.
KIND_TERMS: dict[str, str] = {
    "fig": "figure",
    "tbl": "table",
    "eq": "equation",
    "sec": "section",
    # Quarto's theorem-like blocks (`::: {#thm-x}`), numbered per kind
    "thm": "theorem",
    "lem": "lemma",
    "cor": "corollary",
    "prp": "proposition",
    "cnj": "conjecture",
    "def": "definition",
    "exm": "example",
    "exr": "exercise",
    "rem": "remark",
    "sol": "solution",
    # code listings (`{#lst-x lst-cap="..."}`) and algorithms (the pseudocode extension)
    "lst": "listing",
    "algo": "algorithm",
}
FLOAT_KINDS = ("fig", "tbl")
THEOREM_KINDS = frozenset({"thm", "lem", "cor", "prp", "cnj", "def", "exm", "exr", "rem", "sol"})
LISTING_KINDS = frozenset({"lst", "algo"})
# Unnumbered companions of the theorems: their word opens the block, in italics.
PROOF_CLASSES = {"proof": "proof", "remark": "remark", "solution": "solution"}
LABEL = re.compile(r"^(" + "|".join(KIND_TERMS) + r")-\S+$")
EQUATION_LABEL = re.compile(r"^\{#(eq-[^\s}]+)\}$")
EQUATION_TAG = re.compile(r"\\tag\*?\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
UNNUMBERED_CLASSES = frozenset({"unnumbered"})


def kind_of(label: str) -> str | None:
    """'fig' for 'fig-plot' (or 'Fig-plot'); None for a key that is no label kind."""
    match = LABEL.match(label[:1].lower() + label[1:])
    return match.group(1) if match else None


@dataclass(frozen=True)
class Words:
    """The words references and captions use: the language's, unless `crossref:` sets them."""

    lang: str | None
    overrides: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Words:
        lang = ast.plain_text(meta.get("lang")) or None
        crossref = meta.get("crossref")
        overrides: dict[str, str] = {}
        if crossref is not None and crossref.get("t") == "MetaMap":
            for key, value in crossref["c"].items():
                overrides[key] = (
                    value["c"] if value.get("t") == "MetaString" else ast.plain_text(value)
                )
        return cls(lang, overrides)

    def prefix(self, kind: str, *, capitalised: bool = False) -> str:
        """The word before a reference's number ("Figure"), Quarto's `fig-prefix`."""
        word = self.overrides.get(f"{kind}-prefix", locale.term(self.lang, KIND_TERMS[kind]))
        return word[:1].upper() + word[1:] if capitalised else word

    def title(self, kind: str) -> str:
        """The word before a caption's number ("Figure"), Quarto's `fig-title`."""
        return self.overrides.get(f"{kind}-title", locale.term(self.lang, KIND_TERMS[kind]))

    def list_title(self, kind: str) -> str:
        """The heading of a list of figures or tables: Quarto's `lof-title` / `lot-title`."""
        key = {"fig": "lof", "tbl": "lot"}[kind]
        name = {"fig": "list-of-figures", "tbl": "list-of-tables"}[kind]
        return self.overrides.get(f"{key}-title", locale.term(self.lang, name))

    @property
    def title_delimiter(self) -> str:
        return self.overrides.get("title-delim", ":")

    def numbered(self, word: str, number: str) -> str:
        return locale.joined(self.lang, word, number) if word else number


@dataclass
class Target:
    """One labelled thing: its kind, its number ('2', '2.1', 'A', '1 (a)'), a title."""

    kind: str
    number: str | None
    title: list[Node] = field(default_factory=list)
    is_appendix: bool = False
    is_chapter: bool = False  # a top-level heading under `crossref: chapters: true`


@dataclass(frozen=True)
class CrossReferences:
    """The numbered document and what the references could not find."""

    document: dict[str, Any]
    missing: tuple[str, ...] = ()  # labels referred to that exist nowhere, in order
    duplicates: tuple[str, ...] = ()  # labels on more than one element (the first counts)


def number_document(
    document: dict[str, Any],
    *,
    citation_keys: Iterable[str] = (),
    number_sections: bool = False,
    list_of_figures: bool = False,
    list_of_tables: bool = False,
    listing_captions: Mapping[str, list[Node]] | None = None,
) -> CrossReferences:
    """Number the labelled floats, equations and headings; resolve every reference.

    `citation_keys` are the bibliography's keys: a key there that names no label is a
    citation. `listing_captions` are the listings' `caption` attributes parsed as
    Markdown, by label (`listing_captions_of`); without one a caption is plain text.
    Pure: the input document is not modified.
    """
    words = Words.from_meta(document["meta"])
    blocks = _with_dashed_labels(document["blocks"], frozenset(citation_keys))
    blocks = _floats_from_divs(blocks)
    blocks, targets, duplicates = _number_targets(
        blocks,
        words,
        number_sections=number_sections,
        captions=listing_captions or {},
        chapters=_chapters_flag(document["meta"]),
    )
    resolver = _ReferenceResolver(targets, frozenset(citation_keys), words)
    blocks = ast.transform(blocks, resolver.rewrite)
    blocks = ast.transform(blocks, _figure_id_on_div)
    front: list[Node] = []
    level = min((block["c"][0] for block in blocks if block["t"] == "Header"), default=1)
    if list_of_figures:
        front.append(_list_of(targets, "fig", "list-of-figures", words, level))
    if list_of_tables:
        front.append(_list_of(targets, "tbl", "list-of-tables", words, level))
    numbered = dict(document)
    numbered["blocks"] = [*front, *blocks]
    return CrossReferences(numbered, tuple(dict.fromkeys(resolver.missing)), duplicates)


# What makes a caption more than plain text: citations, emphasis, code, math, links.
_MARKDOWN_IN_CAPTION = re.compile(r"[@*_`$~^<\\\[]")


def _chapters_flag(meta: dict[str, Any]) -> bool:
    """Quarto's `crossref: chapters: true`."""
    crossref = meta.get("crossref")
    if not isinstance(crossref, dict) or crossref.get("t") != "MetaMap":
        return False
    value = crossref["c"].get("chapters")
    if isinstance(value, dict) and value.get("t") == "MetaBool":
        return bool(value["c"])
    return ast.plain_text(value).strip().lower() == "true"


def listing_captions_of(document: dict[str, Any]) -> dict[str, list[Node]]:
    """The `caption` (`lst-cap`, `algo-cap`) of each labelled listing, read as Markdown as
    Quarto reads it (`caption="See @smith2020"` cites), by label: one pandoc run for all."""
    found: dict[str, str] = {}
    for node in ast.walk(document["blocks"]):
        if node["t"] not in ("CodeBlock", "Div"):
            continue
        identifier, _classes, attributes = node["c"][0]
        kind = kind_of(identifier)
        if kind not in LISTING_KINDS:
            continue
        keys = {"lst-cap", "caption", f"{kind}-cap"}
        text = next((value for key, value in attributes if key in keys), "")
        if _MARKDOWN_IN_CAPTION.search(text):
            found.setdefault(identifier, " ".join(text.split()))
    if not found:
        return {}
    import json

    from typeset.pandoc import run_pandoc

    # Each caption in a div of its own, so none can run into the next.
    source = "\n\n".join(
        f"::: {{#caption-{index}}}\n{text}\n:::" for index, text in enumerate(found.values())
    )
    parsed = json.loads(
        run_pandoc(["--from", "markdown+smart", "--to", "json", "--sandbox"], source.encode())
    )
    captions: dict[str, list[Node]] = {}
    by_index = {
        block["c"][0][0]: block["c"][1]
        for block in parsed["blocks"]
        if block["t"] == "Div" and block["c"][0][0].startswith("caption-")
    }
    for index, identifier in enumerate(found):
        blocks = by_index.get(f"caption-{index}", [])
        if len(blocks) == 1 and blocks[0]["t"] in ("Para", "Plain"):
            captions[identifier] = blocks[0]["c"]
    return captions


def cross_referenced(
    manuscript: Manuscript, citation_keys: Iterable[str], config: Config
) -> tuple[Manuscript, tuple[str, ...]]:
    """The manuscript with its cross-references resolved, and the labels not found.

    `number-sections`, `lof` and `lot` come from the front matter (Quarto's keys) or the
    config; either turns them on.
    """
    meta = manuscript.meta
    result = number_document(
        manuscript.document,
        listing_captions=listing_captions_of(manuscript.document),
        citation_keys=citation_keys,
        number_sections=config.number_sections or _meta_flag(meta, "number-sections"),
        list_of_figures=config.lof or _meta_flag(meta, "lof"),
        list_of_tables=config.lot or _meta_flag(meta, "lot"),
    )
    for label in result.duplicates:  # the pure stage knows no file: say where
        places = [
            manuscript.at(number)
            for number, line in enumerate(manuscript.text.splitlines(), start=1)
            if f"#{label}" in line
        ]
        lines = [
            str(line) if path == places[0][0] else f"{path.name}:{line}" for path, line in places
        ]
        where = f"{places[1][0]}:{places[1][1]}" if len(places) > 1 else str(manuscript.path)
        log.warning(
            "%s: the label #%s is used again (lines %s); references go to the first, as in "
            "LaTeX and Quarto: give each figure, table, equation and section its own label",
            where,
            label,
            ", ".join(lines) or "?",
        )
    return dataclasses.replace(manuscript, document=result.document), result.missing


def with_cross_references(
    manuscript: Manuscript, citation_keys: Iterable[str], config: Config
) -> Manuscript:
    """The build's stage: resolve, then fail on a missing label (warn in draft mode)."""
    resolved, missing = cross_referenced(manuscript, citation_keys, config)
    if missing:
        error = missing_label_error(resolved, missing)
        if config.missing_citations == "error":
            raise error
        log.warning("%s (draft: building anyway, marked ?@%s)", error, missing[0])
    return resolved


def missing_label_error(manuscript: Manuscript, missing: tuple[str, ...]) -> CitationError:
    first = missing[0]
    path, line = manuscript.where_key(first)
    return CitationError(
        f"cross-reference '@{first}' names no label in the manuscript and no entry in the "
        f"bibliography{manuscript.also_missing(missing)}",
        path=path,
        line=line,
        hint=f"label the {KIND_TERMS[kind_of(first) or 'fig']} with {{#{_lowered(first)}}}, "
        "or fix the reference's spelling",
    )


def _meta_flag(meta: dict[str, Any], key: str) -> bool:
    value = meta.get(key)
    if value is None:
        return False
    if value.get("t") == "MetaBool":
        return bool(value["c"])
    return ast.plain_text(value).strip().lower() in ("true", "yes")


def _lowered(label: str) -> str:
    """`@Fig-x` refers to `fig-x`: only the first letter carries the capital."""
    return label[:1].lower() + label[1:]


# --- pandoc-crossref's and LaTeX's `kind:name` labels -> Quarto's `kind-name` -------------

# `{#fig:x}`, `@eq:x`, `{#tab:x}` (the LaTeX habit for tables), `{#lst:x}`: the spellings of
# pandoc-crossref and of LaTeX authors, for the kinds Quarto's labels name with a dash.
COLON_LABEL = re.compile(r"^(fig|tbl|tab|eq|sec|lst|thm|lem|cor|def|algo?):(\S+)$")


def dashed_label(label: str) -> str:
    """'fig-x' for 'fig:x' (and 'tbl-x' for 'tab:x'); any other label as it is."""
    match = COLON_LABEL.match(label)
    if match is None:
        return label
    kind = {"tab": "tbl", "alg": "algo"}.get(match.group(1), match.group(1))
    return f"{kind}-{match.group(2)}"


def _with_dashed_labels(blocks: list[Node], citation_keys: frozenset[str]) -> list[Node]:
    """Every `kind:name` id, `{#eq:name}` equation label and `@kind:name` reference (that is
    not a bibliography key) spelled `kind-name`, so one numbering serves both syntaxes."""

    def rewrite(node: Node) -> Node | None:
        kind = node["t"]
        content: Any = node.get("c")
        if kind == "Cite":
            citations = content[0]
            if not any(
                COLON_LABEL.match(c["citationId"]) and c["citationId"] not in citation_keys
                for c in citations
            ):
                return None
            renamed = [
                {**c, "citationId": dashed_label(c["citationId"])}
                if c["citationId"] not in citation_keys
                else c
                for c in citations
            ]
            return {"t": "Cite", "c": [renamed, content[1]]}
        if kind == "Str" and content.startswith("{#") and content.endswith("}"):
            label = dashed_label(content[2:-1])
            return None if label == content[2:-1] else {"t": "Str", "c": "{#" + label + "}"}
        attr_index = ATTRIBUTE_POSITION.get(kind)
        if attr_index is None:
            return None
        attr = content[attr_index]
        label = dashed_label(attr[0])
        if label == attr[0]:
            return None
        new_content = list(content)
        new_content[attr_index] = [label, *attr[1:]]
        return {"t": kind, "c": new_content}

    result: list[Node] = ast.transform(blocks, rewrite)
    return result


# Where a node keeps its [id, classes, attributes].
ATTRIBUTE_POSITION = {
    "Div": 0, "Span": 0, "CodeBlock": 0, "Code": 0, "Figure": 0, "Table": 0, "Header": 1,
    "Image": 0, "Link": 0,
}  # fmt: skip


# --- Quarto's div syntax -> pandoc Figure and Table blocks -------------------------------


def _floats_from_divs(blocks: list[Node]) -> list[Node]:
    """`::: {#fig-x}` / `::: {#tbl-x}` become a Figure (or a captioned Table) with that id.

    As in Quarto, the div's last paragraph is the caption; a table div holding one table
    gives the table the id and caption, so every format sees a native captioned table.
    """

    def rewrite(node: Node) -> Node | None:
        if node["t"] != "Div":
            return None
        (identifier, classes, attributes), content = node["c"]
        kind = identifier.split("-", 1)[0] if "-" in identifier else ""
        if kind not in FLOAT_KINDS or not content:
            return None
        caption: list[Node] = []
        body = content
        if len(content) > 1 and content[-1]["t"] == "Para":
            caption, body = content[-1]["c"], content[:-1]
        tables = [block for block in body if block["t"] == "Table"]
        if kind == "tbl" and len(body) == 1 and tables:
            table = body[0]
            short, old_caption = table["c"][1]
            caption_blocks = [{"t": "Plain", "c": caption}] if caption else old_caption
            return {
                "t": "Table",
                "c": [[identifier, classes, attributes], [short, caption_blocks], *table["c"][2:]],
            }
        return {
            "t": "Figure",
            "c": [
                [identifier, classes, attributes],
                [None, [{"t": "Plain", "c": caption}] if caption else []],
                body,
            ],
        }

    floats: list[Node] = ast.transform(blocks, rewrite)
    described: list[Node] = ast.transform(floats, _described_by_caption)
    return described


def _described_by_caption(node: Node) -> Node | None:
    """An image of a captioned figure with no description of its own (`![](plot.pdf)` in a
    `::: {#fig-x}` div, Quarto's habit) is described by the caption, as pandoc describes
    an implicit figure's image: a reader is never left with an undescribed image."""
    if node["t"] != "Figure" or not node["c"][1][1]:
        return None
    caption = ast.plain_text(node["c"][1][1])
    if not caption:
        return None

    def described(image: Node) -> Node | None:
        if image["t"] != "Image" or ast.alt_text(image):
            return None
        return {"t": "Image", "c": [image["c"][0], [_text(caption)], image["c"][2]]}

    content: list[Node] = ast.transform(node["c"][2], described)
    if content is node["c"][2]:
        return None
    return {"t": "Figure", "c": [node["c"][0], node["c"][1], content]}


# --- numbering ---------------------------------------------------------------------------


def _number_targets(
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
        return [self.block(block) for block in blocks]

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
            block = _with_cell_options(block)
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
            label = {"t": "Span", "c": [["", ["header-section-number"], []], [_text(number)]]}
            inlines = [label, {"t": "Space"}, *inlines]
        return {"t": "Header", "c": [level, [identifier, classes, attributes], inlines]}

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

    def next_number(self, kind: str) -> str:
        """The next number of `kind`: 3, or 2.3 in chapter 2 under `chapters`."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        number = str(self.counts[kind])
        return f"{self.chapter}.{number}" if self.chapters and self.chapter else number

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
            new_caption = _prefixed_caption(caption, [_text(letter)], "")
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
        new_caption = _prefixed_caption(caption, [_text(f"({letter})")], "")
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
        new_caption = _prefixed_caption(caption, [_text(label)], self.words.title_delimiter)
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
            name = [_text(named)]
        elif content and content[0]["t"] == "Header":
            name, content = list(content[0]["c"][2]), content[1:]
        identifier = self.register(identifier, Target(kind, number, name))
        title: list[Node] = [_text(self.words.numbered(self.words.title(kind), number))]
        if name:
            title += [{"t": "Space"}, _text("("), *name, _text(")")]
        opening = {"t": "Span", "c": [["", ["theorem-title"], []], [{"t": "Strong", "c": title}]]}
        body = self.blocks_below(content)
        classes = [*classes, "theorem", kind]
        return {"t": "Div", "c": [[identifier, classes, attributes], _opened(opening, body)]}

    def proof(self, block: Node) -> Node:
        """`::: {.proof}`: "Proof." in italics opens it, as Quarto and amsthm print it."""
        attr, content = block["c"]
        word = next(PROOF_CLASSES[name] for name in attr[1] if name in PROOF_CLASSES)
        title: list[Node] = [_text(locale.term(self.words.lang, word) + ".")]
        if content and content[0]["t"] == "Header":  # `## Proof of Theorem 1`
            title = [*content[0]["c"][2], _text(".")]
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
        caption: list[Node] = [_text(caption_text)] if caption_text else []
        caption = list(self.captions.get(identifier, caption)) if caption_text else []
        identifier = self.register(identifier, Target(kind, number, caption))
        label = self.words.numbered(self.words.title(kind), number)
        words: list[Node] = [_text(label + (self.words.title_delimiter if caption else ""))]
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


def _figure_id_on_div(node: Node) -> Node | None:
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


CELL_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")


def _with_cell_options(block: Node) -> Node:
    """A plain code block whose first lines are Quarto cell options (```` ```pseudocode ````
    with `#| label: algo-x`, `#| algo-cap: ...`): labelled by them, the option lines
    removed. Any other code block is returned as it is."""
    (_, classes, attributes), text = block["c"]
    lines = text.split("\n")
    options: dict[str, str] = {}
    while lines and (match := CELL_OPTION.match(lines[0])):
        options[match.group(1)] = match.group(2).strip("\"'")
        lines.pop(0)
    label = options.get("label", "")
    if kind_of(label) not in LISTING_KINDS:
        return block
    captions = [[key, value] for key, value in options.items() if key.endswith("-cap")]
    return {"t": "CodeBlock", "c": [[label, classes, [*attributes, *captions]], "\n".join(lines)]}


def _opened(opening: Node, blocks: list[Node]) -> list[Node]:
    """`blocks` with `opening` and a space before the first paragraph's text (or in a
    paragraph of its own when the block starts with something else)."""
    if blocks and blocks[0]["t"] in ("Para", "Plain"):
        first = blocks[0]
        return [{"t": first["t"], "c": [opening, {"t": "Space"}, *first["c"]]}, *blocks[1:]]
    return [{"t": "Para", "c": [opening]}, *blocks]


def _equation(label: str, math: Node, number: str) -> Node:
    number_span = {"t": "Span", "c": [["", ["equation-number"], []], [_text(f"({number})")]]}
    return {"t": "Span", "c": [[label, ["display-equation"], []], [math, number_span]]}


def _prefixed_caption(caption: list[Node], label: list[Node], delimiter: str) -> list[Node]:
    """Caption blocks with "Figure 1:" in front, in a span a stylesheet can reach."""
    inlines = [*label, *([_text(delimiter)] if delimiter else [])]
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


def _text(value: str) -> Node:
    return {"t": "Str", "c": value}


# --- references --------------------------------------------------------------------------


class _ReferenceResolver:
    """Rewrites each Cite: references become links, citations stay, missing labels marked."""

    def __init__(self, targets: dict[str, Target], citation_keys: frozenset[str], words: Words):
        self.targets = targets
        self.citation_keys = citation_keys
        self.words = words
        self.missing: list[str] = []

    def rewrite(self, node: Node) -> Node | None:
        if node["t"] != "Cite":
            return None
        citations, original = node["c"]
        if not any(self._is_reference(citation["citationId"]) for citation in citations):
            return None
        parts: list[list[Node]] = []
        kept: list[Node] = []
        for citation in citations:
            key = citation["citationId"]
            if self._is_reference(key):
                parts.append(self._reference(citation))
            else:
                if not kept:
                    parts.append([])  # where the remaining citations go
                    kept_index = len(parts) - 1
                kept.append(citation)
        if kept:
            parts[kept_index] = [{"t": "Cite", "c": [kept, original]}]
        inlines: list[Node] = []
        for position, part in enumerate(parts):
            if position:
                inlines += [_text(","), {"t": "Space"}]
            inlines += part
        return {"t": "Span", "c": [["", ["cross-reference"], []], inlines]}

    def _is_reference(self, key: str) -> bool:
        if kind_of(key) is None:
            return False
        return _lowered(key) in self.targets or key not in self.citation_keys

    def _reference(self, citation: Node) -> list[Node]:
        key = citation["citationId"]
        label = _lowered(key)
        target = self.targets.get(label)
        suffix = citation["citationSuffix"]
        if target is None:
            self.missing.append(key)
            marked = {"t": "Strong", "c": [_text(f"?@{key}")]}
            return [{"t": "Span", "c": [["", ["missing-cross-reference"], []], [marked]]}, *suffix]
        text = self._reference_text(citation, target, capitalised=key[:1].isupper())
        link = {"t": "Link", "c": [["", ["cross-reference-link"], []], text, [f"#{label}", ""]]}
        return [link, *suffix]

    def _without_references(self, inlines: list[Node]) -> list[Node]:
        """A title that stands for a reference ("Proof of @thm-x"), its own references
        written as words (a link inside a link is not allowed), never followed twice."""

        def written(node: Node) -> Node | None:
            if node["t"] != "Cite":
                return None
            words: list[Node] = []
            for citation in node["c"][0]:
                target = self.targets.get(_lowered(citation["citationId"]))
                if target is None or target.number is None:
                    return None  # a citation, or a title again: left as it is
                if words:
                    words += [_text(","), {"t": "Space"}]
                key = citation["citationId"]
                words += self._reference_text(citation, target, capitalised=key[:1].isupper())
            return {"t": "Span", "c": [["", ["cross-reference"], []], words]}

        result: list[Node] = ast.transform(inlines, written)
        return result

    def _reference_text(self, citation: Node, target: Target, *, capitalised: bool) -> list[Node]:
        prefix = citation["citationPrefix"]
        suppress_word = citation["citationMode"]["t"] == "SuppressAuthor"
        if target.number is None:  # an unnumbered section: its title stands for it
            title = self._without_references(target.title)
            return [*prefix, *([{"t": "Space"}] if prefix else []), *title]
        if prefix:  # `[Fig. @fig-x]`: the author's word replaces ours (Quarto)
            return [*prefix, _text("\u00a0" + target.number)]
        if suppress_word:
            return [_text(target.number)]
        kind = "appendix" if target.is_appendix else target.kind
        kind = "chapter" if target.is_chapter and kind == "sec" else kind
        word = (
            locale.term(self.words.lang, kind)
            if kind in ("appendix", "chapter")
            else self.words.prefix(kind)
        )
        if capitalised:
            word = word[:1].upper() + word[1:]
        return [_text(self.words.numbered(word, target.number))]


# --- lists of figures and tables ---------------------------------------------------------


def _list_of(targets: dict[str, Target], kind: str, name: str, words: Words, level: int) -> Node:
    """A heading and one linked entry per numbered figure or table (not subfigures).

    The PDF stylesheet adds dotted leaders and page numbers (target-counter), as for the
    contents; EPUB and DOCX show the plain linked list.
    """
    entries = []
    for label, target in targets.items():
        if target.kind != kind or target.number is None or " " in target.number:
            continue
        number = {"t": "Span", "c": [["", ["list-number"], []], [_text(target.number)]]}
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
            [_text(words.list_title(kind))],
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
