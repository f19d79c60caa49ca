"""A book laid out in parts (typeset/formats/pdf/parallel.py) is the book one pass makes.

One generated book (bench/books.py: tables, footnotes, quotations, figures, CJK, math) in
a note style, built as PDF/UA twice: in parts and in one pass (TYPESET_PDF_SPLIT=0). The
split thresholds are lowered so a 10k-word book (two chapters and the bibliography) splits
into two parts; the tests check the parts were laid out, so they cannot pass on two
one-pass renders.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from typeset import build, load_config
from typeset.formats.pdf import parallel as pdf_parallel
from typeset.formats.pdf.audit import audit_pdf

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "bench"))

from books import BookWriter, bibliography, write_figures  # noqa: E402


def test_parts_carry_the_footnote_count_and_mark_links_to_other_parts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pdf_parallel, "MIN_WORDS_PER_PART", 0)
    # Top-level sections carry <h2> in the print HTML (the title is the <h1>); a section
    # inside a <div> is no split point.
    chapter = (
        '<section id="c{0}" class="level2"><h2>C{0}</h2>'
        '<p>x<span class="footnote">n</span> <a href="#c{1}">see</a><br></p>'
        '<div><section id="d{0}" class="level2"><h2>D</h2></section></div></section>'
    )
    html = (
        '<html lang="en"><body><header id="title-block"><div class="running-title" '
        'aria-hidden="true">T</div></header><main>'
        + "".join(chapter.format(n, (n + 1) % 3) for n in range(3))
        + "</main></body></html>"
    )
    parts = pdf_parallel.split(html, "settings", cores=3)
    assert len(parts) == 3
    assert "counter-reset: footnote 2" in " ".join(parts[2].stylesheets)
    assert 'href="typeset-part:c1"' in parts[0].html
    assert 'class="running-title"' in parts[1].html


@pytest.mark.parametrize(
    ("chapter_words", "cores", "expected"),
    [
        # ten equal chapters, two cores: four parts, each core's two parts the same total
        ([5_000] * 10, 2, [15_000, 10_000, 15_000, 10_000]),
        # three chapters cannot make four parts: one part per core
        ([9_000, 9_000, 9_000], 2, [18_000, 9_000]),
        # one huge chapter stays whole; the small ones share the other core
        ([3_000] * 5 + [20_000], 2, [9_000, 6_000, 20_000]),
        # a short book is not cut below MIN_WORDS_PER_PART
        ([4_000, 4_000, 4_000], 2, [8_000, 4_000]),
        ([2_000] * 12, 4, [6_000] * 4),
    ],
)
def test_parts_are_even_and_a_multiple_of_the_cores(
    chapter_words: list[int], cores: int, expected: list[int]
) -> None:
    chunks = ["word " * words for words in chapter_words]
    groups = pdf_parallel._balanced(chunks, cores)
    assert [sum(len(chunk.split()) for chunk in group) for group in groups] == expected
    assert [chunk for group in groups for chunk in group] == chunks  # contiguous, all kept


def test_many_chapters_are_partitioned_in_linear_time() -> None:
    # a hostile manuscript of 100,000 one-word `#` sections: bisection, not a quadratic DP
    ranges = pdf_parallel._even_partition([1] * 100_000, 4)
    assert ranges == [(0, 25_000), (25_000, 50_000), (50_000, 75_000), (75_000, 100_000)]


def _build(folder: Path, cache: Path, *, split: bool, force: bool = True) -> Path:
    config = load_config(
        None,
        overrides={
            "manuscript": str(folder / "book.md"),
            "bibliography": str(folder / "refs.bib"),
            "style": "chicago-notes-bibliography",
            "formats": "pdf",
            "output_dir": str(folder / ("split" if split else "single")),
            "cite_this_work": False,
        },
        project_dir=PROJECT,
    )
    # Set for this build only: the suite's own cache folder is restored after it.
    settings = {
        "TYPESET_CACHE_DIR": str(cache),
        "TYPESET_PDF_SPLIT": "1" if split else "0",
        "SOURCE_DATE_EPOCH": "1700000000",  # so that a rebuild can be compared byte for byte
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        return build(config, force=force).outputs["pdf"]
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _split_and_one_pass(
    folder: Path, manuscript: str, *, min_pages_to_draw_in_two: int | None = None
) -> dict[str, Any]:
    """The book built in one pass and in parts, with the thresholds lowered so that its
    10k words split (and, if given, its parts' drawing)."""
    write_figures(folder / "figures")
    (folder / "book.md").write_text(manuscript)
    (folder / "refs.bib").write_text(bibliography(50))
    saved = (
        pdf_parallel.MIN_WORDS_TO_SPLIT,
        pdf_parallel.MIN_WORDS_PER_PART,
        pdf_parallel.MIN_PAGES_TO_DRAW_IN_TWO,
    )
    pdf_parallel.MIN_WORDS_TO_SPLIT, pdf_parallel.MIN_WORDS_PER_PART = 3_000, 1_000
    if min_pages_to_draw_in_two is not None:
        pdf_parallel.MIN_PAGES_TO_DRAW_IN_TWO = min_pages_to_draw_in_two
    try:
        single = _build(folder, folder / "cache-single", split=False)
        split = _build(folder, folder / "cache-split", split=True)
    finally:
        (
            pdf_parallel.MIN_WORDS_TO_SPLIT,
            pdf_parallel.MIN_WORDS_PER_PART,
            pdf_parallel.MIN_PAGES_TO_DRAW_IN_TWO,
        ) = saved
    parts = sorted((folder / "cache-split" / "pdf-parts").glob("*.pdf"))
    return {"folder": folder, "single": single, "split": split, "parts": parts}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    manuscript = BookWriter(10_000, 50, seed=3).manuscript()
    # A link in the body from the first chapter to the bibliography in the last part (a
    # tagged PDF keeps the links of the footnotes as text: print_notes.py says why).
    first_heading = manuscript.index("\n# ") + 1
    body = manuscript.index("\n\n", first_heading) + 2
    manuscript = (
        manuscript[:body]
        + "The works are listed in [the bibliography](#refs).\n\n"
        + manuscript[body:]
    )
    return _split_and_one_pass(tmp_path_factory.mktemp("book"), manuscript)


@pytest.fixture(scope="module")
def contents_book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same kind of book with a contents page and lists of figures and tables, whose
    page numbers point into the later parts, and numbered sections."""
    manuscript = BookWriter(10_000, 50, seed=5).manuscript()
    manuscript = manuscript.replace(
        "\n---\n", "\ntoc: true\nlof: true\nlot: true\nnumber-sections: true\n---\n", 1
    )
    figures = iter(range(1, 1000))
    manuscript = re.sub(
        r"!\[Figure \d+: ([^\]]*)\]\(([^)]*)\)\{width=60%\}",
        lambda match: f"![{match[1]}]({match[2]}){{#fig-{next(figures)} width=60%}}",
        manuscript,
    )
    tables = iter(range(1, 1000))
    manuscript = re.sub(
        r"\n: Table \d+: ([^\n]*)",
        lambda match: f"\n: {match[1]} {{#tbl-{next(tables)}}}",
        manuscript,
    )
    assert next(figures) > 3 and next(tables) > 3  # the lists have entries
    return _split_and_one_pass(tmp_path_factory.mktemp("contents"), manuscript)


@pytest.fixture(scope="module")
def halves_book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same kind of book whose last part to be laid out is drawn in two pieces (no
    part is left to lay out then, so the other core would idle): each chapter's start
    links to its end and back, so links cross from either piece to the other, and the
    later piece's sections belong under a chapter in the first."""
    manuscript = BookWriter(10_000, 50, seed=7).manuscript()
    chapters = re.split(r"(?m)^(?=# Chapter )", manuscript)
    linked = [chapters[0]]
    for number, chapter in enumerate(chapters[1:], start=1):
        heading, rest = chapter.split("\n", 1)
        body, notes = rest, ""
        if number == len(chapters) - 1:  # the notes' definitions follow the last chapter
            notes_start = re.search(r"(?m)^\[\^", rest)
            if notes_start:
                body, notes = rest[: notes_start.start()], rest[notes_start.start() :]
        linked.append(
            f"{heading}\n\n[Opening {number}]{{#opening-{number}}}: see "
            f"[the close of this chapter](#close-{number}).\n\n{body}\n\n"
            f"[Close {number}]{{#close-{number}}}: back to "
            f"[its opening](#opening-{number}).\n\n{notes}"
        )
    return _split_and_one_pass(
        tmp_path_factory.mktemp("halves"), "".join(linked), min_pages_to_draw_in_two=4
    )


def _pages_text(path: Path) -> list[list[str]]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [page.split() for page in text.split("\f")]


def _page_index(pdf: pikepdf.Pdf) -> dict[Any, int]:
    return {page.obj.objgen: index for index, page in enumerate(pdf.pages)}


def _outline(path: Path) -> list[tuple[int, str, int, float]]:
    pdf = pikepdf.open(path)
    pages = _page_index(pdf)
    found: list[tuple[int, str, int, float]] = []

    def walk(items: list[pikepdf.OutlineItem], depth: int) -> None:
        for item in items:
            target = item.destination
            found.append((depth, item.title, pages[target[0].objgen], round(float(target[3]))))
            walk(item.children, depth + 1)

    with pdf.open_outline() as outline:
        walk(outline.root, 0)
    return found


def _links(path: Path) -> list[tuple[int, str, int, float]]:
    pdf = pikepdf.open(path)
    pages = _page_index(pdf)
    destinations = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
    found = []
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            if "/Dest" in annotation:
                target = destinations[str(annotation.Dest)]
                name = str(annotation.Dest)
                found.append((index, name, pages[target[0].objgen], round(float(target[3]))))
    return found


def _structure(path: Path) -> list[tuple[int, str, int | None]]:
    pdf = pikepdf.open(path)
    pages = _page_index(pdf)
    found: list[tuple[int, str, int | None]] = []

    def walk(element: Any, depth: int) -> None:
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            page = pages.get(element.Pg.objgen) if "/Pg" in element else None
            found.append((depth, str(element.S), page))
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                walk(kid, depth + 1)

    walk(pdf.Root.StructTreeRoot.K[0], 0)
    return found


@pytest.mark.slow
def test_book_is_laid_out_in_parts_that_make_up_its_pages(book: dict[str, Any]) -> None:
    page_counts = [len(pikepdf.open(part).pages) for part in book["parts"]]
    assert len(page_counts) == 2
    assert sum(page_counts) == len(pikepdf.open(book["split"]).pages)


@pytest.mark.slow
def test_a_part_drawn_in_two_pieces_links_across_them(halves_book: dict[str, Any]) -> None:
    parts = [path.name for path in halves_book["parts"]]
    firsts = [name for name in parts if name.endswith(".1of2.pdf")]
    assert len(firsts) >= 1  # the last part laid out, at least (one per idle core)
    first = halves_book["folder"] / "cache-split" / "pdf-parts" / firsts[0]
    second = first.with_name(firsts[0].replace(".1of2.", ".2of2."))
    assert second.exists()

    def cross_links(path: Path) -> set[str]:
        return {
            str(annotation.A.URI)
            for page in pikepdf.open(path).pages
            for annotation in page.obj.get("/Annots", [])
            if "/A" in annotation and str(annotation.A.URI).startswith("typeset-part:")
        }

    # each piece links to the other's pages (written so WeasyPrint keeps them)
    assert any("close-" in uri for uri in cross_links(first))
    assert any("opening-" in uri for uri in cross_links(second))
    # the joined book resolves them: every opening and close link, as in one pass
    links = _links(halves_book["split"])
    chapters = len(re.findall(r"(?m)^# Chapter ", (halves_book["folder"] / "book.md").read_text()))
    assert {name for _, name, _, _ in links} >= {
        f"{end}-{number}" for end in ("opening", "close") for number in range(1, chapters + 1)
    }
    assert links == _links(halves_book["single"])
    # the later piece's sections are nested under the chapter that opened in the first
    assert _outline(halves_book["split"]) == _outline(halves_book["single"])
    assert "/TypesetOutlineDepths" not in pikepdf.open(halves_book["split"]).Root


@pytest.fixture(params=["book", "contents_book", "halves_book"])
def compared(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The one-pass comparisons run on both books."""
    book: dict[str, Any] = request.getfixturevalue(request.param)
    return {**book, "which": request.param}


@pytest.mark.slow
def test_split_book_has_the_pages_and_text_of_the_one_pass_book(compared: dict[str, Any]) -> None:
    split, single = _pages_text(compared["split"]), _pages_text(compared["single"])
    assert len(split) == len(single) > 10
    assert [i for i, (a, b) in enumerate(zip(split, single, strict=True)) if a != b] == []


@pytest.mark.slow
def test_contents_pages_number_entries_in_later_parts(contents_book: dict[str, Any]) -> None:
    # the front matter is a part of its own, laid out again with the numbers
    assert len(contents_book["parts"]) >= 4  # draft front, numbered front, two chapters' parts
    pages = _pages_text(contents_book["split"])
    contents = " ".join(pages[0] + pages[1])
    assert pdf_parallel.PLACEHOLDER_PAGE not in contents
    numbers = re.findall(r"\.\s*(\d+)(?=\s)", " ".join(pages[0]))
    assert numbers and max(map(int, numbers)) > len(pikepdf.open(contents_book["parts"][0]).pages)


@pytest.mark.slow
def test_split_book_has_the_same_outline_and_link_targets(compared: dict[str, Any]) -> None:
    assert _outline(compared["split"]) == _outline(compared["single"])
    links = _links(compared["split"])
    assert links == _links(compared["single"])
    if compared["which"] == "book":  # the first pages link to the bibliography, in the last part
        assert min(page for page, _, _, _ in links) < 5 < min(target for *_, target, _ in links)
    elif compared["which"] == "contents_book":  # the contents pages link into every part
        assert len({target for *_, target, _ in links}) > 10


@pytest.mark.slow
def test_split_book_has_the_same_valid_tag_tree(compared: dict[str, Any]) -> None:
    assert _structure(compared["split"]) == _structure(compared["single"])
    pdf = pikepdf.open(compared["split"])
    nums = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
    parent_tree = dict(zip((int(key) for key in nums[::2]), nums[1::2], strict=True))
    for index, page in enumerate(pdf.pages):
        assert int(page.obj.StructParents) == index
        assert isinstance(parent_tree[index], pikepdf.Array)
        for annotation in page.obj.get("/Annots", []):
            element = parent_tree[int(annotation.StructParent)]
            objects = [
                kid.Obj
                for kid in element.K
                if isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid
            ]
            assert annotation in objects
    assert int(pdf.Root.StructTreeRoot.ParentTreeNextKey) == max(parent_tree) + 1
    subprocess.run(["qpdf", "--check", str(compared["split"])], check=True, capture_output=True)


def _part_times(folder: Path) -> dict[Path, int]:
    """Each cached part of the split book, with when it was last written."""
    parts = folder / "cache-split" / "pdf-parts"
    return {path: path.stat().st_mtime_ns for path in parts.glob("*.pdf")}


@contextlib.contextmanager
def _one_word_edited(folder: Path, word: str) -> Iterator[None]:
    """The book with `word` added in its middle (so in one part), restored afterwards."""
    manuscript = folder / "book.md"
    text = manuscript.read_text()
    middle = text.index(" the ", len(text) // 2)
    manuscript.write_text(text[:middle] + f" the {word} " + text[middle + 5 :])
    try:
        yield
    finally:
        manuscript.write_text(text)


def _split_the_small_book(monkeypatch: pytest.MonkeyPatch) -> None:
    """The thresholds the `book` fixture is built with: its 10k words in two parts."""
    monkeypatch.setattr(pdf_parallel, "MIN_WORDS_TO_SPLIT", 3_000)
    monkeypatch.setattr(pdf_parallel, "MIN_WORDS_PER_PART", 1_000)


@pytest.mark.slow
def test_one_word_edit_lays_out_one_part_again(
    book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = book["folder"]
    before = _part_times(folder)
    assert len(before) == 2
    _split_the_small_book(monkeypatch)
    with _one_word_edited(folder, "very"):
        _build(folder, folder / "cache-split", split=True, force=False)
    assert len(set(_part_times(folder)) - set(before)) == 1
    # the part without the edit was served from the cache, not laid out again (a part
    # laid out is written to its path anew)
    assert all(path.stat().st_mtime_ns == time for path, time in before.items())


@pytest.mark.slow
def test_a_part_planted_in_the_cache_is_laid_out_again(
    book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache folder restored in CI is not trusted: a part whose seal does not hold (a
    planted or damaged file) is made anew, never joined into the book."""
    folder = book["folder"]
    _split_the_small_book(monkeypatch)
    _build(folder, folder / "cache-split", split=True, force=False)
    planted = {}
    for part in sorted(_part_times(folder)):
        part.write_bytes(part.read_bytes() + b"% planted\n")  # still a PDF pikepdf opens
        planted[part] = part.read_bytes()
    assert len(planted) >= 2  # this book's two, and any an earlier test left
    # An edit no build had, in one part: the writer runs, and reuses the other part only
    # if its seal holds.
    with _one_word_edited(folder, "unplanted"):
        _build(folder, folder / "cache-split", split=True, force=False)
    # The edited part has a new key (a new file); the unedited one was laid out again in
    # place of the planted file, and sealed.
    rewritten = [part for part, tampered in planted.items() if part.read_bytes() != tampered]
    assert len(rewritten) == 1
    assert rewritten[0].with_name(rewritten[0].name + ".seal").exists()


@pytest.mark.slow
def test_forced_build_lays_out_every_part_again(
    book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # --force recomputes everything: the parts in the cache are laid out again too
    folder = book["folder"]
    before = _part_times(folder)
    _split_the_small_book(monkeypatch)
    first = _build(folder, folder / "cache-split", split=True, force=True).read_bytes()
    rewritten = [path for path, time in before.items() if path.stat().st_mtime_ns != time]
    assert len(rewritten) == 2  # both parts of the book (an edit test may leave an old one)
    again = _build(folder, folder / "cache-split", split=True, force=True)
    assert again.read_bytes() == first  # laid out anew, joined into the same bytes


@pytest.mark.slow
def test_an_edit_that_keeps_the_page_count_joins_with_the_stored_folios(
    book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = book["folder"]
    folios = folder / "cache-split" / "pdf-parts-folios"
    stored = {path: path.stat().st_mtime_ns for path in folios.glob("*.pdf")}
    assert len(stored) == 1  # the book's folios, set while its parts were joined
    _split_the_small_book(monkeypatch)
    with _one_word_edited(folder, "very"):
        edited = _build(folder, folder / "cache-split", split=True, force=False).read_bytes()
        # served, not set again (a render writes its file anew)
        assert {path: path.stat().st_mtime_ns for path in folios.glob("*.pdf")} == stored
        # the same edited book with every part and the folios set anew
        forced = _build(folder, folder / "cache-split", split=True, force=True)
    assert edited == forced.read_bytes()
    pages = [page for page in _pages_text(forced) if page]
    # each page's last line is its folio, the book's own page number
    assert [page[-1] for page in pages] == [str(n) for n in range(1, len(pages) + 1)]


def _audit_errors(path: Path) -> list[str]:
    return [f.message for f in audit_pdf(path) if f.level == "error"]


@pytest.mark.slow
def test_split_and_one_pass_books_pass_the_structure_audit(compared: dict[str, Any]) -> None:
    for path in (compared["split"], compared["single"]):
        assert _audit_errors(path) == []


@pytest.mark.slow
def test_a_part_drawn_in_two_pieces_is_served_from_the_cache(
    halves_book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit in another part lays that part out again and joins both cached pieces
    (last in this file: it writes over the split book the comparisons read)."""
    folder = halves_book["folder"]
    parts = folder / "cache-split" / "pdf-parts"
    pieces = {path: path.stat().st_mtime_ns for path in parts.glob("*of2.pdf")}
    assert len(pieces) >= 2
    whole = [path for path in parts.glob("*.pdf") if "of2." not in path.name]
    if not whole:
        pytest.skip("every part was drawn in two pieces (more cores than parts)")
    with pikepdf.open(whole[0]) as pdf, pdf.open_outline() as outline:
        chapter = str(outline.root[0].title)
    manuscript = folder / "book.md"
    text = manuscript.read_text()
    heading = text.index(f"# {chapter}")
    at = text.index(" the ", text.index("\n", heading))  # in its text, not its title
    _split_the_small_book(monkeypatch)
    monkeypatch.setattr(pdf_parallel, "MIN_PAGES_TO_DRAW_IN_TWO", 4)
    manuscript.write_text(text[:at] + " the unpieced " + text[at + 5 :])
    try:
        edited = _build(folder, folder / "cache-split", split=True, force=False)
    finally:
        manuscript.write_text(text)
    assert {path: path.stat().st_mtime_ns for path in pieces} == pieces  # not drawn again
    assert "unpieced" in " ".join(word for page in _pages_text(edited) for word in page)
    titles = [(depth, title) for depth, title, _, _ in _outline(halves_book["single"])]
    assert [(depth, title) for depth, title, _, _ in _outline(edited)] == titles
