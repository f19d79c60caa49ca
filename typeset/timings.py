"""Stage timings for benchmarks and profiling: `TYPESET_TIMINGS=FILE` makes every stage
of a build (in whichever process it runs) append one JSON line to FILE:
{"stage": "layout", "seconds": 12.3, "pid": 4242}.

A file rather than a return value because the writers run in forked worker processes:
appending a short line (under PIPE_BUF) is atomic, so workers need no channel back.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

TIMINGS_VARIABLE = "TYPESET_TIMINGS"


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the block; record it when TYPESET_TIMINGS names a file (and log it)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        record(name, time.perf_counter() - started)


def record(name: str, seconds: float) -> None:
    log.debug("stage %s took %.2f s", name, seconds)
    target = os.environ.get(TIMINGS_VARIABLE)
    if target:
        line = json.dumps({"stage": name, "seconds": round(seconds, 4), "pid": os.getpid()})
        with open(target, "a", encoding="utf-8") as file:
            file.write(line + "\n")
