"""Watch mode: rebuild on every save of a file the last build read.

What is watched is what the build read (the manuscript, its included files and figures,
the bibliographies, the style, the config, the project's stylesheets), never a folder
tree: the outputs and the cache, whatever their names and wherever they are, are not
inputs, so writing them starts nothing. Each input's folder is watched without its
subfolders and the events are kept to the input files themselves, so an editor that saves
by writing a new file and renaming it over the old one is seen too.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import typeset
from typeset.book import CHAPTER_SUFFIXES, manuscript_folder
from typeset.commands.build import BuildResult, ProgressCallback, build
from typeset.config import Config
from typeset.errors import TypesetError


@dataclass(frozen=True)
class _Rebuild:
    config: Config | None
    result: BuildResult | None


def watched_files(
    config: Config, config_path: Path | None, result: BuildResult | None
) -> set[Path]:
    """The author's files the build read: the build's inputs inside the project, the
    manuscript's folder or the config's folder, and the files the config names."""
    named = [
        *([] if config.manuscript.is_dir() else [config.manuscript]),
        *config.chapters,
        *config.bibliography,
        *([config_path] if config_path else []),
    ]
    roots = [config.project_dir, manuscript_folder(config.manuscript)]
    roots += [chapter.parent for chapter in config.chapters]
    roots += [config_path.parent] if config_path else []
    roots = [root.resolve() for root in roots]
    # The build's inputs include typeset's own code and the tools it ran (their versions
    # key the cache); in a checkout they sit inside the project, but are not the author's.
    tooling = [Path(typeset.__file__).resolve().parent, Path(sys.prefix).resolve()]
    read = [path.resolve() for path in (result.inputs if result else ())]
    files = {path.resolve() for path in named}
    files |= {
        path
        for path in read
        if any(path.is_relative_to(root) for root in roots)
        and not any(path.is_relative_to(tool) for tool in tooling)
    }
    return files


def watch(
    make_config: Callable[[], Config],
    config_path: Path | None,
    *,
    progress: ProgressCallback | None = None,
    changes: Iterable[object] | None = None,
    say: Callable[[str], None] = lambda text: print(text, flush=True),
    named: Iterable[Path] = (),
) -> None:
    """Build now, then again after each batch of changes to an input, until interrupted.

    A failed build prints its error and leaves the last good outputs in place (the build
    never replaces them unless every format succeeded). `changes` replaces the file
    watcher in tests: each item it yields triggers one rebuild. `named` are the files the
    command line named (the manuscript): watched when not even the config can be read.
    """
    last = _rebuild(make_config, progress, say)
    config = last.config
    if changes is not None:
        for _batch in changes:
            config = _rebuild(make_config, progress, say).config or config
        return
    files = watched_files(config, config_path, last.result) if config else set()
    if not files:  # the config itself failed: watch what the command named
        files = {path.resolve() for path in [*named, *([config_path] if config_path else [])]}
    plural = "" if len(files) == 1 else "s"
    say(f"watching {len(files)} file{plural} the build read (Ctrl-C to stop)")
    while True:
        for _batch in _input_changes(files):
            outcome = _rebuild(make_config, progress, say)
            config = outcome.config or config
            if config is None:
                continue
            # A rebuild that failed keeps the last good list: the manuscript's fix may
            # be the save that follows.
            now = watched_files(config, config_path, outcome.result) if outcome.result else files
            if {path.parent for path in now} != {path.parent for path in files}:
                files = now
                break  # a new folder to watch: start the watcher again
            files.clear()
            files.update(now)
        else:
            return


def _input_changes(files: set[Path]) -> Iterator[object]:
    """Batches of changes to `files` (the set may be updated between batches)."""
    import watchfiles

    folders = sorted({path.parent for path in files if path.parent.is_dir()})

    def is_input(change: object, path: str) -> bool:
        # a new chapter in a folder the build listed (a Manubot content/) is one too
        resolved = Path(path).resolve()
        return resolved in files or (
            resolved.parent in files and resolved.suffix.lower() in CHAPTER_SUFFIXES
        )

    yield from watchfiles.watch(
        *folders, watch_filter=is_input, recursive=False, raise_interrupt=False
    )


def _rebuild(
    make_config: Callable[[], Config],
    progress: ProgressCallback | None,
    say: Callable[[str], None],
) -> _Rebuild:
    started = time.strftime("%H:%M:%S")
    config = None
    try:
        config = make_config()
        result = build(config, progress=progress)
    except TypesetError as error:
        print(
            f"[{started}] error: {error}\n  (last good outputs kept; still watching)",
            file=sys.stderr,
            flush=True,
        )
        return _Rebuild(config, None)
    say(f"[{started}] {_summary(result)}")
    return _Rebuild(config, result)


def _summary(result: BuildResult) -> str:
    parts = []
    for name in result.outputs:
        if name in result.from_cache:
            parts.append(f"{name} unchanged")
        else:
            parts.append(f"{name} {result.format_seconds.get(name, 0.0):.1f} s")
    return f"rebuilt in {result.seconds:.1f} s: " + ", ".join(parts)
