"""pandoc's built-in citeproc: the default engine (it passes most of the CSL test suite)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar
from xml.etree import ElementTree

from typeset import ast
from typeset.bibtex import has_math, math_from_citations
from typeset.citations.base import (
    ResolvedDocument,
    has_own_bibliography_heading,
    match_heading_levels,
)
from typeset.citations.others import style_for_others
from typeset.errors import CitationError
from typeset.manuscript import Manuscript
from typeset.pandoc import PandocFailure, PandocLimitExceeded, pandoc_fingerprint, run_pandoc
from typeset.references import Bibliography
from typeset.styles import CSL_NAMESPACE, CslStyle, bibliography_heading

# From this many citations on, an in-text style is formatted on a document made of the
# citations alone: citeproc's time on a book goes largely into walking the prose.
EXTRACT_FROM_CITATIONS = 150


class PandocCiteproc:
    name: ClassVar[str] = "pandoc"

    def __init__(self, extract_from_citations: int = EXTRACT_FROM_CITATIONS) -> None:
        self.extract_from_citations = extract_from_citations

    def version_fingerprint(self) -> str:
        return pandoc_fingerprint()

    def resolve(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        workdir: Path,
    ) -> ResolvedDocument:
        references = workdir / "references.json"
        references.write_bytes(bibliography.to_csl_json())
        # Only the metadata changes: share the blocks (a book's AST is large to copy).
        meta = dict(manuscript.document["meta"])
        document = {**manuscript.document, "meta": meta}
        own_heading = has_own_bibliography_heading(document["blocks"])
        if own_heading:  # the author's heading wins: pandoc must not add a second one
            meta.pop("reference-section-title", None)
        else:
            meta.setdefault(
                "reference-section-title",
                ast.meta_value(bibliography_heading(style, manuscript.lang)),
            )
        # link-citations is the author's (pandoc's default: off); URLs are always links.
        meta.setdefault("link-citations", ast.meta_value(False))
        meta["link-bibliography"] = ast.meta_value(True)
        cites = [node for node in ast.walk(document["blocks"]) if node["t"] == "Cite"]
        csl = style_for_others(style, bibliography, workdir)
        if (
            style.is_note_style
            or _superscript_citations(style)
            or len(cites) < self.extract_from_citations
        ):
            resolved = run_citeproc(json.dumps(document).encode(), "json", csl, references)
        else:
            resolved = _resolve_citations_alone(document, cites, csl, references)
        if not own_heading:
            resolved = match_heading_levels(resolved)
        if has_math(bibliography.items):
            resolved = math_from_citations(resolved)
        return ResolvedDocument(resolved, style, manuscript)


@functools.cache
def _superscript_citations(style: CslStyle) -> bool:
    """Superscript styles (nature...) make pandoc drop the space before a citation."""
    root = ElementTree.parse(style.path).getroot()
    citation = root.find(f"{CSL_NAMESPACE}citation")
    if citation is None:
        return False
    macros = {macro.get("name"): macro for macro in root.iter(f"{CSL_NAMESPACE}macro")}
    pending, seen = [citation], set()
    while pending:  # the citation layout and every macro it calls, however deep
        for element in pending.pop().iter():
            if element.get("vertical-align") == "sup":
                return True
            called = element.get("macro")
            if called and called not in seen and called in macros:
                seen.add(called)
                pending.append(macros[called])
    return False


def _resolve_citations_alone(
    document: dict[str, Any], cites: list[dict[str, Any]], style: CslStyle, references: Path
) -> dict[str, Any]:
    """Format the citations of `document` by running citeproc on them alone.

    For an in-text style each citation's rendering depends only on the citations before
    it (ibid, subsequent, disambiguation), never on the prose around it, so a document of
    the citations in order, each in its own paragraph, gives each the same text; the
    rendered citations are put back in place and the bibliography appended. Note styles
    move citations into notes and punctuation around them, so they always take the whole
    document.
    """
    extract = {
        **document,
        "blocks": [{"t": "Para", "c": [cite]} for cite in cites],
    }
    resolved = run_citeproc(json.dumps(extract).encode(), "json", style, references)
    rendered = iter(block["c"][0] for block in resolved["blocks"] if block["t"] == "Para")
    replacement = {id(cite): next(rendered) for cite in cites}
    bibliography = [block for block in resolved["blocks"] if block["t"] != "Para"]

    def put_back(node: dict[str, Any]) -> dict[str, Any] | None:
        return replacement.get(id(node)) if node["t"] == "Cite" else None

    result = {**document, "meta": resolved["meta"]}
    result["blocks"] = ast.transform(document["blocks"], put_back) + bibliography
    return result


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
    except PandocLimitExceeded as limit:
        # The style is the likelier culprit (the manuscript was parsed within the limits).
        raise CitationError(
            f"{limit.message}, formatting the citations in the style '{style.name}'",
            path=style.path,
            hint="the style may be pathological (huge or deeply repeated macros): "
            "try another with --style",
        ) from None
    document: dict[str, Any] = json.loads(resolved)
    return document
