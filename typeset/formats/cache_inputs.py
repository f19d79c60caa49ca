"""What a format's cached bytes depend on beyond the resolved document.

A writer lists these in `cache_inputs`, one line per input; the build fingerprints them
into the output's cache key, so an edit to any of them rebuilds that format only. Each is
a function of the config returning something `typeset.cache.fingerprint` can hash.

The inputs that are files (`config_files`, `style_files`) also say which files: the build
reports them among the files it read (typeset/commands/build.py), for the up-to-date check and
`--watch`, and no output may replace one. A writer's files are declared here only.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typeset import resources
from typeset.cache import file_fingerprint, fonts_fingerprint
from typeset.config import Config

CacheInput = Callable[[Config], Any]


@dataclass(frozen=True)
class FileInputs:
    """Files a writer reads: their fingerprints (labelled) are its cache input."""

    paths: Callable[[Config], Sequence[Path | None]]  # None: an optional file left unset
    label: Callable[[Path | None], str]  # what names a file in the cache key

    def __call__(self, config: Config) -> Any:
        return [(self.label(path), file_fingerprint(path)) for path in self.paths(config)]

    def files(self, config: Config) -> list[Path]:
        return [path for path in self.paths(config) if path is not None]


def files_read(cache_inputs: Iterable[CacheInput], config: Config) -> list[Path]:
    """The files among a writer's cache inputs."""
    return [
        path
        for cache_input in cache_inputs
        if isinstance(cache_input, FileInputs)
        for path in cache_input.files(config)
    ]


def config_fields(*names: str) -> CacheInput:
    """The values of these config options (e.g. "paper", "margins")."""

    def values(config: Config) -> Any:
        return [repr(getattr(config, name)) for name in names]

    return values


def config_files(*names: str) -> FileInputs:
    """The path and content of the files these config options name (e.g. "cover_image")."""
    return FileInputs(lambda config: [getattr(config, name) for name in names], label=str)


def style_files(pattern: str) -> FileInputs:
    """The content of the style files matching `pattern` a build uses (the project's own
    styles/, else the shipped ones)."""
    return FileInputs(
        lambda config: resources.style_files(config.project_dir, pattern),
        label=lambda path: path.name if path else "",
    )


def package_version(distribution: str) -> CacheInput:
    """The installed version of a Python distribution (e.g. "weasyprint")."""

    def version(config: Config) -> str:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            return ""

    return version


def installed_fonts(config: Config) -> str:
    """The fonts fontconfig can find: a new or updated font changes the set text."""
    return fonts_fingerprint()


def node_package_versions(config: Config) -> str:
    """The MathJax and font packages that draw the PDF's equations (node_modules)."""
    from typeset.mathjax import mathjax_version  # imported on use: the CLI's help stays fast

    return mathjax_version(config.project_dir)
