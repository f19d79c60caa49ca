"""Submission profiles: anonymised review copies, cite-this-work, one flag each."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.conftest import PROJECT, Builder, CommandLine, docx_text, epub_text, pdf_text
from typeset import build, load_config

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

AUTHOR = "Ada Quill"


def everything(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def test_author_from_config_appears_in_every_output(essay_build: Builder) -> None:
    outputs = essay_build("chicago-author-date", metadata={"author": [AUTHOR]})
    assert AUTHOR in pdf_text(outputs["pdf"])
    assert AUTHOR.encode() in everything(outputs["epub"])
    with zipfile.ZipFile(outputs["docx"]) as docx:
        assert AUTHOR in docx.read("docProps/core.xml").decode()


def test_anonymous_review_copy_has_no_author_anywhere(essay_build: Builder) -> None:
    outputs = essay_build(
        "apa",
        anonymous=True,
        metadata={"author": [AUTHOR], "affiliation": "Quill College", "thanks": "Thanks, Bo"},
    )
    assert AUTHOR not in pdf_text(outputs["pdf"]) and "Quill College" not in pdf_text(
        outputs["pdf"]
    )
    from pypdf import PdfReader

    info = PdfReader(outputs["pdf"]).metadata or {}
    assert AUTHOR not in str(dict(info))
    assert b"Quill" not in everything(outputs["epub"])
    assert b"Quill" not in everything(outputs["docx"])
    assert not any(name.startswith("cite-") for name in outputs)


def test_review_profile_is_one_flag(tmp_path: Path, cli: CommandLine) -> None:
    result = cli("--profile", "apa-review", "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "essay.docx",
        "essay.pdf",
    ]
    assert "(Hao & Zhai, 1990)" in docx_text(tmp_path / "essay.docx")
    settings = zipfile.ZipFile(tmp_path / "essay.docx").read("word/document.xml")
    assert b"w:lnNumType" in settings  # the review copy has line numbers


def test_cite_this_work_section_goes_into_pdf_and_epub_not_docx(tmp_path: Path) -> None:
    config = load_config(
        PROJECT / "typeset.yaml",
        project_dir=PROJECT,
        overrides={
            "output_dir": str(tmp_path),
            "cite_this_work_section": True,
        },
    )
    config = config.replace(cite_this_work_styles=("apa", "modern-language-association"))
    outputs = build(config).outputs
    pdf = pdf_text(outputs["pdf"])
    assert "How to cite this essay" in pdf
    assert "Reasons for China Supporting North Korea" in pdf.split("How to cite this essay")[1]
    assert "How to cite this essay" in epub_text(outputs["epub"])
    assert "How to cite this essay" not in docx_text(outputs["docx"])
    assert (tmp_path / "essay-cite.html").is_file() and (tmp_path / "essay.ris").is_file()
