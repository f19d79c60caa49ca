"""Stage timings for benchmarks and profiling: `TYPESET_TIMINGS=FILE` makes every stage
of a build (in whichever process it runs) append one JSON line to FILE:
{"stage": "layout", "seconds": 12.3, "cpu": 11.9, "pid": 4242}: wall-clock seconds, and
the CPU seconds of the process (all its threads) and of the children it waited for during
the stage (pandoc runs), which a loaded machine does not inflate as it does the wall clock.

A file rather than a return value because the writers run in forked worker processes:
appending a short line (under PIPE_BUF) is atomic, so workers need no channel back.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager

from typeset.names import TIMINGS_VARIABLE

log = logging.getLogger(__name__)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the block; record it when TYPESET_TIMINGS names a file (and log it)."""
    started = time.perf_counter()
    cpu_started = cpu_seconds()
    try:
        yield
    finally:
        record(name, time.perf_counter() - started, cpu_seconds() - cpu_started)


def cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def record(name: str, seconds: float, cpu: float) -> None:
    log.debug("stage %s took %.2f s (%.2f s of CPU)", name, seconds, cpu)
    target = os.environ.get(TIMINGS_VARIABLE)
    if target:
        entry = {"stage": name, "seconds": round(seconds, 4), "cpu": round(cpu, 4)}
        line = json.dumps(entry | {"pid": os.getpid()})
        with open(target, "a", encoding="utf-8") as file:
            file.write(line + "\n")
