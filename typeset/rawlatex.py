"""Raw LaTeX in a pandoc manuscript, turned into the document's own constructs.

Authors who target LaTeX write `\\eqref{eq:x}`, `\\autoref{fig:y}`, `\\cite{k}`,
`\\footnote{...}`, `\\begin{figure}...` straight into their Markdown. pandoc's Markdown
reader keeps them as raw TeX, which the HTML, EPUB and DOCX writers drop: "Eq. ." where a
number should be. This stage, run on the parsed manuscript before sanitising and
cross-referencing, makes them what the author meant in every format:

1. Every raw TeX fragment is read by pandoc's own LaTeX reader (all of them in one run,
   sandboxed, with the document's macros): citations become citations, `\\footnote` a
   note, `\\href` a link, `\\includegraphics` an image, `figure` and `table` floats,
   `\\emph` emphasis, `equation`/`align`/`eqnarray` display math.
2. Labels (`\\label{fig:x}` in a caption, after a heading, inside an equation) become
   Quarto labels (`fig-x`, `tbl-x`, `eq-x`, `sec-x`), and `\\ref`, `\\eqref`,
   `\\autoref`, `\\cref`, `\\Cref` references to them, so typeset/crossref/ numbers and
   resolves them like `@fig-x` (a `\\label` in running text refers to its section, as in
   LaTeX).
3. What has an equivalent is mapped: `\\newpage`/`\\clearpage`/`\\pagebreak` a page
   break, `\\appendix` the appendix, `\\listoffigures`/`\\listoftables` the lists;
   `\\maketitle` is the title block every output has. Everything else is a warning that
   names the manuscript line and the command, and is left out: never silence.

The translation only builds ordinary AST nodes: links and images go through the same
sanitiser as Markdown ones afterwards (typeset/sanitize.py), so `\\href{javascript:...}`
and `\\includegraphics{/etc/...}` are refused like their Markdown spellings.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from typeset import ast
from typeset.cache import BuildCache, fingerprint
from typeset.crossref.numbering import equation_span
from typeset.dates import CalendarDate, build_day, format_date
from typeset.errors import CitationError, TypesetError
from typeset.latexmath import Macros, PreparedEquation, braced, prepared
from typeset.manuscript import Manuscript
from typeset.pandoc import PandocFailure, pandoc_fingerprint, run_pandoc

log = logging.getLogger(__name__)

Node = dict[str, Any]

LATEX_FORMATS = frozenset({"tex", "latex"})
HTML_FORMATS = frozenset({"html", "html5", "html4", "xhtml", "epub", "epub3"})
# Formats a writer of ours may carry through (HTML in the PDF and EPUB; the sanitiser
# reports OpenXML and OpenDocument, which it removes).
SANITISER_REPORTS = frozenset({"openxml", "opendocument"})
# One fragment ends where this word stands alone, as a paragraph.
_SEPARATOR = "TypesetFragmentEnd7F3A"
# A fragment the reader cannot take on its own (an unbalanced group or environment) would
# swallow its neighbours in the joint run; it is reported instead.
_ENVIRONMENT = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")
_VERBATIM = re.compile(
    r"\\verb\*?(.).*?\1|\\begin\{(verbatim|Verbatim|lstlisting|minted)\*?\}.*?\\end\{\2\*?\}",
    re.S,
)
_APPENDIX = re.compile(r"\\appendix(?![A-Za-z])")
_LATEX_LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+\*?|.)")
_MATH = re.compile(
    r"\$\$.*?\$\$|\$.*?\$|\\\[.*?\\\]|\\\(.*?\\\)"
    r"|\\begin\{(equation|align|alignat|eqnarray|gather|multline|flalign|math|displaymath)"
    r"\*?\}.*?\\end\{\1\*?\}",
    re.S,
)

# Page-level commands with an equivalent in every output.
PAGE_BREAKS = frozenset({"newpage", "clearpage", "cleardoublepage", "pagebreak"})
LISTS = {"listoffigures": "lof", "listoftables": "lot"}
# Layout that has no content and nothing to map to: left out without a word, as pandoc's
# LaTeX reader itself does for most of its kind.
WITHOUT_CONTENT = frozenset(
    {
        "maketitle",  # the title block every output has
        "bibliography",  # the references every output has
        "bibliographystyle",
        "printbibliography",
        "centering",
        "noindent",
        "indent",
        "par",
        "relax",
        "protect",
        "smallskip",
        "medskip",
        "bigskip",
        "null",
        "frontmatter",
        "mainmatter",
        "backmatter",
        "raggedright",
        "raggedleft",
        "FloatBarrier",
        "nopagebreak",
        "linebreak",
    }
)
PAGE_LEVEL = PAGE_BREAKS | WITHOUT_CONTENT | set(LISTS) | {"tableofcontents", "appendix"}
# What pandoc's LaTeX reader turns into content every output shows (the commands and
# environments raw LaTeX in a manuscript uses; the rest are reported as left out).
KNOWN_COMMANDS = WITHOUT_CONTENT | frozenset(
    """ref eqref autoref cref Cref pageref nameref label cite citep citet citealp citealt
    citeauthor citeyear parencite textcite autocite footcite nocite footnote url href emph
    textbf textit texttt textsc textsf textrm textup textmd textnormal underline uline em bf
    it tt sc sf rm itshape bfseries ttfamily scshape upshape mdseries normalfont
    textsuperscript textsubscript includegraphics caption begin end item hline cline toprule
    midrule bottomrule cmidrule multicolumn multirow textwidth linewidth columnwidth
    tabularnewline endhead endfirsthead endfoot endlastfoot section subsection
    subsubsection chapter paragraph subparagraph part LaTeX TeX ldots dots textellipsis
    today verb newline quad qquad enspace thinspace S P copyright textregistered texttrademark
    textdegree textendash textemdash textquoteleft textquoteright textquotedblleft
    textquotedblright guillemotleft guillemotright ss ae oe aa o l i j small footnotesize
    scriptsize tiny large Large LARGE huge Huge normalsize newcommand renewcommand
    providecommand def DeclareMathOperator enquote mbox hbox fbox textcolor color
    subfloat subcaption""".split()  # noqa: SIM905 (a word list reads better as words)
)
KNOWN_ENVIRONMENTS = frozenset(
    """figure table equation align alignat eqnarray gather multline flalign math
    displaymath itemize enumerate description tabular tabularx longtable center quote
    quotation verbatim minipage flushleft flushright subfigure abstract lstlisting
    minted verse""".split()  # noqa: SIM905
)
# Label prefixes LaTeX authors use, by the Quarto kind they name.
_KIND_PREFIXES = {
    "fig": "fig",
    "figure": "fig",
    "tab": "tbl",
    "tbl": "tbl",
    "table": "tbl",
    "eq": "eq",
    "eqn": "eq",
    "equation": "eq",
    "sec": "sec",
    "section": "sec",
    "subsec": "sec",
    "ch": "sec",
    "chap": "sec",
    "chapter": "sec",
    "app": "sec",
}
# The page break Quarto's `{{< pagebreak >}}` makes too (typeset/quarto/): one construct,
# which print.css breaks the page at and typeset/quarto/word.py makes Word's own break.
PAGE_BREAK_CLASS = "pagebreak"


def page_break() -> Node:
    """The document's page break: an empty div every writer knows (typeset/formats)."""
    return {"t": "Div", "c": [["", [PAGE_BREAK_CLASS], []], []]}


_CONTENTS = re.compile(r"^[ \t]*\\tableofcontents\b", re.M)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def contents_line(text: str) -> int | None:
    """The line of a `\\tableofcontents` on a line of its own (outside code fences): the
    manuscript asks for a table of contents, as `toc: true` does."""
    match = _CONTENTS.search(_FENCE.sub(lambda fence: "\n" * fence.group(0).count("\n"), text))
    return text.count("\n", 0, match.start()) + 1 if match else None


@dataclass(frozen=True)
class Translated:
    manuscript: Manuscript
    # `\\ref{x}` naming no `\\label{x}`: errors, warnings in a draft (as missing labels).
    problems: tuple[TypesetError, ...] = ()


def translated_latex(
    manuscript: Manuscript, *, formats: Iterable[str] = (), cache: BuildCache | None = None
) -> Translated:
    """The manuscript with its raw LaTeX and its equations made into its own constructs."""
    document = manuscript.document
    report = _Reporter(manuscript)
    found = ast.survey(document["blocks"])
    has_latex = bool(found.raw_formats & LATEX_FORMATS)
    macros = _document_macros(document, blocks_too=has_latex or "Math" in found.types)
    fragments = _fragments(document["blocks"]) if has_latex else []
    translations = _read_fragments(fragments, macros, report, cache) if fragments else {}
    blocks = document["blocks"]
    if fragments:
        blocks = _spliced(ast.transform(blocks, rewrite_list=_tied), translations)
    meta = dict(document["meta"])
    blocks = _abstract_into_meta(blocks, meta, report)
    labeller = _Labeller(manuscript, macros, report)
    if _has_labels_or_references(found, labeller):
        blocks = labeller.blocks(blocks)
        blocks = ast.transform(blocks, labeller.reference)
    finisher = _Leftovers(report)
    if has_latex:
        blocks = ast.transform(blocks, finisher.rewrite)
    if found.raw_formats:
        _report_other_raw(blocks, frozenset(formats), report)
    _report_raw_metadata(document["meta"], report)
    if _only_math_preamble(meta.get("header-includes"), macros):
        del meta["header-includes"]  # every definition is applied: nothing is lost
    for key in finisher.lists:
        meta.setdefault(key, {"t": "MetaBool", "c": True})
    if blocks is document["blocks"] and meta == document["meta"]:
        return Translated(manuscript)
    translated = {**document, "meta": meta, "blocks": blocks}
    return Translated(
        dataclasses.replace(manuscript, document=translated),
        tuple(labeller.problems),
    )


def _has_labels_or_references(found: ast.Survey, labeller: _Labeller) -> bool:
    """Whether step 2 has anything to do. Its labels and references come from raw LaTeX
    (`\\label`, `\\ref`, `\\appendix`; translated into `label` spans and `reference-type`
    links), from equations (their `\\label`s, their macros expanded) and from ids the
    manuscript's text also names in a `\\label`: a book with none of them skips two walks
    that would hand every block back unchanged."""
    return bool(
        found.raw_formats & LATEX_FORMATS
        or "Math" in found.types
        or found.attribute_keys & {"label", "reference-type", "reference"}
        or labeller.manuscript_labels
    )


class _Reporter:
    def __init__(self, manuscript: Manuscript) -> None:
        self.manuscript = manuscript
        self.said: set[tuple[str, int | None]] = set()
        self.reported: set[str] = set()  # fragments already warned about

    def line_of(self, text: str) -> int | None:
        for needle in (text.strip().splitlines() or [""])[:1]:
            line = self.manuscript.line_containing(needle.strip())
            if line:
                return line
        command = _COMMAND.search(text)
        return self.manuscript.line_containing(command.group(0)) if command else None

    def line_in_field(self, field: str, text: str) -> int | None:
        """The line of `text` inside the front matter's `field` (the same fragment may be
        written under several keys), else the field's own line."""
        start = self.manuscript.line_of_field(field)
        if start is None:
            return self.line_of(text)
        needles = [*(text.strip().splitlines() or [""])[:1], *_COMMAND.findall(text)[:1]]
        lines = self.manuscript.text.splitlines()
        for number in range(start, min(len(lines), start + 200) + 1):
            if any(needle.strip() and needle.strip() in lines[number - 1] for needle in needles):
                return number
        return start

    def warn(self, message: str, source: str, line: int | None = None) -> None:
        line = line if line is not None else self.line_of(source)
        if (message, line) in self.said:
            return
        self.said.add((message, line))
        path, at = self.manuscript.at(line)
        where = f"{path}:{at}" if at else str(path)
        log.warning("%s: %s", where, message)


# --- the document's macros ---------------------------------------------------------------


def _document_macros(document: dict[str, Any], *, blocks_too: bool = True) -> Macros:
    """Definitions in `header-includes`, in raw LaTeX and in equations, in document order
    (the front matter first, as LaTeX reads its preamble first). `blocks_too` False when
    the body has neither raw LaTeX nor equations, so defines nothing."""
    macros = Macros()
    for node in ast.walk(document["meta"].get("header-includes")):
        if node["t"] in ("RawInline", "RawBlock") and node["c"][0].lower() in LATEX_FORMATS:
            macros.absorb(node["c"][1])
    if not blocks_too:
        return macros
    for node in ast.walk(document["blocks"]):
        if (
            node["t"] in ("RawInline", "RawBlock") and node["c"][0].lower() in LATEX_FORMATS
        ) or node["t"] == "Math":
            macros.absorb(node["c"][1])
    return macros


# Packages whose commands every output supports through this stage and typeset/latexmath.py.
SUPPORTED_PACKAGES = frozenset(
    {
        "amsmath",
        "amssymb",
        "amsfonts",
        "bm",
        "mathtools",
        "mhchem",
        "graphicx",
        "hyperref",
        "cleveref",
        "natbib",
        "biblatex",
        "url",
        "xcolor",
        "booktabs",
        "longtable",
        "inputenc",
        "fontenc",
        "babel",
        "csquotes",
        "float",
    }
)
_PACKAGE = re.compile(r"\\usepackage\s*(?:\[[^\]]*\])?\s*\{([^{}]*)\}")


def _only_math_preamble(value: Any, macros: Macros) -> bool:
    """`header-includes` holding only macro definitions (applied here) and packages every
    output supports: dropping it loses nothing, so the sanitiser need not warn."""
    if value is None:
        return False
    for node in ast.walk(value):
        if node["t"] in ("Str", "Code"):
            return False
        if node["t"] in ("RawInline", "RawBlock"):
            if node["c"][0].lower() not in LATEX_FORMATS:
                return False
            rest = Macros().absorb(node["c"][1])
            for match in _PACKAGE.finditer(rest):
                if any(
                    name.strip() not in SUPPORTED_PACKAGES for name in match.group(1).split(",")
                ):
                    return False
            if _PACKAGE.sub("", rest).strip():
                return False
    return True


# --- step 1: pandoc's LaTeX reader on every fragment ---------------------------------------


def _fragments(blocks: list[Node]) -> list[str]:
    found: dict[str, None] = {}
    for node in ast.walk(blocks):
        if node["t"] in ("RawInline", "RawBlock") and node["c"][0].lower() in LATEX_FORMATS:
            found.setdefault(node["c"][1], None)
    return list(found)


def _balanced(text: str) -> bool:
    text = _VERBATIM.sub("", text)
    text = re.sub(r"(?<!\\)%.*", "", text)
    depth = 0
    for character, before in zip(text, " " + text, strict=False):
        if before == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return False
    if depth:
        return False
    stack: list[str] = []
    for match in _ENVIRONMENT.finditer(text):
        if match.group(1) == "begin":
            stack.append(match.group(2))
        elif not stack or stack.pop() != match.group(2):
            return False
    return not stack


def _read_fragments(
    fragments: list[str], macros: Macros, report: _Reporter, cache: BuildCache | None
) -> dict[str, list[Node] | None]:
    """Each fragment's blocks as pandoc's LaTeX reader makes them (None: left as it is,
    for the page-level commands and what cannot be read)."""
    results: dict[str, list[Node] | None] = {text: None for text in fragments}
    readable = []
    for text in fragments:
        if _page_level(text):
            continue
        if not _balanced(text):
            report.reported.add(text)
            report.warn(
                f"raw LaTeX {_shown(text)} is unbalanced (a brace or \\begin/\\end without its "
                "pair) and is left out of every output",
                text,
            )
            continue
        readable.append(text)
    if not readable:
        return results
    preamble = "".join(
        f"\\newcommand{{\\{name}}}[{macro.arguments}]{{{macro.body}}}\n"
        for name, macro in macros.definitions.items()
        if macro.default is None
    )
    # `\\appendix` before a chapter in one fragment: the labeller marks the headings after.
    today = format_date(CalendarDate(*build_day().timetuple()[:3]), report.manuscript.lang)
    read = [
        _abstract_as_div(
            _chemistry_as_math(_APPENDIX.sub("", text) if _has_appendix(text) else text)
        ).replace("\\today", today)
        for text in readable
    ]
    joined = preamble + f"\n\n{_SEPARATOR}\n\n".join(read)
    key = fingerprint("latex", joined, pandoc_fingerprint())
    cached = cache.get_json("latex", key) if cache else None
    pieces: list[list[Node] | None] = cached if isinstance(cached, list) else []
    if len(pieces) != len(readable):
        joint = _pieces(_latex_blocks(joined))
        pieces = list(joint) if joint is not None else []
    if len(pieces) != len(readable):
        # one fragment broke the joint run: read each on its own
        pieces = [_latex_blocks(preamble + text) for text in read]
    if cache and cached is None:
        cache.put_json("latex", key, pieces)
    for text, blocks in zip(readable, pieces, strict=True):
        if blocks is None:
            continue
        results[text] = _tidied(blocks)
        if _has_appendix(text):
            results[text] = [{"t": "RawBlock", "c": ["latex", "\\appendix"]}, *_tidied(blocks)]
        for command in _unknown_commands(text, macros):
            report.warn(
                f"raw LaTeX \\{command} has no equivalent in the PDF, EPUB or DOCX and is left out",
                text if len(text) < 80 else f"\\{command}",
            )
    return results


def _tidied(blocks: list[Node]) -> list[Node]:
    """The reader's figures as Markdown makes them: no LaTeX placement hint, and the
    caption as the image's description (its alt text) where the image has none."""

    def rewrite(node: Node) -> Node | None:
        if node["t"] != "Figure":
            return None
        (identifier, classes, attributes), caption, content = node["c"]
        kept = [pair for pair in attributes if not pair[0].startswith("latex-")]
        description = _without_labels(
            [
                inline
                for block in caption[1]
                if block["t"] in ("Plain", "Para")
                for inline in block["c"]
            ]
        )

        def describe(child: Node) -> Node | None:
            if child["t"] == "Image" and not child["c"][1]:
                return {"t": "Image", "c": [child["c"][0], description, child["c"][2]]}
            return None

        content = ast.transform(content, describe)
        return {"t": "Figure", "c": [[identifier, classes, kept], caption, content]}

    tidied: list[Node] = ast.transform(blocks, rewrite)
    return tidied


_CHEMISTRY = re.compile(r"\\ce(?![A-Za-z])")


def _chemistry_as_math(text: str) -> str:
    """mhchem's `\\ce{...}` in running text, as math: latexmath sets it in every format."""
    if "\\ce" not in text or _MATH.search(text):
        return text
    parts: list[str] = []
    position = 0
    for match in _CHEMISTRY.finditer(text):
        group = braced(text, match.end())
        if match.start() < position or group is None:
            continue
        parts += [text[position : match.start()], f"$\\ce{{{group[0]}}}$"]
        position = group[1]
    return "".join(parts) + text[position:]


# pandoc's LaTeX reader moves an abstract environment into its metadata, which a fragment's
# reading drops: read under another name, it comes back as a Div to put where it belongs.
_ABSTRACT_ENVIRONMENT = re.compile(r"\\(begin|end)\{abstract\}")
_ABSTRACT_CLASS = "typesetabstract"


def _abstract_as_div(text: str) -> str:
    return _ABSTRACT_ENVIRONMENT.sub(lambda match: f"\\{match.group(1)}{{{_ABSTRACT_CLASS}}}", text)


def _abstract_into_meta(blocks: list[Node], meta: dict[str, Any], report: _Reporter) -> list[Node]:
    """A LaTeX abstract environment becomes the document's abstract (every output prints
    it in the title block); a second abstract stays where it was written, as a block."""
    if not any(block["t"] == "Div" and _ABSTRACT_CLASS in block["c"][0][1] for block in blocks):
        return blocks  # the very list, so what was learnt of it (ast.survey) still holds
    kept: list[Node] = []
    for block in blocks:
        if block["t"] == "Div" and _ABSTRACT_CLASS in block["c"][0][1]:
            if "abstract" not in meta:
                meta["abstract"] = {"t": "MetaBlocks", "c": block["c"][1]}
                continue
            report.warn(
                "a second abstract (the front matter has one): printed where it is written",
                "\\begin{abstract}",
            )
            block = {"t": "Div", "c": [["", ["abstract"], []], block["c"][1]]}
        kept.append(block)
    return kept


# `Chapter~\\ref{x}`: LaTeX's tie is a no-break space; in Markdown it would print as "~".
_TIED_COMMAND = re.compile(
    r"\\(?:[a-z]*ref|[A-Za-z]*cite[a-z]*|cref|Cref|autoref|pageref|nameref)\*?(?![A-Za-z])"
)


def _tied(inlines: list[Any]) -> list[Any] | None:
    """The list rewrite (ast.transform's `rewrite_list`): each `~` right before a LaTeX
    reference or citation as a no-break space."""
    changed: list[Any] | None = None
    for index, (here, after) in enumerate(itertools.pairwise(inlines)):
        if (
            isinstance(here, dict)
            and here.get("t") == "Str"
            and here["c"].endswith("~")
            and isinstance(after, dict)
            and _is_raw_latex(after)
            and _TIED_COMMAND.match(after["c"][1])
        ):
            changed = list(inlines) if changed is None else changed
            changed[index] = {"t": "Str", "c": here["c"][:-1] + "\u00a0"}
    return changed


def _has_appendix(text: str) -> bool:
    return bool(_APPENDIX.search(_VERBATIM.sub("", text)))


def _page_level(text: str) -> bool:
    """Only commands about pages and lists (`\\newpage`, `\\tableofcontents`...): mapped
    by `_Leftovers`, as pandoc's reader would drop them without a trace."""
    commands = [command.rstrip("*") for command in _commands(text)]
    return bool(commands) and all(command in PAGE_LEVEL for command in commands)


def _unknown_commands(text: str, macros: Macros) -> list[str]:
    """Commands of `text` (outside math and verbatim) whose meaning no output carries."""
    text = _APPENDIX.sub("", _VERBATIM.sub("", text))
    text = _MATH.sub("", text)
    unknown: dict[str, None] = {}
    for match in _COMMAND.finditer(text):
        name = match.group(1).rstrip("*")
        if not name[:1].isalpha() or name in KNOWN_COMMANDS or name in macros.definitions:
            continue
        if name == "ce":  # set as math (`_chemistry_as_math`)
            continue
        unknown.setdefault(name, None)
    for match in _ENVIRONMENT.finditer(text):
        name = match.group(2).rstrip("*")
        if name not in KNOWN_ENVIRONMENTS:
            unknown.setdefault(f"begin{{{name}}}", None)
    return list(unknown)


def _latex_blocks(text: str) -> list[Node] | None:
    try:
        output = run_pandoc(["--from", "latex", "--to", "json", "--sandbox"], text.encode())
    except PandocFailure:
        return None
    blocks: list[Node] = json.loads(output)["blocks"]
    return blocks


def _pieces(blocks: list[Node] | None) -> list[list[Node]] | None:
    if blocks is None:
        return None
    pieces: list[list[Node]] = [[]]
    for block in blocks:
        if block["t"] == "Para" and block["c"] == [{"t": "Str", "c": _SEPARATOR}]:
            pieces.append([])
        else:
            pieces[-1].append(block)
    return pieces


def _shown(text: str) -> str:
    one_line = " ".join(text.split())
    return "`" + (one_line if len(one_line) <= 60 else one_line[:57] + "...") + "`"


# --- splicing the translations in -----------------------------------------------------------


def _as_inlines(blocks: list[Node]) -> list[Node] | None:
    """A translation that fits where an inline stood (paragraphs' inlines), else None."""
    inlines: list[Node] = []
    for block in blocks:
        if block["t"] not in ("Para", "Plain"):
            return None
        if inlines:
            inlines.append({"t": "Space"})
        inlines.extend(block["c"])
    return inlines


def _is_raw_latex(node: Node) -> bool:
    return node.get("t") in ("RawInline", "RawBlock") and node["c"][0].lower() in LATEX_FORMATS


def _spliced(blocks: list[Node], translations: dict[str, list[Node] | None]) -> list[Node]:
    def translated(node: Node) -> list[Node] | None:
        return translations.get(node["c"][1]) if _is_raw_latex(node) else None

    def rewrite_list(items: list[Any]) -> list[Any] | None:
        if not any(
            isinstance(item, dict) and item.get("t") in ("RawInline", "RawBlock", "Para", "Plain")
            for item in items
        ):
            return None
        result: list[Any] = []
        changed = False
        for item in items:
            if not isinstance(item, dict):
                result.append(item)
                continue
            blocks_for = translated(item)
            if item.get("t") == "RawInline" and blocks_for is not None:
                inlines = _as_inlines(blocks_for)
                if inlines is not None:
                    result.extend(inlines)
                    changed = True
                    continue
            if item.get("t") == "RawBlock" and blocks_for is not None:
                result.extend(blocks_for)
                changed = True
                continue
            if item.get("t") in ("Para", "Plain"):
                content = [child for child in item["c"] if child["t"] not in ("Space", "SoftBreak")]
                if content and all(_is_raw_latex(child) for child in content):
                    parts = [translated(child) for child in content]
                    if all(part is not None for part in parts) and any(
                        _as_inlines(part or []) is None for part in parts
                    ):
                        for part in parts:
                            result.extend(part or [])
                        changed = True
                        continue
            result.append(item)
        return result if changed else None

    spliced: list[Node] = ast.transform(blocks, rewrite_list=rewrite_list)
    return spliced


# --- step 2: labels and references ---------------------------------------------------------


def _label_of(node: Node) -> str | None:
    """The LaTeX label a node of the reader's stands for (`\\label{x}` -> an empty span)."""
    if node["t"] == "Span":
        attributes = dict(node["c"][0][2])
        if "label" in attributes and not node["c"][1]:
            return str(attributes["label"])
    return None


def _without_labels(value: Any) -> Any:
    def rewrite_list(items: list[Any]) -> list[Any] | None:
        if any(isinstance(item, dict) and "t" in item and _label_of(item) for item in items):
            kept = [
                item
                for item in items
                if not (isinstance(item, dict) and "t" in item and _label_of(item))
            ]
            while (
                kept
                and isinstance(kept[-1], dict)
                and kept[-1].get("t")
                in (
                    "Space",
                    "SoftBreak",
                )
            ):
                kept.pop()  # "Caption \label{x}": no space left at the end
            return kept
        return None

    return ast.transform(value, rewrite_list=rewrite_list)


def _labels_in(value: Any) -> list[str]:
    return [label for node in ast.walk(value) if (label := _label_of(node))]


def _slug(label: str) -> tuple[str | None, str]:
    """('fig', 'plot') for 'fig:plot'; (None, 'plot') for a label with no known prefix."""
    prefix, separator, rest = label.partition(":")
    kind = _KIND_PREFIXES.get(prefix.lower()) if separator and rest else None
    text = rest if kind else label
    return kind, re.sub(r"[^\w-]+", "-", text).strip("-") or "label"


class _Labeller:
    """Gives each labelled figure, table, equation and section its Quarto label, in
    document order, and remembers which LaTeX label became which."""

    def __init__(self, manuscript: Manuscript, macros: Macros, report: _Reporter) -> None:
        self.manuscript = manuscript
        self.macros = macros
        self.report = report
        self.ids: dict[str, str] = {}  # LaTeX label -> Quarto label
        self.problems: list[TypesetError] = []
        self.last_header: list[Any] | None = None  # the Header being built, mutable
        self.in_appendix_next = False
        self.manuscript_labels = frozenset(_LATEX_LABEL.findall(manuscript.text))

    @functools.cached_property
    def taken(self) -> set[str]:
        """The manuscript's own ids and `{#eq-x}` labels: read when a label is first
        named (most books name none)."""
        return {
            node["c"][0][0] if node["t"] != "Header" else node["c"][1][0]
            for node in ast.walk(self.manuscript.document["blocks"])
            if node["t"] in ("Header", "Div", "Span", "Figure", "Table")
        } | {
            match.group(1)
            for node in ast.walk(self.manuscript.document["blocks"])
            if node["t"] == "Str" and (match := re.match(r"^\{#(eq-[^\s}]+)\}$", node["c"]))
        }

    def name(self, label: str, kind: str) -> str:
        if label in self.ids:
            return self.ids[label]
        _, slug = _slug(label)
        candidate = f"{kind}-{slug}"
        number = 2
        while candidate in self.taken:
            candidate = f"{kind}-{slug}-{number}"
            number += 1
        self.taken.add(candidate)
        self.ids[label] = candidate
        return candidate

    # blocks, in order

    def blocks(self, blocks: list[Node]) -> list[Node]:
        result: list[Node] = []
        for block in blocks:
            result.extend(self.block(block))
        return result

    def block(self, block: Node) -> list[Node]:
        kind = block["t"]
        if kind == "Header":
            return [self.header(block)]
        if kind == "RawBlock" and _is_raw_latex(block) and _commands(block["c"][1]) == ["appendix"]:
            self.in_appendix_next = True
            return []
        if kind == "Figure":
            return [self.labelled(block, "fig")]
        if kind == "Table":
            return [self.labelled(block, "tbl")]
        if kind == "Div":
            identifier, content = block["c"][0][0], block["c"][1]
            tables = [child for child in content if child["t"] == "Table"]
            if identifier and identifier in self.manuscript_labels and len(tables) == 1:
                table = tables[0]
                new_id = self.name(identifier, "tbl")
                table = {"t": "Table", "c": [[new_id, *table["c"][0][1:]], *table["c"][1:]]}
                return [_without_labels(table)]
            return [{"t": "Div", "c": [block["c"][0], self.blocks(content)]}]
        if kind == "BlockQuote":
            return [{"t": kind, "c": self.blocks(block["c"])}]
        if kind in ("BulletList", "OrderedList"):
            items = block["c"] if kind == "BulletList" else block["c"][1]
            new_items = [self.blocks(item) for item in items]
            return [
                {"t": kind, "c": new_items if kind == "BulletList" else [block["c"][0], new_items]}
            ]
        if kind in ("Para", "Plain"):
            return self.paragraph(block)
        return [block]

    def header(self, block: Node) -> Node:
        level, (identifier, classes, attributes), inlines = block["c"]
        labels = _labels_in(inlines)
        if identifier in self.manuscript_labels:
            labels.insert(0, identifier)
        classes = list(classes)
        if self.in_appendix_next:
            classes.append("appendix")
            self.in_appendix_next = False
        inlines = self.inlines(_without_labels(inlines))
        header: list[Any] = [level, [identifier, classes, attributes], inlines]
        if labels:
            header[1][0] = self.name(labels[0], "sec")
            for alias in labels[1:]:
                self.ids[alias] = header[1][0]
        self.last_header = header
        return {"t": "Header", "c": header}

    def section_label(self, label: str) -> None:
        """A label in running text names the section it is in (LaTeX's \\ref gives the
        current section's number there)."""
        header = self.last_header
        if header is None:
            self.report.warn(
                f"\\label{{{label}}} is in no section, figure, table or equation: "
                "references to it cannot be numbered",
                f"\\label{{{label}}}",
            )
            return
        identifier = header[1][0]
        if identifier.startswith("sec-"):
            self.ids[label] = identifier
        else:
            header[1][0] = self.name(label, "sec")

    def labelled(self, block: Node, kind: str) -> Node:
        """A Figure or Table whose caption (or image) holds a label, or whose id is one."""
        identifier = block["c"][0][0]
        labels = _labels_in(block["c"][1])
        if kind == "fig":
            labels += _labels_in(block["c"][2])
        if identifier in self.manuscript_labels:
            labels.insert(0, identifier)
        cleaned: Node = _without_labels(block)
        if not labels:
            return cleaned
        if identifier and identifier not in self.manuscript_labels:
            new_id = identifier  # a Quarto label already: the LaTeX label is its alias
        else:
            new_id = self.name(labels[0], kind)
        for label in labels:
            self.ids[label] = new_id
        return {"t": block["t"], "c": [[new_id, *cleaned["c"][0][1:]], *cleaned["c"][1:]]}

    def paragraph(self, block: Node) -> list[Node]:
        content = [child for child in block["c"] if child["t"] not in ("Space", "SoftBreak")]
        if content and all(_label_of(child) for child in content):
            for child in content:  # a paragraph of labels: they name the section above
                self.section_label(_label_of(child) or "")
            return []
        return [{"t": block["t"], "c": self.inlines(block["c"])}]

    def inlines(self, inlines: list[Node]) -> list[Node]:
        result: list[Node] = []
        index = 0
        while index < len(inlines):
            node = inlines[index]
            index += 1
            if node["t"] == "Math":
                following = _following_label(inlines, index)
                result.extend(self.equation(node, following))
                if following is not None:
                    index = following[1]
                continue
            label = _label_of(node)
            if label is not None:
                self.section_label(label)
                continue
            if node["t"] == "Note":
                result.append({"t": "Note", "c": self.blocks(node["c"])})
                continue
            if _labels_in(node):
                for inner in _labels_in(node):
                    self.section_label(inner)
                node = _without_labels(node)
            result.append(node)
        return result

    def equation(self, node: Node, following: tuple[str, int] | None) -> list[Node]:
        math_type, tex = node["c"]
        display = math_type["t"] == "DisplayMath"
        equation: PreparedEquation = prepared(tex, self.macros, display=display)
        math = {"t": "Math", "c": [math_type, equation.tex]}
        if not display:
            for label in equation.labels:
                self.section_label(label)
            return [math]
        quarto_label = following[0] if following is not None else None
        labels = list(equation.labels)
        if quarto_label is None and labels:
            quarto_label = self.name(labels[0], "eq")
        for label in labels:
            self.ids[label] = quarto_label or ""
        if quarto_label is None:
            if equation.tag is not None:  # numbered by hand, referred to by no one
                return [equation_span("", math, equation.tag)]
            return [math]
        if equation.tag is not None:  # typeset/crossref/ numbers it with the tag
            math = {"t": "Math", "c": [math_type, f"{equation.tex} \\tag{{{equation.tag}}}"]}
        return [math, {"t": "Space"}, {"t": "Str", "c": f"{{#{quarto_label}}}"}]

    # references, after every label is known

    def _labelled_in_markdown(self, label: str) -> str | None:
        """The Quarto label for a `\\ref` to an element labelled in Markdown rather than by
        `\\label` (```{.python #lst:huh}```, `{#fig:x}`), as the cross-references spell it."""
        from typeset.crossref.syntax import dashed_label

        for node in ast.walk(self.manuscript.document["blocks"]):
            position = ast.ATTRIBUTE_POSITION.get(node["t"])
            if position is not None and node["c"][position][0] in (label, dashed_label(label)):
                return dashed_label(label)
        return None

    def reference(self, node: Node) -> Node | None:
        if node["t"] == "Cite":
            content = node["c"][1]
            if any(_is_raw_latex(child) for child in content):
                text = "".join(child["c"][1] for child in content if _is_raw_latex(child))
                return {"t": "Cite", "c": [node["c"][0], [{"t": "Str", "c": text}]]}
            return None
        if node["t"] != "Link":
            return None
        attributes = dict(node["c"][0][2])
        kind = attributes.get("reference-type")
        label = attributes.get("reference")
        if kind is None or label is None:
            return None
        target = self.ids.get(label)
        if target is None and label in self.taken and re.match(r"^(fig|tbl|eq|sec)-", label):
            target = label  # `\ref{fig-x}` to a Quarto label
        if not target:
            target = self._labelled_in_markdown(label)
        if not target:
            command = {"eqref": "eqref", "ref+label": "autoref", "ref+Label": "Cref"}.get(
                kind, "ref"
            )
            path, line = self.manuscript.at(self.report.line_of(f"{{{label}}}"))
            self.problems.append(
                CitationError(
                    f"\\{command}{{{label}}} names no \\label in the manuscript",
                    path=path,
                    line=line,
                    hint=f"add \\label{{{label}}} to the figure, table, equation or section, "
                    "or fix the reference's spelling",
                )
            )
            marked = {"t": "Strong", "c": [{"t": "Str", "c": "??"}]}
            return {"t": "Span", "c": [["", ["missing-cross-reference"], []], [marked]]}
        if kind == "ref+Label":
            return _cite(target[:1].upper() + target[1:], "NormalCitation")
        if kind == "ref+label":
            return _cite(target, "NormalCitation")
        number = _cite(target, "SuppressAuthor")
        if kind == "eqref":
            return {"t": "Span", "c": [["", [], []], [_text("("), number, _text(")")]]}
        return number


def _following_label(inlines: list[Node], index: int) -> tuple[str, int] | None:
    """A Quarto `{#eq-x}` after a display equation: the label and the index after it."""
    after = index
    while after < len(inlines) and inlines[after]["t"] in ("Space", "SoftBreak"):
        after += 1
    if after < len(inlines) and inlines[after]["t"] == "Str":
        match = re.match(r"^\{#(eq-[^\s}]+)\}$", inlines[after]["c"])
        if match:
            return match.group(1), after + 1
    return None


def _cite(identifier: str, mode: str) -> Node:
    citation = {
        "citationId": identifier,
        "citationPrefix": [],
        "citationSuffix": [],
        "citationMode": {"t": mode},
        "citationNoteNum": 0,
        "citationHash": 0,
    }
    marker = "-@" if mode == "SuppressAuthor" else "@"
    return {"t": "Cite", "c": [[citation], [_text(marker + identifier)]]}


def _text(value: str) -> Node:
    return {"t": "Str", "c": value}


def _commands(text: str) -> list[str]:
    return [match.group(1) for match in _COMMAND.finditer(text)]


# --- step 3: what is left ------------------------------------------------------------------


class _Leftovers:
    """Raw LaTeX the reader kept as it was: mapped where it has an equivalent, else
    reported and left out."""

    def __init__(self, report: _Reporter) -> None:
        self.report = report
        self.lists: list[str] = []

    def rewrite(self, node: Node) -> Node | None:
        if not _is_raw_latex(node):
            return None
        text = node["c"][1]
        commands = _commands(text)
        empty: Node = {"t": node["t"], "c": ["latex", ""]}
        if not commands or text in self.report.reported:
            return empty
        first = commands[0].rstrip("*")
        if first in LISTS and len(commands) == 1:
            self.lists.append(LISTS[first])
            return empty
        if first == "tableofcontents" and len(commands) == 1:
            return empty  # the config turned `toc` on (typeset/config.py, contents_line)
        if all(command.rstrip("*") in WITHOUT_CONTENT for command in commands):
            return empty
        if node["t"] == "RawBlock" and all(command in PAGE_BREAKS for command in commands):
            return page_break()
        if first in PAGE_BREAKS:
            self.report.warn(
                f"raw LaTeX {_shown(text)} inside a paragraph: put it on a line of its own "
                "for a page break; left out",
                text,
            )
            return empty
        self.report.warn(
            f"raw LaTeX {_shown(text)} has no equivalent in the PDF, EPUB or DOCX and is left out",
            text,
        )
        return empty


# Front-matter fields whose raw LaTeX is read elsewhere (macros) or refused by the sanitiser.
_PREAMBLE_FIELDS = frozenset({"header-includes", "include-before", "include-after"})


def _report_raw_metadata(meta: dict[str, Any], report: _Reporter) -> None:
    """Raw LaTeX in a printed front-matter field (a title, an abstract) is not translated."""
    for field, value in meta.items():
        if field in _PREAMBLE_FIELDS:
            continue
        for node in ast.walk(value):
            if _is_raw_latex(node) and node["c"][1].strip():
                report.warn(
                    f"raw LaTeX {_shown(node['c'][1])} in the front matter's '{field}' is left "
                    "out; write it in Markdown there",
                    node["c"][1],
                    report.line_in_field(field, node["c"][1]),
                )


def _report_other_raw(blocks: list[Node], formats: frozenset[str], report: _Reporter) -> None:
    """Raw blocks for a format no output is written in: said, never silently lost."""
    for node in ast.walk(blocks):
        if node["t"] not in ("RawInline", "RawBlock"):
            continue
        raw_format, text = node["c"]
        raw_format = raw_format.lower()
        if raw_format in LATEX_FORMATS or raw_format in SANITISER_REPORTS or not text.strip():
            continue
        if raw_format in HTML_FORMATS:
            if (
                "docx" in formats
                and node["t"] == "RawBlock"
                and not text.lstrip().startswith("<!--")
            ):
                report.warn(
                    f"raw HTML {_shown(text)} is not part of the DOCX (Word has no HTML); "
                    "write it in Markdown to keep it there",
                    text,
                )
            continue
        report.warn(
            f"raw {raw_format} {_shown(text)} is in no output (PDF, EPUB and DOCX are "
            f"written); left out",
            text,
        )
