"""The release gate: validate a build's inputs and outputs, and report every finding.

Journals and e-book stores reject files that fail their checks, and pandoc or Quarto only
warn about a missing citation. `python build.py --check` builds, then checks:

inputs   citation keys missing from the bibliography (error, a warning in draft mode),
         entries never cited and not in `nocite` (warning), BibTeX entries missing the
         fields their type needs (warning), images without alt text (warning);
outputs  each format's `validators` (declared on its writer, typeset/formats/validators.py):
         EPUBCheck and DAISY Ace on the EPUB; every font embedded, `qpdf --check` and the
         PDF/UA structure audit and the typographic preflight (typeset/formats/pdf/preflight.py,
         warnings unless the config's `typography` says otherwise) on the PDF; the DOCX
         opens as a well-formed Office package and passes Word's accessibility checks.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from typeset import ast
from typeset.cache import BuildCache, cache_folder
from typeset.citations.base import cited_keys, missing_citation_keys
from typeset.commands.build import build
from typeset.config import Config
from typeset.errors import TypesetError
from typeset.findings import CheckReport, Finding
from typeset.formats import writer_for
from typeset.formats.pdf import preflight
from typeset.inputs import Inputs, SourceReads, read_inputs, read_sources
from typeset.manuscript import Manuscript
from typeset.references import Bibliography, entry_lines

# Fields a reader needs to find the work, by BibTeX type ("a|b": either will do).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "article": ("author", "title", "journal", "year"),
    "book": ("author|editor", "title", "publisher", "year"),
    "incollection": ("author", "title", "booktitle", "publisher", "year"),
    "inbook": ("author|editor", "title", "publisher", "year"),
    "inproceedings": ("author", "title", "booktitle", "year"),
    "phdthesis": ("author", "title", "school", "year"),
    "mastersthesis": ("author", "title", "school", "year"),
    "techreport": ("author", "title", "institution", "year"),
}
# The CSL-JSON variable pandoc maps each BibTeX field to.
CSL_VARIABLE = {
    "author": "author",
    "editor": "editor",
    "title": "title",
    "journal": "container-title",
    "booktitle": "container-title",
    "publisher": "publisher",
    "year": "issued",
    "school": "publisher",
    "institution": "publisher",
}


def check(config: Config, *, sources: SourceReads | None = None) -> CheckReport:
    """Build the outputs, then validate inputs and outputs. Input errors raise as usual.

    The manuscript and bibliography are read (parsed by pandoc) once, here or by the
    caller (`sources`), and the build is given that read: the warnings of the read are
    printed once. (The build still sanitises the read again: a remote image it leaves
    out is warned about twice.)
    """
    report = CheckReport(fail_on_warnings=config.fail_on_warnings)
    cache = BuildCache(cache_folder(config.project_dir))  # as the build reads it
    if sources is None:
        sources = read_sources(config, cache=cache)
    inputs = read_inputs(config, cache=cache, sources=sources)
    _check_cross_references(inputs, report)
    _check_citations(inputs, report)
    for path, text in zip(inputs.bibliography.files, inputs.bibliography.texts, strict=False):
        _check_bibtex_fields(path, text, inputs.bibliography, report)
    _check_alt_text(inputs.manuscript, report)
    report.checked.append("inputs")
    if report.errors:
        return report  # outputs of inputs known to be wrong are not worth checking
    try:
        result = build(config, sources=sources)
    except TypesetError as error:
        report.findings.append(
            Finding(
                "error", "build", error.message, str(error.path) if error.path else None, error.line
            )
        )
        return report
    for name, path in result.outputs.items():
        for validator in writer_for(name).validators:
            report.findings.extend(_at_typography_level(validator(path), config.typography))
        report.checked.append(name)
    return report


def _at_typography_level(findings: list[Finding], level: str) -> list[Finding]:
    """The typographic preflight's warnings as the config's `typography` asks: kept,
    made errors, or dropped."""
    chosen = []
    for finding in findings:
        if finding.check in preflight.CHECKS and finding.level == "warning":
            if level == "off":
                continue
            finding = replace(finding, level=level)
        chosen.append(finding)
    return chosen


def _check_citations(inputs: Inputs, report: CheckReport) -> None:
    manuscript, bibliography = inputs.manuscript, inputs.bibliography
    cited = cited_keys(manuscript)
    nocite = manuscript.nocite_keys()
    level = "warning" if inputs.draft else "error"
    for key in missing_citation_keys(manuscript, bibliography):
        report.findings.append(
            Finding(
                level,
                "missing-citation",
                f"'@{key}' is not in {bibliography.name}",
                *_shown(manuscript.where_key(key)),
            )
        )
    if "*" in nocite:
        return
    for key in sorted(bibliography.keys - set(cited) - set(nocite)):
        source, line = bibliography.origins.get(key, (bibliography.source, None))
        report.findings.append(
            Finding(
                "warning",
                "uncited-entry",
                f"'{key}' is never cited and not in nocite: it will not appear",
                str(source),
                line,
            )
        )


def _check_cross_references(inputs: Inputs, report: CheckReport) -> None:
    manuscript = inputs.manuscript
    level = "warning" if inputs.draft else "error"
    for label in inputs.missing_labels:
        report.findings.append(
            Finding(
                level,
                "missing-label",
                f"'@{label}' names no label in the manuscript and no bibliography entry",
                *_shown(manuscript.where_key(label)),
            )
        )


def _check_bibtex_fields(
    path: Path, text: str, bibliography: Bibliography, report: CheckReport
) -> None:
    # The text as the build read it (inside the roots), not the file opened again.
    lines = entry_lines(text)
    items = {str(item["id"]): item for item in bibliography.items}
    for key, entries in lines.items():
        kind, line = entries[0]
        item = items.get(key)
        if item is None:
            continue
        missing = [
            need
            for need in REQUIRED_FIELDS.get(kind, ())
            if not any(CSL_VARIABLE[option] in item for option in need.split("|"))
        ]
        if missing:
            report.findings.append(
                Finding(
                    "warning",
                    "bibtex-fields",
                    f"@{kind} '{key}' lacks {', '.join(missing)}",
                    str(path),
                    line,
                )
            )


def _check_alt_text(manuscript: Manuscript, report: CheckReport) -> None:
    for node in ast.walk(manuscript.document["blocks"]):
        if node["t"] == "Image" and not ast.alt_text(node):
            target = node["c"][2][0]
            report.findings.append(
                Finding(
                    "warning",
                    "alt-text",
                    f"image {target} has no alt text",
                    *_shown(manuscript.where(target)),
                )
            )


def _shown(place: tuple[Path, int | None]) -> tuple[str, int | None]:
    """A (file, line) place as a finding names it."""
    return str(place[0]), place[1]
