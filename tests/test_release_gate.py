"""`build.py --check`: one report over inputs and outputs; exit 1 on errors."""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PROJECT, CommandLine, config_for, pdf_text
from typeset.formats.validators import docx_package, epubcheck

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT / "manuscript", tmp_path / "manuscript")
    shutil.copy(PROJECT / "refs.bib", tmp_path / "refs.bib")
    (tmp_path / "typeset.yaml").write_text(
        "manuscript: manuscript/essay.md\nbibliography: refs.bib\noutput_dir: output\n"
        "formats: [pdf, epub, docx]\n"
        "profiles:\n"
        "  draft:\n    missing_citations: warning\n"
        "  release:\n    fail_on_warnings: true\n"
    )
    return tmp_path


def gate(cli: CommandLine, project: Path, *args: str) -> tuple[int, dict]:
    result = cli("--config", str(project / "typeset.yaml"), "--check", "--json", *args)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else {}


def test_the_essay_passes_every_check(project: Path, cli: CommandLine) -> None:
    code, report = gate(cli, project)
    assert code == 0, report
    assert report["errors"] == 0 and report["warnings"] == 0
    assert report["checked"] == ["inputs", "pdf", "epub", "docx"]


def test_text_report_for_people(project: Path, cli: CommandLine) -> None:
    result = cli("--config", str(project / "typeset.yaml"), "--check")
    assert result.returncode == 0
    assert result.stdout.strip().splitlines()[-1].startswith("PASSED: 0 error(s), 0 warning(s)")


def test_missing_key_is_an_error_with_its_line(project: Path, cli: CommandLine) -> None:
    manuscript = project / "manuscript" / "essay.md"
    manuscript.write_text(manuscript.read_text().replace("[@hao1990]", "[@hoa1990]", 1))
    code, report = gate(cli, project)
    assert code == 1
    finding = next(f for f in report["findings"] if f["check"] == "missing-citation")
    assert finding["level"] == "error" and "hoa1990" in finding["message"]
    assert (
        finding["line"] and "@hoa1990" in manuscript.read_text().splitlines()[finding["line"] - 1]
    )


def test_draft_profile_downgrades_missing_keys_and_marks_them_in_the_pdf(
    project: Path, cli: CommandLine
) -> None:
    manuscript = project / "manuscript" / "essay.md"
    manuscript.write_text(manuscript.read_text().replace("[@hao1990]", "[@hoa1990]", 1))
    code, report = gate(cli, project, "--profile", "draft")
    assert code == 0
    assert any(
        f["check"] == "missing-citation" and f["level"] == "warning" for f in report["findings"]
    )
    assert "hoa1990?" in pdf_text(project / "output" / "essay.pdf")


def test_uncited_entries_warn_and_a_release_profile_fails_on_warnings(
    project: Path, cli: CommandLine
) -> None:
    manuscript = project / "manuscript" / "essay.md"
    manuscript.write_text(manuscript.read_text().replace("@waltz2010", "", 1))
    code, report = gate(cli, project)
    assert code == 0
    uncited = [f for f in report["findings"] if f["check"] == "uncited-entry"]
    assert [f["level"] for f in uncited] == ["warning"] and "waltz2010" in uncited[0]["message"]
    assert uncited[0]["line"] is not None
    code, report = gate(cli, project, "--profile", "release")
    assert code == 1 and report["passed"] is False


def test_entries_missing_required_fields_and_images_without_alt_text_warn(
    project: Path, cli: CommandLine
) -> None:
    (project / "refs.bib").write_text(
        (project / "refs.bib").read_text()
        + "\n@article{bare2020,\n  title = {Only a Title},\n  year = {2020}\n}\n"
    )
    (project / "manuscript" / "pixel.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd400000000"
            "49454e44ae426082"
        )
    )
    manuscript = project / "manuscript" / "essay.md"
    manuscript.write_text(manuscript.read_text() + "\n![](pixel.png)\n\nSee [@bare2020].\n")
    _, report = gate(cli, project)
    fields = next(f for f in report["findings"] if f["check"] == "bibtex-fields")
    assert "bare2020" in fields["message"] and "author" in fields["message"]
    assert "journal" in fields["message"] and fields["line"] is not None
    assert any(f["check"] == "alt-text" for f in report["findings"])


def test_a_damaged_docx_or_epub_is_reported(tmp_path: Path) -> None:
    broken_docx = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken_docx, "w") as package:
        package.writestr("word/document.xml", "<w:document><unclosed>")
    assert [(f.level, f.check) for f in docx_package(broken_docx)] == [("error", "docx")]
    broken_epub = tmp_path / "broken.epub"
    broken_epub.write_bytes(b"PK\x03\x04 not really a zip")
    assert any(f.level == "error" and f.check == "epubcheck" for f in epubcheck(broken_epub))


def test_check_and_build_apply_one_missing_key_rule_front_matter_included(project: Path) -> None:
    """A key cited only in the abstract is missing to `--check` as it is to the build, and
    an entry cited only there is cited (one rule: citations.base.missing_citation_keys)."""
    from typeset import load_config
    from typeset.commands.check import check

    manuscript = project / "manuscript" / "essay.md"
    text = manuscript.read_text()
    text = text.replace("[@hao1990]", "", 1).replace("[@hao1990]", "")  # cited nowhere else
    abstract = 'abstract: "As @hao1990 and @nosuchkey2001 argued, the war was a choice."\n'
    manuscript.write_text(text.replace("lang: en-US\n", "lang: en-US\n" + abstract, 1))
    config = load_config(project / "typeset.yaml", profile="draft", project_dir=project)
    findings = check(config).findings
    missing = [f for f in findings if f.check == "missing-citation"]
    assert len(missing) == 1, missing
    assert missing[0].message.startswith("'@nosuchkey2001' is not in ")
    assert missing[0].message.endswith("refs.bib")
    assert missing[0].level == "warning"
    assert not any(f.check == "uncited-entry" and "hao1990" in f.message for f in findings)


def test_check_reads_the_inputs_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`--check` and the build it runs share one read of the manuscript: a front-matter
    key typeset does not act on is warned about once, not once per read."""
    from typeset.commands.check import check

    (tmp_path / "paper.md").write_text(
        "---\ntitle: Read once\nlang: en\ndocumentclass: article\n---\n\nText [@a].\n"
    )
    (tmp_path / "refs.bib").write_text(
        "@book{a, title={A}, author={Doe, J}, year=2001, publisher={P}}\n"
    )
    config = config_for(tmp_path / "paper.md", formats="docx", output_dir=tmp_path / "out")
    with caplog.at_level(logging.WARNING):
        report = check(config)
    assert report.checked == ["inputs", "docx"]
    messages = [record.getMessage() for record in caplog.records]
    warned = [message for message in messages if "'documentclass' is not used" in message]
    assert len(warned) == 1, messages
