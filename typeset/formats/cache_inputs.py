"""What a format's cached bytes depend on beyond the resolved document.

A writer lists these in `cache_inputs`, one line per input; the build fingerprints them
into the output's cache key, so an edit to any of them rebuilds that format only. Each is
a function of the config returning something `typeset.cache.fingerprint` can hash.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any

from typeset import resources
from typeset.cache import file_fingerprint, fonts_fingerprint
from typeset.config import Config

CacheInput = Callable[[Config], Any]


def config_fields(*names: str) -> CacheInput:
    """The values of these config options (e.g. "paper", "margins")."""

    def values(config: Config) -> Any:
        return [repr(getattr(config, name)) for name in names]

    return values


def config_files(*names: str) -> CacheInput:
    """The path and content of the files these config options name (e.g. "cover_image")."""

    def files(config: Config) -> Any:
        return [
            (str(getattr(config, name)), file_fingerprint(getattr(config, name))) for name in names
        ]

    return files


def style_files(pattern: str) -> CacheInput:
    """The content of the style files matching `pattern` a build uses (the project's own
    styles/, else the shipped ones)."""

    def files(config: Config) -> Any:
        return [
            (path.name, file_fingerprint(path))
            for path in resources.style_files(config.project_dir, pattern)
        ]

    return files


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
