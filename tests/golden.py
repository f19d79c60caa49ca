"""Golden files: the corpus's citations and bibliographies as each engine formats them.

For a few manuscripts (the essay and three of tests/data/corpus) in the main styles, the
citation stage's own result (the engine's resolved document, no output file written) is
stored as plain text under tests/data/golden/<manuscript>/<style>.<engine>.txt: one line
per citation in reading order, then one line per bibliography entry in its order.
tests/test_golden.py compares the current output with them; after a deliberate change
(a new pandoc, a style update, a fix in an engine) regenerate them with

    PYTHONPATH=. .venv/bin/python -m tests.golden --regenerate

and read the diff (`git diff tests/data/golden`) before committing it.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import PROJECT, config_for
from typeset.citations import engine_named
from typeset.commands.crosscheck import _citations, _entries
from typeset.inputs import Inputs, read_inputs
from typeset.pandoc import pandoc_version
from typeset.styles import resolve_style

GOLDEN = PROJECT / "tests" / "data" / "golden"
REGENERATE = "PYTHONPATH=. .venv/bin/python -m tests.golden --regenerate"

# The author-date, note and numeric families journals ask for most.
STYLES = (
    "apa",
    "chicago-author-date",
    "chicago-notes-bibliography",
    "ieee",
    "vancouver",
    "harvard-cite-them-right",
    "modern-language-association",
    "nature",
)
ENGINES = ("pandoc", "citeproc-py")


@dataclass(frozen=True)
class Manuscript:
    """A manuscript and its bibliography, relative to the project folder."""

    manuscript: str
    bibliography: str


# name -> manuscript: the essay (notes, locators, a nocite), a STEM paper (numeric
# habits, et al.), humanities with notes and archival sources, a thesis (many works).
MANUSCRIPTS = {
    "essay": Manuscript("manuscript/essay.md", "refs.bib"),
    "stem": Manuscript("tests/data/corpus/stem/paper.md", "tests/data/corpus/stem/refs.bib"),
    "humanities": Manuscript(
        "tests/data/corpus/humanities/article.md", "tests/data/corpus/humanities/refs.bib"
    ),
    "thesis": Manuscript("tests/data/corpus/thesis/thesis.md", "tests/data/corpus/thesis/refs.bib"),
}


def golden_path(manuscript: str, style: str, engine: str) -> Path:
    return GOLDEN / manuscript / f"{style}.{engine}.txt"


@functools.cache
def _inputs(name: str) -> Inputs:
    """The manuscript read and checked as a build reads it, once per manuscript."""
    source = MANUSCRIPTS[name]
    return read_inputs(config_for(PROJECT / source.manuscript, PROJECT / source.bibliography))


def formatted_lines(name: str, style: str, engine: str) -> list[str]:
    """The citations, then the bibliography entries, of manuscript `name` in `style`."""
    inputs = _inputs(name)
    csl = resolve_style(style, PROJECT)
    with tempfile.TemporaryDirectory(prefix="typeset-golden-") as workdir:
        resolved = engine_named(engine).resolve(
            inputs.manuscript, inputs.bibliography, csl, Path(workdir)
        )
    document = resolved.document
    return [
        *(f"{label}: {text}" for label, text in _citations(document)),
        *(f"entry {key}: {text}" for key, text in _entries(document)),
    ]


def engine_version(engine: str) -> str:
    if engine == "pandoc":
        return f"pandoc {pandoc_version()}"
    return f"citeproc-py {importlib.metadata.version('citeproc-py')}"


def header(name: str, style: str, engine: str) -> list[str]:
    """The golden file's first lines: what it holds, what made it, how to remake it."""
    source = MANUSCRIPTS[name]
    return [
        f"# {source.manuscript} with {source.bibliography}, style {style}, "
        f"engine {engine} ({engine_version(engine)})",
        f"# Regenerate: {REGENERATE}",
    ]


def read_golden(path: Path) -> list[str]:
    """The golden file's lines without its header."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not line.startswith("# ")]


def regenerate(names: list[str], styles: list[str], engines: list[str]) -> list[Path]:
    written = []
    for name in names:
        for style in styles:
            for engine in engines:
                path = golden_path(name, style, engine)
                path.parent.mkdir(parents=True, exist_ok=True)
                lines = [*header(name, style, engine), *formatted_lines(name, style, engine)]
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__)
    parser.add_argument("--regenerate", action="store_true", help="rewrite the golden files")
    parser.add_argument("--manuscript", action="append", choices=list(MANUSCRIPTS))
    parser.add_argument("--style", action="append", choices=list(STYLES))
    parser.add_argument("--engine", action="append", choices=list(ENGINES))
    arguments = parser.parse_args(argv)
    if not arguments.regenerate:
        parser.print_help()
        return 2
    written = regenerate(
        arguments.manuscript or list(MANUSCRIPTS),
        arguments.style or list(STYLES),
        arguments.engine or list(ENGINES),
    )
    for path in written:
        print(path.relative_to(PROJECT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
