"""DOCX through pandoc, styled by a reference document from styles/."""

from __future__ import annotations

import tempfile
from pathlib import Path

from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.confine import roots_of
from typeset.crossref import equation_numbers_in_math
from typeset.errors import ConfigError
from typeset.formats import validators
from typeset.formats.base import document_json, structure_arguments
from typeset.formats.cache_inputs import config_files
from typeset.formats.docx_accessibility import complete_core_title
from typeset.formats.title_block import docx_document
from typeset.limits import MAX_REFERENCE_DOC_BYTES, read_input
from typeset.pandoc import run_pandoc


class DocxWriter:
    name = "docx"
    extension = "docx"
    cache_inputs = (config_files("docx_reference"),)
    validators = (validators.docx_package, validators.docx_accessibility)
    # A journal's submission copy: the reader cites from the journal's own page.
    takes_cite_this_work_section = False

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        # Read once, inside the build's roots; pandoc gets this copy, not the name.
        reference_bytes = read_input(
            config.docx_reference,
            roots=roots_of(config),
            what="DOCX reference document",
            error=ConfigError,
            max_bytes=MAX_REFERENCE_DOC_BYTES,
            hint="set 'docx_reference' to a .docx in styles/",
        )
        with tempfile.TemporaryDirectory(prefix="typeset-docx-") as workdir:
            reference = Path(workdir) / "reference.docx"
            reference.write_bytes(reference_bytes)
            self._run_pandoc(resolved, destination, config, reference)
        # Word's accessibility checker wants a title; the EPUB falls back to the file name too.
        complete_core_title(destination, resolved.source.stem)

    def _run_pandoc(
        self, resolved: ResolvedDocument, destination: Path, config: Config, reference: Path
    ) -> None:
        run_pandoc(
            [
                "--from",
                "json",
                "--to",
                "docx",
                "--reference-doc",
                str(reference),
                *structure_arguments(config),
                # Images arrive embedded (typeset.sanitize.seal_for_writers): pandoc may
                # read nothing but the reference document.
                "--sandbox",
                "--output",
                str(destination),
            ],
            document_json(docx_document(equation_numbers_in_math(resolved.document))),
            cwd=resolved.source.folder,
            source=resolved.source,
        )
