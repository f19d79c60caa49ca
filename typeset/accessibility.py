"""The accessibility validators `--check` runs on each output: plain `(path) -> findings`.

EPUB: DAISY Ace, as e-book stores run it (typeset/ace.py). PDF: our PDF/UA structure audit
(typeset/pdf_audit.py). DOCX: what Word's accessibility checker reports
(typeset/formats/docx_accessibility.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from typeset.ace import ace_findings
from typeset.findings import Finding
from typeset.formats.docx_accessibility import audit_docx
from typeset.pdf_audit import audit_pdf

Validator = Callable[[Path], list[Finding]]

# format name -> its accessibility validators, in the order they run.
ACCESSIBILITY_VALIDATORS: dict[str, Sequence[Validator]] = {
    "epub": (ace_findings,),
    "pdf": (audit_pdf,),
    "docx": (audit_docx,),
}
