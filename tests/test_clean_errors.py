"""Hostile and broken inputs end in one paragraph naming the file (and line), exit 1, no
traceback (issue 27, item 6); each case stands for a class."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT, build_arguments, config_for
from typeset.cli import main
from typeset.errors import BibliographyError, ConfigError, StyleError
from typeset.limits import absurd_css_length, is_language_tag
from typeset.references import read_bibliography
from typeset.styles import resolve_style
from typeset.styles.catalog import catalog_dir

BIB = "@book{doe2001, title={A Book}, author={Doe, Jane}, year=2001, publisher={P}}\n"
APA = catalog_dir() / "apa.csl"


def write_case(
    tmp_path: Path, front: str = "lang: en-GB\n", body: str = "", bib: bytes = b""
) -> Path:
    folder = tmp_path / "paper"
    folder.mkdir(exist_ok=True)
    (folder / "paper.md").write_text(
        f"---\ntitle: A Case\n{front}---\n\nText citing [@doe2001].\n\n{body}\n"
    )
    (folder / "refs.bib").write_bytes(bib or BIB.encode())
    return folder


def build_case(folder: Path, *extra: str) -> int:
    return main(
        [*build_arguments(folder / "paper.md", folder.parent / "out"), "--force", *extra],
        project_dir=PROJECT,
    )


def one_paragraph(stderr: str, path: Path, line: int | None = None) -> str:
    """The error's text, after checking its shape: `error: FILE[:LINE]: ...`, no traceback."""
    assert "Traceback" not in stderr
    errors = [text for text in stderr.split("\n") if text.startswith("error: ")]
    assert len(errors) == 1, stderr
    where = f"{path}:{line}:" if line else f"{path}"
    assert errors[0].startswith(f"error: {where}"), errors[0]
    return errors[0]


# --- fast: the rules themselves ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "absurd"),
    [
        ("99999999999999999999px", True),
        ("1e308px", True),
        ("1e400em", True),
        ("30000pt", True),
        ("12pt", False),
        ("1.2em", False),
        ("150%", False),
        ("#ffffff", False),
        ("rgb(255, 0, 0)", False),
        ("25mm 30mm", False),
    ],
)
def test_css_lengths_beyond_any_page_are_absurd(value: str, absurd: bool) -> None:
    assert (absurd_css_length(value) is not None) is absurd


@pytest.mark.parametrize(
    ("tag", "valid"),
    [("en-GB", True), ("de", True), ("en\x00GB", False), ("x" * 200_000, False), ("", False)],
)
def test_a_language_tag_is_bcp47_and_short(tag: str, valid: bool) -> None:
    assert is_language_tag(tag) is valid


def test_absurd_page_margins_are_a_config_error(tmp_path: Path) -> None:
    from typeset.config import load_config

    (tmp_path / "typeset.yaml").write_text("margins: 99999999999999999999mm\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "typeset.yaml", project_dir=tmp_path)
    assert caught.value.line == 1


@pytest.mark.parametrize(
    ("content", "suffix", "line"),
    [
        (b"@book{a, title={A \x00 Book}, author={Doe, Jane}, year=2001}\n", ".bib", 1),
        (b"@book{a, year=2001,\n  note={bell \x07 here}}\n", ".bib", 2),
        (b'[{"id": "a", "type": "book",\n  "title": "A \\u0000 Book"}]\n', ".json", 2),
    ],
)
def test_a_control_character_in_a_bibliography_names_file_and_line(
    tmp_path: Path, content: bytes, suffix: str, line: int
) -> None:
    path = tmp_path / f"refs{suffix}"
    path.write_bytes(content)
    with pytest.raises(BibliographyError, match="control character") as caught:
        read_bibliography(path)
    assert (caught.value.path, caught.value.line) == (path, line)


@pytest.mark.parametrize(
    ("content", "suffix", "line", "message"),
    [
        (b"@book{a, year=2001,\n  title={Caf\xe9}}\n", ".bib", 2, "bibliography is not UTF-8"),
        (b"- id: a\n  type: book\n  title: [Open\n", ".yaml", 4, "CSL-YAML syntax error"),
    ],
)
def test_an_unreadable_bibliography_names_file_and_line(
    tmp_path: Path, content: bytes, suffix: str, line: int, message: str
) -> None:
    path = tmp_path / f"refs{suffix}"
    path.write_bytes(content)
    with pytest.raises(BibliographyError, match=message) as caught:
        read_bibliography(path)
    assert (caught.value.path, caught.value.line) == (path, line)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"style: apa\ntitle: Caf\xe9\n", 2, "config is not UTF-8"),
        (b"style: apa\nformats: [pdf\npaper: a4\n", 3, "YAML syntax error"),
    ],
)
def test_an_unreadable_config_names_its_line(
    tmp_path: Path, content: bytes, line: int, message: str
) -> None:
    from typeset.config import load_config

    (tmp_path / "typeset.yaml").write_bytes(content)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(tmp_path / "typeset.yaml", project_dir=tmp_path)
    assert caught.value.line == line


def test_a_csl_macro_fan_out_is_refused_before_any_engine_runs(tmp_path: Path) -> None:
    """No loop, but each macro calls the next twice: 2^28 expansions per reference."""
    levels = 28
    macros = (
        "".join(
            f'<macro name="m{n}"><group><text macro="m{n + 1}"/><text macro="m{n + 1}"/></group>'
            "</macro>\n"
            for n in range(levels)
        )
        + f'<macro name="m{levels}"><text variable="title"/></macro>\n'
    )
    style = APA.read_text().replace("<citation", macros + "<citation", 1)
    layout = style.index("<layout", style.index("<citation"))
    end = style.index(">", layout) + 1
    style = style[:end] + '<text macro="m0"/>' + style[end:]
    path = tmp_path / "fan-out.csl"
    path.write_text(style)
    with pytest.raises(StyleError, match="expands to more than") as caught:
        resolve_style(str(path), PROJECT)
    assert caught.value.path == path
    assert (
        caught.value.line is not None and 'name="m0"' in style.splitlines()[caught.value.line - 1]
    )


# --- real builds ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("front", "field"),
    [
        ('lang: "en\\0GB"\n', "lang"),
        ('subtitle: "bell \\a here"\n', "subtitle"),
        ('author:\n  - name: "Jane \\x01 Doe"\n', "author"),
    ],
)
def test_a_control_character_in_any_front_matter_field(
    tmp_path: Path, front: str, field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_case(tmp_path, front=front if field == "lang" else f"lang: en-GB\n{front}")
    assert build_case(folder) == 1
    line = 3 if field == "lang" else 4  # the line of the field's key
    message = one_paragraph(capsys.readouterr().err, folder / "paper.md", line)
    assert f"'{field}'" in message and "control character" in message


@pytest.mark.slow
def test_a_control_character_reference_in_the_body(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_case(tmp_path, body="A bell &#7; rings here.")
    assert build_case(folder) == 1
    message = one_paragraph(capsys.readouterr().err, folder / "paper.md", 8)
    assert "&#7;" in message


@pytest.mark.slow
def test_a_lang_of_200_kilobytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_case(tmp_path, front=f"lang: {'x' * 200_000}\n")
    assert build_case(folder) == 1
    message = one_paragraph(capsys.readouterr().err, folder / "paper.md", 3)
    assert "not a language tag" in message and len(message) < 400


@pytest.mark.slow
def test_a_nul_in_a_bib_title_is_reported_before_any_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_case(tmp_path, bib=b"@book{doe2001,\n  title={A \x00 Book}, year=2001}\n")
    assert build_case(folder) == 1
    one_paragraph(capsys.readouterr().err, folder / "refs.bib", 2)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["loop", "long-name"])
def test_an_unreadable_image_name_is_an_error_at_its_line(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "loop.png" if kind == "loop" else "f" * 300 + ".png"
    folder = write_case(tmp_path, body=f"![A figure]({name})")
    if kind == "loop":
        (folder / name).symlink_to(folder / name)
    assert build_case(folder) == 1
    message = one_paragraph(capsys.readouterr().err, folder / "paper.md", 8)
    assert ("loop" in message) if kind == "loop" else ("too long" in message)


@pytest.mark.slow
def test_an_output_folder_in_a_symlink_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_case(tmp_path)
    (tmp_path / "out").symlink_to(tmp_path / "out")
    assert build_case(folder, "--to", "epub") == 1
    one_paragraph(capsys.readouterr().err, tmp_path / "out")


@pytest.mark.slow
def test_an_absurd_font_size_is_dropped_with_a_warning_and_the_pdf_builds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_case(tmp_path, body='A [huge]{style="font-size: 99999999999999999999px"} word.')
    assert build_case(folder, "--to", "pdf") == 0
    assert "font-size" in caplog.text and "paper.md:8" in caplog.text
    assert (tmp_path / "out" / "paper.pdf").stat().st_size > 1000


@pytest.mark.slow
def test_an_unknown_csl_element_under_citeproc_py_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    style = APA.read_text()
    layout = style.index("<layout", style.index("<citation"))
    end = style.index(">", layout) + 1
    style = style[:end] + '\n<bogus-element variable="title"/>' + style[end:]
    folder = write_case(tmp_path)
    (folder / "house.csl").write_text(style)
    code = build_case(folder, "--engine", "citeproc-py", "--style", str(folder / "house.csl"))
    assert code == 1
    line = style[: style.index("<bogus-element")].count("\n") + 1
    message = one_paragraph(capsys.readouterr().err, folder / "house.csl", line)
    assert "<bogus-element>" in message


@pytest.mark.slow
def test_pandoc_out_of_its_allowance_on_a_style_names_the_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The citeproc run hits pandoc's wall clock (shortened here, after the parse)."""
    import typeset.pandoc
    from typeset.citations import engine_named
    from typeset.errors import CitationError
    from typeset.inputs import read_inputs

    folder = write_case(tmp_path)
    shutil.copy(APA, folder / "house.csl")
    config = config_for(folder / "paper.md", style=str(folder / "house.csl"))
    inputs = read_inputs(config)
    monkeypatch.setattr(typeset.pandoc, "PANDOC_TIMEOUT_SECONDS", 0.001)
    with pytest.raises(CitationError) as caught:
        engine_named("pandoc").resolve(
            inputs.manuscript, inputs.bibliography, inputs.style, tmp_path
        )
    assert caught.value.path == folder / "house.csl"
    assert "house" in caught.value.message and "did not finish" in caught.value.message


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mount") is None, reason="needs mount")
def test_a_full_temporary_disk_is_one_clear_paragraph(tmp_path: Path) -> None:
    """TMPDIR on a small tmpfs with a few KB left: Python's check of the folder passes,
    the citation engine's files do not fit."""
    small = tmp_path / "small-tmp"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        (small / "fill").write_bytes(b"\0" * 52 * 1024)
        entries = "".join(
            f"@book{{k{n}, title={{A long enough title, number {n}}}, author={{Doe, Jane}}, "
            "year=2001, publisher={Publisher}}\n"
            for n in range(400)
        )
        folder = write_case(
            tmp_path, front="lang: en-GB\nnocite: '@*'\n", bib=(BIB + entries).encode()
        )
        env = {"TMPDIR": str(small), "TYPESET_CACHE_DIR": str(tmp_path / "cache")}

        completed = subprocess.run(
            [
                sys.executable,
                str(PROJECT / "build.py"),
                *build_arguments(folder / "paper.md", tmp_path / "out"),
            ],
            cwd=PROJECT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        subprocess.run(["umount", str(small)], check=False)
    assert completed.returncode == 1
    message = one_paragraph(completed.stderr, folder / "paper.md")
    assert "no space left" in message and str(small) in message
    assert "Errno" not in completed.stderr
