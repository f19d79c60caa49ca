"""Formats and engines are declared once, in their registries, and everything follows.

A new format is one module (tests/plain_text_writer.py) and one registry line: these
tests register it and see it built, cached, checked and offered on the command line.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from typeset import options
from typeset.ast import plain_text
from typeset.citations import ENGINES, engine_named
from typeset.cli import parser
from typeset.commands.build import build
from typeset.commands.check import check
from typeset.config import load_config
from typeset.errors import ConfigError
from typeset.formats import HEAD_STARTS, WRITERS, writer_for


def test_every_writer_declares_what_the_build_and_the_gate_need() -> None:
    for name in WRITERS:
        writer = writer_for(name)
        assert writer.name == name
        assert writer.extension
        assert writer.validators, f"{name} has nothing for --check to run"
        assert all(callable(cache_input) for cache_input in writer.cache_inputs)


def test_every_head_start_belongs_to_a_writer_and_names_functions_that_exist() -> None:
    for name, targets in HEAD_STARTS.items():
        assert name in WRITERS
        for target in targets:
            module_name, _, function_name = target.partition(":")
            assert callable(getattr(importlib.import_module(module_name), function_name)), target


def test_every_engine_declares_its_version() -> None:
    for name in ENGINES:
        engine = engine_named(name)
        assert engine.name == name
        assert engine.version_fingerprint()


def test_config_and_command_line_offer_what_the_registries_hold() -> None:
    assert tuple(WRITERS) == options.FORMATS
    assert tuple(ENGINES) == options.ENGINES
    help_text = parser().format_help()
    assert ",".join(WRITERS) in help_text
    assert "{" + ",".join(ENGINES) + "}" in help_text


@pytest.fixture
def plain_text_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(WRITERS, "txt", "tests.plain_text_writer:PlainTextWriter")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT / "manuscript", tmp_path / "manuscript")
    shutil.copy(PROJECT / "refs.bib", tmp_path / "refs.bib")
    return tmp_path


def test_an_unregistered_format_is_a_config_error(project: Path) -> None:
    with pytest.raises(ConfigError, match="unknown format 'txt'"):
        load_config(None, project_dir=project, overrides={"formats": "txt"})


HEAD_START_CALLS: list[tuple[str, object]] = []


def record_config(config: object) -> None:
    HEAD_START_CALLS.append(("before reading", config))


def record_document(document: dict[str, object], config: object) -> None:
    HEAD_START_CALLS.append(("after parsing", plain_text(document["blocks"])))


@pytest.mark.slow
@pytest.mark.usefixtures("plain_text_format")
def test_a_writers_head_start_runs_before_reading_and_on_the_parsed_manuscript(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))  # not the session's
    monkeypatch.setitem(
        HEAD_STARTS, "txt", (f"{__name__}:record_config", f"{__name__}:record_document")
    )
    HEAD_START_CALLS.clear()
    config = load_config(None, project_dir=project, overrides={"formats": "txt"})
    build(config, force=True)
    assert [event for event, _ in HEAD_START_CALLS] == ["before reading", "after parsing"]
    assert HEAD_START_CALLS[0][1] is config
    assert "The issue is more puzzling" in str(HEAD_START_CALLS[1][1])  # the parsed essay

    HEAD_START_CALLS.clear()
    build(load_config(None, project_dir=project, overrides={"formats": "epub"}), force=True)
    assert HEAD_START_CALLS == []  # only the formats built get theirs


@pytest.mark.slow
@pytest.mark.usefixtures("plain_text_format")
def test_a_registered_format_is_built_cached_and_checked(project: Path) -> None:
    config = load_config(None, project_dir=project, overrides={"formats": "txt"})
    assert "pdf,epub,docx,txt" in parser().format_help()

    first = build(config)
    text = (project / "output" / "essay.txt").read_text()
    assert first.outputs == {"txt": project / "output" / "essay.txt"}
    assert "In October 1950" in text and "Jervis" in text  # citations resolved
    assert first.from_cache == frozenset()

    (project / "output" / "essay.txt").unlink()
    assert build(config).from_cache == {"txt"}
    assert (project / "output" / "essay.txt").read_text() == text

    # a config field the writer declares as a cache input rebuilds it
    letter = load_config(None, project_dir=project, overrides={"formats": "txt", "paper": "letter"})
    assert build(letter).from_cache == frozenset()

    report = check(config)
    assert report.checked == ["inputs", "txt"]
    assert [finding.check for finding in report.findings] == ["text-length"]


def test_every_pdf_variant_the_config_offers_is_one_the_pdf_writer_knows() -> None:
    from typeset.formats.pdf.writer import WEASYPRINT_OPTIONS_BY_VARIANT
    from typeset.names import PDF_VARIANTS

    assert tuple(WEASYPRINT_OPTIONS_BY_VARIANT) == PDF_VARIANTS
