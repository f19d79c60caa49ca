"""Which project a `typeset` command builds: the manuscript named, and its project folder.

The project folder is the nearest folder, from the manuscript's folder (or, with no
manuscript named, the current folder) upward, that holds a `typeset.yaml`; without one it
is the manuscript's folder (or the current folder). Outputs go to `<project>/output/`
unless the config or `--output-dir` says otherwise, and the project's `styles/NAME.csl`,
`refs.bib` and `styles/` overrides are found there, as in git or Quarto.

This module imports only the standard library and the error family: the command line
settles the project before its up-to-date check.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from typeset.book import book_kind, quarto_article
from typeset.errors import ManuscriptError
from typeset.names import CONFIG_NAME

log = logging.getLogger(__name__)

# What pandoc and Quarto read as Markdown.
MANUSCRIPT_SUFFIXES = (".md", ".markdown", ".qmd")


@dataclass(frozen=True)
class Project:
    folder: Path
    config: Path | None  # the nearest typeset.yaml, or the one --config names
    manuscript: Path | None  # the manuscript named on the command line, checked


def locate(manuscript: Path | None, config: Path | None, *, cwd: Path | None = None) -> Project:
    """The project of `typeset [MANUSCRIPT] [--config FILE]` run in `cwd`."""
    cwd = (cwd or Path.cwd()).resolve()
    named = checked_manuscript(cwd / manuscript) if manuscript is not None else None
    if config is not None:
        config = (cwd / config).resolve()
        return Project(config.parent, config, named)
    start = (named if named.is_dir() else named.parent) if named else cwd
    found = configs_upward(start)
    if found:
        for ignored in found[1:]:
            log.info("%s is further up than %s and is not read", ignored, found[0])
        log.info("project folder %s (config %s)", found[0].parent, found[0])
        return Project(found[0].parent, found[0], named)
    log.info("project folder %s (no %s here or above)", start, CONFIG_NAME)
    if named is None and book_kind(start) is not None:  # `typeset` in a book's folder
        return Project(start, None, start)
    if named is None and (article := quarto_article(start)) is not None:
        return Project(start, None, article.resolve())
    return Project(start, None, named)


def configs_upward(start: Path) -> list[Path]:
    """Every typeset.yaml from `start` up to the root, nearest first."""
    return [
        folder / CONFIG_NAME
        for folder in (start, *start.parents)
        if (folder / CONFIG_NAME).is_file()
    ]


def checked_manuscript(path: Path) -> Path:
    """`path` when it is a readable Markdown file; else one error saying what is wrong."""
    if not path.exists():
        raise ManuscriptError(
            "manuscript not found",
            path=path,
            hint="check the file name (e.g. `typeset paper.md` in the paper's folder)",
        )
    if path.is_dir():
        if book_kind(path) is not None:  # a Quarto, Manubot or bookdown book
            return path.resolve()
        article = quarto_article(path)  # a Quarto manuscript project: its article
        if article is not None:
            return article.resolve()
        raise ManuscriptError(
            "the manuscript is a folder, not a file, nor a book's folder",
            path=path,
            hint="name the Markdown file itself, e.g. `typeset paper.md`, or a folder "
            "holding a Quarto book (_quarto.yml), a Manubot content/ or a _bookdown.yml",
        )
    if path.suffix.lower() not in MANUSCRIPT_SUFFIXES:
        ending = f"ends in '{path.suffix}'" if path.suffix else "has no suffix"
        raise ManuscriptError(
            f"not a Markdown manuscript: the name {ending} "
            f"(typeset reads {', '.join(MANUSCRIPT_SUFFIXES)})",
            path=path,
            hint="name the .md, .markdown or .qmd file (rename a Markdown file that lacks it)",
        )
    if not os.access(path, os.R_OK):
        raise ManuscriptError(
            "the manuscript cannot be read (permission denied)",
            path=path,
            hint="check the file's permissions",
        )
    return path.resolve()
