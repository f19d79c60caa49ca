#!/usr/bin/env python3
"""Benchmark: our build against the pipeline a user would otherwise script, same run.

    python bench/run.py                               # the essay and every book size
    python bench/run.py --sizes essay,20k --rounds 3  # a quick look
    python bench/run.py --manuscript book.md --bibliography refs.bib   # a given book
    python bench/run.py --makeup chapters --sizes 50k,100k            # another make-up

The corpus is the essay itself plus generated books (bench/books.py: chapters, tables
small and wide, footnotes, block quotations, lists, figures, math, CJK, a citation per
~150 words), or with `--makeup NAME` the books of bench/makeups.py (many short chapters,
one long chapter, a review, figures, a long contents list), each built in an in-text
style (chicago-author-date) and a note style (chicago-notes-bibliography). For each it times:
  baseline   separate `pandoc --citeproc` runs for HTML (then the `weasyprint` command),
             EPUB and DOCX, one after the other, with the same CSL style and stylesheets;
  full       our build with a cold cache (`build.py --force`), with per-stage times;
  unchanged  our rebuild with nothing changed;
  edit       our rebuild after a one-word edit in the middle of the manuscript.
Each step reports the median of `--rounds` rounds (one round from 200k words up unless
`--rounds` says otherwise), as a ratio to the baseline of the same round; peak memory is
the largest single process. Timings are wall-clock on a shared machine: compare ratios,
and read them with the load average printed beside them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from books import SIZES, write_book  # noqa: E402
from makeups import MAKEUPS, write_makeup  # noqa: E402
from makeups import SIZES as MAKEUP_SIZES  # noqa: E402

from typeset.names import CACHE_DIR_VARIABLE, TIMINGS_VARIABLE  # noqa: E402
from typeset.pandoc import pandoc_path  # noqa: E402
from typeset.resources import shipped_styles_dir  # noqa: E402
from typeset.styles import resolve_style  # noqa: E402

STYLES = ("chicago-author-date", "chicago-notes-bibliography")
STEPS = ("full", "unchanged", "edit")
# Stages in the order the critical path runs them (see typeset/timings.py).
STAGES = ("parse", "citeproc", "html", "layout", "pdf-write", "artifacts", "part-layout",
          "part-pdf-write", "part-postprocess", "contents", "join",
          "pdf", "epub", "docx")  # fmt: skip


@dataclass
class Timing:
    seconds: float
    peak_mb: float
    stages: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Book:
    name: str
    manuscript: Path
    bibliography: Path
    words: int


def timed(commands: list[list[str]], cwd: Path, timings_file: Path | None = None) -> Timing:
    """Run commands one after another; wall time and the peak RSS of any child process."""
    # ru_maxrss of RUSAGE_CHILDREN is a high-water mark over all waited-for descendants,
    # so each measurement runs in a fresh helper process that reports its own children.
    script = (
        "import resource, subprocess, sys, json, time\n"
        "commands = json.loads(sys.argv[1])\n"
        "start = time.perf_counter()\n"
        "for command in commands:\n"
        "    done = subprocess.run(command, cwd=sys.argv[2], capture_output=True)\n"
        "    if done.returncode:\n"
        "        error = done.stderr.decode()[-3000:]\n"
        "        sys.exit(f'{command} exited {done.returncode}:\\n{error}')\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(time.perf_counter() - start, peak)\n"
    )
    environment = dict(os.environ)
    environment.pop(TIMINGS_VARIABLE, None)
    if timings_file is not None:
        timings_file.unlink(missing_ok=True)
        environment[TIMINGS_VARIABLE] = str(timings_file)
    completed = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands), str(cwd)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{completed.stderr[-3000:]}")
    seconds, peak_kb = completed.stdout.split()
    stages: dict[str, float] = defaultdict(float)
    if timings_file is not None and timings_file.exists():
        for line in timings_file.read_text().splitlines():
            entry = json.loads(line)
            stages[entry["stage"]] += entry["seconds"]
    return Timing(float(seconds), int(peak_kb) / 1024, dict(stages))


def asks_for_contents(manuscript: Path) -> bool:
    """`toc: true` in the front matter: a user scripting pandoc would pass --toc."""
    front = manuscript.read_text().split("\n---", 1)[0]
    return re.search(r"^(toc|table-of-contents): *true\b", front, re.MULTILINE) is not None


def baseline_commands(book: Book, style_path: Path, out: Path) -> list[list[str]]:
    common = [
        pandoc_path(),
        book.manuscript.name,
        "--citeproc",
        "--bibliography",
        str(book.bibliography),
        "--csl",
        str(style_path),
        *(["--toc"] if asks_for_contents(book.manuscript) else []),
    ]
    styles = shipped_styles_dir()
    html = out / "baseline.html"
    return [
        [*common, "--standalone", "--template", str(styles / "print.html"), "-o", str(html)],
        # run from the manuscript's folder so relative image paths resolve
        [sys.executable, "-m", "weasyprint", "-s", str(styles / "print.css"), "-u",
         str(book.manuscript.parent) + "/", str(html), str(out / "baseline.pdf")],
        [*common, "--css", str(styles / "epub.css"), "-o", str(out / "baseline.epub")],
        [*common, "--reference-doc", str(styles / "reference-finished.docx"),
         "-o", str(out / "baseline.docx")],
    ]  # fmt: skip


def ours(config: Path, *extra: str) -> list[list[str]]:
    return [[sys.executable, str(PROJECT / "build.py"), "--config", str(config), "-q", *extra]]


def one_word_edit(manuscript: Path) -> None:
    """Add one word to a prose line in the middle of the book (not the first part)."""
    lines = manuscript.read_text().split("\n")
    middle = len(lines) // 2
    for index in [*range(middle, len(lines)), *range(middle)]:
        if re.match(r"[A-Z][a-z]+ .* the ", lines[index]):
            lines[index] = lines[index].replace(" the ", " the very ", 1)
            manuscript.write_text("\n".join(lines))
            return
    raise SystemExit(f"no prose line to edit in {manuscript}")


def measure_once(book: Book, style: str, folder: Path) -> dict[str, Timing]:
    """One round in a fresh copy of the book's folder with a cache of its own."""
    source = folder / "book"
    shutil.copytree(book.manuscript.parent, source, ignore=shutil.ignore_patterns(".*", "out*"))
    # The build reads only files inside the manuscript's folder (typeset/confine.py): the
    # bibliography goes beside the copy, as an author's would be.
    bibliography = source / book.bibliography.name
    if not bibliography.exists():
        shutil.copy(book.bibliography, bibliography)
    copy = Book(book.name, source / book.manuscript.name, bibliography, book.words)
    out = folder / "out"
    out.mkdir()
    config = folder / "bench.yaml"
    config.write_text(
        f"manuscript: {copy.manuscript}\nbibliography: {copy.bibliography}\n"
        f"style: {style}\noutput_dir: {out}\ncite_this_work: false\n"
    )
    # A cache of its own per round: builds of earlier runs must not make this one warm.
    os.environ[CACHE_DIR_VARIABLE] = str(folder / "cache")
    style_path = resolve_style(style, PROJECT).path
    results = {"baseline": timed(baseline_commands(copy, style_path, out), source)}
    results["full"] = timed(ours(config, "--force"), source, folder / "timings.jsonl")
    results["unchanged"] = timed(ours(config), source)
    one_word_edit(copy.manuscript)
    results["edit"] = timed(ours(config), source, folder / "timings-edit.jsonl")
    return results


def measure(book: Book, style: str, rounds: int, workdir: Path) -> list[dict[str, Timing]]:
    results = []
    for number in range(rounds):
        folder = workdir / f"{book.name}-{style}-{number}"
        folder.mkdir()
        results.append(measure_once(book, style, folder))
    return results


def median_ratio(rounds: list[dict[str, Timing]], step: str) -> float:
    """Median over rounds of step / baseline of the same round (the load drifts)."""
    return statistics.median(r[step].seconds / r["baseline"].seconds for r in rounds)


def median_seconds(rounds: list[dict[str, Timing]], step: str) -> float:
    return statistics.median(r[step].seconds for r in rounds)


def growth_exponent(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(seconds) over log(words)."""
    xs = [math.log(words) for words, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return numerator / sum((x - mean_x) ** 2 for x in xs)


def makeup_books(name: str, sizes: list[str], workdir: Path) -> list[Book]:
    """The books of one make-up of bench/makeups.py."""
    books = []
    for size in sizes:
        manuscript, bibliography = write_makeup(name, size, workdir / f"{name}-{size}")
        books.append(Book(f"{name}-{size}", manuscript, bibliography, MAKEUP_SIZES[size]))
    return books


def corpus(sizes: list[str], workdir: Path) -> list[Book]:
    books = []
    for size in sizes:
        if size == "essay":
            folder = workdir / "corpus-essay"
            folder.mkdir()
            shutil.copy(PROJECT / "manuscript" / "essay.md", folder)
            manuscript = folder / "essay.md"
            books.append(Book("essay", manuscript, PROJECT / "refs.bib", 2_000))
        else:
            manuscript, bibliography = write_book(size, workdir / f"corpus-{size}")
            books.append(Book(size, manuscript, bibliography, SIZES[size][0]))
    return books


def word_count(path: Path) -> int:
    return len(path.read_text().split())


def report(book: Book, style: str, rounds: list[dict[str, Timing]]) -> None:
    base = median_seconds(rounds, "baseline")
    cells = "  ".join(
        f"{step} {median_ratio(rounds, step):.2f}x {median_seconds(rounds, step):6.1f}s"
        for step in STEPS
    )
    peak = max(r[step].peak_mb for r in rounds for step in STEPS)
    base_peak = max(r["baseline"].peak_mb for r in rounds)
    stages = {
        name: statistics.median(r["full"].stages.get(name, 0.0) for r in rounds) for name in STAGES
    }
    load = os.getloadavg()[0]
    print(
        f"{book.name:>6} {style:<27} rounds {len(rounds)}  baseline {base:6.1f}s  {cells}"
        f"  peak {peak:5.0f} MB (baseline {base_peak:.0f})  load {load:.1f}",
        flush=True,
    )
    print("        full-build stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in stages.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        help="comma-separated: essay,"
        + ",".join(SIZES)
        + " (default: all); with --makeup: "
        + ",".join(MAKEUP_SIZES)
        + " (default: 50k,100k)",
    )
    parser.add_argument("--makeup", choices=MAKEUPS, help="time a book of this make-up")
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--rounds", type=int, help="default 3 (1 from 200k words)")
    parser.add_argument("--manuscript", type=Path, help="time this book instead")
    parser.add_argument("--bibliography", type=Path, help="its bibliography")
    arguments = parser.parse_args()  # fmt: skip
    styles = [style.strip() for style in arguments.styles.split(",")]
    print(
        f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="typeset-bench-") as workdir:
        if arguments.manuscript:
            if not arguments.bibliography:
                parser.error("--manuscript needs --bibliography")
            manuscript = arguments.manuscript.resolve()
            books = [
                Book(manuscript.stem, manuscript, arguments.bibliography.resolve(),
                     word_count(manuscript))
            ]  # fmt: skip
        elif arguments.makeup:
            sizes = (arguments.sizes or "50k,100k").split(",")
            if unknown := [size for size in sizes if size.strip() not in MAKEUP_SIZES]:
                parser.error(f"--makeup sizes are {','.join(MAKEUP_SIZES)}, not {unknown}")
            books = makeup_books(arguments.makeup, [s.strip() for s in sizes], Path(workdir))
        else:
            sizes = (arguments.sizes or "essay,20k,50k,100k,200k").split(",")
            books = corpus([s.strip() for s in sizes], Path(workdir))
        for style in styles:
            full_points = []
            for book in books:
                rounds = arguments.rounds or (1 if book.words >= 200_000 else 3)
                results = measure(book, style, rounds, Path(workdir))
                report(book, style, results)
                if book.name != "essay":
                    full_points.append((book.words, median_seconds(results, "full")))
            if len(full_points) > 1:
                print(f"growth exponent of the full build ({style}): "
                      f"{growth_exponent(full_points):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
