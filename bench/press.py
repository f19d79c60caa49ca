#!/usr/bin/env python3
"""A press's list on one machine: many small titles, each profile an independent job.

    python bench/press.py                       # 50 titles x 2 profiles, 1 and 2 workers
    python bench/press.py --titles 10 --workers 1,2,4
    python bench/press.py --write-only /tmp/press   # just the projects

Writes `--titles` projects (title-01/ ...: typeset.yaml with two profiles, `print` a PDF
in an author-date style, `digital` an EPUB and a DOCX in a note style;
manuscript/book.md of ~800 words with sections, citations, footnotes, a table and a
quotation; refs.bib), each from its own seed with bench/makeups.py's prose writer, so the
same arguments always give the same bytes. Then, for each worker count, it runs the jobs
`typeset jobs` lists exactly as the README shows (`| xargs -d '\\n' -P N -I{} sh -c {}`),
every job one `python -m typeset --config ... --profile ...` process sharing one
TYPESET_CACHE_DIR, three times:
  cold       an empty cache, no outputs (a press's first run);
  warm       the cache of the cold run, no outputs (a CI job whose cache was restored);
  unchanged  nothing removed (a rerun on the same machine: the up-to-date check).
It prints each run's wall time, jobs a minute and the speed-up over one worker, checks
that every run wrote every output and that all runs' outputs are byte-identical (the
builds run under SOURCE_DATE_EPOCH), and prints the load average before and after: the
machine may be shared.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "bench"))

from makeups import Writer, bibliography  # noqa: E402

TITLE_WORDS = 800
REFERENCES = 16
CONFIG = """\
# A title of the press: `print` for the printer, `digital` for the stores.
manuscript: manuscript/book.md
bibliography: manuscript/refs.bib
profiles:
  print:
    style: chicago-author-date
    formats: [pdf]
    output_dir: output/print
  digital:
    style: chicago-notes-bibliography
    formats: [epub, docx]
    output_dir: output/digital
"""
# What each profile writes, for the check that every job did its work.
OUTPUTS = ("output/print/book.pdf", "output/digital/book.epub", "output/digital/book.docx")
RUNS = ("cold", "warm", "unchanged")


def title_blocks(writer: Writer, number: int) -> Iterator[str]:
    """An article-length title: four sections, a table, a quotation, notes, citations."""
    section = 0
    while not writer.done:
        section += 1
        yield f"# {writer.title()}"
        yield writer.paragraph(every=2, notes=0.5)
        if section == 2:
            yield writer.table(f"Table 1: returns reported in the sources ({number})")
        if section == 3:
            yield writer.block_quotation()
        yield writer.paragraph(every=3, notes=0.3)


def write_title(folder: Path, number: int) -> None:
    """Project `folder` (typeset.yaml, manuscript/book.md, manuscript/refs.bib)."""
    writer = Writer(TITLE_WORDS, REFERENCES, seed=1000 + number)
    heading = writer.title()
    body = "\n\n".join(title_blocks(writer, number))
    front = (
        f'---\ntitle: "{heading}"\nauthor: Author {number:02d}\nlang: en-US\n'
        "date: 2026-12-07\n---\n\n"
    )
    (folder / "manuscript").mkdir(parents=True, exist_ok=True)
    (folder / "typeset.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "manuscript" / "book.md").write_text(front + body + "\n", encoding="utf-8")
    (folder / "manuscript" / "refs.bib").write_text(
        bibliography(REFERENCES, 1000 + number), encoding="utf-8"
    )


def write_press(folder: Path, titles: int) -> list[Path]:
    projects = [folder / f"title-{number:02d}" for number in range(1, titles + 1)]
    for number, project in enumerate(projects, start=1):
        write_title(project, number)
    return projects


def environment(cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT),  # this checkout's typeset, in every job
        "TYPESET_CACHE_DIR": str(cache),
        "SOURCE_DATE_EPOCH": "1765065600",  # outputs comparable byte for byte across runs
    }


def list_jobs(press: Path, env: dict[str, str]) -> list[str]:
    command = f"{sys.executable} -m typeset"
    listed = subprocess.run(
        [sys.executable, "-m", "typeset", "jobs", str(press), "--command", command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.splitlines()


def run_jobs(jobs: list[str], workers: int, env: dict[str, str], log: Path) -> float:
    """Seconds to run every job with `workers` at a time, as the README's one-liner does."""
    started = time.perf_counter()
    with log.open("w") as errors:
        done = subprocess.run(
            ["xargs", "-d", "\n", "-P", str(workers), "-I{}", "sh", "-c", "{}"],
            input="\n".join(jobs) + "\n",
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            text=True,
            check=False,
        )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"a job failed (xargs exit {done.returncode}): see {log}")
    return seconds


def outputs(projects: list[Path]) -> dict[str, str]:
    """Every expected output's SHA-256; exits naming the first one missing."""
    found = {}
    for project in projects:
        for name in OUTPUTS:
            path = project / name
            if not path.is_file() or path.stat().st_size == 0:
                raise SystemExit(f"missing output: {path}")
            found[str(path.relative_to(project.parent))] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return found


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--titles", type=int, default=50)
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2,4")
    parser.add_argument("--write-only", type=Path, metavar="DIR", help="write the projects")
    arguments = parser.parse_args()
    if arguments.write_only:
        projects = write_press(arguments.write_only, arguments.titles)
        print(f"wrote {len(projects)} projects in {arguments.write_only}")
        return
    workers = [int(n) for n in arguments.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="typeset-press-") as scratch:
        press = Path(scratch) / "press"
        projects = write_press(press, arguments.titles)
        env = environment(Path(scratch) / "cache")
        started = time.perf_counter()
        jobs = list_jobs(press, env)
        listing = time.perf_counter() - started
        print(f"{len(projects)} titles, {len(jobs)} jobs (`typeset jobs`: {listing:.1f} s)")
        print(f"before: {load()}")
        seconds: dict[tuple[str, int], float] = {}
        reference: dict[str, str] | None = None
        for count in workers:
            shutil.rmtree(Path(scratch) / "cache", ignore_errors=True)
            for run in RUNS:
                if run != "unchanged":
                    for project in projects:
                        shutil.rmtree(project / "output", ignore_errors=True)
                log = Path(scratch) / f"{run}-{count}.log"
                seconds[run, count] = run_jobs(jobs, count, env, log)
                found = outputs(projects)
                reference = reference or found
                if found != reference:
                    changed = [name for name in found if found[name] != reference[name]]
                    raise SystemExit(f"outputs differ from the first run's: {changed[:5]}")
                warnings = log.read_text().count("WARNING")
                print(
                    f"  {count} worker(s), {run:<9} {seconds[run, count]:7.1f} s"
                    f"  {60 * len(jobs) / seconds[run, count]:6.1f} jobs/min"
                    f"  ({warnings} warnings; {load()})"
                )
        print(f"after: {load()}")
        print(f"every run wrote all {len(reference or {})} outputs, byte-identical across runs")
        print(f"\n{'run':<10} " + " ".join(f"{f'{n} worker(s)':>22}" for n in workers))
        for run in RUNS:
            cells = []
            for count in workers:
                speed_up = seconds[run, workers[0]] / seconds[run, count]
                cells.append(f"{seconds[run, count]:6.1f} s {speed_up:4.2f}x".rjust(22))
            print(f"{run:<10} " + " ".join(cells))
        print(f"(speed-up over {workers[0]} worker(s), same run)")


if __name__ == "__main__":
    main()
