"""pandoc's built-in citeproc: the default engine (it passes most of the CSL test suite)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import ClassVar

from typeset import ast
from typeset.citations.base import ResolvedDocument, match_heading_levels
from typeset.errors import CitationError
from typeset.manuscript import Manuscript
from typeset.pandoc import PandocFailure, run_pandoc
from typeset.references import Bibliography
from typeset.styles import CslStyle


class PandocCiteproc:
    name: ClassVar[str] = "pandoc"

    def resolve(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        workdir: Path,
    ) -> ResolvedDocument:
        references = workdir / "references.json"
        references.write_bytes(bibliography.to_csl_json())
        document = copy.deepcopy(manuscript.document)
        meta = document["meta"]
        meta.setdefault("reference-section-title", ast.meta_value(bibliography_heading(style)))
        meta["link-citations"] = ast.meta_value(True)
        meta["link-bibliography"] = ast.meta_value(True)
        try:
            resolved = run_pandoc(
                [
                    # --sandbox: citeproc reads only the files named here.
                    "--from",
                    "json",
                    "--to",
                    "json",
                    "--citeproc",
                    "--sandbox",
                    "--csl",
                    str(style.path),
                    "--bibliography",
                    str(references),
                ],
                json.dumps(document).encode(),
            )
        except PandocFailure as failure:
            raise CitationError(
                f"citeproc could not format the citations: {failure.stderr.strip()}",
                path=style.path,
                hint="the CSL style may be invalid; try another with --style",
            ) from None
        return ResolvedDocument(match_heading_levels(json.loads(resolved)), style, manuscript)


def bibliography_heading(style: CslStyle) -> str:
    """The heading a reader of the style expects over the list of works."""
    if style.name.startswith("modern-language-association"):
        return "Works Cited"
    if style.is_note_style:
        return "Bibliography"
    return "References"
