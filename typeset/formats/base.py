"""The interface every format writer implements, and what they share."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Protocol

from typeset import ast
from typeset.citations.base import ResolvedDocument
from typeset.config import Config


class FormatWriter(Protocol):
    extension: str

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        """Write the document to `destination` (a temporary name the build renames)."""
        ...


def document_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def styles_dir(config: Config) -> Path:
    return config.project_dir / "styles"


def structure_arguments(config: Config) -> list[str]:
    """pandoc's options for contents and numbering, the same for every format."""
    arguments = ["--toc", f"--toc-depth={config.toc_depth}"] if config.toc else []
    return arguments + (["--number-sections"] if config.number_sections else [])


def stable_identifier(document: dict[str, Any]) -> str:
    """A URN that is the same for every build of the same title, author and date.

    E-book stores key editions on the identifier, so a random one per build (pandoc's
    default) would make every rebuild look like a new book.
    """
    meta = document["meta"]
    if "identifier" in meta:
        return ast.meta_text(meta["identifier"])
    seed = "|".join(ast.meta_text(meta.get(key)) for key in ("title", "author", "date"))
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'typeset:' + seed)}"
