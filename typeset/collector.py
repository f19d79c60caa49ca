"""Python's cyclic garbage collector, set for a build's allocation pattern.

A build allocates millions of small containers that live until the end of a stage: the
pandoc AST (dicts and lists) and WeasyPrint's boxes. With the default thresholds a young
collection runs every 700 allocations and each one promotes survivors that the older
collections then scan again, over a heap that only grows. A 50k-word note-style book of
short chapters (bench/makeups.py `chapters`, PDF only, three builds side by side at the
same load): 58.7 s of CPU with the defaults, 50.7 s with a young generation of 10,000
(the parts' layout 29.6 s -> 23.7 s), 48.9 s with 50,000; the largest process 567 MB,
566 MB and 742 MB. 10,000 keeps nearly all of the gain and none of the memory: garbage
cycles are still collected, a little later. The bytes written do not change.

A forked process (a writer, a PDF part) inherits its parent's heap: frozen across the
fork, the collector of the child does not scan (and so does not copy, page by page) what
it inherited; the parent unfreezes its own at once.
"""

from __future__ import annotations

import gc
import os

YOUNG_GENERATION = 10_000

_installed = False


def collect_for_a_build() -> None:
    """Set the thresholds and the fork hooks, once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)
    os.register_at_fork(before=gc.freeze, after_in_parent=gc.unfreeze)
