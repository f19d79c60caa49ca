"""pandoc's built-in citeproc: the default engine (it passes most of the CSL test suite)."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

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
        resolved = run_citeproc(json.dumps(document).encode(), "json", style, references)
        return ResolvedDocument(match_heading_levels(resolved), style, manuscript)


def run_citeproc(
    source: bytes,
    source_format: str,
    style: CslStyle,
    bibliography: Path,
    extra_arguments: Sequence[str] = (),
) -> dict[str, Any]:
    """Resolve the citations of `source` (pandoc JSON or Markdown) into a pandoc document."""
    try:
        resolved = run_pandoc(
            [
                # --sandbox: citeproc reads only the style and bibliography named here.
                "--from",
                source_format,
                "--to",
                "json",
                "--citeproc",
                "--sandbox",
                "--csl",
                str(style.path),
                "--bibliography",
                str(bibliography),
                *extra_arguments,
            ],
            source,
        )
    except PandocFailure as failure:
        raise CitationError(
            f"citeproc could not format the citations: {failure.stderr.strip()[:300]}",
            path=style.path,
            hint="the CSL style may be invalid; try another with --style",
        ) from None
    document: dict[str, Any] = json.loads(resolved)
    return document


def bibliography_heading(style: CslStyle) -> str:
    """The heading a reader of the style expects over the list of works."""
    if style.name.startswith("modern-language-association"):
        return "Works Cited"
    if style.is_note_style:
        return "Bibliography"
    return "References"
