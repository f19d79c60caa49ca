"""EPUB 3 through pandoc, with the project's e-reader stylesheet."""

from __future__ import annotations

import copy
from pathlib import Path

from typeset import ast
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.formats.base import document_json, stable_identifier, styles_dir
from typeset.pandoc import run_pandoc


class EpubWriter:
    extension = "epub"

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        document = copy.deepcopy(resolved.document)
        document["meta"]["identifier"] = ast.meta_value(stable_identifier(document))
        run_pandoc(
            [
                "--from", "json", "--to", "epub3",
                "--css", str(styles_dir(config) / "epub.css"),
                "--resource-path", str(resolved.source.folder),
                "--output", str(destination),
            ],
            document_json(document),
            cwd=resolved.source.folder,
        )
