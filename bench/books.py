"""Generated books for the benchmark: seeded, deterministic, shaped like real manuscripts.

    python bench/books.py 50k /tmp/book        # writes /tmp/book/{book.md,refs.bib,figures/}

A book is `#` chapters of `##` sections whose prose comes from the essay (sentences
reordered and lightly varied per paragraph), mixed with what makes real books slow to set:
small and wide tables, footnotes (some of several paragraphs, some holding a block
quotation), block quotations, bullet and numbered lists, figures (generated PNGs),
inline and display math in plain TeX, CJK passages, and a citation about every 150 words
(bracketed, narrative, with locators, some inside footnotes). The same seed and size
always give the same bytes, so runs on different days time the same book.
"""

# ruff: noqa: RUF001  (the CJK passages use CJK punctuation on purpose)
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
WORDS_PER_CITATION = 150
# size name -> (words, bibliography entries)
SIZES = {
    "2k": (2_000, 10),
    "20k": (20_000, 100),
    "50k": (50_000, 250),
    "100k": (100_000, 500),
    "200k": (200_000, 1_000),
}
FIGURES = 4

CJK_PASSAGES = [
    ("zh", "一九五〇年十月，中国人民志愿军跨过鸭绿江，进入朝鲜作战。"),
    ("zh", "毛泽东在给周恩来的电报中说明了出兵的理由：安全、国内局势与国际义务。"),
    ("ja", "朝鮮戦争への中国の参戦は、安全保障上の懸念と国内の政治状況によって説明される。"),
    ("ko", "한국 전쟁은 1950년 6월 25일에 시작되어 1953년 7월 27일 정전 협정으로 멈추었다."),
]
DISPLAY_MATH = [
    r"\sum_{i=1}^{n} w_i x_i = \bar{x} \sum_{i=1}^{n} w_i",
    r"P(A \mid B) = \frac{P(B \mid A)\,P(A)}{P(B)}",
    r"\int_0^T e^{-rt} u(c_t)\,dt \le \frac{1}{r}",
    r"E[U] = p\,U(\text{win}) + (1-p)\,U(\text{lose}) - C",
]
INLINE_MATH = [r"$x^2$", r"$\alpha + \beta = 1$", r"$p < 0.05$", r"$n = 38$", r"$\sqrt{2}$"]
SUBSTITUTIONS = [
    ("China", "the People's Republic"),
    ("the United States", "Washington"),
    ("argues", "contends"),
    ("important", "significant"),
    ("war", "conflict"),
    ("leaders", "officials"),
    ("security", "safety"),
]
TABLE_WORDS = [
    "troops", "divisions", "supply", "rail", "air cover", "artillery", "morale",
    "casualties", "Yalu", "Pyongyang", "Seoul", "Inchon", "winter", "logistics",
]  # fmt: skip


def essay_sentences() -> list[str]:
    """The essay's sentences without its citations: the raw prose."""
    body = (PROJECT / "manuscript" / "essay.md").read_text().split("---", 2)[2]
    text = " ".join(p for p in body.split("\n") if p.strip() and not p.startswith("#"))
    text = re.sub(r"\s*\[@[^\]]+\]|@\w+ ", " ", text)
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if len(s.split()) > 3]


class BookWriter:
    def __init__(self, words: int, entries: int, seed: int) -> None:
        self.words = words
        self.entries = entries
        self.random = random.Random(seed)
        self.sentences = essay_sentences()
        self.count = 0  # words written so far
        self.cited = 0
        self.notes: list[str] = []
        self.note_number = 0

    def cite(self) -> str:
        self.cited += 1
        key = f"ref{self.random.randrange(self.entries)}"
        kind = self.cited % 5
        if kind == 0:
            return f"[@{key}, {self.random.randint(3, 300)}]"
        if kind == 1:
            return f"[@{key}; @ref{(self.cited * 7) % self.entries}]"
        return f"[@{key}]"

    def sentence(self) -> str:
        sentence = self.random.choice(self.sentences)
        old, new = self.random.choice(SUBSTITUTIONS)
        if self.random.random() < 0.5:
            sentence = sentence.replace(old, new, 1)
        return sentence

    def prose(self, sentences: int, *, citations: bool = True) -> str:
        out = []
        for _ in range(sentences):
            text = self.sentence()
            self.count += len(text.split())
            if citations and self.count // WORDS_PER_CITATION > self.cited:
                text = text[:-1] + " " + self.cite() + text[-1:]
            out.append(text)
        return " ".join(out)

    def paragraph(self) -> str:
        text = self.prose(self.random.randint(3, 7))
        roll = self.random.random()
        if roll < 0.12:
            text += " " + self.random.choice(INLINE_MATH) + " holds in every case considered."
        elif roll < 0.2:
            lang, passage = self.random.choice(CJK_PASSAGES)
            text += f" As the sources put it, [{passage}]{{lang={lang}}}"
        if self.random.random() < 0.4:
            text += self.footnote()
        return text

    def footnote(self) -> str:
        self.note_number += 1
        label = f"n{self.note_number}"
        roll = self.random.random()
        body = self.prose(self.random.randint(1, 3))
        if roll < 0.15:  # a note of several paragraphs
            body += "\n\n    " + self.prose(2)
        elif roll < 0.25:  # a note holding a block quotation
            body += "\n\n    > " + self.prose(2, citations=False)
        self.notes.append(f"[^{label}]: {body}")
        return f"[^{label}]"

    def table(self, number: int) -> str:
        wide = number % 4 == 0
        columns = 7 if wide else 3
        rows = self.random.randint(4, 9) if wide else self.random.randint(3, 5)
        words = TABLE_WORDS

        def cell() -> str:
            if self.random.random() < 0.4:
                return str(self.random.randint(1, 99_999))
            length = self.random.randint(1, 6 if wide else 3)
            return " ".join(self.random.choice(words) for _ in range(length))

        header = ["Year"] + [self.random.choice(words).title() for _ in range(columns - 1)]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * columns]
        for row in range(rows):
            lines.append("| " + " | ".join([str(1950 + row)] + [cell() for _ in header[1:]]) + " |")
        self.count += rows * columns
        return "\n".join(lines) + f"\n\n: Table {number}: {self.random.choice(words)} by year\n"

    def block(self, index: int) -> str:
        """Something other than a plain paragraph, in a rotation with some chance."""
        kind = index % 8
        if kind in (0, 7):
            return self.table(index)
        if kind == 1:
            return "> " + self.prose(self.random.randint(2, 4), citations=False)
        if kind == 2:
            items = [self.prose(1, citations=False) for _ in range(self.random.randint(3, 5))]
            bullet = "-" if index % 2 else "1."
            return "\n".join(f"{bullet} {item}" for item in items)
        if kind == 3:
            figure = index % FIGURES + 1
            return (
                f"![Figure {index}: deployments along the Yalu, stage {figure}]"
                f"(figures/figure{figure}.png){{width=60%}}"
            )
        if kind == 4:
            return "$$" + self.random.choice(DISPLAY_MATH) + "$$"
        if kind == 5:
            lang, passage = self.random.choice(CJK_PASSAGES)
            return f"::: {{lang={lang}}}\n{passage}{passage}\n:::"
        return self.paragraph()

    def manuscript(self) -> str:
        out = [
            '---\ntitle: "A Book of Many Parts"\nsubtitle: "China and the Korean War"\n'
            "author: Benchmark Author\nlang: en-US\ndate: 2026-11-29\n---\n"
        ]
        chapter = section = block_index = 0
        # ~8 sections a chapter, ~600 words a section: a 100k-word book has ~20 chapters.
        while self.count < self.words:
            if section % 8 == 0:
                chapter += 1
                out.append(f"# Chapter {chapter}: {self.sentence().split(',')[0][:60]}\n")
                out.append(self.paragraph() + "\n")
            section += 1
            out.append(f"## Section {chapter}.{section % 8 or 8}\n")
            start = self.count
            while self.count - start < 600 and self.count < self.words:
                out.append(self.paragraph() + "\n")
                if self.random.random() < 0.6:
                    block_index += 1
                    out.append(self.block(block_index) + "\n")
        out.append("\n".join(self.notes) + "\n")
        return "\n".join(out)


def bibliography(entries: int) -> str:
    """`entries` BibTeX records shaped like the essay's (articles, books, chapters)."""
    records = []
    for number in range(entries):
        kind = ("article", "book", "incollection")[number % 3]
        fields = {
            "author": f"Author{number:04d}, Given and Second{number % 37}, Other",
            "title": f"Study number {number} of the {{Korean}} {{War}} and its aftermath",
            "year": str(1950 + number % 70),
        }
        if kind == "article":
            fields |= {
                "journal": "Journal of Cold War Studies",
                "volume": str(number % 40 + 1),
                "number": str(number % 4 + 1),
                "pages": f"{number % 300 + 1}--{number % 300 + 25}",
            }
        elif kind == "book":
            fields |= {"publisher": "Routledge", "address": "London"}
        else:
            fields |= {
                "booktitle": "The {Realism} Reader",
                "publisher": "Routledge",
                "editor": "Elman, Colin and Jensen, Michael A.",
                "pages": "10--30",
            }
        body = ",\n".join(f"  {key} = {{{value}}}" for key, value in fields.items())
        records.append(f"@{kind}{{ref{number},\n{body}\n}}\n")
    return "\n".join(records)


def write_figures(folder: Path) -> None:
    """A few small charts (bars in grey), drawn deterministically with Pillow."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, FIGURES + 1):
        shapes = random.Random(number)
        image = Image.new("RGB", (600, 360), "white")
        draw = ImageDraw.Draw(image)
        draw.line([(40, 320), (580, 320)], fill="black", width=2)
        draw.line([(40, 20), (40, 320)], fill="black", width=2)
        for bar in range(10):
            height = shapes.randint(30, 280)
            left = 55 + bar * 52
            shade = 60 + bar * 15
            draw.rectangle([left, 320 - height, left + 36, 318], fill=(shade, shade, shade))
        image.save(folder / f"figure{number}.png", optimize=False)


def write_book(size: str, folder: Path, seed: int = 17) -> tuple[Path, Path]:
    """Write book.md, refs.bib and figures/ for `size`; return (manuscript, bibliography)."""
    words, entries = SIZES[size]
    folder.mkdir(parents=True, exist_ok=True)
    write_figures(folder / "figures")
    manuscript = folder / "book.md"
    manuscript.write_text(BookWriter(words, entries, seed).manuscript())
    references = folder / "refs.bib"
    references.write_text(bibliography(entries))
    return manuscript, references


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in SIZES:
        raise SystemExit(f"usage: books.py {{{','.join(SIZES)}}} FOLDER")
    paths = write_book(sys.argv[1], Path(sys.argv[2]))
    print(*paths)
