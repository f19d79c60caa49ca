"""The corpus's formatted citations and bibliographies match their golden files.

Each case compares the citation stage's output (tests/golden.py: the engine's resolved
document as plain text, one line per citation and per bibliography entry) with
tests/data/golden/<manuscript>/<style>.<engine>.txt. The golden files were written by, and
after a deliberate change (a new pandoc, an updated style, an engine fix) are rewritten by

    PYTHONPATH=. .venv/bin/python -m tests.golden --regenerate

(`--manuscript`, `--style`, `--engine` narrow it); read `git diff tests/data/golden` before
committing the new files. The text depends on pandoc's and citeproc-py's versions: each
file's header names the versions that wrote it.
"""

from __future__ import annotations

import difflib

import pytest

from tests.golden import (
    ENGINES,
    GOLDEN,
    MANUSCRIPTS,
    REGENERATE,
    STYLES,
    engine_version,
    formatted_lines,
    golden_path,
    read_golden,
)

CASES = [
    pytest.param(name, style, engine, id=f"{name}-{style}-{engine}")
    for name in MANUSCRIPTS
    for style in STYLES
    for engine in ENGINES
]


@pytest.mark.slow  # pandoc (and citeproc-py) format every case
@pytest.mark.parametrize(("name", "style", "engine"), CASES)
def test_formatted_citations_match_the_golden_file(name: str, style: str, engine: str) -> None:
    path = golden_path(name, style, engine)
    made_by = path.read_text(encoding="utf-8").partition("\n")[0]
    expected = read_golden(path)
    actual = formatted_lines(name, style, engine)
    assert actual == expected, (
        f"{path.name} differs from what {engine_version(engine)} writes now "
        f"(the file says: {made_by}); if the change is intended, run {REGENERATE}\n"
        + "\n".join(difflib.unified_diff(expected, actual, "golden", "now", lineterm=""))
    )


def test_every_golden_file_is_a_case() -> None:
    """A golden file left behind by a removed case would never be compared again."""
    cases = {golden_path(*case.values) for case in CASES}  # type: ignore[arg-type]
    stored = set(GOLDEN.rglob("*.txt"))
    assert stored == cases
