"""Work forked into child processes: the one way typeset runs its own code in parallel.

The build writes its formats side by side (typeset/commands/build.py), several profiles
build side by side (typeset/commands/submissions.py) and a long PDF is laid out in parts
(typeset/formats/pdf_parallel.py). Each hands `ForkedWorkers.run` its tasks as closures
over data it already holds: a forked child starts with a copy of the parent's memory, so a
book-sized document reaches it without being pickled and no module global has to carry
it. Only results and errors travel back, pickled through a pipe.

Each child is forked (never spawned: it inherits the imported modules, WeasyPrint's among
them), runs one task and exits; it dies with the process that forked it, even one killed
by SIGKILL; SIGINT and SIGTERM unwind its task (its pandoc killed, its temporary folders
removed) and end it without a traceback. At most `workers` run at once. Leaving the
`with` block early (a task failed, Ctrl-C, SIGTERM) stops the children still running:
SIGTERM, then SIGKILL for any still alive after a grace period. The children are tracked
here, by their Process objects, never through a pool's private attributes.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Hashable, Iterator, Mapping
from multiprocessing.connection import Connection
from multiprocessing.context import ForkProcess
from types import TracebackType
from typing import Any, Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Result = TypeVar("Result")

# How long a stopped child may take to unwind (kill its pandoc, remove its temporaries)
# before it is killed outright.
STOP_GRACE_SECONDS = 3.0

_FORK = multiprocessing.get_context("fork")


class WorkerDied(Exception):
    """A child ended without a result: killed (its memory or CPU cap, a signal) or crashed
    inside C code."""

    def __init__(self, key: Hashable, exitcode: int | None) -> None:
        super().__init__(f"the worker for {key!r} ended without a result (exit code {exitcode})")
        self.key = key
        self.exitcode = exitcode


class RemoteTraceback(Exception):
    """Where a task failed in its child: set as the `__cause__` of the error it raised."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0])


class ForkedWorkers(Generic[Key, Result]):
    """Tasks run in forked children, at most `workers` at once; `setup` runs first in
    each child (a resource limit, say). Use it as a context manager: leaving the block
    stops every child still running."""

    def __init__(self, workers: int, *, setup: Callable[[], None] | None = None) -> None:
        self.workers = max(1, workers)
        self.setup = setup
        self._children: list[ForkProcess] = []
        self._readers: list[Connection] = []

    def __enter__(self) -> ForkedWorkers[Key, Result]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def run(
        self,
        tasks: Mapping[Key, Callable[[], Result]],
        *,
        on_death: Callable[[Key], Result] | None = None,
    ) -> Iterator[tuple[Key, Result]]:
        """Start the tasks, in the mapping's order, as many at once as there are workers
        (now, before the first result is asked for), and yield (key, result) as each ends.

        A task's exception is raised here, its child's traceback as its cause; a child that
        ends without a result raises WorkerDied, unless `on_death` gives a result for it
        (the others then go on).
        """
        pending = list(tasks.items())
        running: dict[Connection, tuple[Key, ForkProcess]] = {}

        def start_next() -> None:
            key, task = pending.pop(0)
            reader, writer = _FORK.Pipe(duplex=False)
            child = _FORK.Process(
                target=_run_in_child, args=(task, writer, self.setup, os.getpid())
            )
            with signals_deferred():  # the fork runs Python's fork hooks
                child.start()
            writer.close()  # the child's end: its exit makes the reader see the end
            self._children.append(child)
            self._readers.append(reader)
            running[reader] = (key, child)

        while pending and len(running) < self.workers:
            start_next()
        return self._results(running, pending, start_next, on_death)

    def _results(
        self,
        running: dict[Connection, tuple[Key, ForkProcess]],
        pending: list[tuple[Key, Callable[[], Result]]],
        start_next: Callable[[], None],
        on_death: Callable[[Key], Result] | None,
    ) -> Iterator[tuple[Key, Result]]:
        while running:
            for reader in multiprocessing.connection.wait(list(running)):
                assert isinstance(reader, Connection)
                key, child = running.pop(reader)
                try:
                    outcome: tuple[Any, ...] | None = reader.recv()
                except EOFError:  # it died before it could answer
                    outcome = None
                reader.close()
                child.join()
                if outcome is not None and not outcome[0]:
                    _, error, remote = outcome
                    error.__cause__ = RemoteTraceback(remote)
                    raise error
                if pending:
                    start_next()
                if outcome is None:
                    if on_death is None:
                        raise WorkerDied(key, child.exitcode)
                    yield key, on_death(key)
                else:
                    yield key, outcome[1]

    def stop(self) -> None:
        """Stop every child still running: SIGTERM, then SIGKILL after the grace period."""
        alive = [child for child in self._children if child.is_alive()]
        for child in alive:
            with contextlib.suppress(OSError):
                child.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in alive:
            child.join(max(0.0, deadline - time.monotonic()))
            if child.is_alive():
                child.kill()
                child.join()
        for reader in self._readers:
            reader.close()
        self._children.clear()
        self._readers.clear()


def _run_in_child(
    task: Callable[[], Any],
    writer: Connection,
    setup: Callable[[], None] | None,
    parent: int,
) -> None:
    """A child's whole life: run the task, send back its result or its error, exit."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, _unwind)
    signal.signal(signal.SIGTERM, _unwind)
    try:
        if setup is not None:
            setup()
        outcome: tuple[Any, ...] = (True, task())
    except Exception as error:
        outcome = (False, error, traceback.format_exc())
    except BaseException as stop:  # a signal: the task has unwound; leave quietly
        code = stop.code if isinstance(stop, SystemExit) else 1
        raise SystemExit(code if isinstance(code, int) else 1) from None
    try:
        writer.send(outcome)
    except Exception as error:  # an error or a result that does not pickle: say what it was
        unsent = RuntimeError(f"{type(error).__name__}: {error}")
        writer.send((False, unsent, traceback.format_exc()))
    writer.close()


def _unwind(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block forks (a child's start), then act
    on them.

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
    """In a forked child, first: be killed when the process that forked it dies, even by
    SIGKILL, so a killed build leaves no writer running on.

    Linux's PR_SET_PDEATHSIG through libc's prctl; elsewhere nothing (the child then
    ends with its task). `parent` is the forking process's pid, passed from
    it: if it died before the call, getppid() already differs and the child leaves now.
    The signal is sent when the forking *thread* ends, so children are started from a
    thread that outlives them (the main thread, here).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)
