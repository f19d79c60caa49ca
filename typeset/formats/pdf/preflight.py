"""Typographic preflight: the laid-out PDF read the way a typesetter marks a proof.

LaTeX reports overfull and underfull boxes; WeasyPrint reports nothing. This reads the
PDF `--check` built (pdfplumber: each glyph's position, size and marked-content id; the
tagged structure WeasyPrint writes per page says which glyphs are a heading, a caption or
a table), rebuilds its lines and reports, with page and text:

overfull        text, images or drawn math beyond the text block (the measure) or the margin
caption-apart   a caption on another page than its table's first row or its figure
heading-foot    a heading with fewer than two lines of its section after it at a page foot
punctuation     a line ending with opening punctuation or starting with closing punctuation
url-scheme      a URL broken inside its scheme or right after "://"
note-calls      adjacent note calls set as one number ("⁴⁵")
widow, orphan   a paragraph's single line alone at the top or foot of a page
loose-line      a justified line whose word spaces are far above the page's norm
hyphen-stack    more than three consecutive lines ending with a hyphen
note-continued  a footnote continued on the next page (info: sometimes unavoidable)

Every threshold below was calibrated on the corpus (tests/data/corpus and the essay in
several styles): none fires on their pages, and tests/test_preflight.py builds a page with
each fault and finds it.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typeset.findings import Finding

# Every check this module can report (the `check` of its findings), for a profile that
# makes them errors (config `typography: error`).
CHECKS = (
    "typography",  # the PDF could not be read
    "overfull",
    "caption-apart",
    "heading-foot",
    "punctuation",
    "url-scheme",
    "note-calls",
    "widow",
    "orphan",
    "loose-line",
    "hyphen-stack",
    "note-continued",
)

# Tolerances, in points unless named otherwise.
# Text may touch the measure; past it by more than this is overfull (a glyph's side
# bearing, or rounding of a justified line's last glyph, stays well under it).
OVERFULL_TOLERANCE = 1.0
# A glyph whose baseline is within this share of its size of a line's is on that line.
SAME_LINE = 0.3
# A glyph this much smaller than its line's text, raised above its baseline, is a
# superscript (a note call): ::footnote-call is 0.7em.
SUPERSCRIPT_SIZE = 0.85
# Loose line: its mean word space exceeds the page's median by this factor and by this
# share of an em. The corpus's justified lines stay under 1.9x (a short line of long words
# with few spaces); a line set with a visibly stretched gap shows 2.5x and more.
LOOSE_FACTOR = 2.2
LOOSE_EXCESS_EM = 0.3
# A hyphen stack: more than this many consecutive lines of a block ending with a hyphen.
HYPHEN_STACK = 3
# A heading needs this many lines of its section after it on its page.
LINES_AFTER_HEADING = 2
# Smaller text is not read: an equation's invisible TeX is set at 1 pt (print.css).
MIN_TEXT_SIZE = 2.0
# Lines a text block must have before its measure is inferred from them.
MEASURE_SAMPLE = 4

# Punctuation that opens (and so must not end a line) and closes (and must not start one).
# Guillemets are left out: German opens with » and closes with «, French the reverse.
OPENING = "“‘„‚([{¿¡‹「『（《〈【〔"  # noqa: RUF001
CLOSING = "”’)]},.;:!?…」』）》〉】〕。、，；：！？"  # noqa: RUF001
# Schemes whose URLs go on with "//" (a "doi:" label followed by a space is a word).
URL_SCHEME_END = re.compile(r"(?:\b(?:https?|ftp|file)(?::/{0,2})?|:/{1,2})$", re.I)
URL_SCHEME_START = re.compile(r"^(?::?/{1,2})(?=\S)")
URL_BREAK_START = re.compile(r"^[./?#&=][^\s.,;:]")
HYPHENS = "-\u2010\u00ad"
HEADING_ROLES = ("H", "H1", "H2", "H3", "H4", "H5", "H6")
# Structure types whose marked content is a block of lines of its own.
BLOCK_ROLES = frozenset(
    {
        *HEADING_ROLES,
        "P",
        "Caption",
        "TD",
        "TH",
        "LI",
        "LBody",
        "Lbl",
        "BlockQuote",
        "Code",
        "Figure",
        "Formula",
        "TOCI",
        "Note",
        "Div",
    }
)


RawFinding = tuple[str, str, int, str]  # level, check, page, message
Check = Callable[[list["Page"]], Iterable[RawFinding]]


@dataclass
class Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float  # from the page top
    size: float
    font: str
    mcid: int | None
    role: str  # the nearest block ancestor's structure type, "" when untagged
    block: int  # identity of that block element on its page (-1 when untagged)
    container: int  # identity of its Table / figure container (-1 when none)


@dataclass
class Line:
    page: int  # 1-based
    size: float  # of its largest glyph, the first placed on it
    baseline: float  # of that glyph
    glyphs: list[Glyph] = field(default_factory=list)

    @property
    def role(self) -> str:
        return self.glyphs[0].role

    @property
    def block(self) -> int:
        return self.glyphs[0].block

    @property
    def text(self) -> str:
        return "".join(glyph.text for glyph in self.glyphs).strip()

    @property
    def x0(self) -> float:
        return min(glyph.x0 for glyph in self.glyphs if glyph.text.strip())

    @property
    def x1(self) -> float:
        return max(glyph.x1 for glyph in self.glyphs if glyph.text.strip())

    @property
    def top(self) -> float:
        return min(glyph.top for glyph in self.glyphs)

    @property
    def main(self) -> list[Glyph]:
        """The glyphs at the line's own size (not its superscripts)."""
        return [g for g in self.glyphs if g.size >= self.size * SUPERSCRIPT_SIZE]

    @property
    def monospace(self) -> bool:
        return any("Mono" in glyph.font or "Courier" in glyph.font for glyph in self.main)


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    lines: list[Line]  # in reading order: body, then notes
    notes_from: int  # index of the first footnote line in `lines` (len(lines) if none)
    # Structure on this page: container id -> the roles of what it holds.
    containers: dict[int, set[str]]
    # Images and drawn paths (math, figures) as (x0, top, x1, bottom).
    drawings: list[tuple[float, float, float, float]]
    tagged: bool

    @property
    def body(self) -> list[Line]:
        return self.lines[: self.notes_from]

    @property
    def notes(self) -> list[Line]:
        return self.lines[self.notes_from :]


@dataclass(frozen=True)
class TextBlock:
    left: float
    right: float


def preflight(path: Path) -> list[Finding]:
    """Every typographic finding of the PDF at `path` (warnings, and info for notes)."""
    pages = read_pages(path)
    block = text_block(pages)
    findings: list[RawFinding] = []
    checks: tuple[Check, ...] = (
        _overfull(block),
        _caption_apart,
        _heading_at_foot,
        _punctuation,
        _url_scheme,
        _note_calls,
        _widows_and_orphans,
        _loose_lines,
        _hyphen_stacks,
        _notes_continued,
    )
    for check in checks:
        findings.extend(check(pages))
    return [
        Finding(level, name, f"page {page}: {message}", str(path))
        for level, name, page, message in sorted(
            findings, key=lambda finding: (finding[2], CHECKS.index(finding[1]))
        )
    ]


# ---------------------------------------------------------------------------- reading


def read_pages(path: Path) -> list[Page]:
    import pdfplumber

    with pdfplumber.open(path) as document:
        return [_read_page(page) for page in document.pages]


def _read_page(page: Any) -> Page:
    try:
        tree = page.structure_tree
    except Exception:  # an untagged or damaged structure: read it as untagged
        tree = []
    roles: dict[int, tuple[str, int, int]] = {}
    containers: dict[int, set[str]] = {}
    _map_structure(tree, roles, containers, block=("", -1), container=-1)
    tagged = bool(roles)
    glyphs = []
    for char in page.chars:
        if char.get("tag") == "Artifact" or not char.get("upright", True):
            continue  # running heads, folios, an equation's invisible TeX
        if float(char["size"]) < MIN_TEXT_SIZE:
            continue  # the same TeX in an untagged PDF
        mcid = char.get("mcid")
        role, block, container = roles.get(mcid, ("", -1, -1)) if mcid is not None else ("", -1, -1)
        if tagged and mcid is None:
            continue
        matrix = char["matrix"]
        glyphs.append(
            Glyph(
                char["text"],
                float(char["x0"]),
                float(char["x1"]),
                float(char["top"]),
                float(char["bottom"]),
                float(page.height) - float(matrix[5]),
                float(char["size"]),
                str(char.get("fontname", "")),
                mcid,
                role,
                block,
                container,
            )
        )
    lines = _lines(page.page_number, glyphs)
    notes_from = _notes_start(lines)
    drawings = [
        (float(o["x0"]), float(o["top"]), float(o["x1"]), float(o["bottom"]))
        for o in [*page.images, *page.curves, *page.rects]
    ]
    return Page(
        page.page_number,
        float(page.width),
        float(page.height),
        lines,
        notes_from,
        containers,
        drawings,
        tagged,
    )


def _map_structure(
    elements: Iterable[dict[str, Any]],
    roles: dict[int, tuple[str, int, int]],
    containers: dict[int, set[str]],
    block: tuple[str, int],
    container: int,
) -> None:
    for element in elements:
        kind = str(element.get("type", ""))
        here_block = (kind, id(element)) if kind in BLOCK_ROLES else block
        here_container = container
        # a table, or the <figure> that holds an image and its caption
        if kind == "Table" or (kind in ("NonStruct", "Div") and _holds(element, "Caption")):
            here_container = id(element)
            containers.setdefault(here_container, set())
        if container != -1 and here_container == container:
            containers[container].add(kind)
        if kind in ("Caption", "TR", "Figure") and container != -1:
            containers[container].add(kind)
        for mcid in element.get("mcids") or ():
            roles[int(mcid)] = (here_block[0], here_block[1], here_container)
        _map_structure(element.get("children") or (), roles, containers, here_block, here_container)


def _holds(element: dict[str, Any], kind: str) -> bool:
    return any(child.get("type") == kind for child in element.get("children") or ())


def _lines(page_number: int, glyphs: list[Glyph]) -> list[Line]:
    """Glyphs grouped into lines: one baseline within one block (a paragraph, a cell)."""
    lines: list[Line] = []
    # Full-size glyphs first so superscripts join the line they are raised above.
    order = sorted(glyphs, key=lambda g: -g.size)
    by_block: dict[int, list[Line]] = {}
    for glyph in order:
        candidates = by_block.setdefault(glyph.block, [])
        home = None
        for line in candidates:
            if abs(glyph.baseline - line.baseline) <= SAME_LINE * line.size and _near(glyph, line):
                home = line
                break
        else:
            for line in candidates:  # raised above a line: a superscript, a note call
                if (
                    glyph.size < line.size
                    and line.baseline - 0.8 * line.size <= glyph.baseline <= line.baseline
                    and _near(glyph, line)
                ):
                    home = line
                    break
        if home is None:
            home = Line(page_number, glyph.size, glyph.baseline)
            candidates.append(home)
            lines.append(home)
        home.glyphs.append(glyph)
    for line in lines:
        line.glyphs.sort(key=lambda g: g.x0)
    lines = [line for line in lines if line.text]
    lines.sort(key=lambda line: (round(line.baseline), line.x0))
    return lines


def _near(glyph: Glyph, line: Line) -> bool:
    """Untagged text of two columns or table cells on one baseline is several lines."""
    if glyph.block != -1:
        return True
    gap = 3 * line.size
    return any(g.x0 - gap <= glyph.x0 <= g.x1 + gap for g in line.glyphs)


def _notes_start(lines: list[Line]) -> int:
    """Footnotes: the run of smaller lines at the page foot that opens with a note's
    marker ("4."), or continues a note; untagged text, as WeasyPrint tags a note's
    content outside the page's sections."""
    if not lines:
        return 0
    body_size = Counter(round(line.size, 1) for line in lines).most_common(1)[0][0]
    index = len(lines)
    while index > 0 and lines[index - 1].size < body_size * 0.9 and lines[index - 1].role == "":
        index -= 1
    if index == 0 or index == len(lines):
        return len(lines)
    return index


def text_block(pages: list[Page]) -> TextBlock | None:
    """The measure, from the lines: their most frequent left and right edges.

    Justified text fills the measure, so most lines share both edges; a layout of two
    columns has two of each (its outermost count). None with too few lines to tell.
    """
    lines = [
        line
        for page in pages
        for line in page.body
        if line.role == ("P" if page.tagged else "") and not line.monospace
    ]
    if not lines:
        return None
    body_size = Counter(round(line.size) for line in lines).most_common(1)[0][0]
    lines = [line for line in lines if round(line.size) == body_size]
    if len(lines) < MEASURE_SAMPLE:
        return None
    lefts = Counter(round(line.x0) for line in lines)
    rights = Counter(round(line.x1) for line in lines)
    frequent = max(2, len(lines) * 0.1)
    left = min(x for x, count in lefts.items() if count >= frequent) if lefts else None
    right_edges = [x for x, count in rights.items() if count >= frequent]
    if left is None or not right_edges:
        return None
    return TextBlock(float(left), float(max(right_edges)))


# ----------------------------------------------------------------------------- checks


def _overfull(block: TextBlock | None) -> Check:
    def check(pages: list[Page]) -> Iterator[RawFinding]:
        if block is None:
            return
        for page in pages:
            for line in page.lines:
                past = max(line.x1 - block.right, block.left - line.x0)
                if past > OVERFULL_TOLERANCE:
                    yield (
                        "warning",
                        "overfull",
                        page.number,
                        f"{past:.1f}pt beyond the measure: {_quote(line.text)}",
                    )
            for line in page.lines:
                # WeasyPrint never continues a footnote overleaf: one too long for the
                # page runs off its foot.
                if max(glyph.bottom for glyph in line.glyphs) > page.height:
                    yield (
                        "warning",
                        "overfull",
                        page.number,
                        f"text runs off the page foot: {_quote(line.text)}",
                    )
                    break
            for x0, top, x1, bottom in page.drawings:
                past = max(x1 - block.right, block.left - x0)
                if past > OVERFULL_TOLERANCE and x0 >= 0 and x1 <= page.width:
                    near = _line_near(page, top, bottom)
                    yield (
                        "warning",
                        "overfull",
                        page.number,
                        f"a drawing (math, image) {past:.1f}pt beyond the measure"
                        + (f", near {_quote(near.text)}" if near else ""),
                    )

    return check


def _line_near(page: Page, top: float, bottom: float) -> Line | None:
    for line in page.lines:
        if top - 4 <= line.baseline <= bottom + 12:
            return line
    return None


def _caption_apart(pages: list[Page]) -> Iterator[RawFinding]:
    for page in pages:
        for container, kinds in page.containers.items():
            if "Caption" not in kinds or {"TR", "Figure"} & kinds:
                continue
            caption = " ".join(
                line.text for line in page.lines if line.glyphs[0].container == container
            )
            if caption:
                yield (
                    "warning",
                    "caption-apart",
                    page.number,
                    f"caption without its table or figure on the page: {_quote(caption)}",
                )


def _heading_at_foot(pages: list[Page]) -> Iterator[RawFinding]:
    for page in pages[:-1]:
        body = page.body
        for index, line in enumerate(body):
            if line.role not in HEADING_ROLES:
                continue
            after = [other for other in body[index + 1 :] if other.block != line.block]
            following = pages[page.number].body  # the next page (numbers are 1-based)
            continues = bool(following) and following[0].role not in HEADING_ROLES
            if len(after) < LINES_AFTER_HEADING and continues:
                yield (
                    "warning",
                    "heading-foot",
                    page.number,
                    f"heading at the page foot ({len(after)} line(s) of its section "
                    f"after it): {_quote(line.text)}",
                )
                break


def _punctuation(pages: list[Page]) -> Iterator[RawFinding]:
    for page in pages:
        previous: Line | None = None
        for line in page.lines:
            if line.monospace:
                previous = line
                continue
            text = line.text
            if text[-1] in OPENING:
                yield (
                    "warning",
                    "punctuation",
                    page.number,
                    f"line ends with opening {text[-1]!r}: {_quote(text)}",
                )
            if (
                text[0] in CLOSING
                and not _continues_url(previous, text)
                and not _after_drawing(page, line)
            ):
                yield (
                    "warning",
                    "punctuation",
                    page.number,
                    f"line starts with closing {text[0]!r}: {_quote(text)}",
                )
            previous = line


def _after_drawing(page: Page, line: Line) -> bool:
    """The line starts with an equation or image (drawn, not glyphs) that the punctuation
    follows, as in "$x$," at a line start."""
    first = next(glyph for glyph in line.glyphs if glyph.text.strip())
    return any(
        first.x0 - 4 <= x1 <= first.x0 + 1 and top < line.baseline and bottom > line.top
        for x0, top, x1, bottom in page.drawings
    )


def _continues_url(previous: Line | None, text: str) -> bool:
    """A URL broken before its ".", "?" or "#" (as the Chicago Manual breaks them)."""
    if previous is None or not URL_BREAK_START.match(text):
        return False
    last_word = previous.text.split()[-1] if previous.text.split() else ""
    return "/" in last_word or last_word.startswith("www")


def _url_scheme(pages: list[Page]) -> Iterator[RawFinding]:
    for page in pages:
        lines = page.lines
        for line, following in itertools.pairwise(lines):
            if line.monospace:
                continue
            end = URL_SCHEME_END.search(line.text)
            if end is None:
                continue
            tail = end.group(0)
            continues = URL_SCHEME_START.match(following.text) or (
                tail.endswith("/") and following.text[:1].isalnum()
            )
            if tail.lower() in ("https", "http", "ftp", "file") and not continues:
                continue  # the word itself ending a sentence's line
            if continues or tail.endswith(":"):
                yield (
                    "warning",
                    "url-scheme",
                    page.number,
                    f"URL broken at its scheme: {_quote(line.text[-30:])} / "
                    f"{_quote(following.text[:30])}",
                )


def _note_calls(pages: list[Page]) -> Iterator[RawFinding]:
    for page in pages:
        for line in page.body:
            raised = [
                g
                for g in line.glyphs
                if g.size < line.size and g.baseline < line.baseline - SAME_LINE * line.size
            ]
            for left, right in itertools.pairwise(raised):
                if (
                    left.text.isdigit()
                    and right.text.isdigit()
                    and left.mcid is not None
                    and right.mcid is not None
                    and left.mcid != right.mcid
                    and right.x0 - left.x1 < 0.25 * left.size
                    and not _between(line, left, right)
                ):
                    yield (
                        "warning",
                        "note-calls",
                        page.number,
                        f"note calls {left.text} and {right.text} read as one number: "
                        f"{_quote(line.text)}",
                    )


def _between(line: Line, left: Glyph, right: Glyph) -> bool:
    """A visible glyph (a comma) set between two raised glyphs."""
    return any(
        g.text.strip()
        and left.x1 - 0.1 <= g.x0
        and g.x1 <= right.x0 + 0.1
        and g not in (left, right)
        for g in line.glyphs
    )


def _widows_and_orphans(pages: list[Page]) -> Iterator[RawFinding]:
    for page, following in itertools.pairwise(pages):
        body, next_body = page.body, following.body
        if not body or not next_body:
            continue
        last, first = body[-1], next_body[0]
        if last.role != "P" or first.role != "P" or last.monospace:
            continue
        last_block = [line for line in body if line.block == last.block]
        first_block = [line for line in next_body if line.block == first.block]
        continued = (
            _ends_short_of_measure(last, body) is False and first.x0 <= last_block[0].x0 + 0.5
        )
        if not continued:
            continue
        if len(last_block) == 1 and last is not body[0]:
            yield (
                "warning",
                "orphan",
                page.number,
                f"a paragraph's first line alone at the page foot: {_quote(last.text)}",
            )
        if len(first_block) == 1 and len(last_block) >= 1:
            yield (
                "warning",
                "widow",
                following.number,
                f"a paragraph's last line alone at the page top: {_quote(first.text)}",
            )


def _ends_short_of_measure(line: Line, lines: list[Line]) -> bool:
    right = max(other.x1 for other in lines if other.size == line.size)
    return line.x1 < right - 2


def _loose_lines(pages: list[Page]) -> Iterator[RawFinding]:
    for page in pages:
        justified = [
            line
            for line in page.body
            if line.role in ("P", "")
            and not line.monospace
            and not _ends_short_of_measure(line, page.body)
        ]
        spaces = {id(line): _word_spaces(line, page.drawings) for line in justified}
        every = [space for line_spaces in spaces.values() for space in line_spaces]
        if len(every) < 20:
            continue
        norm = statistics.median(every)
        blocks = Counter(line.block for line in page.body)
        for line in justified:
            gaps = spaces[id(line)]
            if not gaps or (_is_last_of_block(line, page.body) and blocks[line.block] > 1):
                continue
            mean = statistics.fmean(gaps)
            if mean > norm * LOOSE_FACTOR and mean - norm > LOOSE_EXCESS_EM * line.size:
                yield (
                    "warning",
                    "loose-line",
                    page.number,
                    f"loose line (word space {mean / norm:.1f}x the page's): {_quote(line.text)}",
                )


def _is_last_of_block(line: Line, lines: list[Line]) -> bool:
    same = [other for other in lines if other.block == line.block]
    return same[-1] is line if line.block != -1 else False


def _word_spaces(
    line: Line, drawings: Sequence[tuple[float, float, float, float]] = ()
) -> list[float]:
    """Widths of the gaps between words: from one word's last glyph to the next's first.
    A gap holding a drawing on the line (inline math, drawn as paths) is not a space."""
    gaps = []
    previous: Glyph | None = None
    top, bottom = line.baseline - line.size, line.baseline + 0.3 * line.size  # descenders too
    for glyph in line.glyphs:  # superscripts too: a note call is part of its word
        if not glyph.text.strip() or glyph.text == "\u00a0":
            continue
        if previous is not None and _space_between(line, previous, glyph):
            left, right = previous.x1, glyph.x0
            drawn = any(
                x0 < right and x1 > left and y0 < bottom and y1 > top for x0, y0, x1, y1 in drawings
            )
            if not drawn:
                gaps.append(right - left)
        previous = glyph
    return gaps


def _space_between(line: Line, left: Glyph, right: Glyph) -> bool:
    return any(g.text == " " and left.x1 - 0.5 <= g.x0 <= right.x0 + 0.5 for g in line.glyphs)


def _hyphen_stacks(pages: list[Page]) -> Iterator[RawFinding]:
    """Runs of hyphenated line ends within a block (a paragraph may go on overleaf)."""
    run: list[Line] = []
    for page in pages:
        for line in page.body:
            if run and run[-1].block != line.block and run[-1].page == line.page:
                yield from _stack(run)
                run = []
            if line.text[-1] in HYPHENS and len(line.text) > 1 and line.text[-2].isalpha():
                run.append(line)
            else:
                yield from _stack(run)
                run = []
    yield from _stack(run)


def _stack(run: list[Line]) -> Iterator[RawFinding]:
    if len(run) > HYPHEN_STACK:
        yield (
            "warning",
            "hyphen-stack",
            run[0].page,
            f"{len(run)} consecutive lines end with a hyphen, from {_quote(run[0].text)}",
        )


def _notes_continued(pages: list[Page]) -> Iterator[RawFinding]:
    for page, following in itertools.pairwise(pages):
        notes = following.notes
        if page.notes and notes and not re.match(r"^\d+\.", notes[0].text):
            yield (
                "info",
                "note-continued",
                following.number,
                f"a footnote continues from page {page.number}: {_quote(notes[0].text)}",
            )


def _quote(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"
