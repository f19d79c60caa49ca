"""The one reader of a build's inputs: style, manuscript, bibliography, checked once.

Every command that reads the manuscript (build, `--check`, `--preview-styles`,
`--cross-check`) goes through `read_inputs`, so sanitising, anonymity and the draft
policy for missing citation keys cannot drift apart between them.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from typeset.book import manuscript_folder
from typeset.cache import BuildCache
from typeset.citations.base import check_citations
from typeset.cito import without_cito_prefixes
from typeset.config import Config
from typeset.confine import roots_of
from typeset.crossref import cross_referenced, missing_label_error
from typeset.errors import StyleError, TypesetError
from typeset.frontmatter import declared_language, warn_about_keys_not_acted_on
from typeset.manuscript import Manuscript, read_manuscript
from typeset.quarto.layout import with_layouts
from typeset.rawlatex import translated_latex
from typeset.references import Bibliography, inline_references, merged, read_bibliographies
from typeset.sanitize import restrict_resources
from typeset.styles import CslStyle, resolve_style

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inputs:
    """What every command starts from: the sanitised manuscript, its works, its style."""

    manuscript: Manuscript
    bibliography: Bibliography
    style: CslStyle
    # Draft policy (`missing_citations: warning`): a key missing from the bibliography
    # is reported and printed visibly marked instead of stopping the build.
    draft: bool
    # Quarto cross-references (`@fig-x`) naming no label and no bibliography entry.
    missing_labels: tuple[str, ...] = ()
    # `\ref{x}` written in raw LaTeX naming no `\label{x}` (typeset/rawlatex.py).
    latex_problems: tuple[TypesetError, ...] = ()


@dataclass(frozen=True)
class SourceReads:
    """A manuscript and bibliography as read from disk, not yet sanitised: several builds
    of one manuscript (the profiles of one run) share one read."""

    manuscript: Manuscript
    bibliography: Bibliography


def read_sources(config: Config, *, cache: BuildCache | None = None) -> SourceReads:
    """Read the manuscript (anonymised when the config says so) and the bibliography."""
    # pandoc parses the manuscript in a subprocess; meanwhile a thread reads the .bib,
    # in the language the front matter declares (it decides which titles pandoc
    # sentence-cases).
    guessed_lang = declared_language(config.manuscript, config.metadata)
    draft = config.missing_citations != "error"
    roots = roots_of(config)  # every file read lies inside them (typeset/confine.py)
    with concurrent.futures.ThreadPoolExecutor(1) as background:
        bibliography_read = background.submit(
            read_bibliographies,
            config.bibliography,
            lang=guessed_lang,
            cache=cache,
            draft=draft,
            roots=roots,
        )
        try:
            manuscript = read_manuscript(
                config.manuscript,
                config.metadata,
                anonymous=config.anonymous,
                cache=cache,
                allowed_roots=[manuscript_folder(config.manuscript), config.project_dir],
                roots=roots,
                chapters=config.chapters,
            )
        except BaseException:
            bibliography_read.cancel()
            raise
        bibliography = bibliography_read.result()
    if manuscript.lang != guessed_lang:  # a `lang` the quick look missed (a later YAML block)
        bibliography = read_bibliographies(
            config.bibliography, lang=manuscript.lang, cache=cache, draft=draft, roots=roots
        )
    warn_about_keys_not_acted_on(manuscript.meta, manuscript.where)
    if "references" in manuscript.meta:  # works listed in the front matter itself
        path, line = manuscript.where("references:")
        inline = inline_references(manuscript.document, path, line)
        bibliography = merged([bibliography, inline], draft)
    return SourceReads(manuscript, bibliography)


def read_style_and_sources(
    config: Config, *, cache: BuildCache | None = None, sources: SourceReads | None = None
) -> tuple[CslStyle, SourceReads]:
    """The configured style and the sources (`sources` when already read).

    The style is read and checked (its XML parsed, its macros walked) while pandoc
    parses the manuscript; an unknown or broken style is still the error reported first.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as meanwhile:
        style_read = meanwhile.submit(configured_style, config)
        try:
            if sources is None:
                sources = read_sources(config, cache=cache)
        except BaseException:
            style_read.result()
            raise
        return style_read.result(), sources


def read_inputs(
    config: Config,
    *,
    cache: BuildCache | None = None,
    sources: SourceReads | None = None,
    style: CslStyle | None = None,
) -> Inputs:
    """Read and check the config's style, manuscript and bibliography.

    The manuscript is anonymised when the config says so, and kept inside its folder
    and off the network (typeset/sanitize.py). `sources` and `style` are reads already
    made for this config (`read_style_and_sources`). Raises a TypesetError on bad input.
    """
    if style is None or sources is None:
        style, sources = read_style_and_sources(config, cache=cache, sources=sources)
    # Raw LaTeX made the document's own (links, images, references) before the sanitiser
    # and the cross-references see it, so both treat it like its Markdown spelling.
    latex = translated_latex(sources.manuscript, formats=config.formats, cache=cache)
    manuscript = restrict_resources(
        latex.manuscript,
        allowed_roots=roots_of(config),
        allowed_urls=config.allowed_urls,
        draft=config.missing_citations != "error",
        cache=cache,
    )
    # Cross-references are numbered and resolved before citations are looked at: a label
    # is never a citation key (typeset/crossref/ says what wins).
    # `@usesMethodIn:key` (pandoc-scholar's typed citations) cites `key` (typeset/cito.py).
    typed = without_cito_prefixes(manuscript.document, sources.bibliography.keys)
    manuscript = dataclasses.replace(manuscript, document=typed)
    manuscript, missing_labels = cross_referenced(manuscript, sources.bibliography.keys, config)
    # Panels side by side once their subfigures are lettered (typeset/quarto/layout.py).
    manuscript = dataclasses.replace(manuscript, document=with_layouts(manuscript.document))
    return Inputs(
        manuscript=manuscript,
        bibliography=sources.bibliography,
        style=style,
        draft=config.missing_citations != "error",
        missing_labels=missing_labels,
        latex_problems=latex.problems,
    )


def check_citation_keys(inputs: Inputs) -> None:
    """Every cited key must be in the bibliography and every cross-reference name a
    label; in a draft, say so and go on (the key or label is printed visibly marked)."""
    problems: list[TypesetError] = []
    if inputs.missing_labels:
        problems.append(missing_label_error(inputs.manuscript, inputs.missing_labels))
    problems.extend(inputs.latex_problems)
    try:
        check_citations(inputs.manuscript, inputs.bibliography)
    except TypesetError as error:
        problems.append(error)
    for problem in problems:
        if not inputs.draft:
            raise problem
        log.warning("%s (draft: building anyway)", problem)


def configured_style(config: Config) -> CslStyle:
    """The configured style; an unknown name is reported where it was set."""
    try:
        return resolve_style(config.style, config.project_dir, roots=roots_of(config))
    except StyleError as error:
        origin = config.origins.get("style", "")
        if error.path is None and ":" in origin and origin != "the command line":
            file_name, _, line = origin.rpartition(":")
            error.path = Path(file_name)
            error.line = int(line) if line.isdigit() else None
        raise
