"""DOCX through pandoc, styled by a reference document from styles/."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.authors import author_names
from typeset.cache import BuildCache, cache_folder
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.confine import roots_of
from typeset.crossref.numbering import equation_numbers_in_math
from typeset.errors import ConfigError
from typeset.formats import validators
from typeset.formats.base import document_json, structure_arguments
from typeset.formats.cache_inputs import config_files
from typeset.formats.docx.accessibility import complete_core_properties
from typeset.formats.docx.reference import sealed_reference
from typeset.formats.title_block import docx_document
from typeset.limits import MAX_REFERENCE_DOC_BYTES, read_input
from typeset.media import media_folder, with_raster_renditions
from typeset.pandoc import run_pandoc
from typeset.quarto.word import for_word


class DocxWriter:
    name = "docx"
    extension = "docx"
    cache_inputs = (config_files("docx_reference"),)
    validators = (validators.docx_package, validators.docx_accessibility)
    # A journal's submission copy: the reader cites from the journal's own page.
    takes_cite_this_work_section = False

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        # Read once, inside the build's roots; pandoc gets a sealed copy, not the name.
        reference_bytes = read_input(
            config.docx_reference,
            roots=roots_of(config),
            what="DOCX reference document",
            error=ConfigError,
            max_bytes=MAX_REFERENCE_DOC_BYTES,
            hint="set 'docx_reference' to a .docx in styles/",
        )
        media = media_folder(config.project_dir)
        media.mkdir(parents=True, exist_ok=True)
        # Word shows SVG only since 2016: each SVG gets its PNG, drawn here (beside the other
        # writers) where the seal did not store one.
        cache = BuildCache(cache_folder(config.project_dir))
        document = with_raster_renditions(resolved.document, media, cache=cache)
        document = ast.transform(document, _named_inside(media))
        with tempfile.TemporaryDirectory(prefix="typeset-docx-") as workdir:
            reference = Path(workdir) / "reference-as-read.docx"
            reference.write_bytes(reference_bytes)
            self._run_pandoc(
                document,
                sealed_reference(reference, Path(workdir)),
                media,
                resolved,
                destination,
                config,
            )
        # Word's accessibility checker wants a title; the EPUB falls back to the file name too.
        complete_core_properties(
            destination, resolved.source.stem, author_names(resolved.document["meta"])
        )

    def _run_pandoc(
        self,
        document: dict[str, Any],
        reference: Path,
        media: Path,
        resolved: ResolvedDocument,
        destination: Path,
        config: Config,
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
                # No --sandbox: it would refuse the figures too. The document arrives
                # sealed (typeset.sanitize.seal_for_writers): its only images are files of
                # the build's media folder, and raw OpenXML is gone; anything relative is
                # resolved in that folder.
                "--resource-path",
                str(media),
                "--output",
                str(destination),
            ],
            document_json(docx_document(for_word(equation_numbers_in_math(document)))),
            cwd=media,
            source=resolved.source,
        )


def _named_inside(media: Path) -> ast.Rewrite:
    """Images of the media folder by their name alone: pandoc runs in that folder, and
    writes an image's path into the package (`pic:cNvPr/@descr`), where an absolute one
    would tell a journal the author's folders."""
    prefix = f"{media}/"

    def rewrite(node: ast.Node) -> ast.Node | None:
        if node["t"] != "Image" or not node["c"][2][0].startswith(prefix):
            return None
        attributes, description, (url, title) = node["c"]
        return {"t": "Image", "c": [attributes, description, [url[len(prefix) :], title]]}

    return rewrite
