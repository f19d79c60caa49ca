"""Several profiles in one run: the same files as one by one, sooner; failures contained."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from typeset import build, load_config
from typeset.cli import main
from typeset.commands.submissions import build_profiles
from typeset.config import profile_names


def project_copy_in(folder: Path) -> Path:
    folder.mkdir()
    for name in ("manuscript", "styles"):
        shutil.copytree(PROJECT / name, folder / name)
    for name in ("refs.bib", "typeset.yaml"):
        shutil.copy(PROJECT / name, folder / name)
    return folder


def files_below(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.parts)
    }


@pytest.mark.slow
def test_all_profiles_in_one_run_give_the_same_files_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    together, apart = project_copy_in(tmp_path / "together"), project_copy_in(tmp_path / "apart")

    def configs(project: Path) -> dict[str, object]:
        config_path = project / "typeset.yaml"
        return {
            name: load_config(config_path, profile=name, project_dir=project)
            for name in profile_names(config_path)
        }

    # Each run starts from a cold cache of its own: nothing is borrowed from the other.
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache-apart"))
    started = time.perf_counter()
    for config in configs(apart).values():
        build(config)  # type: ignore[arg-type]
    one_by_one = time.perf_counter() - started

    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache-together"))
    started = time.perf_counter()
    outcomes = build_profiles(configs(together))  # type: ignore[arg-type]
    in_one_run = time.perf_counter() - started

    assert all(outcome.succeeded for outcome in outcomes), [o.error for o in outcomes]
    built_together, built_apart = files_below(together / "output"), files_below(apart / "output")
    assert len(built_together) > 20 and built_together.keys() == built_apart.keys()
    different = [name for name in built_together if built_together[name] != built_apart[name]]
    assert different == []
    # Printed, not asserted: on two cores shared with other jobs the difference is within
    # the noise (the measured ratio is in the report of issue 16).
    print(f"one by one {one_by_one:.1f} s, in one run {in_one_run:.1f} s")


FAILING_CONFIG = """\
manuscript: manuscript/essay.md
bibliography: refs.bib
profiles:
  good:
    style: apa
    formats: [docx]
    output_dir: out/good
  # A reference document that is not a .docx: the PDF is written, then the DOCX fails.
  broken:
    style: international-studies-quarterly
    formats: [pdf, docx]
    docx_reference: refs.bib
    output_dir: out/broken
"""


@pytest.fixture(scope="module")
def failing_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = project_copy_in(tmp_path_factory.mktemp("failing") / "project")
    (project / "typeset.yaml").write_text(FAILING_CONFIG)
    old = project / "out" / "broken"
    old.mkdir(parents=True)
    (old / "essay.pdf").write_bytes(b"the previous PDF")
    (old / "essay.docx").write_bytes(b"the previous DOCX")
    return project


@pytest.mark.slow
def test_a_failing_profile_leaves_the_others_built_and_its_old_outputs_alone(
    failing_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--profile", "good,broken"], project_dir=failing_project)
    assert code == 1
    assert (failing_project / "out" / "good" / "essay.docx").stat().st_size > 1000
    assert (failing_project / "out" / "broken" / "essay.pdf").read_bytes() == b"the previous PDF"
    assert (failing_project / "out" / "broken" / "essay.docx").read_bytes() == (
        b"the previous DOCX"
    )
    table = capsys.readouterr().out
    assert "broken: error:" in table and "1 of 2 profiles built" in table
    good_row = next(line for line in table.splitlines() if line.startswith("good "))
    assert "apa" in good_row and "docx" in good_row and good_row.endswith("ok")


@pytest.mark.slow
def test_check_with_several_profiles_prints_one_report(
    failing_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--profile", "good,broken", "--check", "--json"], project_dir=failing_project)
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["passed"] is False
    by_name = {entry["profile"]: entry for entry in report["profiles"]}
    assert by_name["good"]["passed"] is True and "docx" in by_name["good"]["checked"]
    assert by_name["broken"]["passed"] is False


def test_two_profiles_writing_the_same_files_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = project_copy_in(tmp_path / "project")
    (project / "typeset.yaml").write_text(
        "manuscript: manuscript/essay.md\nprofiles:\n  a:\n    style: apa\n  b:\n    style: ieee\n"
    )
    assert main(["--all-profiles"], project_dir=project) == 2
    assert "would both write essay.*" in capsys.readouterr().err
    assert not (project / "output").exists()
