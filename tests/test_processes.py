"""typeset/processes.py: forked work comes back keyed, errors and deaths reach the parent,
and leaving early stops every child, its task unwound. Real forks of this process, each
child living well under a second (except the one that is stopped)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from typeset.errors import ManuscriptError
from typeset.processes import ForkedWorkers, RemoteTraceback, WorkerDied


def test_results_come_back_keyed_and_the_data_is_inherited_not_pickled() -> None:
    lock = threading.Lock()  # a lock cannot be pickled: it reaches the child by the fork
    document = {"blocks": ["word"] * 10_000}

    def count(times: int) -> int:
        with lock:
            return len(document["blocks"]) * times

    with ForkedWorkers[str, int](2) as workers:
        results = dict(
            workers.run(
                {name: (lambda n=n: count(n)) for n, name in [(1, "a"), (2, "b"), (3, "c")]}
            )
        )
    assert results == {"a": 10_000, "b": 20_000, "c": 30_000}


def failing() -> None:
    raise ManuscriptError("no title", path="paper.md", line=3, hint="add one")


def test_a_task_error_is_raised_in_the_parent_with_its_fields_and_where_it_failed() -> None:
    with pytest.raises(ManuscriptError) as raised, ForkedWorkers[str, None](1) as workers:
        list(workers.run({"pdf": failing}))
    assert str(raised.value) == "paper.md:3: no title\n  add one"
    assert isinstance(raised.value.__cause__, RemoteTraceback)
    assert "in failing" in str(raised.value.__cause__)


def killed() -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def test_a_child_killed_outright_is_reported_and_the_others_can_go_on() -> None:
    with pytest.raises(WorkerDied) as died, ForkedWorkers[str, int](1) as workers:
        list(workers.run({"pdf": killed}))
    assert died.value.key == "pdf" and died.value.exitcode == -signal.SIGKILL

    with ForkedWorkers[str, int](2) as workers:
        results = dict(workers.run({"pdf": killed, "epub": lambda: 7}, on_death=lambda key: -1))
    assert results == {"pdf": -1, "epub": 7}


def test_leaving_early_stops_the_children_still_running_after_their_cleanup(
    tmp_path: Path,
) -> None:
    def slow() -> None:
        (tmp_path / "pid").write_text(str(os.getpid()))
        try:
            time.sleep(60)
        finally:  # runs: a stopped child unwinds its task (pandoc killed, temporaries removed)
            (tmp_path / "cleaned-up").touch()

    def fail_once_started() -> None:
        while not (tmp_path / "pid").exists():
            time.sleep(0.01)
        failing()

    started = time.monotonic()
    with pytest.raises(ManuscriptError), ForkedWorkers[str, None](2) as workers:
        list(workers.run({"slow": slow, "failing": fail_once_started}))
    assert time.monotonic() - started < 5, "waited for the slow task instead of stopping it"
    assert (tmp_path / "cleaned-up").exists()
    with pytest.raises(ProcessLookupError):  # stopped and reaped: no process left behind
        os.kill(int((tmp_path / "pid").read_text()), 0)


def test_no_more_children_run_at_once_than_workers(tmp_path: Path) -> None:
    def overlapping(name: str) -> int:
        (tmp_path / name).touch()
        time.sleep(0.2)
        running = len(list(tmp_path.iterdir()))
        (tmp_path / name).unlink()
        return running

    with ForkedWorkers[str, int](2) as workers:
        seen = dict(workers.run({name: (lambda n=name: overlapping(n)) for name in "abcde"}))
    assert max(seen.values()) <= 2 and len(seen) == 5
