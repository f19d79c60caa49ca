"""Signals around forks: a Ctrl-C must never land inside Python's fork hooks, and a
forked child dies with its parent."""

from __future__ import annotations

import contextlib
import ctypes
import os
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


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """In a forked child (a pool's initializer): be killed when the process that forked
    it dies, even by SIGKILL, so a killed build leaves no writer running on.

    Linux's PR_SET_PDEATHSIG through libc's prctl; elsewhere nothing (the pool's own
    pipes still end an idle child). `parent` is the forking process's pid, passed from
    it: if it died before the call, getppid() already differs and the child leaves now.
    The signal is sent when the forking *thread* ends, so pools are started from a
    thread that outlives them (the main thread, here).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)
