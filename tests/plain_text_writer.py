"""A small format writer for the registry test: the document as plain text.

It is everything a new format needs besides one line in typeset/formats/__init__.py.
"""

from __future__ import annotations

from pathlib import Path

from typeset import ast
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.findings import Finding
from typeset.formats.cache_inputs import config_fields


def too_short(path: Path) -> list[Finding]:
    """A check `--check` runs on the written file."""
    words = len(path.read_text(encoding="utf-8").split())
    return [Finding("warning", "text-length", f"{words} words", str(path))]


class PlainTextWriter:
    name = "txt"
    extension = "txt"
    cache_inputs = (config_fields("paper"),)
    validators = (too_short,)
    takes_cite_this_work_section = False

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        text = ast.plain_text(resolved.document["blocks"])
        destination.write_text(f"{text}\n", encoding="utf-8")
