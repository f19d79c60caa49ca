"""The build, top to bottom: resolve style -> read inputs -> check citations ->
format citations once -> write every format -> move the files into place."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from typeset.citations import ResolvedDocument, check_citations, engine_named
from typeset.config import FORMATS, Config
from typeset.errors import ToolError, TypesetError
from typeset.formats import WRITERS
from typeset.manuscript import read_manuscript
from typeset.output import staged_outputs
from typeset.references import read_bibliography
from typeset.styles import resolve_style

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    outputs: dict[str, Path]
    style_name: str
    seconds: float


def build(config: Config) -> BuildResult:
    """Build every format the config asks for; raise a TypesetError on bad input."""
    started = time.perf_counter()
    style = resolve_style(config.style, config.project_dir)
    manuscript = read_manuscript(config.manuscript, config.metadata)
    bibliography = read_bibliography(config.bibliography)
    check_citations(manuscript, bibliography)
    engine = engine_named(config.engine)
    destinations = {
        name: config.output_dir / f"{manuscript.stem}.{WRITERS[name].extension}"
        for name in _in_build_order(config.formats)
    }
    with tempfile.TemporaryDirectory(prefix="typeset-") as workdir:
        resolved = engine.resolve(manuscript, bibliography, style, Path(workdir))
        with staged_outputs(destinations) as staged:
            for name, temporary in staged.items():
                log.info("writing %s", destinations[name])
                _write_format(name, resolved, temporary, config)
    return BuildResult(destinations, style.name, time.perf_counter() - started)


def _in_build_order(formats: tuple[str, ...]) -> list[str]:
    """PDF first: it is the slowest and the one most people look at."""
    return [name for name in FORMATS if name in formats]


def _write_format(
    name: str, resolved: ResolvedDocument, temporary: Path, config: Config
) -> None:
    try:
        WRITERS[name].write(resolved, temporary, config)
    except TypesetError:
        raise
    except Exception as error:  # a library failure must not reach the user as a traceback
        raise ToolError(
            f"the {name.upper()} writer failed: {type(error).__name__}: {error}",
            hint="run again with --verbose for details; report it if the input looks fine",
        ) from error
