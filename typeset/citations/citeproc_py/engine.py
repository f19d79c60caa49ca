"""The citeproc-py engine: `CiteprocPy.resolve`, the steps in order."""

from __future__ import annotations

import copy
import importlib.metadata
from pathlib import Path
from typing import ClassVar

from typeset import ast
from typeset.bibtex import has_math, math_from_citations
from typeset.cache import BuildCache
from typeset.citations.base import (
    ResolvedDocument,
    has_own_bibliography_heading,
    match_heading_levels,
)
from typeset.citations.citeproc_py.assembly import _cite_content, _insert_bibliography
from typeset.citations.citeproc_py.notes import _place_note_citations
from typeset.citations.citeproc_py.occurrences import (
    _bibliography_keys,
    _cite_occurrences,
    _locale,
    _wants_bibliography,
    _wants_citation_links,
)
from typeset.citations.citeproc_py.rendering import Inlines, _HtmlFragments, _link_urls
from typeset.citations.citeproc_py.session import _CiteprocPySession
from typeset.citations.others import patch_citeproc_py, style_for_others
from typeset.errors import StyleError, TypesetError
from typeset.manuscript import Manuscript
from typeset.pandoc import pandoc_fingerprint
from typeset.references import Bibliography
from typeset.styles import CslStyle


class CiteprocPy:
    name: ClassVar[str] = "citeproc-py"

    def version_fingerprint(self) -> str:
        # pandoc parses citeproc-py's HTML back into the document
        return f"citeproc-py {importlib.metadata.version('citeproc-py')}; {pandoc_fingerprint()}"

    def start_ahead(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        cache: BuildCache | None,
    ) -> None:
        """Nothing: citeproc-py runs in this process, which is busy with the passes."""

    def resolve(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        workdir: Path,
    ) -> ResolvedDocument:
        document = copy.deepcopy(manuscript.document)
        meta = document["meta"]
        # pandoc reads citations in the metadata (an abstract, say) before the body.
        cited_meta = {key: value for key, value in meta.items() if key != "nocite"}
        occurrences = [
            *_cite_occurrences(cited_meta, style.is_note_style),
            *_cite_occurrences(document["blocks"], style.is_note_style),
        ]
        patch_citeproc_py()
        csl = style_for_others(style, bibliography, workdir)
        try:
            session = _CiteprocPySession(bibliography, csl, _locale(meta))
            session.register(_bibliography_keys(occurrences, manuscript, bibliography))
            rendered = [session.render(occurrence) for occurrence in occurrences]
            entries = session.bibliography_entries() if _wants_bibliography(meta) else []
        except TypesetError:
            raise
        except (Exception, RecursionError) as error:  # citeproc-py's own failure on a style
            raise StyleError(
                f"citeproc-py cannot format citations in this style "
                f"({type(error).__name__}: {str(error)[:200]})",
                path=style.path,
                hint="check the style against the CSL schema, or use --engine pandoc",
            ) from error

        links = _wants_citation_links(meta)
        fragments = _HtmlFragments()
        citation_ids = [fragments.add(cite.citation_html) for cite in rendered]
        author_ids = [
            None if cite.author_html is None else fragments.add(cite.author_html)
            for cite in rendered
        ]
        entry_ids = [fragments.add(entry_html) for _, entry_html in entries]
        parsed = fragments.parse()

        for occurrence, citation_id, author_id in zip(
            occurrences, citation_ids, author_ids, strict=True
        ):
            citation = session.splice_affixes(parsed[citation_id])
            author = None if author_id is None else parsed[author_id]
            content = _cite_content(citation, author, occurrence.placement)
            occurrence.node["c"][1] = content if links else _without_entry_links(content)
        if style.is_note_style:
            for part in ("meta", "blocks"):
                document[part] = _place_note_citations(document[part], session.punctuation_in_quote)
        if entries:
            formatted_entries = [
                (key, _link_urls(parsed[entry_id]))
                for (key, _), entry_id in zip(entries, entry_ids, strict=True)
            ]
            _insert_bibliography(document, formatted_entries, session.bibliography_layout, style)
        if not has_own_bibliography_heading(manuscript.document["blocks"]):
            document = match_heading_levels(document)
        if has_math(bibliography.items):
            document = math_from_citations(document)
        return ResolvedDocument(document, style, manuscript)


def _without_entry_links(inlines: Inlines) -> Inlines:
    """A citation without its links to the bibliography (`link-citations` off)."""

    def unlink(node: ast.Node) -> ast.Node | None:
        if node["t"] == "Link" and node["c"][2][0].startswith("#ref-"):
            return {"t": "Span", "c": [["", [], []], node["c"][1]]}
        return None

    unlinked: Inlines = ast.transform(inlines, unlink)
    return unlinked
