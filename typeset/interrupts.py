"""Signals around forks: a Ctrl-C must never land inside Python's fork hooks."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block forks (a process pool's first
    submit), then act on them.

    Python runs its fork hooks in the forking thread, and a Ctrl-C raised inside logging's
    after-fork hook is swallowed there: the signal is lost and logging's lock stays held,
    so every later fork and log call of the build waits for it forever.
    """
    held = (signal.SIGINT, signal.SIGTERM)
    in_main_thread = threading.current_thread() is threading.main_thread()
    if not in_main_thread or any(signal.getsignal(signum) is None for signum in held):
        yield  # signal handlers are the main thread's; one set outside Python can't be restored
        return
    caught: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda signum, _: caught.append(signum)) for signum in held
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            signal.raise_signal(caught[0])
