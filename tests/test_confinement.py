"""Confinement (issue 27, items 1 and 8): every file a build reads or writes lies inside the
manuscript's folder or the project, checked on the opened file, and no output replaces a
file the manuscript names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PROJECT, build_arguments, docx_text, epub_text, pdf_text
from typeset.cli import main
from typeset.confine import Roots, confined_output_folder, read_confined
from typeset.errors import BibliographyError, OutputError

SECRET = "CONFIDENTIAL-OUTSIDE-THE-FOLDER"
BIB = "@book{doe2001, title={A Book}, author={Doe, Jane}, year=2001, publisher={P}}\n"
SECRET_BIB = (
    "@book{doe2001, title={" + SECRET + "}, author={Doe, Jane}, year=2001, publisher={P}}\n"
)


def manuscript_folder(tmp_path: Path, text: str = "Text citing [@doe2001].\n") -> Path:
    folder = tmp_path / "paper"
    folder.mkdir()
    (folder / "paper.md").write_text(f"---\ntitle: Confined\nlang: en-GB\n---\n\n{text}")
    (folder / "refs.bib").write_text(BIB)
    return folder


def elsewhere(tmp_path: Path, name: str, content: str) -> Path:
    outside = tmp_path / "elsewhere"
    outside.mkdir(exist_ok=True)
    path = outside / name
    path.write_text(content)
    return path


def run(folder: Path, *extra: str, output: Path | None = None) -> int:
    return main(
        [
            *build_arguments(folder / "paper.md", output or folder.parent / "out"),
            "--force",
            "-q",
            *extra,
        ],
        project_dir=PROJECT,
    )


# --- the module itself, without a build --------------------------------------------------


def test_a_symlink_leading_outside_is_refused_on_the_opened_file(tmp_path: Path) -> None:
    folder = manuscript_folder(tmp_path)
    secret = elsewhere(tmp_path, "secret.bib", SECRET_BIB)
    (folder / "linked.bib").symlink_to(secret)
    roots = Roots.of(trusted=[PROJECT], untrusted=[folder])
    with pytest.raises(BibliographyError, match="outside the manuscript's folder") as caught:
        read_confined(
            folder / "linked.bib",
            roots,
            what="bibliography",
            error=BibliographyError,
            max_bytes=1000,
        )
    assert caught.value.path == folder / "linked.bib"


def test_a_name_swapped_after_its_check_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the name looked inside when checked, and leads outside when opened."""
    import typeset.confine as confine

    folder = manuscript_folder(tmp_path)
    secret = elsewhere(tmp_path, "secret.bib", SECRET_BIB)
    (folder / "swapped.bib").symlink_to(secret)
    # The check on the name sees the file as it was before the swap.
    monkeypatch.setattr(confine, "real_folder", lambda path: folder / "swapped.bib")
    roots = Roots.of(trusted=[PROJECT], untrusted=[folder])
    with pytest.raises(BibliographyError, match="outside"):
        read_confined(
            folder / "swapped.bib",
            roots,
            what="bibliography",
            error=BibliographyError,
            max_bytes=1000,
        )


def test_a_hard_linked_file_in_the_manuscript_folder_is_refused(tmp_path: Path) -> None:
    folder = manuscript_folder(tmp_path)
    secret = elsewhere(tmp_path, "secret.bib", SECRET_BIB)
    os.link(secret, folder / "hard.bib")
    roots = Roots.of(trusted=[PROJECT], untrusted=[folder])
    with pytest.raises(BibliographyError, match="hard links"):
        read_confined(
            folder / "hard.bib", roots, what="bibliography", error=BibliographyError, max_bytes=1000
        )


def test_a_symlink_inside_the_roots_is_followed(tmp_path: Path) -> None:
    folder = manuscript_folder(tmp_path)
    (folder / "alias.bib").symlink_to(folder / "refs.bib")
    roots = Roots.of(trusted=[PROJECT], untrusted=[folder])
    data = read_confined(
        folder / "alias.bib", roots, what="bibliography", error=BibliographyError, max_bytes=1000
    )
    assert data == BIB.encode()


def test_a_file_the_command_line_names_is_read_wherever_it_is(tmp_path: Path) -> None:
    folder = manuscript_folder(tmp_path)
    shared = elsewhere(tmp_path, "shared.bib", BIB)
    roots = Roots.of(trusted=[PROJECT], untrusted=[folder], named=[shared])
    assert read_confined(shared, roots, what="b", error=BibliographyError, max_bytes=1000)
    # ... but not through a symlink the command line names: its target is what is read.
    (folder / "named-link.bib").symlink_to(elsewhere(tmp_path, "other.bib", SECRET_BIB))
    roots = Roots.of(trusted=[PROJECT], untrusted=[folder], named=[folder / "named-link.bib"])
    with pytest.raises(BibliographyError, match="outside"):
        read_confined(
            folder / "named-link.bib", roots, what="b", error=BibliographyError, max_bytes=1000
        )


def test_an_output_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "out").symlink_to(target)
    roots = Roots.of(trusted=[PROJECT], untrusted=[tmp_path])
    with pytest.raises(OutputError, match="symbolic link"):
        confined_output_folder(tmp_path / "out", roots, named=True)


def test_an_output_folder_from_a_config_must_lie_inside_the_roots(tmp_path: Path) -> None:
    roots = Roots.of(trusted=[PROJECT], untrusted=[tmp_path / "paper"])
    with pytest.raises(OutputError, match="outside"):
        confined_output_folder(tmp_path / "somewhere-else", roots, named=False)
    assert confined_output_folder(tmp_path / "paper" / "out", roots, named=False)


# --- real builds --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("linked", ["refs.bib", "paper.md"])
def test_an_input_linked_outside_fails_the_build_and_leaks_nothing(
    tmp_path: Path, linked: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = manuscript_folder(tmp_path)
    content = SECRET_BIB if linked == "refs.bib" else f"---\ntitle: {SECRET}\n---\n\n{SECRET}\n"
    secret = elsewhere(tmp_path, linked, content)
    (folder / linked).unlink()
    (folder / linked).symlink_to(secret)
    assert run(folder) == 1
    error = capsys.readouterr().err
    assert f"{folder / linked}:" in error and "outside" in error
    assert "Traceback" not in error
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "name", "content"),
    [
        ("bibliography", "secret.bib", SECRET_BIB),
        ("style", "secret.csl", "<style/>"),
        ("docx_reference", "secret.docx", "PK"),
        ("cover_image", "secret.png", "PNG"),
    ],
)
def test_a_config_naming_a_file_outside_fails_the_build(
    tmp_path: Path, key: str, name: str, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A config that came with the manuscript may name files inside the roots only."""
    folder = manuscript_folder(tmp_path)
    secret = elsewhere(tmp_path, name, content)
    (folder / "journal.yaml").write_text(
        f"manuscript: paper.md\nbibliography: refs.bib\nformats: [epub, docx]\n{key}: {secret}\n"
    )
    code = main(
        ["--config", str(folder / "journal.yaml"), "--output-dir", str(tmp_path / "out")],
        project_dir=PROJECT,
    )
    error = capsys.readouterr().err
    assert code == 1, error
    assert str(secret) in error and "outside" in error
    assert "Traceback" not in error
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir())  # no output, not even a temporary


@pytest.mark.slow
def test_a_config_outside_the_project_cannot_choose_a_manuscript_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = manuscript_folder(tmp_path)
    secret = elsewhere(tmp_path, "notes.md", f"---\ntitle: {SECRET}\n---\n\n{SECRET}\n")
    (folder / "journal.yaml").write_text(f"manuscript: {secret}\nbibliography: refs.bib\n")
    code = main(
        ["--config", str(folder / "journal.yaml"), "--output-dir", str(tmp_path / "out")],
        project_dir=PROJECT,
    )
    error = capsys.readouterr().err
    assert code == 1
    assert f"{folder / 'journal.yaml'}:1:" in error and "manuscript" in error


@pytest.mark.slow
def test_an_output_folder_symlinked_elsewhere_is_not_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = manuscript_folder(tmp_path)
    victim_folder = tmp_path / "victim"
    victim_folder.mkdir()
    victim = victim_folder / "paper.pdf"
    victim.write_text("precious")
    (folder / "out").symlink_to(victim_folder)
    assert run(folder, "--to", "pdf", output=folder / "out") == 1
    error = capsys.readouterr().err
    assert "symbolic link" in error and "Traceback" not in error
    assert victim.read_text() == "precious"


@pytest.mark.slow
def test_a_figure_named_like_an_output_is_never_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`![](paper.pdf)` is refused as a figure, and still an input: building into the
    manuscript's own folder would overwrite it."""
    folder = manuscript_folder(tmp_path, "Text [@doe2001].\n\n![The earlier version](paper.pdf)\n")
    figure = folder / "paper.pdf"
    figure.write_bytes(b"%PDF-1.4 the author's own file\n")
    (folder / "typeset.yaml").write_text("missing_citations: warning\n")  # a draft: no error
    code = main(
        [
            *build_arguments(folder / "paper.md", folder),
            "--profile",
            "draft",
            "--force",
        ],
        project_dir=PROJECT,
    )
    error = capsys.readouterr().err
    assert code == 1
    assert "would replace the input" in error and "paper.pdf" in error
    assert figure.read_bytes() == b"%PDF-1.4 the author's own file\n"


@pytest.mark.slow
def test_inputs_inside_the_folder_still_build(tmp_path: Path) -> None:
    """The rules refuse only what leads outside: links within the folder work."""
    folder = manuscript_folder(tmp_path)
    (folder / "library.bib").write_text(BIB)
    (folder / "refs.bib").unlink()
    (folder / "refs.bib").symlink_to("library.bib")
    assert run(folder) == 0
    out = tmp_path / "out"
    assert "Doe" in pdf_text(out / "paper.pdf")
    assert "Doe" in epub_text(out / "paper.epub")
    assert "Doe" in docx_text(out / "paper.docx")
