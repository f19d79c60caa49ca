"""Citation engines: one interface, one module per engine, one registry line each."""

from __future__ import annotations

from typeset.citations.base import CitationEngine, ResolvedDocument, check_citations
from typeset.citations.citeproc_py import CiteprocPy
from typeset.citations.pandoc_citeproc import PandocCiteproc

ENGINES: dict[str, type[CitationEngine]] = {
    PandocCiteproc.name: PandocCiteproc,
    CiteprocPy.name: CiteprocPy,
}


def engine_named(name: str) -> CitationEngine:
    return ENGINES[name]()


__all__ = ["ENGINES", "CitationEngine", "ResolvedDocument", "check_citations", "engine_named"]
