"""What every citation engine takes and returns."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from typeset import ast
from typeset.cache import BuildCache
from typeset.errors import CitationError
from typeset.manuscript import Manuscript
from typeset.names import CONFIG_NAME
from typeset.references import Bibliography
from typeset.styles import CslStyle


@dataclass(frozen=True)
class ResolvedDocument:
    """The manuscript's AST with every citation formatted and the bibliography appended.

    Citations are spans (class `citation`), linking to `#ref-KEY` when the front matter
    sets `link-citations` (pandoc's default: off); the bibliography is a
    div `#refs` of divs `#ref-KEY`; in note styles the citations sit in footnotes. The
    format writers depend on exactly this shape, whichever engine made it.
    """

    document: dict[str, Any]
    style: CslStyle
    source: Manuscript


def match_heading_levels(document: dict[str, Any]) -> dict[str, Any]:
    """Put the bibliography's heading at the level of the manuscript's own sections.

    pandoc inserts `reference-section-title` as a level-1 heading; in a manuscript whose
    sections are level 2 (the title being level 1) that heading would outrank them.
    """
    blocks = document["blocks"]
    levels = [block["c"][0] for block in blocks if block["t"] == "Header"]
    top = min(levels[:-1], default=1) if len(levels) > 1 else 1
    for index, block in enumerate(blocks[:-1]):
        following = blocks[index + 1]
        if block["t"] == "Header" and following["t"] == "Div" and following["c"][0][0] == "refs":
            block["c"][0] = top
    return document


def has_own_bibliography_heading(blocks: list[dict[str, Any]]) -> bool:
    """Does the manuscript give the bibliography its own heading?

    The pandoc manual's idiom: end the document with `# References` (the bibliography is
    appended after it), or put a heading right before a `::: {#refs}` div. Either way that
    heading is the bibliography's, and the project must not add another.
    """
    for index, block in enumerate(blocks):
        if block["t"] == "Div" and block["c"][0][0] == "refs":
            return index > 0 and blocks[index - 1]["t"] == "Header"
    return bool(blocks) and blocks[-1]["t"] == "Header"


# Metadata that only steers citation processing. Left in, pandoc writes it into the DOCX's
# custom properties, leaking local paths (the temporary bibliography, the style file).
CITATION_PROCESSING_FIELDS = (
    "bibliography",
    "csl",
    "citation-style",
    "references",
    "nocite",
    "link-citations",
    "link-bibliography",
    "reference-section-title",
    "suppress-bibliography",
    "lang-citeproc",
    "citation-abbreviations",
)


def without_processing_fields(document: dict[str, Any]) -> dict[str, Any]:
    meta = {
        key: value
        for key, value in document["meta"].items()
        if key not in CITATION_PROCESSING_FIELDS
    }
    return {**document, "meta": meta}


def unlink_missing_entries(document: dict[str, Any], known_keys: frozenset[str]) -> dict[str, Any]:
    """Drop the link from a citation whose key has no bibliography entry (draft builds).

    A link to a missing anchor is an error to EPUBCheck and a dead click in the PDF; the
    marked key (pandoc prints it in bold with '?') stays visible.
    """

    def rewrite(node: dict[str, Any]) -> dict[str, Any] | None:
        if node["t"] != "Link":
            return None
        target = node["c"][2][0]
        if target.startswith("#ref-") and target[len("#ref-") :] not in known_keys:
            return {"t": "Span", "c": [["", ["missing-citation"], []], node["c"][1]]}
        return None

    transformed: dict[str, Any] = ast.transform(document, rewrite)
    return transformed


class CitationEngine(Protocol):
    name: ClassVar[str]

    def version_fingerprint(self) -> str:
        """The versions of the tools this engine runs: a new one must not serve old citations."""
        ...

    def resolve(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        workdir: Path,
    ) -> ResolvedDocument:
        """Format the manuscript's citations and bibliography in `style`."""
        ...

    def start_ahead(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        cache: BuildCache | None,
    ) -> None:
        """Start in the background what `resolve` will likely need for this manuscript
        once the passes after the parse have run on it (or nothing): a guess that `resolve`
        uses only when it holds exactly."""
        ...


def _meta_cited_keys(manuscript: Manuscript) -> list[str]:
    """Keys cited in the front matter (abstract, title, thanks...): citeproc formats those
    too, and prints a missing one as '(key?)'."""
    from typeset import ast

    return ast.cite_keys(
        {name: value for name, value in manuscript.meta.items() if name != "nocite"}
    )


def cited_keys(manuscript: Manuscript) -> list[str]:
    """Every key the manuscript cites, in the body or the front matter, in order."""
    return manuscript.cited_keys() + _meta_cited_keys(manuscript)


def missing_citation_keys(manuscript: Manuscript, bibliography: Bibliography) -> list[str]:
    """The cited and nocite keys the bibliography lacks, in the manuscript's order: the one
    rule the build and `--check` both apply."""
    known = bibliography.keys
    return [
        key
        for key in cited_keys(manuscript) + manuscript.nocite_keys()
        if key not in known and key != "*"
    ]


def check_citations(manuscript: Manuscript, bibliography: Bibliography) -> None:
    """Fail on any cited or nocite key the bibliography lacks.

    pandoc only warns and prints '???' in the output; a submission must never carry one.
    """
    missing = missing_citation_keys(manuscript, bibliography)
    if not missing:
        return
    first = missing[0]
    path, line = manuscript.where_key(first)
    raise CitationError(
        f"citation key '@{first}' is not in the bibliography {bibliography.name}"
        f"{manuscript.also_missing(missing)}",
        path=path,
        line=line,
        hint=_missing_keys_hint(missing, bibliography.keys)
        if bibliography.files or bibliography.items
        else "name the bibliography in the front matter (bibliography: refs.bib), in "
        f"{CONFIG_NAME} or with --bibliography",
    )


# Manubot cites works by identifier (`@doi:10.1/x`) and looks them up online; a build here
# reads no network.
_PERSISTENT_IDENTIFIER = re.compile(r"^(doi|pmid|pmcid|arxiv|isbn|url|wikidata|clinicaltrials):")


def _missing_keys_hint(missing: list[str], known: frozenset[str]) -> str:
    """What to do about the missing keys: the first one's likely spelling, and what to do
    about keys that are identifiers."""
    identifiers = [key for key in missing if _PERSISTENT_IDENTIFIER.match(key.lower())]
    hints = [] if missing[0] in identifiers else [_spelling_hint(missing[0], known)]
    if identifiers:
        hints.append(
            f"'{identifiers[0]}' is cited by identifier, which Manubot looks up online and a "
            "build here does not: export those entries to a CSL-JSON file (`manubot cite "
            "--format csljson ... > cited.json`) and add it to the bibliography, or build a "
            "draft with missing_citations: warning"
        )
    return "; ".join(hints)


def _spelling_hint(key: str, known: frozenset[str]) -> str:
    """What to do about a missing key, naming the entry the author most likely meant."""
    same_letters = sorted(other for other in known if other.casefold() == key.casefold())
    if same_letters:
        # BibTeX matches keys whatever their case, so a LaTeX build never showed the typo;
        # pandoc (and so every CSL processor) matches them exactly.
        return (
            f"the bibliography has '{same_letters[0]}' (keys match letter case exactly here, "
            "unlike BibTeX): write the key as in the .bib file"
        )
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
    if close:
        return (
            f"did you mean '{close[0]}'? Fix the key's spelling, or add the entry to the .bib file"
        )
    return "fix the key's spelling, or add the entry to the .bib file"
