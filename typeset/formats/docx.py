"""DOCX through pandoc, styled by a reference document from styles/."""

from __future__ import annotations

from pathlib import Path

from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.errors import ConfigError
from typeset.formats.base import document_json
from typeset.pandoc import run_pandoc


class DocxWriter:
    extension = "docx"

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        reference = config.docx_reference
        if not reference.is_file():
            raise ConfigError(
                "DOCX reference document not found",
                path=reference,
                hint="set 'docx_reference' to a .docx in styles/",
            )
        run_pandoc(
            [
                "--from",
                "json",
                "--to",
                "docx",
                "--reference-doc",
                str(reference),
                # Images arrive embedded (typeset.sanitize.seal_for_writers): pandoc may
                # read nothing but the reference document.
                "--sandbox",
                "--output",
                str(destination),
            ],
            document_json(resolved.document),
        )
