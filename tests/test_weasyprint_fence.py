"""The WeasyPrint fence (typeset/formats/pdf/weasyprint/): one table of patches, each gated
on the versions it was checked on, and on any other version a stock WeasyPrint that still
makes a correct, tagged PDF.

The fallback is forced the way an upgrade would bring it: the version the gate reads is
replaced, in a fresh interpreter, before the PDF writer installs anything; the build then
runs with WeasyPrint as it ships, and its PDFs are compared with the same manuscripts'
PDFs built with the patches.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from typeset.formats.pdf import weasyprint as fence
from typeset.formats.pdf.audit import audit_pdf

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "tests" / "data" / "corpus"
MANUSCRIPTS = {  # notes on every page; equations and a figure
    "humanities": ("article.md", "Ledgers of Mercy"),
    "stem": ("paper.md", "Damped Fixed-Point Iteration"),
}

BUILD = """
import json, sys
from pathlib import Path
from typeset.formats.pdf import weasyprint as fence
if {unchecked!r}:
    checked_version = fence.installed_version
    fence.installed_version = lambda name: (
        "71.0" if name == "weasyprint" else checked_version(name))
from typeset.cli import main
codes = [main([str(Path(m)), "--to", "pdf", "--output-dir", out, "--force"])
         for m, out in {builds!r}]
import pydyf, weasyprint.svg
from cssselect2.tree import ElementWrapper
from weasyprint.images import SVGImage
from weasyprint.layout import LayoutContext
from weasyprint.text.ffi import ffi
replaced = [
    pydyf.PDF.page_references, LayoutContext._update_footnote_area, weasyprint.svg.size,
    SVGImage.draw, weasyprint.svg.TAGS["path"], ffi._parser.parse_type_and_quals,
]
print(json.dumps({{
    "codes": codes,
    "in_use": sorted(fence.install()),
    "wrapped": sum(bool(getattr(f, "typeset_wrapper", False)) for f in replaced),
    "iterative_walks": "typeset" in ElementWrapper.previous_siblings.fget.__module__,
}}))
"""


def _build(tmp_path: Path, label: str, *, unchecked: bool) -> tuple[dict[str, object], str]:
    builds = []
    for name, (manuscript, _) in MANUSCRIPTS.items():
        folder = tmp_path / label / name
        folder.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-r", str(CORPUS / name), str(folder)], check=True)
        builds.append((str(folder / manuscript), str(folder / "output")))
    code = BUILD.format(unchecked=unchecked, builds=builds)
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT), "SOURCE_DATE_EPOCH": "0"},
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, object] = json.loads(completed.stdout.splitlines()[-1])
    return result, completed.stderr


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.slow
def test_an_unchecked_weasyprint_builds_a_correct_tagged_pdf_with_stock_weasyprint(
    tmp_path: Path,
) -> None:
    stock, warnings = _build(tmp_path, "stock", unchecked=True)
    patched, patched_warnings = _build(tmp_path, "patched", unchecked=False)
    assert stock["codes"] == [0, 0] and patched["codes"] == [0, 0]
    # Nothing of WeasyPrint's replaced, and one warning that says so.
    assert stock["in_use"] == [] and stock["wrapped"] == 0 and not stock["iterative_walks"]
    assert len(re.findall(r"weasyprint 71\.0.*left out", warnings)) == 1, warnings
    # The same build with the patches (they are what the fallback leaves out).
    assert patched["wrapped"] == 6 and patched["iterative_walks"]
    assert "left out" not in patched_warnings
    for name, (manuscript, title) in MANUSCRIPTS.items():
        pdf = tmp_path / "stock" / name / "output" / manuscript.replace(".md", ".pdf")
        with pikepdf.open(pdf) as opened:
            assert "/StructTreeRoot" in opened.Root  # tagged
            pages = len(opened.pages)
        assert [f for f in audit_pdf(pdf) if f.level == "error"] == []  # PDF/UA structure
        text = _text(pdf)
        assert title in text
        reference = tmp_path / "patched" / name / "output" / pdf.name
        assert text == _text(reference)  # the same pages, the same words on them
        assert pages == len(pikepdf.open(reference).pages)


def test_the_gate_takes_a_version_only_within_the_checked_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patch = next(p for p in fence.PATCHES if p.name == "cffi-arrays")
    for weasyprint, cffi, checked in [
        ("70.0", "2.1.1", True),
        ("70", "2.1.0", True),
        ("71.0", "2.1.1", False),
        ("7.0", "2.1.1", False),
        ("70.0", "2.10.0", False),
        ("70.0", None, False),
    ]:
        versions = {"weasyprint": weasyprint, "cffi": cffi}
        monkeypatch.setattr(fence, "installed_version", versions.get)
        assert fence.is_checked(patch) is checked, (weasyprint, cffi)


def test_every_patch_is_in_the_table_with_its_upstream_report() -> None:
    reports = (PROJECT / "docs" / "weasyprint-upstream.md").read_text()
    names = [patch.name for patch in fence.PATCHES]
    assert len(set(names)) == len(names)
    for patch in fence.PATCHES:
        assert patch.checked_on and patch.upstream and patch.why and patch.replaces
        assert f"`{patch.name}`" in reports, patch.name
        if patch.installer is not None:
            module_name, _, function = patch.installer.partition(":")
            assert callable(getattr(__import__(module_name, fromlist=[function]), function))
    # Every module of the fence that replaces something is one the table installs.
    folder = PROJECT / "typeset" / "formats" / "pdf" / "weasyprint"
    installers = {
        p.installer.partition(":")[0].rpartition(".")[2] for p in fence.PATCHES if p.installer
    }
    for module in folder.glob("*.py"):
        if "replaced_once(" in module.read_text() and module.stem != "__init__":
            assert module.stem in installers, module.name


def test_on_the_checked_versions_every_patch_is_in_use() -> None:
    import weasyprint

    # Every module of the fence imported first: none may shadow what the gate reads.
    folder = PROJECT / "typeset" / "formats" / "pdf" / "weasyprint"
    for module in folder.glob("[!_]*.py"):
        __import__(f"typeset.formats.pdf.weasyprint.{module.stem}")
    assert fence.installed_version("weasyprint") == weasyprint.__version__
    gated = {patch.name for patch in fence.PATCHES if not patch.post_pass}
    assert fence.install() == gated
