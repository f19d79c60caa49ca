#!/usr/bin/env python3
"""Benchmark: what 500 equations add to a build (issue 13: no more than about 2 s cold,
nothing to a rebuild with nothing changed).

    python bench/math_cost.py              # 3 rounds
    python bench/math_cost.py --rounds 1

Builds the generated STEM paper (bench/math_paper.py: ~500 equations) and its no-math
control (every equation a plain word) in the same run, alternating, each with a cache of
its own: `full` is a cold build (`build.py --force`, fresh TYPESET_CACHE_DIR), `unchanged`
a rebuild with nothing changed. Prints the medians and the difference paper - control,
and the per-stage times of the cold builds (TYPESET_TIMINGS).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "bench"))

from math_paper import write_paper  # noqa: E402
from run import Timing, ours, timed  # noqa: E402

from typeset.names import CACHE_DIR_VARIABLE  # noqa: E402

STEPS = ("full", "unchanged")


def measure_once(manuscript: Path, bibliography: Path, folder: Path) -> dict[str, Timing]:
    folder.mkdir()
    out = folder / "out"
    config = folder / "bench.yaml"
    config.write_text(
        f"manuscript: {manuscript}\nbibliography: {bibliography}\n"
        f"style: chicago-author-date\noutput_dir: {out}\ncite_this_work: false\n"
    )
    os.environ[CACHE_DIR_VARIABLE] = str(folder / "cache")
    return {
        "full": timed(ours(config, "--force"), manuscript.parent, folder / "timings.jsonl"),
        "unchanged": timed(ours(config), manuscript.parent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}")
    with tempfile.TemporaryDirectory(prefix="typeset-math-bench-") as workdir:
        paper, control, bibliography = write_paper(Path(workdir) / "paper")
        results: dict[str, list[dict[str, Timing]]] = {"paper": [], "control": []}
        for number in range(arguments.rounds):
            for name, manuscript in (("paper", paper), ("control", control)):
                folder = Path(workdir) / f"{name}-{number}"
                results[name].append(measure_once(manuscript, bibliography, folder))
            print(f"round {number + 1}: load {os.getloadavg()[0]:.1f}", flush=True)

    def median(name: str, step: str) -> float:
        return statistics.median(r[step].seconds for r in results[name])

    for step in STEPS:
        paper_s, control_s = median("paper", step), median("control", step)
        print(
            f"{step:>9}: paper {paper_s:5.2f}s  control {control_s:5.2f}s  "
            f"math adds {paper_s - control_s:+5.2f}s ({paper_s / control_s:.2f}x)"
        )
    for name in results:
        stages: dict[str, list[float]] = {}
        for r in results[name]:
            for stage, seconds in r["full"].stages.items():
                stages.setdefault(stage, []).append(seconds)
        cells = ", ".join(f"{k} {statistics.median(v):.2f}s" for k, v in stages.items())
        print(f"  {name} cold-build stages: {cells}")
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
