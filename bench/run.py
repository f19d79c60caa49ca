#!/usr/bin/env python3
"""Benchmark: our build against the pipeline a user would otherwise script, same run.

    python bench/run.py                  # all sizes (the 200k-word case takes minutes)
    python bench/run.py --sizes 2k,20k   # a quick look

For each synthetic manuscript (made from the essay, one citation per ~150 words) it times:
  baseline   separate `pandoc --citeproc` runs for HTML (then the `weasyprint` command),
             EPUB and DOCX, one after the other, with the same CSL style and stylesheets;
  full       our build with a cold cache (`build.py --force`);
  unchanged  our rebuild with nothing changed;
  edit       our rebuild after a one-word edit;
  restyle    our rebuild after switching the CSL style.
Sizes up to 20k words run five rounds and report each step's median. Each of ours is
printed as a ratio to the baseline measured in the same run, with peak
memory (the largest single process of the tree), and the growth exponent of `full` over
the sizes. Timings are wall-clock on a shared machine: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from typeset.pandoc import pandoc_path  # noqa: E402
from typeset.styles import resolve_style  # noqa: E402

SIZES = {
    "2k": (2_000, 10),
    "2k+math": (2_000, 10),
    "20k": (20_000, 100),
    "100k": (100_000, 500),
    "200k": (200_000, 1_000),
}
# Sizes with equations: compare their `full` with the size without to see what math costs.
EQUATIONS = {"2k+math": 500}
WORDS_PER_CITATION = 150
STYLE, SECOND_STYLE = "chicago-author-date", "apa"
REPEATS = 5  # rounds for sizes up to 20k words; each step reports the median


@dataclass
class Timing:
    seconds: float
    peak_mb: float


def essay_paragraphs() -> list[str]:
    """The essay's prose without its citations, as raw material."""
    body = (PROJECT / "manuscript" / "essay.md").read_text().split("---", 2)[2]
    paragraphs = [p for p in body.split("\n") if p.strip() and not p.startswith("#")]
    return [re.sub(r"\s*\[@[^\]]+\]|@\w+ ", "", p) for p in paragraphs]


def synthetic_bibliography(entries: int) -> str:
    """`entries` BibTeX records shaped like the essay's (articles, books, chapters)."""
    records = []
    for number in range(entries):
        family = f"Author{number:04d}"
        kind = ("article", "book", "incollection")[number % 3]
        fields = {
            "author": f"{family}, Given and Second{number % 37}, Other",
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


def synthetic_equations(count: int) -> list[str]:
    """`count` different equations, four inline to one display, of everyday kinds."""
    inline = [
        r"$x_{{{n}}}^2 + y_{{{n}}}^2 = r^2$",
        r"$\frac{{a_{{{n}}}}}{{b + {n}}}$",
        r"$O(n^{{{n}}} \log n)$",
        r"$\mathbb{{E}}[X_{{{n}}}] = \mu_{{{n}}}$",
    ]
    display = [
        r"$$\sum_{{i=1}}^{{{n}}} \alpha_i \left( \frac{{x_i - \bar{{x}}}}{{\sigma}} \right)^2"
        r" \le \int_0^{{{n}}} f(t)\,dt$$",
        r"$$\begin{{aligned}} f_{{{n}}}(x) &= x^{{{n}}} + 1 \\ &\ge \sqrt{{x}} \end{{aligned}}$$",
    ]
    equations = []
    for number in range(count):
        if number % 5 == 4:
            equations.append("\n" + display[number % 2].format(n=number) + "\n")
        else:
            equations.append(inline[number % 4].format(n=number))
    return equations


def synthetic_manuscript(words: int, entries: int, equations: int = 0) -> str:
    paragraphs = essay_paragraphs()
    maths = synthetic_equations(equations)
    out = ['---\ntitle: "Synthetic manuscript"\nlang: en-US\ndate: 2026-11-29\n---\n']
    count, cited, section = 0, 0, 0
    while count < words:
        for index, paragraph in enumerate(paragraphs):
            if index % 4 == 0:
                section += 1
                out.append(f"## Section {section}\n")
            sentences = paragraph.split(". ")
            text = []
            for sentence in sentences:
                text.append(sentence)
                count += len(sentence.split())
                if count // WORDS_PER_CITATION > cited:
                    cited += 1
                    text[-1] += f" [@ref{cited % entries}]"
            per_paragraph = -(-len(maths) // max(1, words // 60))  # ~60 words a paragraph
            if maths[:per_paragraph]:
                text[-1] += ", with " + " and ".join(maths[:per_paragraph])
            del maths[:per_paragraph]
            out.append(". ".join(text) + "\n")
            if count >= words:
                break
    out.extend(maths)  # any left over
    return "\n".join(out)


def run(command: list[str], cwd: Path) -> None:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{completed.stderr}")


def timed(commands: list[list[str]], cwd: Path) -> Timing:
    """Run commands one after another; wall time and the peak RSS of any child process."""
    # ru_maxrss of RUSAGE_CHILDREN is a high-water mark over all waited-for descendants,
    # so each measurement runs in a fresh helper process that reports its own children.
    script = (
        "import resource, subprocess, sys, json, time\n"
        "commands = json.loads(sys.argv[1])\n"
        "start = time.perf_counter()\n"
        "for command in commands:\n"
        "    subprocess.run(command, cwd=sys.argv[2], check=True, capture_output=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(time.perf_counter() - start, peak)\n"
    )
    import json

    completed = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands), str(cwd)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{completed.stderr[-3000:]}")
    seconds, peak_kb = completed.stdout.split()
    return Timing(float(seconds), int(peak_kb) / 1024)


def baseline_commands(folder: Path, style_path: Path) -> list[list[str]]:
    pandoc = pandoc_path()
    common = [
        pandoc,
        "essay.md",
        "--citeproc",
        "--bibliography",
        "refs.bib",
        "--csl",
        str(style_path),
    ]
    styles = PROJECT / "styles"
    return [
        [*common, "--standalone", "--template", str(styles / "print.html"), "-o", "essay.html"],
        [
            sys.executable,
            "-m",
            "weasyprint",
            "-s",
            str(styles / "print.css"),
            "essay.html",
            "essay-baseline.pdf",
        ],
        [*common, "--css", str(styles / "epub.css"), "-o", "essay-baseline.epub"],
        [*common, "--reference-doc", str(_docx_reference()), "-o", "essay-baseline.docx"],
    ]


def _docx_reference() -> Path:
    for name in ("reference-finished.docx", "reference.docx"):
        if (PROJECT / "styles" / name).is_file():
            return PROJECT / "styles" / name
    raise SystemExit("no reference .docx in styles/")


def ours(folder: Path, *extra: str) -> list[list[str]]:
    return [
        [
            sys.executable,
            str(PROJECT / "build.py"),
            "--config",
            str(folder / "bench.yaml"),
            "-q",
            *extra,
        ]
    ]


def measure(size: str, words: int, entries: int, workdir: Path) -> dict[str, Timing]:
    """Median of several rounds for the small sizes, where 0.1 s of jitter is 5%."""
    rounds = [
        measure_once(size, words, entries, workdir / f"{size}-{round_number}")
        for round_number in range(REPEATS if words <= 20_000 else 1)
    ]
    return {
        step: Timing(
            statistics.median([r[step].seconds for r in rounds]),
            max(r[step].peak_mb for r in rounds),
        )
        for step in rounds[0]
    }


def measure_once(size: str, words: int, entries: int, folder: Path) -> dict[str, Timing]:
    folder.mkdir()
    (folder / "essay.md").write_text(synthetic_manuscript(words, entries, EQUATIONS.get(size, 0)))
    (folder / "refs.bib").write_text(synthetic_bibliography(entries))
    (folder / "bench.yaml").write_text(
        f"manuscript: essay.md\nbibliography: refs.bib\nstyle: {STYLE}\noutput_dir: out\n"
    )
    # A cache of its own per size: builds of earlier runs must not make this one warm.
    os.environ["TYPESET_CACHE_DIR"] = str(folder / "cache")
    style_path = resolve_style(STYLE, PROJECT).path
    results = {"baseline": timed(baseline_commands(folder, style_path), folder)}
    results["full"] = timed(ours(folder, "--force"), folder)
    results["unchanged"] = timed(ours(folder), folder)
    manuscript = folder / "essay.md"
    manuscript.write_text(manuscript.read_text().replace("puzzling", "perplexing", 1))
    results["edit"] = timed(ours(folder), folder)
    results["restyle"] = timed(ours(folder, "--style", SECOND_STYLE), folder)
    return results


def growth_exponent(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(seconds) over log(words)."""
    xs = [math.log(words) for words, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    denominator = sum((x - mean_x) ** 2 for x in xs)
    return numerator / denominator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default=",".join(SIZES), help="comma-separated: " + ",".join(SIZES)
    )
    arguments = parser.parse_args()
    sizes = [size.strip() for size in arguments.sizes.split(",")]
    print(
        f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    columns = " ".join(f"{name:>12}" for name in ("full", "unchanged", "edit", "restyle"))
    header = f"{'size':>5} {'entries':>7} {'baseline':>9}  {columns}  peak MB"
    print(header)
    full_points = []
    with tempfile.TemporaryDirectory(prefix="typeset-bench-") as workdir:
        for size in sizes:
            words, entries = SIZES[size]
            results = measure(size, words, entries, Path(workdir))
            base = results["baseline"].seconds
            cells = [
                f"{results[k].seconds / base:5.2f}x {results[k].seconds:5.1f}s"
                for k in ("full", "unchanged", "edit", "restyle")
            ]
            peak = max(results[k].peak_mb for k in ("full", "unchanged", "edit", "restyle"))
            print(
                f"{size:>5} {entries:>7} {base:8.1f}s  "
                + " ".join(f"{c:>12}" for c in cells)
                + f"  {peak:7.0f} (baseline {results['baseline'].peak_mb:.0f})",
                flush=True,
            )
            if size not in EQUATIONS:
                full_points.append((words, results["full"].seconds))
    if len(full_points) > 1:
        print(f"growth exponent of the full build over sizes: {growth_exponent(full_points):.2f}")


if __name__ == "__main__":
    main()
