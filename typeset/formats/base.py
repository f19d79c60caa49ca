"""The interface every format writer implements, and what they share."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

from typeset import ast, resources
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.findings import Finding
from typeset.formats.cache_inputs import CacheInput

# A release-gate check of a written file (see typeset/formats/validators.py).
Validator = Callable[[Path], list[Finding]]


class FormatWriter(Protocol):
    """Everything the build, the cache and `--check` know about a format is declared here."""

    name: ClassVar[str]  # the name in `formats:` and `--to`
    extension: ClassVar[str]  # the output is <manuscript stem>.<extension>
    # What the output's bytes depend on beyond the resolved document, one line each.
    cache_inputs: ClassVar[Sequence[CacheInput]]
    # The checks `--check` runs on the written file.
    validators: ClassVar[Sequence[Validator]]
    # Whether a "How to cite this essay" section is appended for this format's readers.
    takes_cite_this_work_section: ClassVar[bool]

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        """Write the document to `destination` (a temporary name the build renames)."""
        ...


def document_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def style_file(config: Config, name: str) -> Path:
    """The project's `styles/NAME`, else the one typeset ships (typeset/resources.py)."""
    return resources.style_file(config.project_dir, name)


def structure_arguments(config: Config) -> list[str]:
    """pandoc's options for the contents list, the same for every format.

    Headings are numbered by typeset/crossref/ in the document itself (so `@sec-x`,
    the contents and every format agree), never by pandoc's --number-sections.
    """
    return ["--toc", f"--toc-depth={config.toc_depth}"] if config.toc else []


def stable_identifier(document: dict[str, Any]) -> str:
    """A URN that is the same for every build of the same title, author and date.

    E-book stores key editions on the identifier, so a random one per build (pandoc's
    default) would make every rebuild look like a new book.
    """
    meta = document["meta"]
    if "identifier" in meta:
        return ast.plain_text(meta["identifier"])
    seed = "|".join(ast.plain_text(meta.get(key)) for key in ("title", "author", "date"))
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'typeset:' + seed)}"
