"""`typeset jobs DIR...`: every project's profiles as independent jobs for a CI matrix or
`xargs -P` (typeset/commands/jobs.py). Fast: the listing reads configs, it builds nothing."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT, pdf_pages
from typeset.cli import EXIT_INPUT_ERROR, EXIT_OK, EXIT_USAGE, main
from typeset.commands.jobs import GITHUB_MATRIX_LIMIT, Job, find_jobs, github_matrix

TWO_PROFILES = """\
manuscript: paper.md
profiles:
  print:
    formats: [pdf]
    output_dir: output/print
  digital:
    formats: [epub]
    output_dir: output/digital
"""


def project(folder: Path, config: str = TWO_PROFILES) -> Path:
    folder.mkdir(parents=True)
    (folder / "paper.md").write_text("---\ntitle: A title\n---\n\nText.\n")
    (folder / "typeset.yaml").write_text(config)
    return folder


@pytest.fixture
def press(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """titles/ with two projects (one without profiles) and a folder that is no project."""
    monkeypatch.chdir(tmp_path)
    project(tmp_path / "titles" / "b-second")
    project(tmp_path / "titles" / "a-first", "manuscript: paper.md\n")
    (tmp_path / "titles" / "notes").mkdir()
    # A copy in a hidden folder (a cache, .git) is not a title.
    project(tmp_path / "titles" / ".trash" / "old")
    return Path("titles")


def listed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["jobs", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_each_profile_of_each_project_is_one_job_in_path_order(press: Path) -> None:
    jobs = find_jobs([press])
    assert [(str(job.project), job.profile) for job in jobs] == [
        ("titles/a-first", None),  # no profiles: the config alone
        ("titles/b-second", "print"),  # the file's order, not the alphabet's
        ("titles/b-second", "digital"),
    ]


def test_the_lines_are_shell_commands_that_run_each_job(
    press: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = listed(capsys, str(press), "--command", "python3 -m typeset")
    assert code == EXIT_OK
    command = ["python3", "-m", "typeset", "--config"]
    assert [shlex.split(line) for line in out.splitlines()] == [
        [*command, "titles/a-first/typeset.yaml"],
        [*command, "titles/b-second/typeset.yaml", "--profile", "print"],
        [*command, "titles/b-second/typeset.yaml", "--profile", "digital"],
    ]


def test_a_path_with_spaces_and_quotes_survives_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    project(tmp_path / "Author's book; $(rm -rf x)")
    code, out, _ = listed(capsys, ".")
    assert code == EXIT_OK
    line = out.splitlines()[0]
    assert shlex.split(line)[2] == "Author's book; $(rm -rf x)/typeset.yaml"


def test_the_github_matrix_names_project_config_and_profile(
    press: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = listed(capsys, str(press), "--format", "github")
    assert code == EXIT_OK
    assert json.loads(out) == {
        "include": [
            {
                "project": "titles/a-first",
                "config": "titles/a-first/typeset.yaml",
                "profile": "",
                "name": "titles-a-first",
            },
            {
                "project": "titles/b-second",
                "config": "titles/b-second/typeset.yaml",
                "profile": "print",
                "name": "titles-b-second-print",
            },
            {
                "project": "titles/b-second",
                "config": "titles/b-second/typeset.yaml",
                "profile": "digital",
                "name": "titles-b-second-digital",
            },
        ]
    }


def test_matrix_names_stay_unique_when_two_paths_read_alike() -> None:
    jobs = [Job(Path("a b"), Path("a b/typeset.yaml"), "x"), Job(Path("a_b"), Path("x"), "x")]
    names = [entry["name"] for entry in github_matrix(jobs)["include"]]
    assert names == ["a_b-x", "a_b-x-2"]


def test_more_jobs_than_a_github_matrix_holds_asks_for_shards() -> None:
    jobs = [Job(Path(f"t{n}"), Path(f"t{n}/typeset.yaml"), "p") for n in range(300)]
    with pytest.raises(Exception, match=r"at most 256") as error:
        github_matrix(jobs)
    assert "--shard 1/2" in str(error.value)
    assert len(github_matrix(jobs[:GITHUB_MATRIX_LIMIT])["include"]) == GITHUB_MATRIX_LIMIT


def test_shards_split_the_jobs_without_overlap(
    press: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    everything = listed(capsys, str(press))[1].splitlines()
    first = listed(capsys, str(press), "--shard", "1/2")[1].splitlines()
    second = listed(capsys, str(press), "--shard", "2/2")[1].splitlines()
    assert sorted(first + second) == sorted(everything)
    assert not set(first) & set(second)
    code, _, err = listed(capsys, str(press), "--shard", "3/2")
    assert code == EXIT_USAGE
    assert "from 1 to 2" in err


def test_only_the_profiles_named(press: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = listed(capsys, str(press), "--profile", "digital")
    assert out.splitlines() == ["typeset --config titles/b-second/typeset.yaml --profile digital"]
    code, _, err = listed(capsys, str(press), "--profile", "digtal")
    assert code == EXIT_USAGE
    assert "no project defines the profile 'digtal'" in err


def test_a_folder_without_projects_is_a_usage_error(
    press: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = listed(capsys, str(press / "notes"))
    assert (code, out) == (EXIT_USAGE, "")
    assert "no typeset.yaml in titles/notes or any folder below it" in err


def test_a_broken_config_fails_the_listing_naming_its_line(
    press: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (press / "b-second" / "typeset.yaml").write_text(TWO_PROFILES + "  bad: [unclosed\n")
    code, out, err = listed(capsys, str(press))
    assert (code, out) == (EXIT_INPUT_ERROR, "")
    assert err.startswith("error: titles/b-second/typeset.yaml:")
    assert "Traceback" not in err


def test_two_profiles_writing_the_same_files_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = TWO_PROFILES.replace("output/digital", "output/print")
    project(tmp_path / "title", shared)
    code, out, err = listed(capsys, str(tmp_path))
    assert (code, out) == (EXIT_USAGE, "")
    assert "profiles 'print' and 'digital' would both write paper.*" in err
    assert "its own 'output_dir'" in err


def readme_workflow() -> str:
    readme = (PROJECT / "README.md").read_text()
    section = readme.split("### Many titles: one job per title and profile", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_readme_workflow_reads_only_fields_the_matrix_has(press: Path) -> None:
    workflow = yaml.safe_load(readme_workflow())
    assert set(workflow["jobs"]) == {"list", "build"}
    used = set(re.findall(r"matrix\.(\w+)", readme_workflow()))
    (entry, *_) = github_matrix(find_jobs([press]))["include"]
    assert used and used <= set(entry)
    assert "typeset jobs titles/ --format github" in readme_workflow()
    # matrix values reach the script through the environment only (no injection)
    for step in workflow["jobs"]["build"]["steps"]:
        assert "${{" not in step.get("run", "")


@pytest.mark.slow
def test_the_readme_one_liner_builds_every_job_on_one_shared_cache(tmp_path: Path) -> None:
    """`typeset jobs titles/ | xargs -d '\\n' -P 2 -I{} sh -c {}`, two titles (one with a
    space and a quote in its folder's name), two profiles each, one cache for all."""
    for name, title in (("first", "Salt Roads"), ("Author's second", "Tea Ledgers")):
        folder = tmp_path / "titles" / name
        project(folder)
        (folder / "paper.md").write_text(f"---\ntitle: {title}\n---\n\n# One\n\nText.\n")
    environment = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "TYPESET_CACHE_DIR": str(tmp_path / "cache"),
    }
    options: dict[str, Any] = {
        "cwd": tmp_path, "env": environment, "capture_output": True, "text": True
    }  # fmt: skip
    typeset = f"{sys.executable} -m typeset"
    listing = subprocess.run(
        ["sh", "-c", f"{typeset} jobs titles/ --command '{typeset}'"],
        **options,
        check=True,
    ).stdout
    ran = subprocess.run(
        ["sh", "-c", "xargs -d '\\n' -P 2 -I{} sh -c {}"], input=listing, **options, check=False
    )
    assert ran.returncode == 0, ran.stderr
    for name, title in (("first", "Salt Roads"), ("Author's second", "Tea Ledgers")):
        output = tmp_path / "titles" / name / "output"
        assert title in " ".join(pdf_pages(output / "print" / "paper.pdf"))
        with zipfile.ZipFile(output / "digital" / "paper.epub") as epub:
            assert title.encode() in epub.read("EPUB/content.opf")
    assert list((tmp_path / "cache").iterdir())  # the jobs wrote to the shared cache
