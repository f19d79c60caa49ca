"""Cross-check: the manuscript's citations and bibliography formatted by two engines.

pandoc's citeproc passes most of the CSL test suite, so it is the reference; citeproc-py
is the candidate. For each style both engines resolve the same manuscript and the same
CSL items, and every citation (by its place in the text) and every bibliography entry (by
its id) is compared as normalised plain text. The report counts what agrees and lists the
differing pairs side by side; `report_json` gives the same as plain data for tools.

Both documents have the shape ResolvedDocument promises, so nothing here depends on how
an engine works inside.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.citations import engine_named
from typeset.config import Config
from typeset.inputs import check_citation_keys, read_inputs
from typeset.manuscript import Manuscript
from typeset.pandoc import pandoc_version
from typeset.references import Bibliography
from typeset.styles import resolve_style

REFERENCE_ENGINE = "pandoc"
CANDIDATE_ENGINE = "citeproc-py"

# The styles `--cross-check` runs when given none: the common author-date, note and
# numeric families.
DEFAULT_STYLES = (
    "apa",
    "chicago-author-date",
    "chicago-notes-bibliography",
    "modern-language-association",
    "harvard-cite-them-right",
    "ieee",
    "american-political-science-association",
    "nature",
)


@dataclass(frozen=True)
class ComparedText:
    """One citation or one bibliography entry as each engine wrote it (plain text)."""

    label: str
    reference: str
    candidate: str

    @property
    def agrees(self) -> bool:
        return self.reference == self.candidate


@dataclass(frozen=True)
class StyleComparison:
    style: str
    citations: tuple[ComparedText, ...]
    entries: tuple[ComparedText, ...]
    entry_order_agrees: bool

    @property
    def citations_agreeing(self) -> int:
        return sum(pair.agrees for pair in self.citations)

    @property
    def entries_agreeing(self) -> int:
        return sum(pair.agrees for pair in self.entries)

    @property
    def differences(self) -> list[ComparedText]:
        return [pair for pair in (*self.citations, *self.entries) if not pair.agrees]

    @property
    def agrees(self) -> bool:
        return not self.differences and self.entry_order_agrees


@dataclass(frozen=True)
class CrossCheckReport:
    manuscript: Path
    bibliography: tuple[Path, ...]
    date: str
    reference_engine: str
    candidate_engine: str
    versions: dict[str, str]
    styles: tuple[StyleComparison, ...]

    @property
    def agrees(self) -> bool:
        return all(comparison.agrees for comparison in self.styles)


def cross_check(config: Config, styles: Sequence[str] = DEFAULT_STYLES) -> CrossCheckReport:
    """Resolve the config's manuscript in each style with both engines and compare.

    Reads and checks the inputs exactly as a build does (a missing key is an error); the
    config's own `style` and `engine` are not used. Writes nothing but temporary files.
    """
    inputs = read_inputs(config)
    check_citation_keys(inputs)
    manuscript, bibliography = inputs.manuscript, inputs.bibliography
    comparisons = tuple(
        _compare_style(name, manuscript, bibliography, config.project_dir) for name in styles
    )
    return CrossCheckReport(
        manuscript=config.manuscript,
        bibliography=config.bibliography,
        date=datetime.date.today().isoformat(),
        reference_engine=REFERENCE_ENGINE,
        candidate_engine=CANDIDATE_ENGINE,
        versions={
            REFERENCE_ENGINE: pandoc_version(),
            CANDIDATE_ENGINE: importlib.metadata.version("citeproc-py"),
        },
        styles=comparisons,
    )


def _compare_style(
    name: str, manuscript: Manuscript, bibliography: Bibliography, project_dir: Path
) -> StyleComparison:
    style = resolve_style(name, project_dir)
    with tempfile.TemporaryDirectory(prefix="typeset-crosscheck-") as workdir:
        reference = (
            engine_named(REFERENCE_ENGINE)
            .resolve(manuscript, bibliography, style, Path(workdir))
            .document
        )
        candidate = (
            engine_named(CANDIDATE_ENGINE)
            .resolve(manuscript, bibliography, style, Path(workdir))
            .document
        )
    reference_entries = dict(_entries(reference))
    candidate_entries = dict(_entries(candidate))
    entry_ids = list(dict.fromkeys([*reference_entries, *candidate_entries]))
    return StyleComparison(
        style=name,
        citations=tuple(
            ComparedText(label, reference_text, candidate_text)
            for (label, reference_text), (_, candidate_text) in zip(
                _citations(reference), _citations(candidate), strict=True
            )
        ),
        entries=tuple(
            ComparedText(
                f"entry {entry_id}",
                reference_entries.get(entry_id, ""),
                candidate_entries.get(entry_id, ""),
            )
            for entry_id in entry_ids
        ),
        entry_order_agrees=list(reference_entries) == list(candidate_entries),
    )


def _citations(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """("citation N (keys)", text) for each Cite of the body, in reading order."""
    for number, cite in enumerate(_nodes(document["blocks"], "Cite"), start=1):
        keys = "; ".join(citation["citationId"] for citation in cite["c"][0])
        yield f"citation {number} ({keys})", plain_text(cite["c"][1])


def _entries(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(item id, text) for each entry of the bibliography div, in its order."""
    for refs in _nodes(document["blocks"], "Div"):
        if refs["c"][0][0] != "refs":
            continue
        for entry in refs["c"][1]:
            identifier = entry["c"][0][0] if entry["t"] == "Div" else ""
            if identifier.startswith("ref-"):
                yield identifier.removeprefix("ref-"), plain_text(entry["c"][1])


def _nodes(value: Any, kind: str) -> Iterator[dict[str, Any]]:
    """Nodes of type `kind` in reading order."""
    return (node for node in ast.walk(value) if node["t"] == kind)


# Spaces that render alike but compare unequal (no-break, thin, zero-width...).
_ODD_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f]+")


def plain_text(value: Any) -> str:
    """What a reader sees of pandoc inlines or blocks, for comparing two engines' output:
    footnotes written `^[...]` where they are called, spaces and Unicode normalised."""
    text = ast.plain_text(value, notes=True)
    return _ODD_SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


# --- output ------------------------------------------------------------------------------


def format_report_text(report: CrossCheckReport) -> str:
    """The report for a terminal: a table of agreement, then each difference in pairs."""
    reference, candidate = report.reference_engine, report.candidate_engine
    width = max([len(comparison.style) for comparison in report.styles] + [len("style")])
    lines = [
        f"Cross-check of {report.manuscript.name} with "
        f"{', '.join(path.name for path in report.bibliography) or 'no bibliography'}, "
        f"{report.date}: {reference} {report.versions[reference]} (reference) against "
        f"{candidate} {report.versions[candidate]}",
        "",
        f"{'style':<{width}}  citations  entries  entry order",
    ]
    for comparison in report.styles:
        citations = f"{comparison.citations_agreeing}/{len(comparison.citations)}"
        entries = f"{comparison.entries_agreeing}/{len(comparison.entries)}"
        order = "same" if comparison.entry_order_agrees else "differs"
        lines.append(f"{comparison.style:<{width}}  {citations:<9}  {entries:<7}  {order}")
    label_width = max(len(reference), len(candidate))
    for comparison in report.styles:
        if not comparison.differences:
            continue
        lines += ["", f"{comparison.style}: {len(comparison.differences)} differ"]
        for pair in comparison.differences:
            lines += [
                f"  {pair.label}",
                f"    {reference:<{label_width}}  {pair.reference or '(missing)'}",
                f"    {candidate:<{label_width}}  {pair.candidate or '(missing)'}",
            ]
    return "\n".join(lines)


def report_json(report: CrossCheckReport) -> dict[str, Any]:
    """The report as plain data (for `json.dumps`): counts and differing pairs per style."""
    return {
        "manuscript": str(report.manuscript),
        "bibliography": ", ".join(str(path) for path in report.bibliography),
        "date": report.date,
        "reference_engine": report.reference_engine,
        "candidate_engine": report.candidate_engine,
        "versions": dict(report.versions),
        "agrees": report.agrees,
        "styles": [
            {
                "style": comparison.style,
                "citations": {
                    "total": len(comparison.citations),
                    "agreeing": comparison.citations_agreeing,
                },
                "entries": {
                    "total": len(comparison.entries),
                    "agreeing": comparison.entries_agreeing,
                },
                "entry_order_agrees": comparison.entry_order_agrees,
                "differences": [
                    {
                        "label": pair.label,
                        report.reference_engine: pair.reference,
                        report.candidate_engine: pair.candidate,
                    }
                    for pair in comparison.differences
                ],
            }
            for comparison in report.styles
        ],
    }
