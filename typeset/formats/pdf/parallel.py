"""A long PDF laid out in parts on every core, joined into the document one pass would make.

WeasyPrint lays a document out on one core, and for a book that is the build's critical
path. A book's chapters (the top-level sections of the body, `<section>` children of
<main>, whatever heading level they carry: the print HTML shifts the manuscript's top level
to <h2>) start on a new page, so the layout of one chapter never depends on the one before,
except through three counters:

- footnote numbers: known before layout (the footnotes of the earlier parts are counted
  in the HTML), so each part starts its `footnote` counter where the previous one ended;
- page numbers: known only after the earlier parts are laid out. The parts are therefore
  laid out without the folio, and the folios of the whole book are set afterwards in one
  cheap render of empty pages, stamped on each page as an artifact (page furniture);
- contents pages (`toc`, `lof`, `lot`): their page numbers point into later parts. The
  front matter that holds them (title block, abstract, the lists: all before the first
  chapter, which then opens on a new page) is a part of its own. It is laid out with
  placeholder numbers beside the chapters, then once more with the numbers the chapters'
  named destinations give; if that changes its own page count, again with the new count.

Links from one part to an anchor in another are written as `typeset-part:ID` so WeasyPrint
keeps them, and turned back into named destinations when the parts are joined with pikepdf;
the named destinations, bookmarks (outline) and the tag tree (WeasyPrint builds it page by
page, so the Document element's kids and the parent tree concatenate) are joined likewise.
Parts are cached by content: a one-word edit lays out again only the part it falls in.

A part's drawing (WeasyPrint's PDF writer, then the post-pass) is a third of its time. When
a part is laid out while no other part is left to lay out (a book of one long chapter, the
last part of any book), a core would idle through it: the part's pages are then drawn in
two pieces, one in a forked process, each a file of its own that the join takes as
consecutive parts. Links from one piece to the other's pages use the `typeset-part:`
scheme too, and the later piece records where its bookmarks sit in the part's outline.
"""

from __future__ import annotations

import hashlib
import html as html_escaping
import io
import logging
import multiprocessing
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pikepdf
import pydyf
import weasyprint

from typeset import timings
from typeset.cache import cache_reads_allowed, file_fingerprint, file_seal_holds, seal_file
from typeset.formats.html_elements import VOID_ELEMENTS
from typeset.formats.pdf.weasyprint.tag_tree import detach_structure, join_structure
from typeset.processes import ForkedWorkers

log = logging.getLogger(__name__)

# Below this many words a book gains less from two cores than the split costs (each part
# parses the stylesheet and loads fonts again, and the join takes its share).
MIN_WORDS_TO_SPLIT = 15_000
# A part of fewer words than this is merged with the next: a part has a fixed cost.
MIN_WORDS_PER_PART = 6_000
CROSS_PART_SCHEME = "typeset-part:"
# Below this many pages a part is drawn whole: a piece has a fixed cost (a fork, its
# fonts subset and embedded again, one more file to post-process and join) that a short
# part's drawing, under a second, would not repay.
MIN_PAGES_TO_DRAW_IN_TWO = 40
# In a later piece of a part drawn in two: the depth, in the whole part's outline, of
# each of its bookmarks in document order (its own outline nests them from its first page).
OUTLINE_DEPTHS_KEY = "/TypesetOutlineDepths"

# Chapters of a book open on a new page; this is also what makes the parts independent.
# A note that does not fit takes its calling line to the next page (`footnote-policy:
# line`) rather than running on to a later page, which at a chapter's end would be the
# next chapter's first page, in another part. Both rules apply to the one-pass render
# too, so both give the same pages.
# The selector is the split's own rule (top-level sections), not a heading level. A
# section that is not the first of its type is one with a section before it (`section ~
# section`), but `:first-of-type` is tested on the element alone, without a walk over the
# previous siblings for every chapter.
CHAPTER_CSS = (
    "main > section:not(:first-of-type) { break-before: page; }"
    " .footnote { footnote-policy: line; }"
    # after the contents lists, the first chapter too (the front matter is a part)
    " nav#TOC ~ main > section:first-of-type,"
    " main > .list-of-figures ~ section:first-of-type,"
    " main > .list-of-tables ~ section:first-of-type { break-before: page; }"
)
# A contents entry pointing into a later part prints the page number it is given, with
# the leader print.css gives the entries (`nav#TOC a::after`, `.list-of-figures a::after`).
CONTENTS_PAGE_CSS = (
    "nav#TOC a[data-typeset-page]::after, .list-of-figures a[data-typeset-page]::after,"
    " .list-of-tables a[data-typeset-page]::after"
    ' { content: leader(". ") attr(data-typeset-page); }'
)
# Where the front matter's numbers are not known yet: about as wide as a book's.
PLACEHOLDER_PAGE = "000"
CONTENTS_LISTS = re.compile(r'<nav id="TOC"|<div id="list-of-(?:figures|tables)"')
# The parts carry no folio: the whole book's are stamped on afterwards.
NO_FOLIO_CSS = "@page { @bottom-center { content: none; } }"
# Only the book's first page is `:first`; a later part's first page keeps its running head.
LATER_PART_CSS = "@page :first { @top-center { content: element(running-title); } }"
# The folio pages: the stylesheet's page boxes and nothing else.
FOLIO_CSS = "@page { @top-center { content: none; } } body { visibility: hidden; }"

# Start and end tags in pandoc's HTML (attribute values have `>` escaped as `&gt;`).
ELEMENT_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*?(/?)>")
ID_ATTRIBUTE = re.compile(r'\bid="([^"]+)"')
INTERNAL_HREF = re.compile(r'\bhref="#([^"]+)"')
NUMBERED_HREF = re.compile(
    r'\bhref="' + re.escape(CROSS_PART_SCHEME) + r'([^"]+)" data-typeset-page="[^"]*"'
)
FOOTNOTE_SPAN = re.compile(r'<span class="footnote"')
TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Part:
    html: str
    stylesheets: tuple[str, ...]  # CSS text added for this part
    key: str
    # The front matter with contents lists: its page numbers are filled in after layout.
    numbered_contents: bool = False


def is_worth_splitting(html: str) -> bool:
    return len(_words(html)) >= MIN_WORDS_TO_SPLIT


def write(
    html: str,
    destination: Path,
    *,
    base_url: str,
    url_fetcher: Any,
    stylesheets: list[weasyprint.CSS],
    stylesheet_key: str,
    options: dict[str, Any],
    prepare: Callable[[weasyprint.Document], None],
    finisher: Callable[..., None] | None,
    cache_dir: Path,
    postprocess: Callable[[Path], object] | None = None,
    workers: int | None = None,
) -> bool:
    """Write `html` as a PDF laid out in parts; False (nothing written) if not worth it.

    `postprocess` rewrites each part's PDF in place in the part's own process (so on every
    core, and cached with the part) before the parts are joined.
    """
    if not is_worth_splitting(html):
        return False
    settings_key = (
        stylesheet_key + repr(sorted(options.items())) + _postprocess_version(postprocess)
    )
    parts = split(html, settings_key)
    if len(parts) < 2:
        return False
    cache_dir.mkdir(parents=True, exist_ok=True)
    paths = [cache_dir / f"{part.key}.pdf" for part in parts]
    drawn = {i: found for i, path in enumerate(paths) if (found := _cached_pieces(path))}
    missing = [i for i in range(len(parts)) if i not in drawn]
    log.info("PDF in %d parts, %d to lay out", len(parts), len(missing))
    global _JOB
    _JOB = _Job(  # its own lists: the numbered front matter is added to them
        [*parts],
        [*paths],
        base_url,
        url_fetcher,
        stylesheets,
        options,
        prepare,
        finisher,
        postprocess,
        workers or os.cpu_count() or 1,
    )
    try:
        with timings.stage("layout"):
            drawn |= _lay_out(missing)
        pieces = [drawn[index] for index in range(len(parts))]
        if parts[0].numbered_contents:
            with timings.stage("contents"):
                numbered = _numbered_front(parts, pieces, settings_key, cache_dir)
            if numbered is None:
                return False
            pieces = [numbered, *pieces[1:]]
        # A part drawn in two pieces is joined as two consecutive parts.
        paths = [path for part_pieces in pieces for path in part_pieces]
        with timings.stage("join"):
            page_counts = [len(pikepdf.open(path).pages) for path in paths]
            match = re.search(r'<html[^>]*\blang="([^"]*)"', html)
            lang = match.group(1) if match else ""
            # The folios depend only on the page style, the language and the page count,
            # so an edit that leaves the count as it was joins with the folios of the last
            # build (their render is the join's critical path: 5 ms a page).
            folio_path = (
                _folios_folder(cache_dir) / f"{_folios_key(settings_key, lang, page_counts)}.pdf"
            )
            if _reusable(folio_path):
                join(paths, lambda: pikepdf.open(folio_path), destination)
                return True
            # The folios are set in a process of their own while this one joins the parts:
            # at the end of a build the other core has nothing else to do.
            with ForkedWorkers[str, bytes](1) as pool:
                folios = pool.run({"folios": partial(_folio_pages, lang, sum(page_counts))})
                join(paths, lambda: _kept(next(folios)[1], folio_path), destination)
    finally:
        _JOB = None
    return True


def _folios_folder(cache_dir: Path) -> Path:
    """Beside the parts' folder (which holds the parts only)."""
    folder = cache_dir.with_name(cache_dir.name + "-folios")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _folios_key(settings_key: str, lang: str, page_counts: list[int]) -> str:
    return hashlib.sha256(
        "\0".join([settings_key, lang, str(sum(page_counts)), _code_version()]).encode()
    ).hexdigest()


def _kept(folios: bytes, path: Path) -> pikepdf.Pdf:
    """The folio pages, stored for the next build (written whole, then renamed)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    temporary.write_bytes(folios)
    os.replace(temporary, path)
    seal_file(path, PART_KIND)
    return pikepdf.open(io.BytesIO(folios))


def split(html: str, settings_key: str, cores: int | None = None) -> list[Part]:
    """The document's top-level sections in contiguous parts balanced by size; first, on
    its own, the front matter when it holds contents lists."""
    main_start = html.index("<main>") + len("<main>")
    main_end = html.rindex("</main>")
    starts = _top_level_section_starts(html, main_start, main_end)
    contents = bool(starts) and CONTENTS_LISTS.search(html, 0, starts[0]) is not None
    if len(starts) < (1 if contents else 2):
        return []
    cores = cores or os.cpu_count() or 1
    if contents:
        chapters = [html[a:b] for a, b in zip(starts, [*starts[1:], main_end], strict=True)]
        groups = [[html[main_start : starts[0]]], *_balanced(chapters, cores)]
    else:
        chunks = [
            html[a:b]
            for a, b in zip([main_start, *starts[1:]], [*starts[1:], main_end], strict=True)
        ]
        groups = _balanced(chunks, cores)
    head, body_open = html[:main_start], html[main_end:]
    running = re.search(r'<div class="running-title".*?</div>', head, re.DOTALL)
    body_start = head.index("<body>") + len("<body>")
    later_head = head[:body_start] + (running.group(0) if running else "") + "<main>"
    bodies = ["".join(group) for group in groups]
    ids = [set(map(unquote, ID_ATTRIBUTE.findall(body))) for body in bodies]
    ids[0] |= set(map(unquote, ID_ATTRIBUTE.findall(head)))
    parts = []
    footnotes_before = 0
    for index, body in enumerate(bodies):
        front = index == 0
        numbered = front and contents
        if front:
            body = head + body
        body = _cross_part_links(body, ids[index], numbered=numbered)
        document = (body if front else later_head + body) + body_open
        css = [CHAPTER_CSS, NO_FOLIO_CSS]
        if numbered:
            css.append(CONTENTS_PAGE_CSS)
        if not front:
            css += [LATER_PART_CSS, f"html {{ counter-reset: footnote {footnotes_before}; }}"]
        footnotes_before += len(FOOTNOTE_SPAN.findall(body))
        parts.append(_part(document, css, settings_key, numbered_contents=numbered))
    return parts


def _part(
    document: str, css: list[str], settings_key: str, *, numbered_contents: bool = False
) -> Part:
    key = hashlib.sha256(
        "\0".join([document, *css, settings_key, _code_version()]).encode()
    ).hexdigest()
    return Part(document, tuple(css), key, numbered_contents)


def _numbered_front(
    parts: list[Part], pieces: list[list[Path]], settings_key: str, cache_dir: Path
) -> list[Path] | None:
    """The front matter laid out with its contents lists' page numbers (a cached part);
    None if its page count does not settle (the book is then set in one pass)."""
    assert _JOB is not None
    in_body = _pages_in_body([path for part_pieces in pieces[1:] for path in part_pieces])
    front_pages = _page_count(pieces[0])
    for _ in range(3):
        first = front_pages + 1  # the first chapter's page number
        numbers = {anchor: first + index for anchor, index in in_body.items()}
        html = _with_page_numbers(parts[0].html, numbers)
        front = _part(html, list(parts[0].stylesheets), settings_key)
        path = cache_dir / f"{front.key}.pdf"
        found = _cached_pieces(path)
        if found is None:
            _JOB.parts.append(front)
            _JOB.paths.append(path)
            found = _lay_out_part(len(_JOB.parts) - 1)
        laid_out = _page_count(found)
        if laid_out == front_pages:
            return found
        front_pages = laid_out
    log.info("the front matter's page count did not settle: the PDF is set in one pass")
    return None


def _page_count(paths: list[Path]) -> int:
    return sum(len(pikepdf.open(path).pages) for path in paths)


def _with_page_numbers(html: str, numbers: dict[str, int]) -> str:
    def numbered(match: re.Match[str]) -> str:
        target = match.group(1)
        number = numbers.get(unquote(html_escaping.unescape(target)), "")
        return f'href="{CROSS_PART_SCHEME}{target}" data-typeset-page="{number}"'

    return NUMBERED_HREF.sub(numbered, html)


def _pages_in_body(paths: list[Path]) -> dict[str, int]:
    """Each named destination of the chapters' parts, with its page counted from the
    first chapter's first page (the first part to name it wins, as in the join)."""
    found: dict[str, int] = {}
    offset = 0
    for path in paths:
        with pikepdf.open(path) as pdf:
            index_of = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
            for name, target in _destinations(pdf).items():
                if target[0].objgen in index_of:
                    found.setdefault(name, offset + index_of[target[0].objgen])
            offset += len(pdf.pages)
    return found


def _top_level_section_starts(html: str, start: int, end: int) -> list[int]:
    """Where each <section> that is a child of <main> opens; none if the tags between
    `start` and `end` do not balance (a split there could cut an element in two)."""
    depth = 0
    starts = []
    for match in ELEMENT_TAG.finditer(html, start, end):
        closing, name, self_closing = match.groups()
        if closing:
            depth -= 1
            if depth < 0:
                return []
        elif not self_closing and name.lower() not in VOID_ELEMENTS:
            if depth == 0 and name.lower() == "section":
                starts.append(match.start())
            depth += 1
    return starts if depth == 0 else []


def _balanced(chunks: list[str], cores: int) -> list[list[str]]:
    """Contiguous groups of chunks, as even in words as the chunk boundaries allow.

    Twice as many groups as cores, so a one-word edit re-lays-out a fraction of the book
    while the cores stay busy, and a multiple of the cores, so no core idles through a
    last round; fewer where a group would have fewer than MIN_WORDS_PER_PART words.
    """
    sizes = [len(_words(chunk)) for chunk in chunks]
    count = max(1, min(2 * cores, len(chunks), sum(sizes) // max(1, MIN_WORDS_PER_PART)))
    if count <= cores:
        return [chunks[a:b] for a, b in _even_partition(sizes, count)]
    # Even shares for the cores first, then each share in even parts: the parts one core
    # lays out one after the other add up to what every other core does.
    groups = []
    for start, end in _even_partition(sizes, cores):
        for a, b in _even_partition(sizes[start:end], count // cores):
            groups.append(chunks[start + a : start + b])
    return groups


def _even_partition(sizes: list[int], count: int) -> list[tuple[int, int]]:
    """About `count` contiguous ranges of `sizes` whose largest sum is as small as it can
    be: the smallest capacity that `count` greedy ranges can hold, found by bisection
    (linear in the chunks, which a hostile manuscript can make many)."""

    def greedy(capacity: int) -> list[tuple[int, int]]:
        ranges, start, total = [], 0, 0
        for index, size in enumerate(sizes):
            if total + size > capacity and index > start:
                ranges.append((start, index))
                start, total = index, 0
            total += size
        return [*ranges, (start, len(sizes))]

    low, high = max(sizes, default=0), sum(sizes)
    while low < high:
        middle = (low + high) // 2
        if len(greedy(middle)) <= count:
            high = middle
        else:
            low = middle + 1
    ranges = greedy(low)
    # Fewer ranges than asked for can hold the same largest sum: split the largest ones,
    # so every core still has a part to lay out.
    while len(ranges) < count:
        splittable = [r for r in ranges if r[1] - r[0] > 1]
        if not splittable:
            break
        start, end = max(splittable, key=lambda r: sum(sizes[r[0] : r[1]]))
        half, running, middle = sum(sizes[start:end]) / 2, 0, start + 1
        for index in range(start, end - 1):
            running += sizes[index]
            middle = index + 1
            if running >= half:
                break
        position = ranges.index((start, end))
        ranges[position : position + 1] = [(start, middle), (middle, end)]
    return ranges


def _cross_part_links(body: str, local_ids: set[str], *, numbered: bool = False) -> str:
    """Links to other parts as `typeset-part:ID`; `numbered`: with a placeholder page
    number, filled in by `_numbered_front`."""
    page = f' data-typeset-page="{PLACEHOLDER_PAGE}"' if numbered else ""

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(1)
        if unquote(html_escaping.unescape(target)) in local_ids:
            return match.group(0)
        return f'href="{CROSS_PART_SCHEME}{target}"{page}'

    return INTERNAL_HREF.sub(rewrite, body)


@dataclass
class _Job:
    parts: list[Part]
    paths: list[Path]
    base_url: str
    url_fetcher: Any
    stylesheets: list[weasyprint.CSS]
    options: dict[str, Any]
    prepare: Callable[[weasyprint.Document], None]
    finisher: Callable[..., None] | None
    postprocess: Callable[[Path], object] | None
    workers: int
    # While the parts are laid out: how many are still being laid out or waiting, in
    # memory the forked workers share.
    layouts_left: Synchronized[int] | None = None


# The job reaches forked workers through this global (inherited, never pickled).
_JOB: _Job | None = None

_FORK = multiprocessing.get_context("fork")


def _lay_out(indexes: list[int]) -> dict[int, list[Path]]:
    """Lay out and draw the parts at `indexes`: the files each part was drawn in."""
    job = _JOB
    assert job is not None
    if not indexes:
        return {}
    # Largest parts first, so the last one to start is a short one.
    indexes = sorted(indexes, key=lambda i: -len(job.parts[i].html))
    job.layouts_left = _FORK.Value("i", len(indexes))
    try:
        if job.workers == 1 or len(indexes) == 1:
            return {index: _lay_out_part(index) for index in indexes}
        # A signal or a failed part stops the other parts at once (typeset/processes.py).
        with ForkedWorkers[int, list[Path]](min(job.workers, len(indexes))) as pool:
            return dict(pool.run({index: partial(_lay_out_part, index) for index in indexes}))
    finally:
        job.layouts_left = None


def _lay_out_part(index: int) -> list[Path]:
    """The part laid out, then drawn whole, or in two pieces where a core would idle:
    the files it was drawn in, in page order."""
    job = _JOB
    assert job is not None
    part, path = job.parts[index], job.paths[index]
    stylesheets = [*job.stylesheets, *(weasyprint.CSS(string=css) for css in part.stylesheets)]
    options = {**job.options, "stylesheets": stylesheets}
    # Per part, in the part's process: their sum is CPU time, not the wall time of "layout".
    with timings.stage("part-layout"):
        document = weasyprint.HTML(
            string=part.html, base_url=job.base_url, url_fetcher=job.url_fetcher
        ).render(**options)
    job.prepare(document)
    pages = len(document.pages)
    if _idle_cores(job) < 1 or pages < MIN_PAGES_TO_DRAW_IN_TWO:
        _draw(document, 0, pages, path, options)
        return [path]
    pieces = _piece_paths(path, 2)
    middle = pages // 2
    # The later half in a forked process (started before this one draws the first half);
    # a failure there is raised here.
    with ForkedWorkers[int, None](1) as pool:
        later = pool.run({1: partial(_draw, document, middle, pages, pieces[1], options)})
        _draw(document, 0, middle, pieces[0], options)
        for _ in later:
            pass
    return pieces


def _idle_cores(job: _Job) -> int:
    """Cores that no part's layout will take while this part (whose layout is done) is
    drawn: the workers less this part's and one for each part still being laid out or
    waiting. A part laid out outside `_lay_out` (the numbered front matter) is alone."""
    left = 0
    if job.layouts_left is not None:
        with job.layouts_left.get_lock():
            job.layouts_left.value -= 1
            left = job.layouts_left.value
    return job.workers - 1 - left


def _piece_paths(path: Path, count: int) -> list[Path]:
    """Where a part drawn in `count` pieces keeps them: names of their own, so that a
    part drawn whole (`KEY.pdf`) is never mistaken for a first piece."""
    key = path.name.removesuffix(".pdf")
    return [path.with_name(f"{key}.{number}of{count}.pdf") for number in range(1, count + 1)]


def _cached_pieces(path: Path) -> list[Path] | None:
    """The files an earlier build drew the part at `path` in, if their seals hold: the
    part whole, or both its pieces (a build killed between the two seals left one)."""
    if _reusable(path):
        return [path]
    pieces = _piece_paths(path, 2)
    return pieces if all(_reusable(piece) for piece in pieces) else None


def _draw(
    document: weasyprint.Document, start: int, end: int, path: Path, options: dict[str, Any]
) -> None:
    """Pages `start` to `end` of a part's document drawn into `path` (post-pass done,
    sealed): its links to the part's other pages as cross-part links, and, for a later
    piece, its bookmarks' depths in the part's outline."""
    job = _JOB
    assert job is not None
    finisher = job.finisher
    if (start, end) != (0, len(document.pages)):
        _link_other_pieces(document, start, end)
        if start > 0:
            depths = _outline_depths(document, start, end)
            finisher = partial(_finish_later_piece, job.finisher, depths)
        document = document.copy(document.pages[start:end])
    # `.NAME.PID.partial`: what a killed build leaves, a later one removes (cache.py).
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with timings.stage("part-pdf-write"):
        document.write_pdf(temporary, finisher=finisher, **options)
    if job.postprocess is not None:
        with timings.stage("part-postprocess"):
            job.postprocess(temporary)
    os.replace(temporary, path)
    seal_file(path, PART_KIND)


def _link_other_pieces(document: weasyprint.Document, start: int, end: int) -> None:
    """Internal links on pages `start` to `end` whose anchor is first on another page of
    the part made cross-part links, which the join resolves (WeasyPrint drops a link to
    an anchor not in the document it writes). Anchors are matched as in one pass: the
    first of a name wins. In the process that draws those pages only."""
    first_page: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            first_page.setdefault(anchor, number)
    for page in document.pages[start:end]:
        page.links = [
            ("external", CROSS_PART_SCHEME + quote(target, safe=""), *rest)
            if kind == "internal" and not start <= first_page.get(target, start) < end
            else (kind, target, *rest)
            for kind, target, *rest in page.links
        ]


def _outline_depths(document: weasyprint.Document, start: int, end: int) -> list[int]:
    """The depth in the part's outline of each bookmark on pages `start` to `end`, in
    document order (the order of WeasyPrint's tree walked depth first)."""
    depths: list[int] = []

    def walk(items: list[Any], depth: int) -> None:
        for _label, _target, children, _state in items:
            depths.append(depth)
            walk(children, depth + 1)

    walk(document.make_bookmark_tree(), 0)
    before = sum(len(page.bookmarks) for page in document.pages[:start])
    count = sum(len(page.bookmarks) for page in document.pages[start:end])
    return depths[before : before + count]


def _finish_later_piece(
    finisher: Callable[..., None] | None, depths: list[int], document: Any, pdf: Any
) -> None:
    if finisher is not None:
        finisher(document, pdf)
    pdf.catalog[OUTLINE_DEPTHS_KEY[1:]] = pydyf.Array(depths)


# A part is sealed like every cache entry: a cache folder restored in CI could hold a
# planted part that would otherwise be joined into the book.
PART_KIND = "pdf-part"


def _reusable(path: Path) -> bool:
    return cache_reads_allowed() and file_seal_holds(path, PART_KIND)


def _folio_pages(lang: str, pages: int) -> bytes:
    """A PDF of `pages` empty pages of the book's page style carrying only their folios
    (in a forked process: the stylesheets come with the job)."""
    assert _JOB is not None
    base_url, stylesheets = _JOB.base_url, _JOB.stylesheets
    breaks = '<p style="break-after: page">.</p>' * (pages - 1)
    document = weasyprint.HTML(
        string=f'<html lang="{lang}"><body>{breaks}<p>.</p></body></html>',
        base_url=base_url,
    ).render(stylesheets=[*stylesheets, weasyprint.CSS(string=FOLIO_CSS)])
    pdf: bytes = document.write_pdf()
    return pdf


def join(paths: list[Path], folios: Callable[[], pikepdf.Pdf], destination: Path) -> None:
    """One PDF from the parts: pages, named destinations, links, outline, tag tree, and
    the folios (asked for last: they may still be being set)."""
    joined = pikepdf.open(paths[0])
    sources = [joined] + [pikepdf.open(path) for path in paths[1:]]
    offsets = []
    page_counts = [len(source.pages) for source in sources]
    for source in sources:
        offsets.append(len(joined.pages) if source is not joined else 0)
        if source is not joined:
            detach_structure(source)
            with warnings.catch_warnings():
                # pikepdf warns that named destinations are not copied: _join_destinations
                # does that, with the pages renumbered.
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                joined.pages.extend(source.pages)
    page_of = {}  # (source number, page objgen) -> global page index
    for number, source in enumerate(sources):
        for index, page in enumerate(source.pages[: page_counts[number]]):
            page_of[number, page.obj.objgen] = offsets[number] + index
    _join_destinations(joined, sources, page_of)
    _join_outline(joined, sources, page_of)
    if "/StructTreeRoot" in joined.Root:
        join_structure(joined, sources, offsets, page_counts)
    _stamp_folios(joined, folios())
    share_identical_images(joined)
    joined.save(destination, deterministic_id=True)  # the same book, the same bytes


def share_identical_images(pdf: pikepdf.Pdf) -> None:
    """Point every use of an image at one object: each part embeds its own copy of a
    figure the book shows in several parts (issue 26: a figure used many times is stored
    once). The copies left without a reference are not written."""
    first: dict[str, pikepdf.Object] = {}
    # A part's pages share one resources dictionary (WeasyPrint writes one per document):
    # walked once per page, it made the pass pages x figures, each image hashed each time.
    visited: set[tuple[int, int]] = set()
    for page in pdf.pages:
        _share_images_in(page.obj.get("/Resources"), first, visited, depth=0)


def _share_images_in(
    resources: pikepdf.Object | None,
    first: dict[str, pikepdf.Object],
    visited: set[tuple[int, int]],
    depth: int,
) -> None:
    if resources is None or "/XObject" not in resources or depth > 4:
        return
    xobjects = resources.XObject
    # Indirect dictionaries are shared between pages and forms: visit each once.
    for shared in (xobjects, resources):
        if shared.is_indirect:
            if shared.objgen in visited:
                return
            visited.add(shared.objgen)
            break
    for name in list(xobjects.keys()):
        xobject = xobjects[name]
        if not isinstance(xobject, pikepdf.Stream):
            continue
        subtype = xobject.get("/Subtype")
        if subtype == "/Form":
            _share_images_in(xobject.get("/Resources"), first, visited, depth + 1)
        elif subtype == "/Image":
            key = _image_key(xobject)
            if key in first:
                xobjects[name] = first[key]
            else:
                first[key] = xobject


def _image_key(image: pikepdf.Stream) -> str:
    digest = hashlib.sha256(image.read_raw_bytes())
    for entry in ("/Width", "/Height", "/BitsPerComponent", "/ColorSpace", "/Filter"):
        digest.update(repr(image.get(entry)).encode())
    for entry in ("/DecodeParms", "/Decode", "/Interpolate", "/Intent", "/ImageMask"):
        digest.update(repr(image.get(entry)).encode())
    mask = image.get("/SMask")
    if isinstance(mask, pikepdf.Stream):
        digest.update(_image_key(mask).encode())
    return digest.hexdigest()


def _destinations(pdf: pikepdf.Pdf) -> dict[str, Any]:
    if "/Names" not in pdf.Root or "/Dests" not in pdf.Root.Names:
        return {}
    return dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())


def _join_destinations(
    joined: pikepdf.Pdf, sources: list[pikepdf.Pdf], page_of: dict[tuple[int, Any], int]
) -> None:
    names: dict[str, tuple[int, list[Any]]] = {}
    for number, source in enumerate(sources):
        for name, target in _destinations(source).items():
            names.setdefault(name, (page_of[number, target[0].objgen], list(target[1:])))
    tree = pikepdf.NameTree.new(joined)
    for name in sorted(names):
        page_index, rest = names[name]
        tree[name] = pikepdf.Array([joined.pages[page_index].obj, *rest])
    if "/Names" not in joined.Root:
        joined.Root.Names = pikepdf.Dictionary()
    joined.Root.Names.Dests = tree.obj
    for joined_page in joined.pages:
        for annotation in joined_page.obj.get("/Annots", []):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(CROSS_PART_SCHEME):
                anchor = unquote(html_escaping.unescape(uri[len(CROSS_PART_SCHEME) :]))
                del annotation["/A"]
                annotation.Dest = pikepdf.String(anchor)
                if "/Contents" in annotation:
                    annotation.Contents = pikepdf.String(anchor)


def _join_outline(
    joined: pikepdf.Pdf, sources: list[pikepdf.Pdf], page_of: dict[tuple[int, Any], int]
) -> None:
    def rebuilt(
        number: int, item: pikepdf.OutlineItem, *, with_children: bool = True
    ) -> pikepdf.OutlineItem:
        target: Any = item.destination
        page = page_of[number, target[0].objgen]
        copy = pikepdf.OutlineItem(
            item.title, page, "XYZ", left=float(target[2]), top=float(target[3]), zoom=0
        )
        copy.is_closed = item.is_closed
        if with_children:
            copy.children.extend(rebuilt(number, child) for child in item.children)
        return copy

    items: list[pikepdf.OutlineItem] = []
    # The last item at each depth: where the bookmarks of a part's later piece nest.
    last_by_depth: list[pikepdf.OutlineItem] = []
    for number, source in enumerate(sources):
        depths = source.Root.get(OUTLINE_DEPTHS_KEY)
        with source.open_outline() as outline:
            if depths is None:
                for item in outline.root:
                    items.append(rebuilt(number, item))
                    last_by_depth = _rightmost_path(items[-1])
                continue
            flat = list(_depth_first(outline.root))
            for item, depth in zip(flat, map(int, depths), strict=True):
                copy = rebuilt(number, item, with_children=False)
                (last_by_depth[depth - 1].children if depth else items).append(copy)
                last_by_depth[depth:] = [copy]
    if OUTLINE_DEPTHS_KEY in joined.Root:
        del joined.Root[OUTLINE_DEPTHS_KEY]
    with joined.open_outline() as outline:
        outline.root[:] = items


def _depth_first(items: list[pikepdf.OutlineItem]) -> Iterator[pikepdf.OutlineItem]:
    for item in items:
        yield item
        yield from _depth_first(item.children)


def _rightmost_path(item: pikepdf.OutlineItem) -> list[pikepdf.OutlineItem]:
    path = [item]
    while path[-1].children:
        path.append(path[-1].children[-1])
    return path


def _stamp_folios(joined: pikepdf.Pdf, folios: pikepdf.Pdf) -> None:
    """Each page's folio, drawn as pagination artifact (PDF/UA: furniture is no content)."""
    for index, page in enumerate(joined.pages):
        form = joined.copy_foreign(folios.pages[index].as_form_xobject())
        # Named by page, not pikepdf's random prefix: the same book gives the same bytes.
        # The pages share one resources dictionary, so each page needs a name of its own.
        name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/TypesetFolio{index}"))
        # The page's own content leaves its coordinate transform in force: enclose it.
        page.contents_add(joined.make_stream(b"q\n"), prepend=True)
        page.contents_add(
            joined.make_stream(
                b"\nQ /Artifact <</Type /Pagination /Subtype /Footer>> BDC q "
                + bytes(str(name), "ascii")
                + b" Do Q EMC"
            )
        )


def _words(html: str) -> list[str]:
    return TAG.sub(" ", html).split()


def _postprocess_version(postprocess: Callable[[Path], object] | None) -> str:
    """The post-pass's module shapes the cached parts too."""
    if postprocess is None:
        return ""
    module_file = sys.modules[postprocess.__module__].__file__
    return postprocess.__qualname__ + file_fingerprint(Path(module_file) if module_file else None)


def _code_version() -> str:
    """This module and WeasyPrint shape the parts: a change must not serve old parts."""
    return file_fingerprint(Path(__file__)) + str(weasyprint.__version__)
