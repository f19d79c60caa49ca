"""Several submissions in one run: `--profile a,b,c` and `--all-profiles`.

Each profile is one `build()` of its own Config. What the profiles have in common is read
once here: one manuscript parse per distinct manuscript, metadata and anonymity, one read
per distinct bibliography, and the essay's cite-this-work references once. The builds then
run in forked worker processes (one per two cores: each build writes its formats in
parallel processes itself); the inputs read here reach them through the fork instead of
being pickled to each (typeset/processes.py).

A profile that fails is reported and the others go on. build() stages its files and moves
them into place only when every format succeeded, so a failed profile's previous outputs
stay as they were.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typeset.cache import BuildCache, cache_folder
from typeset.commands.build import build, cached_cite_this_work
from typeset.config import Config
from typeset.errors import TypesetError, UsageError
from typeset.formats import writer_for
from typeset.inputs import SourceReads, read_sources
from typeset.processes import ForkedWorkers

if TYPE_CHECKING:
    from typeset.findings import CheckReport


@dataclass(frozen=True)
class ProfileOutcome:
    """How one profile's build (or check) went, for the summary and the exit code."""

    profile: str
    style: str
    formats: tuple[str, ...]
    seconds: float
    warnings: int
    outputs: tuple[Path, ...] = ()
    inputs: tuple[Path, ...] = ()  # every file the build read, for the up-to-date check
    error: str | None = None
    report: CheckReport | None = None  # with --check

    @property
    def succeeded(self) -> bool:
        return self.error is None and (self.report is None or self.report.passed)


def refuse_shared_destinations(configs: Mapping[str, Config]) -> None:
    """Two profiles writing the same files would overwrite each other: refuse up front."""
    writers: dict[tuple[Path, str], str] = {}
    for profile, config in configs.items():
        destination = (config.output_dir.resolve(), config.manuscript.stem)
        if destination in writers:
            raise UsageError(
                f"profiles {writers[destination]!r} and {profile!r} would both write "
                f"{config.manuscript.stem}.* in {config.output_dir}",
                hint="give each profile its own 'output_dir' in the config",
            )
        writers[destination] = profile


def build_profiles(
    configs: Mapping[str, Config], *, force: bool = False, check: bool = False
) -> list[ProfileOutcome]:
    """Build (or with `check`, build and validate) every profile; never raises for one
    profile's bad input: that profile's outcome carries the error."""
    refuse_shared_destinations(configs)
    inputs = read_shared_inputs(configs, force=force)
    # Imported once here rather than once in each worker (WeasyPrint alone takes ~0.5 s).
    for name in sorted({name for config in configs.values() for name in config.formats}):
        writer_for(name)
    # Each build already writes its formats in parallel, one process per format: profiles
    # run side by side only where there are cores to spare beyond those. Measured on two
    # busy cores, two profiles at once cost more CPU than they saved in waiting.
    workers = max(1, min(len(configs), (os.cpu_count() or 1) // 2))
    # Forked: each build inherits the manuscripts and bibliographies read above. Most
    # formats first: a long build left for last would run alone.
    order = sorted(configs, key=lambda name: -len(configs[name].formats))
    builds = {
        name: functools.partial(
            _run_profile, name, configs[name], inputs[name], force=force, check=check
        )
        for name in order
    }

    def died(name: str) -> ProfileOutcome:
        return _failed(name, configs[name], "the build process died")

    with ForkedWorkers[str, ProfileOutcome](workers) as profiles:
        outcomes = dict(profiles.run(builds, on_death=died))
    return [outcomes[name] for name in configs]


def read_shared_inputs(
    configs: Mapping[str, Config], *, force: bool = False
) -> dict[str, SourceReads | TypesetError]:
    """Each profile's inputs, each distinct one read once (in parallel threads: the reads
    are pandoc runs). A read that fails is that profile's error."""
    if not configs:
        return {}
    cache = BuildCache(cache_folder(next(iter(configs.values())).project_dir), read=not force)
    distinct = {_sources_key(config): config for config in configs.values()}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        reads = {
            key: pool.submit(read_sources, config, cache=cache) for key, config in distinct.items()
        }
        shared: dict[str, SourceReads | TypesetError] = {}
        for name, config in configs.items():
            try:
                shared[name] = reads[_sources_key(config)].result()
            except TypesetError as error:
                shared[name] = error
        # The essay's own reference costs a pandoc run per style and is the same for every
        # profile of one manuscript: made once here, the builds find it in the cache.
        # (A failure here is the profile's own to report when it builds.)
        works: dict[tuple[Any, ...], tuple[SourceReads, Config]] = {}
        for name, config in configs.items():
            read = shared[name]
            if isinstance(read, SourceReads):
                works[_cite_this_work_key(config)] = (read, config)
        warmed = [
            pool.submit(_warm_cite_this_work, read, config, cache)
            for read, config in works.values()
        ]
        concurrent.futures.wait(warmed)
    # The pool is shut down here: the builds fork, and must not fork a busy thread.
    return shared


def _cite_this_work_key(config: Config) -> tuple[Any, ...]:
    return (
        _manuscript_key(config),
        config.cite_this_work or config.cite_this_work_section,
        config.cite_this_work_styles,
    )


def _warm_cite_this_work(read: SourceReads, config: Config, cache: BuildCache) -> None:
    with suppress(TypesetError):
        cached_cite_this_work(read.manuscript, config, cache)


def _manuscript_key(config: Config) -> tuple[Path, str, bool]:
    metadata = json.dumps(config.metadata, sort_keys=True, default=str)
    return (config.manuscript.resolve(), metadata, config.anonymous)


def _sources_key(config: Config) -> tuple[Any, ...]:
    """Profiles with equal keys read the same manuscript and bibliography the same way."""
    return (*_manuscript_key(config), *(path.resolve() for path in config.bibliography))


def _run_profile(
    name: str, config: Config, inputs: SourceReads | TypesetError, *, force: bool, check: bool
) -> ProfileOutcome:
    started = time.perf_counter()
    with _counted_warnings(name) as warnings:
        try:
            if isinstance(inputs, TypesetError):
                raise inputs
            if check:
                from typeset.commands.check import check as check_profile

                report = check_profile(config, sources=inputs)
                return ProfileOutcome(
                    name,
                    config.style,
                    config.formats,
                    time.perf_counter() - started,
                    len(report.warnings),
                    report=report,
                )
            result = build(config, force=force, sources=inputs)
        except TypesetError as error:
            return _failed(name, config, str(error), time.perf_counter() - started, warnings[0])
        except Exception as error:  # a library failure must not take the other profiles down
            message = f"{type(error).__name__}: {error}"
            return _failed(name, config, message, time.perf_counter() - started, warnings[0])
    return ProfileOutcome(
        name,
        result.style_description or result.style_name,
        config.formats,
        result.seconds,
        warnings[0],
        outputs=tuple(result.outputs.values()),
        inputs=result.inputs,
    )


def _failed(
    name: str, config: Config, message: str, seconds: float = 0.0, warnings: int = 0
) -> ProfileOutcome:
    return ProfileOutcome(name, config.style, config.formats, seconds, warnings, error=message)


@contextmanager
def _counted_warnings(profile: str) -> Iterator[list[int]]:
    """Count the warnings logged while building `profile`, and name it in each of them:
    the profiles' messages interleave on stderr."""
    count = [0]

    class Counter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if record.levelno >= logging.WARNING and record.name.startswith("typeset"):
                count[0] += 1
                record.msg = f"[{profile}] {record.msg}"
            return True

    handlers = logging.getLogger().handlers
    counter = Counter()
    for handler in handlers:
        handler.addFilter(counter)
    try:
        yield count
    finally:
        for handler in handlers:
            handler.removeFilter(counter)


def passed(outcomes: Sequence[ProfileOutcome]) -> bool:
    return all(outcome.succeeded for outcome in outcomes)


def summary_table(outcomes: Sequence[ProfileOutcome]) -> str:
    """One line per profile, then each failure's message."""
    rows = [("profile", "style", "formats", "time", "warnings", "result")]
    for outcome in outcomes:
        result = "ok" if outcome.succeeded else "FAILED"
        rows.append(
            (
                outcome.profile,
                outcome.style,
                ",".join(outcome.formats),
                f"{outcome.seconds:.1f} s",
                str(outcome.warnings),
                result,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.rjust(width) if column in (3, 4) else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    failed = [outcome for outcome in outcomes if outcome.error]
    lines += [f"\n{outcome.profile}: error: {outcome.error}" for outcome in failed]
    built = sum(outcome.succeeded for outcome in outcomes)
    lines.append(f"\n{built} of {len(outcomes)} profiles built")
    return "\n".join(lines)


def check_report_text(outcomes: Sequence[ProfileOutcome]) -> str:
    """Every profile's check report under its name, then one verdict."""
    sections = []
    for outcome in outcomes:
        body = outcome.report.as_text() if outcome.report else f"error: {outcome.error}"
        sections.append(f"== {outcome.profile} ({outcome.style}) ==\n{body}")
    verdict = "PASSED" if passed(outcomes) else "FAILED"
    good = sum(outcome.succeeded for outcome in outcomes)
    sections.append(f"{verdict}: {good} of {len(outcomes)} profiles passed")
    return "\n\n".join(sections)


def check_report_json(outcomes: Sequence[ProfileOutcome]) -> dict[str, Any]:
    profiles = []
    for outcome in outcomes:
        entry: dict[str, Any] = {"profile": outcome.profile, "style": outcome.style}
        if outcome.report is not None:
            entry.update(outcome.report.as_json())
        else:
            entry.update({"passed": False, "error": outcome.error})
        profiles.append(entry)
    return {"passed": passed(outcomes), "profiles": profiles}
