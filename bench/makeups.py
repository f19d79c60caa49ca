#!/usr/bin/env python3
"""Generated books of other make-ups than the corpus's, for the benchmark (issue 29).

    python bench/makeups.py chapters 50k /tmp/chapters50   # book.md, refs.bib, figures/
    python bench/run.py --makeup chapters --sizes 50k,100k # timed against the baseline

Each make-up is one entry of MAKEUPS: a function that writes the body's blocks from a
shared prose writer, its references per 1,000 words and its front matter. The prose is
made here from a social-history vocabulary and sentence templates (stdlib only, nothing
read from the repository), so the same make-up, size and seed always give the same bytes.
Densities are per word, so the 50k and 100k books of a make-up differ only in length and
the growth from one to the other is the pipeline's, not the generator's:

  chapters   a chapter per ~170 words (~270 at 50k), each opening a page: a small table
             whose cells hold citations (notes in cells, in a note style), a block
             quotation, footnotes with quotations and URLs, CJK names, clustered citations
  long       one chapter, no subheadings: thousands of short paragraphs
  review     a review: a citation in every sentence, often clustered; 12 references per
             1,000 words (600 at 50k)
  figures    a figure per ~200 words: 4 distinct generated PNGs for each SVG chart
             (~200 and ~50 at 50k), labelled and cross-referenced
  contents   `toc: true` over a heading per ~23 words (~2,200 at 50k), three levels
  uneven     seven chapters of sections and subsections, one of them ~40% of the book
             (the parts cannot be balanced by chapters), with lists and footnotes
  code       a programming book: a chapter per ~3,000 words, sections, fenced code in
             three languages (highlighted), inline code, callouts, numbered steps
  catalogue  a catalogue: long tables (40 to 120 rows, citations in cells) that run
             over pages, definition lists, nested numbered lists
"""

from __future__ import annotations

import random
import struct
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

SIZES = {"2k": 2_000, "10k": 10_000, "20k": 20_000, "50k": 50_000, "100k": 100_000, "200k": 200_000}
SEED = 29

SUBJECTS = [
    "the provincial archive", "the reform commission", "local gentry", "village schoolteachers",
    "the treaty-port press", "merchant guilds", "the customs service", "county magistrates",
    "returned students", "the mission hospitals", "rural cooperatives", "the salt monopoly",
    "textile workers", "the labour bureau", "women's associations", "the census takers",
    "lineage elders", "the railway administration", "regional newspapers", "the police reports",
    "famine relief committees", "the land survey", "temple associations", "the tax ledgers",
]  # fmt: skip
VERBS = [
    "reshaped", "documented", "resisted", "absorbed", "complicated", "extended", "obscured",
    "redefined", "financed", "recorded", "contested", "mediated", "narrowed", "widened",
    "anticipated", "reframed", "undermined", "sustained",
]  # fmt: skip
OBJECTS = [
    "the boundaries of local authority", "the meaning of citizenship", "household budgets",
    "the circulation of rumours", "the grain trade", "ideas of public health",
    "the politics of literacy", "marriage customs", "the reach of the state",
    "patterns of migration", "the language of reform", "claims to land",
    "the memory of the uprising", "informal credit", "the schooling of girls",
    "the regulation of markets", "the work of translation", "attitudes to foreign capital",
]  # fmt: skip
QUALIFIERS = [
    "in the decade after the revolution", "well before the central reforms",
    "across the coastal provinces", "in the larger market towns", "during the famine years",
    "in ways the official histories ignore", "for at least a generation",
    "more slowly than contemporaries expected", "in the interior counties",
    "under the wartime emergency", "despite repeated campaigns", "within a single lifetime",
]  # fmt: skip
OPENINGS = [
    "Historians have long assumed that", "The surviving records suggest that",
    "It is often forgotten that", "Read against the grain, the evidence shows that",
    "Contemporary observers agreed that", "A closer reading indicates that",
    "Recent scholarship argues that", "The correspondence makes clear that",
    "As later memoirs admit,", "By most accounts,",
]  # fmt: skip
CLOSINGS = [
    "This was not an isolated case.", "The pattern recurs in the next decade.",
    "Few of these changes were recorded at the time.", "The consequences were uneven.",
    "Such claims deserve scrutiny.", "The point matters for what follows.",
]  # fmt: skip
# (romanised, in its own script): names a social history of East Asia cites constantly
CJK_NAMES = [
    ("Liang Qichao", "梁启超", "zh"), ("Kang Youwei", "康有为", "zh"), ("Lu Xun", "鲁迅", "zh"),
    ("Cai Yuanpei", "蔡元培", "zh"), ("Hu Shi", "胡适", "zh"), ("Qiu Jin", "秋瑾", "zh"),
    ("Fukuzawa Yukichi", "福澤諭吉", "ja"), ("Itō Hirobumi", "伊藤博文", "ja"),
    ("Tsuda Umeko", "津田梅子", "ja"), ("Kim Ok-gyun", "김옥균", "ko"),
    ("Yu Kil-chun", "유길준", "ko"), ("Na Hye-sok", "나혜석", "ko"),
]  # fmt: skip
CJK_TITLES = ["饮冰室文集", "新民说", "学問のすゝめ", "西遊見聞", "狂人日记", "民报"]
TABLE_HEADS = [
    ("Year", "Measure", "Source"), ("Province", "Share", "Reported in"),
    ("Decade", "Cases", "Authority"),
]  # fmt: skip
PLACES = ["Canton", "Ningbo", "Tianjin", "Hankou", "Osaka", "Nagasaki", "Incheon", "Busan"]
SURNAMES = [
    "Abbott", "Bergère", "Chen", "Duara", "Esherick", "Fogel", "Goodman", "Harrison", "Iriye",
    "Judge", "Kuhn", "Lean", "Mann", "Naquin", "Ono", "Perry", "Rankin", "Schoppa", "Tsin",
    "Vogel", "Wakeman", "Yeh", "Zarrow", "Gluck", "Robinson", "Cumings", "Shin", "Park",
]  # fmt: skip
GIVEN = [
    "Anne", "Marie-Claire", "Wei", "Prasenjit", "Joseph", "Joshua", "Bryna", "Henrietta", "Akira",
    "Joan", "Philip", "Eugenia", "Susan", "Kazuko", "Elizabeth", "Mary", "Keith", "Michael",
    "Wen-hsin", "Peter", "Carol", "Bruce", "Gi-Wook", "Yumi",
]  # fmt: skip
JOURNALS = [
    "Modern China", "Late Imperial China", "The Journal of Asian Studies", "Past & Present",
    "Social History", "Comparative Studies in Society and History", "Journal of Japanese Studies",
    "Korean Studies",
]  # fmt: skip
PUBLISHERS = [
    ("Stanford University Press", "Stanford"), ("Harvard University Asia Center", "Cambridge, MA"),
    ("University of California Press", "Berkeley"), ("Columbia University Press", "New York"),
    ("商务印书馆", "上海"),
]  # fmt: skip


class Writer:
    """Prose, citations and notes for one book; every choice comes from one seeded RNG."""

    def __init__(self, words: int, references: int, seed: int) -> None:
        self.target = words
        self.references = references
        self.random = random.Random(seed)
        self.count = 0  # prose words written
        self.notes = 0
        self.files: dict[str, bytes] = {}  # figures: path under the book's folder -> bytes

    @property
    def done(self) -> bool:
        return self.count >= self.target

    def key(self) -> str:
        return f"ref{self.random.randrange(self.references):04d}"

    def cite(self, most: int = 3) -> str:
        """A citation: bracketed, with a locator, clustered, or narrative."""
        roll = self.random.random()
        if roll < 0.15:
            return f"@{self.key()}"
        keys = [self.key() for _ in range(self.random.randint(1, most))]
        items = [f"@{key}" for key in dict.fromkeys(keys)]
        if self.random.random() < 0.3:
            items[0] += f", {self.random.randint(3, 320)}"
        if roll > 0.85:
            items[0] = "see " + items[0]
        return "[" + "; ".join(items) + "]"

    def name(self) -> str:
        romanised, native, lang = self.random.choice(CJK_NAMES)
        return f"{romanised} ([{native}]{{lang={lang}}})"

    def sentence(self, *, cjk: float = 0.0) -> str:
        choice = self.random.choice
        subject = self.name() if self.random.random() < cjk else choice(SUBJECTS)
        text = f"{choice(OPENINGS)} {subject} {choice(VERBS)} {choice(OBJECTS)}"
        if self.random.random() < 0.6:
            text += " " + choice(QUALIFIERS)
        self.count += len(text.split()) + 1
        return text + "."

    def prose(self, sentences: int, *, every: int = 0, cjk: float = 0.0, most: int = 3) -> str:
        """`sentences` sentences; a citation in one of every `every` (0: none)."""
        out = []
        for _ in range(sentences):
            text = self.sentence(cjk=cjk)
            if every and self.random.randrange(every) == 0:
                text = text[:-1] + " " + self.cite(most) + "."
            out.append(text)
        if self.random.random() < 0.1:
            out.append(self.random.choice(CLOSINGS))
        return " ".join(out)

    def quotation(self) -> str:
        return "“" + self.prose(1)[:-1] + "”"

    def footnote(self) -> str:
        """An inline note: a quotation, a URL, sometimes a citation."""
        self.notes += 1
        body = f"{self.prose(1)} As one report put it, {self.quotation()}."
        if self.random.random() < 0.5:
            body += f" See <https://archive.example.org/records/{self.notes:05d}>."
        if self.random.random() < 0.5:
            body += f" Compare {self.cite(2)}."
        return f"^[{body}]"

    def paragraph(
        self, *, every: int = 3, notes: float = 0.3, cjk: float = 0.1, most: int = 5
    ) -> str:
        text = self.prose(self.random.randint(1, most), every=every, cjk=cjk)
        if self.random.random() < notes:
            text += self.footnote()
        return text

    def block_quotation(self) -> str:
        return "> " + self.prose(self.random.randint(2, 3)) + f" {self.cite(1)}"

    def table(self, caption: str) -> str:
        """A small table whose last column's cells are citations."""
        head = self.random.choice(TABLE_HEADS)
        lines = ["| " + " | ".join(head) + " |", "|---|---:|---|"]
        for row in range(self.random.randint(3, 5)):
            first = str(1890 + 5 * row) if head[0] != "Province" else self.random.choice(PLACES)
            lines.append(f"| {first} | {self.random.randint(2, 980):,} | {self.cite(2)} |")
        self.count += 12
        return "\n".join(lines) + f"\n\n: {caption}"

    def title(self) -> str:
        text = f"{self.random.choice(SUBJECTS).capitalize()} and {self.random.choice(OBJECTS)}"
        self.count += len(text.split())
        return text


# ---------------------------------------------------------------------------------------
# the make-ups: each yields the body's Markdown blocks until the writer has its words
# ---------------------------------------------------------------------------------------


def many_chapters(writer: Writer) -> Iterator[str]:
    """Short chapters (~170 words), each opening a page, each a table and a quotation."""
    chapter = 0
    while not writer.done:
        chapter += 1
        yield f"# {chapter}. {writer.title()}"
        yield writer.paragraph(every=2, notes=0.8, cjk=0.25, most=4)
        yield writer.table(f"Table {chapter}: returns reported in the sources")
        yield writer.block_quotation()
        yield writer.paragraph(every=2, notes=0.6, cjk=0.25, most=4)


def one_long_chapter(writer: Writer) -> Iterator[str]:
    """One heading, then short paragraphs (~20 words) with no subheading at all."""
    yield f"# {writer.title()}"
    number = 0
    while not writer.done:
        number += 1
        if number % 40 == 0:
            yield writer.block_quotation()
        else:
            yield writer.paragraph(every=5, notes=0.08, cjk=0.05, most=2)


def review(writer: Writer) -> Iterator[str]:
    """Chapters of sections, a citation in every sentence, clusters of up to six."""
    section = 0
    while not writer.done:
        if section % 10 == 0:
            yield f"# {writer.title()}"
        section += 1
        yield f"## {writer.title()}"
        for _ in range(writer.random.randint(4, 8)):
            yield writer.prose(writer.random.randint(3, 6), every=1, most=6)


def figure_heavy(writer: Writer) -> Iterator[str]:
    """A figure every ~200 words, one in five an SVG chart, all cross-referenced."""
    figures = 0
    section = 0
    while not writer.done:
        if section % 8 == 0:
            yield f"# {writer.title()}"
        section += 1
        yield f"## {writer.title()}"
        for _ in range(4):
            figures += 1
            svg = figures % 5 == 0
            name = f"figures/chart{figures:04d}.svg" if svg else f"figures/plate{figures:04d}.png"
            writer.files[name] = (
                svg_chart(writer.random, figures) if svg else raster(writer.random, figures)
            )
            caption = f"{writer.title()}" + (f" {writer.cite(1)}" if figures % 4 == 0 else "")
            yield writer.paragraph(notes=0.1)
            yield writer.paragraph(notes=0.1) + f" As @fig-{figures} shows, the record is thin."
            yield f"![{caption}.]({name}){{#fig-{figures} width={60 + figures % 4 * 10}%}}"
            yield writer.paragraph(notes=0.1)
            yield writer.paragraph(notes=0.1)


def long_contents(writer: Writer) -> Iterator[str]:
    """Three levels of headings, one every ~25 words, all in the contents."""
    heading = 0
    while not writer.done:
        level = 1 if heading % 40 == 0 else 2 if heading % 5 == 0 else 3
        heading += 1
        yield f"{'#' * level} {writer.title()}"
        yield writer.prose(1, every=4)


# Shares of the book's words by chapter: one chapter much longer than the others.
UNEVEN_SHARES = (0.06, 0.12, 0.40, 0.10, 0.14, 0.08, 0.10)


def uneven_chapters(writer: Writer) -> Iterator[str]:
    """Seven chapters of sections and subsections; the third is 40% of the book."""
    for number, share in enumerate(UNEVEN_SHARES, start=1):
        yield f"# {writer.title()} {{#sec-chapter-{number}}}"
        end = min(writer.target, writer.count + int(share * writer.target))
        section = 0
        while writer.count < end or (number == len(UNEVEN_SHARES) and not writer.done):
            section += 1
            yield f"## {writer.title()}"
            for _ in range(writer.random.randint(3, 6)):
                yield writer.paragraph(every=4, notes=0.2, cjk=0.05, most=6)
            if section % 3 == 0:
                yield f"### {writer.title()}"
                yield "\n".join(f"- {writer.prose(1)}" for _ in range(writer.random.randint(3, 5)))
                yield writer.paragraph(every=4, notes=0.2, most=5)
            if section % 5 == 0:
                earlier = writer.random.randint(1, number)
                yield f"As @sec-chapter-{earlier} set out, {writer.prose(1)}"


LANGUAGES = ("python", "r", "bash")
IDENTIFIERS = ["records", "ledger", "county", "survey", "returns", "index", "share", "year"]


def code_block(rng: random.Random, language: str) -> str:
    """A fenced block of 4 to 14 lines of plausible code in `language`."""
    names = [rng.choice(IDENTIFIERS) + str(rng.randint(1, 9)) for _ in range(4)]
    lines = []
    for number in range(rng.randint(4, 14)):
        a, b, c, d = (rng.choice(names) for _ in range(4))
        if language == "python":
            lines.append(
                rng.choice(
                    [
                        f"{a} = [{b}.get(k, 0) for k in {c} if k > {number}]",
                        f"for {a} in sorted({b}, key=len):",
                        f"    {c}[{a}] = {d} / max(1, len({a}))  # share of {number}",
                        f'print(f"{{{a}!r}}: {{{b}:.2f}}")',
                        f"def {a}_{number}({b}, {c}=None):",
                    ]
                )
            )
        elif language == "r":
            lines.append(
                rng.choice(
                    [
                        f"{a} <- subset({b}, year > {1890 + number})",
                        f"{c} <- aggregate({d} ~ county, data = {a}, FUN = mean)",
                        f'plot({a}${b}, {c}${d}, main = "Series {number}")',
                        f"summary(lm({a} ~ {b} + {c}, data = {d}))",
                    ]
                )
            )
        else:
            lines.append(
                rng.choice(
                    [
                        f"grep -c '{a}' data/{b}.csv | sort -n > out/{c}.txt",
                        f'for f in archive/{a}/*.tsv; do wc -l "$f"; done',
                        f"python -m {a}.{b} --year {1890 + number} --out {c}.json",
                    ]
                )
            )
    return f"```{language}\n" + "\n".join(lines) + "\n```"


def programming_book(writer: Writer) -> Iterator[str]:
    """Chapters of ~3,000 words: sections, code blocks, inline code, callouts, steps."""
    chapter_words = 3_000
    while not writer.done:
        yield f"# {writer.title()}"
        end = writer.count + chapter_words
        while writer.count < end and not writer.done:
            yield f"## {writer.title()}"
            for _ in range(writer.random.randint(2, 4)):
                name = writer.random.choice(IDENTIFIERS)
                text = writer.paragraph(every=6, notes=0.05, most=4)
                yield f"{text} The `{name}` table holds it."
                if writer.random.random() < 0.5:
                    yield code_block(writer.random, writer.random.choice(LANGUAGES))
            if writer.random.random() < 0.3:
                kind = writer.random.choice(("note", "tip", "warning"))
                yield f"::: {{.callout-{kind}}}\n{writer.prose(2)}\n:::"
            if writer.random.random() < 0.4:
                steps = writer.random.randint(3, 6)
                yield "\n".join(f"{i}. {writer.prose(1)}" for i in range(1, steps + 1))


def catalogue(writer: Writer) -> Iterator[str]:
    """Sections holding long tables (40 to 120 rows), definition lists, nested lists."""
    table = 0
    while not writer.done:
        if table % 4 == 0:
            yield f"# {writer.title()}"
        table += 1
        yield f"## {writer.title()}"
        yield writer.paragraph(every=3, notes=0.2, most=4)
        head = writer.random.choice(TABLE_HEADS)
        rows = ["| Item | " + " | ".join(head) + " |", "|---:|---|---:|---|"]
        for row in range(writer.random.randint(40, 120)):
            place = writer.random.choice(PLACES)
            cite = writer.cite(1) if row % 3 == 0 else writer.random.choice(SUBJECTS)
            rows.append(f"| {row + 1} | {place} | {writer.random.randint(2, 9800):,} | {cite} |")
            writer.count += 5
        yield "\n".join(rows) + f"\n\n: {writer.title()} {{#tbl-{table}}}"
        yield f"@tbl-{table} lists {writer.prose(1)}"
        yield "\n\n".join(
            f"{writer.random.choice(SUBJECTS).capitalize()}\n:   {writer.prose(1)}"
            for _ in range(writer.random.randint(3, 6))
        )
        yield "\n".join(
            f"{i}. {writer.prose(1)}\n    a. {writer.prose(1)}\n    b. {writer.prose(1)}"
            for i in range(1, writer.random.randint(2, 4) + 1)
        )


# ---------------------------------------------------------------------------------------
# figures: distinct PNGs (a coarse "scan" with bars) and SVG charts, no DOCTYPE
# ---------------------------------------------------------------------------------------

PNG_WIDTH, PNG_HEIGHT, PNG_GRAIN = 480, 300, 10


def png(rows: list[bytes], width: int, height: int) -> bytes:
    """An 8-bit RGB PNG of `rows` (each width * 3 bytes)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        checksum = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"".join(b"\x00" + row for row in rows), 6)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def raster(rng: random.Random, number: int) -> bytes:
    """A plate: a grainy tinted background (cells of PNG_GRAIN pixels) under dark bars."""
    columns, lines = PNG_WIDTH // PNG_GRAIN, PNG_HEIGHT // PNG_GRAIN
    tint = (number * 37 % 60, number * 53 % 60, number * 71 % 60)
    bars = [rng.randint(3, lines - 4) for _ in range(columns // 4)]
    rows = []
    for line in range(lines):
        cells = []
        for column in range(columns):
            if column % 4 and line >= lines - bars[column // 4] - 1:
                cells.append(bytes((40, 40, 90)) * PNG_GRAIN)
            else:
                grey = rng.randint(170, 250)
                cells.append(bytes(grey - shade for shade in tint) * PNG_GRAIN)
        rows += [b"".join(cells)] * PNG_GRAIN
    return png(rows, PNG_WIDTH, PNG_HEIGHT)


def svg_chart(rng: random.Random, number: int) -> bytes:
    """A bar chart (odd numbers) or a line chart with two series, axes and labels."""
    width, height, left, bottom = 480, 300, 50, 260
    values = [rng.randint(10, 200) for _ in range(12)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="serif" font-size="11">',
        f"<title>Chart {number}</title>",
        f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="black"/>',
        f'<line x1="{left}" y1="20" x2="{left}" y2="{bottom}" stroke="black"/>',
    ]
    for tick in range(0, 201, 50):
        y = bottom - tick
        parts.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{tick}</text>')
        parts.append(f'<line x1="{left}" y1="{y}" x2="{width - 10}" y2="{y}" stroke="#ddd"/>')
    step = (width - left - 20) / len(values)
    for index, value in enumerate(values):
        x = left + 10 + index * step
        parts.append(f'<text x="{x + step / 3:.1f}" y="{bottom + 16}">{1900 + 5 * index}</text>')
        if number % 2:
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - value}" width="{step * 0.6:.1f}" '
                f'height="{value}" fill="#{40 + index * 12:02x}5080"/>'
            )
    if not number % 2:
        for series, colour in ((values, "#a03020"), ([v // 2 + 20 for v in values], "#2050a0")):
            points = " ".join(
                f"{left + 10 + i * step + step / 3:.1f},{bottom - v}" for i, v in enumerate(series)
            )
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}"/>')
    parts.append(f'<text x="{width / 2}" y="14" text-anchor="middle">Series {number}</text>')
    return ("\n".join(parts) + "\n</svg>\n").encode()


# ---------------------------------------------------------------------------------------
# bibliography and the registry
# ---------------------------------------------------------------------------------------


def bibliography(entries: int, seed: int) -> str:
    """`entries` BibTeX records: articles, books and chapters, some CJK, some with URLs."""
    rng = random.Random(seed)
    records = []
    for number in range(entries):
        kind = ("article", "book", "incollection", "article", "online")[number % 5]
        if number % 7 == 3:
            romanised, _, _ = rng.choice(CJK_NAMES)
            family, given = romanised.split(" ", 1)
            author = f"{family}, {given}"
            title = rng.choice(CJK_TITLES) + f" (vol. {number % 9 + 1})"
        else:
            people = [
                f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}"
                for _ in range(rng.choice((1, 1, 2, 3)))
            ]
            author = " and ".join(people)
            title = f"{rng.choice(SUBJECTS).capitalize()} and {rng.choice(OBJECTS)}"
        fields = {"author": author, "title": title, "year": str(1960 + number % 64)}
        if kind == "article":
            first = rng.randint(1, 600)
            fields |= {
                "journal": rng.choice(JOURNALS),
                "volume": str(number % 50 + 1),
                "pages": f"{first}--{first + rng.randint(10, 40)}",
            }
        elif kind == "online":
            fields |= {
                "url": f"https://archive.example.org/collections/{number:05d}",
                "urldate": "2026-03-01",
                "organization": "Digital Archive of Asia",
            }
            kind = "misc"
        else:
            publisher, address = rng.choice(PUBLISHERS)
            fields |= {"publisher": publisher, "address": address}
            if kind == "incollection":
                fields |= {
                    "booktitle": "Society and State in Modern East Asia",
                    "editor": "Rankin, Mary and Perry, Elizabeth",
                    "pages": "45--80",
                }
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
        records.append(f"@{kind}{{ref{number:04d},\n{body}\n}}\n")
    return "\n".join(records)


@dataclass(frozen=True)
class Makeup:
    blocks: Callable[[Writer], Iterator[str]]
    references_per_thousand: int = 5
    front_matter: str = ""


MAKEUPS = {
    "chapters": Makeup(many_chapters),
    "long": Makeup(one_long_chapter),
    "review": Makeup(review, references_per_thousand=12),
    "figures": Makeup(figure_heavy),
    "contents": Makeup(long_contents, front_matter="toc: true\n"),
    "uneven": Makeup(uneven_chapters),
    "code": Makeup(programming_book, references_per_thousand=3),
    "catalogue": Makeup(catalogue),
}


def write_makeup(name: str, size: str, folder: Path, seed: int = SEED) -> tuple[Path, Path]:
    """Write book.md, refs.bib (and figures/) of make-up `name`; (manuscript, bibliography)."""
    makeup = MAKEUPS[name]
    words = SIZES[size]
    references = max(10, words * makeup.references_per_thousand // 1000)
    writer = Writer(words, references, seed)
    body = "\n\n".join(makeup.blocks(writer))
    front = (
        f'---\ntitle: "Records of a Changing Society"\nsubtitle: "A {name} book of {size} '
        f'words"\nauthor: Benchmark Author\nlang: en-US\ndate: 2026-12-07\n'
        f"{makeup.front_matter}---\n\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in writer.files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    manuscript = folder / "book.md"
    manuscript.write_text(front + body + "\n", encoding="utf-8")
    bibliography_path = folder / "refs.bib"
    bibliography_path.write_text(bibliography(references, seed), encoding="utf-8")
    return manuscript, bibliography_path


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in MAKEUPS or sys.argv[2] not in SIZES:
        raise SystemExit(f"usage: makeups.py {{{','.join(MAKEUPS)}}} {{{','.join(SIZES)}}} FOLDER")
    print(*write_makeup(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
