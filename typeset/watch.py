"""Watch mode: rebuild on every save of the manuscript, bibliography, config or styles."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from typeset.config import Config
from typeset.errors import TypesetError
from typeset.pipeline import BuildResult, ProgressCallback, build


def watched_paths(config: Config, config_path: Path | None) -> list[Path]:
    """The folders whose changes can change an output."""
    candidates = [
        config.manuscript.parent,
        config.bibliography.parent,
        config.project_dir / "styles",
        *([config_path.parent] if config_path else []),
    ]
    unique: dict[Path, None] = {}
    for path in candidates:
        if path.exists():
            unique.setdefault(path.resolve(), None)
    return list(unique)


def watch(
    make_config: Callable[[], Config],
    config_path: Path | None,
    *,
    progress: ProgressCallback | None = None,
    changes: Iterable[object] | None = None,
    say: Callable[[str], None] = lambda text: print(text, flush=True),
) -> None:
    """Build now, then again after each batch of changes, until interrupted.

    A failed build prints its error and leaves the last good outputs in place (the build
    never replaces them unless every format succeeded). `changes` replaces the file
    watcher in tests: each item it yields triggers one rebuild.
    """
    config = _rebuild(make_config, progress, say)
    if changes is None:
        import watchfiles

        paths = watched_paths(config, config_path) if config else [Path.cwd()]
        say("watching " + ", ".join(str(path) for path in paths) + " (Ctrl-C to stop)")
        changes = watchfiles.watch(*paths, watch_filter=_is_source_change, raise_interrupt=False)
    for _batch in changes:
        config = _rebuild(make_config, progress, say) or config


def _rebuild(
    make_config: Callable[[], Config],
    progress: ProgressCallback | None,
    say: Callable[[str], None],
) -> Config | None:
    started = time.strftime("%H:%M:%S")
    try:
        config = make_config()
        result = build(config, progress=progress)
    except TypesetError as error:
        print(
            f"[{started}] error: {error}\n  (last good outputs kept; still watching)",
            file=sys.stderr,
            flush=True,
        )
        return None
    say(f"[{started}] {_summary(result)}")
    return config


def _summary(result: BuildResult) -> str:
    parts = []
    for name in result.outputs:
        if name in result.from_cache:
            parts.append(f"{name} unchanged")
        else:
            parts.append(f"{name} {result.format_seconds.get(name, 0.0):.1f} s")
    return f"rebuilt in {result.seconds:.1f} s: " + ", ".join(parts)


def _is_source_change(change: object, path: str) -> bool:
    """Ignore our own outputs, caches and editors' swap files."""
    name = Path(path).name
    ignored_parts = {".typeset-cache", "output", ".git", "__pycache__", ".venv"}
    if ignored_parts & set(Path(path).parts):
        return False
    return not (name.startswith(".") or name.endswith(("~", ".swp", ".partial", ".tmp")))
