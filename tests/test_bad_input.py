"""A build that survives bad input (issue 7): the corpus in tests/data/bad/, one case a folder.

Each case folder is laid over a scratch copy of the project (its files replace the
project's at the same relative path; `NAME.gz` is unpacked to NAME; CASE.txt is only a
note). The test first makes a good build in the scratch `output/`, breaks the inputs, runs
the command's `main` in-process (tests/conftest.py `cli`: its stderr, warnings included, as
a user sees it) and checks the error contract: exit 1, one `error: `
paragraph naming the file (and `name:LINE:` where there is a line), a hint saying what to
do, no traceback, the previous outputs byte-for-byte as they were and no staged
temporaries left behind.

A few inputs are odd rather than wrong (an unknown entry type, LaTeX pandoc cannot read,
an empty config): for those the build must not crash, and may succeed.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import CommandLine

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

CORPUS = Path(__file__).resolve().parent / "data" / "bad"
NOTE = "CASE.txt"

# Imperative verbs only: "must be a list of..." states the rule, it does not say what to do.
HINT_WORDS = re.compile(
    r"\b(check|fix|add|use|choose|save|re-save|pass|put|convert|remove|rename|delete|give|"
    r"pick|download|create|install)\b",
    re.IGNORECASE,
)
MAX_STDERR = 2000  # "one paragraph": a 3 MB input line must not come back as a 3 MB message

ERROR, OK, SURVIVE = "error", "ok", "ok-or-error"


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]  # after `--config typeset.yaml`, run in the scratch project
    file: str  # the offending file (or name) the message must mention
    line: int | tuple[int, ...] | None = None  # expect `file:LINE:` for one of these
    fragments: tuple[str | re.Pattern[str] | tuple[str, ...], ...] = ()  # tuple = any of
    expect: str = ERROR
    note: str = field(default="", compare=False)


BIB_JSON = ("--bibliography", "refs.json")
BAD_CSL = ("--style", "bad.csl")

CASES = [
    # --- BibTeX ------------------------------------------------------------------------------
    Case(
        "bib-unclosed-brace",
        (),
        "refs.bib",
        (8, 10),
        ("bibtex",),
        note="entry beta2002 (line 8) has an unclosed brace on line 10",
    ),
    Case(
        "bib-missing-comma",
        (),
        "refs.bib",
        (10, 11),
        ("bibtex",),
        note="no comma after the title on line 10",
    ),
    Case("bib-garbage-between-entries", (), "refs.bib", 8, ("bibtex",)),
    Case(
        "bib-truncated-mid-entry",
        (),
        "refs.bib",
        (8, 9, 10),
        ("bibtex",),
        note="the file ends inside entry beta2002 (line 8), on line 10",
    ),
    Case(
        "bib-duplicate-keys",
        (),
        "refs.bib",
        (1, 22),
        ("alpha2001", re.compile(r"\b1\b"), re.compile(r"\b22\b")),
        note="alpha2001 at lines 1 and 22; pandoc silently keeps one",
    ),
    Case(
        "bib-unknown-entry-type",
        (),
        "refs.bib",
        expect=OK,
        note="@foobar: pandoc maps it to a default type; a warning is fine",
    ),
    Case(
        "bib-latex-macros",
        (),
        "refs.bib",
        expect=SURVIVE,
        note="\\foo, \\begin{weird} without \\end, \\ding, \\citetitle, \\def",
    ),
    Case("bib-latin1", (), "refs.bib", 2, ("utf-8",)),
    Case("bib-utf16-bom", (), "refs.bib", 1, ("utf-8",)),
    Case("bib-invalid-bytes", (), "refs.bib", 3, ("utf-8",)),
    Case("bib-empty", (), "refs.bib", None, (("empty", "no entries", "rawnsley2009"),)),
    Case("bib-is-directory", (), "refs.bib", None, ("folder",)),
    Case(
        "bib-huge-single-line",
        (),
        "refs.bib",
        1,
        ("bibtex",),
        note="one 3 MB line with a missing comma; pandoc quotes the whole line back",
    ),
    Case("csljson-bad-json", BIB_JSON, "refs.json", (5, 6), ("json",)),
    Case("csljson-object", BIB_JSON, "refs.json", None, ("list",)),
    # --- citations -------------------------------------------------------------------------
    Case("cite-missing-key", (), "essay.md", 8, ("nosuchkey2020", "refs.bib")),
    Case("nocite-missing-key", (), "essay.md", 4, ("ghost1999", "refs.bib")),
    Case("cite-by-identifier", (), "essay.md", 8, ("doi:10.1000/example.2019", "csljson")),
    Case("cite-key-letter-case", (), "essay.md", 9, ("Rawnsley2009", "'rawnsley2009'")),
    # --- manuscript ------------------------------------------------------------------------
    Case("ms-latin1", (), "essay.md", 6, ("utf-8",)),
    Case("ms-utf16-bom", (), "essay.md", 1, ("utf-8",)),
    Case("ms-invalid-bytes", (), "essay.md", 8, ("utf-8",)),
    Case("ms-empty", (), "essay.md", None, ("empty",)),
    Case(
        "ms-frontmatter-yaml-error",
        (),
        "essay.md",
        3,
        ("yaml",),
        note="the indented 'lang:' on line 3 is the YAML error",
    ),
    Case("ms-nul-bytes", (), "essay.md", 8, (("nul", "null", "control", "binary"),)),
    Case("ms-is-directory", (), "essay.md", None, ("folder",)),
    Case("ms-missing-image", (), "essay.md", 10, ("figures/missing.png",)),
    Case("ms-image-not-an-image", (), "essay.md", 10, ("chart.png",)),
    # --- config ----------------------------------------------------------------------------
    Case(
        "cfg-empty",
        (
            "--manuscript",
            "manuscript/essay.md",
            "--bibliography",
            "refs.bib",
            "--output-dir",
            "output",
        ),
        "typeset.yaml",
        expect=OK,
        note="every key is optional: an empty config is all defaults",
    ),
    Case("cfg-yaml-syntax", (), "typeset.yaml", (2, 3), ("yaml",)),
    Case("cfg-formats-int", (), "typeset.yaml", 3, ("formats", "pdf")),
    Case("cfg-style-list", (), "typeset.yaml", 2, ("style",)),
    Case("cfg-paper-a3", (), "typeset.yaml", 4, ("a3", "a4", "letter")),
    Case("cfg-output-dir-mapping", (), "typeset.yaml", 2, ("output_dir",)),
    Case("cfg-profiles-string", (), "typeset.yaml", 3, ("profiles",)),
    Case("cfg-unknown-top-key", (), "typeset.yaml", 3, ("colour",)),
    Case("cfg-unknown-profile-key", (), "typeset.yaml", 6, ("papr", "paper")),
    Case("cfg-toc-string", (), "typeset.yaml", 3, ("toc", "true", "false")),
    Case("cfg-is-list", (), "typeset.yaml", 1, ("mapping",)),
    Case(
        "cfg-unknown-profile",
        ("--profile", "nature"),
        "typeset.yaml",
        None,
        ("nature", "journal", "review"),
    ),
    Case("cfg-invalid-utf8", (), "typeset.yaml", 4, ("utf-8",)),
    # --- styles ----------------------------------------------------------------------------
    Case(
        "style-unknown-name-flag",
        ("--style", "chicago-autor-date"),
        "chicago-autor-date",
        None,
        ("chicago-author-date",),
    ),
    Case(
        "style-unknown-name-config",
        (),
        "typeset.yaml",
        2,
        ("chicago-autor-date", "chicago-author-date"),
        note="the bad value comes from the config: name its line, as for any bad value",
    ),
    Case("csl-not-csl-xml", BAD_CSL, "bad.csl", None, ("csl",)),
    Case("csl-missing-citation", BAD_CSL, "bad.csl", None, ("citation",)),
    Case("csl-not-xml", BAD_CSL, "bad.csl", 1, ("xml",)),
    Case("csl-binary", BAD_CSL, "bad.csl", None, (("xml", "csl"),)),
    Case(
        "csl-undefined-macro",
        BAD_CSL,
        "bad.csl",
        None,
        ("no-such-macro",),
        note="pandoc only warns and prints every citation empty",
    ),
    # --- hostile inputs (issue 14): refused up front, in bounded time and memory ---------------
    Case("bib-crossref-cycle", (), "refs.bib", None, ("crossref cycle", "loopa")),
    Case("bib-duplicate-key-next-line", (), "refs.bib", None, ("duplicate", "rawnsley2009")),
    Case("csljson-author-string", BIB_JSON, "refs.json", 2, ("author", "rawnsley2009")),
    Case("csljson-id-null", BIB_JSON, "refs.json", 2, ("'id'",)),
    Case("csl-macro-cycle", BAD_CSL, "bad.csl", None, ("loop", "first")),
    Case("ms-deep-blockquotes", (), "essay.md", None, ("nested",)),
    Case("ms-deep-brackets", (), "essay.md", None, ("brackets",)),
    Case("ms-frontmatter-alias-bomb", (), "essay.md", None, ("alias",)),
    Case("ms-frontmatter-list", (), "essay.md", 2, ("mapping",)),
    Case("ms-pdf-figure", (), "essay.md", 8, ("pdf",)),
    Case("ms-svg-script", (), "essay.md", 8, ("svg",)),
    Case("cite-missing-key-in-abstract", (), "essay.md", 6, ("nosuchkey2009",)),
    Case("cfg-metadata-int-key", (), "typeset.yaml", None, ("metadata",)),
    # --- output ----------------------------------------------------------------------------
    Case(
        "out-dir-is-file",
        ("--output-dir", "output/essay.pdf"),
        "essay.pdf",
        None,
        ("output",),
        note="fails for root too, unlike chmod",
    ),
    Case(
        "out-dir-under-file",
        ("--output-dir", "output/essay.pdf/sub"),
        "essay.pdf",
        None,
        ("output",),
    ),
]


def test_every_corpus_folder_has_a_case_and_back() -> None:
    folders = {path.name for path in CORPUS.iterdir() if path.is_dir()}
    assert folders == {case.id for case in CASES}
    assert len(CASES) >= 40


def overlay(case_dir: Path, project: Path) -> None:
    """Lay the case's files over the project, replacing files or folders in the way."""
    for source in sorted(case_dir.rglob("*")):
        if not source.is_file() or source.name == NOTE:
            continue
        relative = source.relative_to(case_dir)
        data = source.read_bytes()
        if relative.suffix == ".gz":
            relative, data = relative.with_suffix(""), gzip.decompress(data)
        target = project / relative
        for ancestor in reversed(target.relative_to(project).parents[:-1]):
            if (project / ancestor).is_file():
                (project / ancestor).unlink()
        if target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob(".*.partial"))


def contains(stderr: str, fragment: str | re.Pattern[str] | tuple[str, ...]) -> bool:
    if isinstance(fragment, re.Pattern):
        return fragment.search(stderr) is not None
    if isinstance(fragment, tuple):
        return any(contains(stderr, one) for one in fragment)
    return fragment.lower() in stderr.lower()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, project_copy: Path, cli: CommandLine) -> None:
    output = project_copy / "output"
    good = cli("--config", "typeset.yaml", cwd=project_copy)
    assert good.returncode == 0, f"the good build before the case failed:\n{good.stderr}"
    before = snapshot(output)
    assert before, "the good build wrote nothing"

    overlay(CORPUS / case.id, project_copy)
    result = cli("--config", "typeset.yaml", *case.args, cwd=project_copy)
    stderr = result.stderr
    shown = f"exit {result.returncode}\n--- stderr ---\n{stderr[:3000]}"

    assert "Traceback" not in stderr, shown
    assert leftovers(output) == [], shown
    if case.expect == OK or (case.expect == SURVIVE and result.returncode == 0):
        assert result.returncode == 0, shown
        written = {path.name for path in output.iterdir() if path.is_file()}
        assert {"essay.pdf", "essay.epub", "essay.docx"} <= written, shown
        return

    assert result.returncode == 1, shown
    assert stderr.startswith("error: "), shown
    assert len(stderr) <= MAX_STDERR, f"{len(stderr)} characters of stderr\n{shown}"
    assert case.file in stderr, f"the message does not name {case.file}\n{shown}"
    if case.line is not None:
        lines = case.line if isinstance(case.line, tuple) else (case.line,)
        wanted = [f"{case.file}:{line}:" for line in lines]
        assert any(where in stderr for where in wanted), f"expected {' or '.join(wanted)}\n{shown}"
    for fragment in case.fragments:
        assert contains(stderr, fragment), f"expected {fragment!r}\n{shown}"
    hint_given = len(stderr.strip().splitlines()) >= 2 or HINT_WORDS.search(stderr)
    assert hint_given, f"no hint saying what to do\n{shown}"
    assert snapshot(output) == before, f"previous outputs changed\n{shown}"
