"""Shared fixtures: real builds of the essay, and readers for the real output files.

Builds run the real pipeline (pandoc, WeasyPrint) once per style per test session and
are shared by every test that reads them. Tests that run real builds, subprocesses or
Chromium are marked `slow`: `python -m pytest -m "not slow"` is the inner loop.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from typeset import build, load_config
from typeset.cli import main
from typeset.config import Config

PROJECT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# The essay as the author first wrote it (its body, from the first paragraph to the
# reference list), which the manuscript must keep word for word.
SEED = DATA / "seed-essay.txt"


@pytest.fixture(scope="session", autouse=True)
def fresh_build_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One empty build cache for the session: no test depends on .typeset-cache/."""
    folder = tmp_path_factory.mktemp("typeset-cache")
    previous = os.environ.get("TYPESET_CACHE_DIR")
    os.environ["TYPESET_CACHE_DIR"] = str(folder)  # subprocesses inherit it
    yield folder
    if previous is None:
        os.environ.pop("TYPESET_CACHE_DIR", None)
    else:
        os.environ["TYPESET_CACHE_DIR"] = previous


@pytest.fixture(scope="session", autouse=True)
def interruptible() -> Iterator[None]:
    """Ctrl-C as a terminal delivers it, for this process and the builds it starts.

    A suite started in the background by a shell without job control (`sh -c 'cmd &'`,
    some CI runners) inherits SIGINT ignored, and so would every build it starts: as a
    program should, the build then keeps ignoring it, and the Ctrl-C tests would see a
    build that does not stop. With Python's handler installed here, a child starts with
    the default disposition (exec resets a handled signal, not an ignored one)."""
    import signal

    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)


def run_cli(*args: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess[str]:
    """Run `python build.py ARGS` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def config_for(
    manuscript: Path,
    bibliography: Path | None = None,
    *,
    output_dir: Path | None = None,
    **overrides: object,
) -> Config:
    """The config of a build of `manuscript` with the project's styles, templates and
    defaults: its bibliography (by default the refs.bib beside it), its outputs in
    `output_dir` when given, and any other option as `overrides` (formats, style...)."""
    paths = {
        "manuscript": str(manuscript),
        "bibliography": str(bibliography or manuscript.parent / "refs.bib"),
        **({"output_dir": str(output_dir)} if output_dir is not None else {}),
    }
    return load_config(None, project_dir=PROJECT, overrides={**paths, **overrides})


def build_arguments(manuscript: Path, output: Path, bibliography: Path | None = None) -> list[str]:
    """The command line that builds `manuscript`, citing `bibliography` (by default the
    refs.bib beside it), into the folder `output`."""
    return [
        "--manuscript",
        str(manuscript),
        "--bibliography",
        str(bibliography or manuscript.parent / "refs.bib"),
        "--output-dir",
        str(output),
    ]


@dataclass(frozen=True)
class CliResult:
    """What `cli` returns: the fields of a subprocess.CompletedProcess the tests read."""

    returncode: int
    stdout: str
    stderr: str


CommandLine = Callable[..., CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CommandLine:
    """`python build.py ARGS` run in this process: `typeset.cli.main` with the project
    folder build.py gives it, stdout and stderr captured, and warnings printed to stderr
    as the command prints them (pytest's own log handlers are set aside for the call).

    For error messages and listings, where starting Python again only costs time; a test
    whose point is the process itself (signals, exit on a kill, the installed script)
    uses `run_cli`."""

    def run(*args: str, cwd: Path = PROJECT) -> CliResult:
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        root.handlers.clear()  # so the command's logging.basicConfig takes effect
        previous_cwd = Path.cwd()
        capsys.readouterr()  # what earlier steps printed is not this command's
        try:
            os.chdir(cwd)
            code = main(list(args), project_dir=PROJECT)
        except SystemExit as stop:  # argparse's exit on a usage error
            code = stop.code if isinstance(stop.code, int) else 1
        finally:
            os.chdir(previous_cwd)
            root.handlers[:] = handlers
            root.setLevel(level)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def pdf_pages(path: Path) -> list[str]:
    """Text of each page, extracted with poppler's pdftotext."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def pdf_text(path: Path) -> str:
    """The PDF's text with line-end hyphenation undone and whitespace folded."""
    raw = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # WeasyPrint hyphenates with U+2010; pdftotext keeps it at line ends.
    joined = re.sub(r"[\u2010-]\n(?=\w)", "", raw)
    return re.sub(r"\s+", " ", joined)


def pdf_printed_text(path: Path) -> str:
    """The PDF's text without its artifacts: what is printed, not each equation's
    invisible search-and-copy TeX (typeset/formats/pdf/weasyprint/math_text.py) nor page
    furniture."""
    import pdfplumber

    with pdfplumber.open(path) as document:
        return "".join(
            char["text"]
            for page in document.pages
            for char in page.chars
            if char.get("tag") != "Artifact"
        )


def epub_xhtml(path: Path) -> str:
    """All XHTML content documents of the EPUB, concatenated in name order."""
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".xhtml"))
        return "\n".join(archive.read(name).decode() for name in names)


def epub_text(path: Path) -> str:
    """Reader-visible text of the EPUB's XHTML: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", epub_xhtml(path)))


def docx_part(path: Path, part: str = "word/document.xml") -> str:
    with zipfile.ZipFile(path) as archive:
        if part not in archive.namelist():
            return ""
        return archive.read(part).decode()


def docx_text(path: Path, part: str = "word/document.xml") -> str:
    """Text runs of a DOCX part, paragraphs separated by newlines."""
    xml = docx_part(path, part)
    xml = re.sub(r"</w:p>", "\n", xml)
    return html.unescape(re.sub(r"<[^>]+>", "", xml))


Builder = Callable[..., dict[str, Path]]


@pytest.fixture(scope="session")
def essay_build(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    """Build the essay in a given style (all formats), once per style per session."""
    built: dict[tuple[str, str], dict[str, Path]] = {}

    def build_in(style: str, **options: object) -> dict[str, Path]:
        key = (style, repr(sorted(options.items())))
        if key not in built:
            output = tmp_path_factory.mktemp(f"essay-{style}")
            config = load_config(
                PROJECT / "typeset.yaml",
                project_dir=PROJECT,
                overrides={"style": style, "output_dir": str(output), **options},
            )
            built[key] = build(config).outputs
        return built[key]

    return build_in


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A scratch copy of the project's inputs, for tests that break them."""
    for name in ("manuscript", "styles"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    for name in ("refs.bib", "typeset.yaml"):
        shutil.copy(PROJECT / name, tmp_path / name)
    return tmp_path


# Fixtures that make any test using them slow: real builds of the essay, a browser.
SLOW_FIXTURES = {"essay_build", "project_copy", "chromium_profile"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that builds the essay or opens a browser is slow wherever it lives, and so is
    a property-based test: hypothesis's example budget belongs to the full run, not to the
    one-minute inner loop (`-m "not slow"`)."""
    for item in items:
        function = getattr(item, "obj", None)
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or getattr(
            function, "is_hypothesis_test", False
        ):
            item.add_marker(pytest.mark.slow)
