"""The DOCX a journal's office receives: opens in a real word processor, styles defined."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.shared import Pt

from tests.conftest import Builder, CommandLine, docx_part

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.fail("LibreOffice is needed (setup.sh installs libreoffice-writer-nogui)")
    return found


@pytest.mark.parametrize("style", ["chicago-author-date", "chicago-notes-bibliography"])
def test_libreoffice_converts_the_docx_with_citations_and_bibliography(
    essay_build: Builder, style: str, tmp_path: Path
) -> None:
    source = essay_build(style)["docx"]
    subprocess.run(
        [
            soffice(),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "essay.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = re.sub(r"\s+", " ", text)
    if style == "chicago-author-date":
        assert "(Hao and Zhai 1990)" in text
        assert "References" in text
    else:
        assert "Yufan Hao and Zhihai Zhai" in text  # the first note, at the foot of a page
        assert "Bibliography" in text
    assert "Theory of International Politics" in text


def test_every_style_the_docx_uses_is_defined(essay_build: Builder) -> None:
    path = essay_build("chicago-notes-bibliography")["docx"]
    document = docx.Document(str(path))
    defined = {style.style_id for style in document.styles}
    used = set(re.findall(r'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', docx_part(path)))
    used |= set(
        re.findall(r'<w:(?:pStyle|rStyle) w:val="([^"]+)"', docx_part(path, "word/footnotes.xml"))
    )
    assert used and used <= defined, used - defined


def effective(style, attribute: str):  # type: ignore[no-untyped-def]
    """A font attribute as Word resolves it: the style, then its bases."""
    while style is not None:
        value = getattr(style.font, attribute)
        if value is not None:
            return value
        style = style.base_style
    return None


def test_manuscript_profile_docx_is_double_spaced_12_point_times(
    tmp_path: Path, cli: CommandLine
) -> None:
    result = cli("--profile", "apa-journal", "--to", "docx", "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    document = docx.Document(str(tmp_path / "essay.docx"))
    body = document.styles["Body Text"]
    assert effective(body, "size") == Pt(12)
    assert effective(body, "name") == "Times New Roman"
    assert body.paragraph_format.line_spacing == 2.0
    section = document.sections[0]
    assert abs(section.left_margin.inches - 1) < 0.01 and abs(section.top_margin.inches - 1) < 0.01
    body_paragraphs = [
        p for p in document.paragraphs if p.style.name in ("Body Text", "First Paragraph")
    ]
    assert len(body_paragraphs) > 10


def test_docx_has_native_footnotes_for_note_styles(essay_build: Builder) -> None:
    path = essay_build("chicago-notes-bibliography")["docx"]
    references = docx_part(path).count("<w:footnoteReference")
    assert references >= 11
    assert "Rawnsley" in docx_part(path, "word/footnotes.xml")
