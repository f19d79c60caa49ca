"""The build, top to bottom: resolve the style -> read the inputs (parsed once, cached) ->
check every citation key -> format the citations once -> write the formats in parallel ->
move the files into place together."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib.metadata
import importlib.util
import logging
import multiprocessing
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typeset
from typeset.cache import (
    BuildCache,
    cache_folder,
    file_fingerprint,
    fingerprint,
    folder_fingerprint,
    fonts_fingerprint,
)
from typeset.citations import ResolvedDocument, check_citations, engine_named
from typeset.citations.base import unlink_missing_entries, without_processing_fields
from typeset.citethis import (
    DEFAULT_CITE_STYLES,
    CiteThisWork,
    cite_this_work,
    cite_this_work_blocks,
    cite_this_work_paths,
    write_cite_this_work,
)
from typeset.config import FORMATS, Config
from typeset.errors import OutputError, StyleError, ToolError, TypesetError
from typeset.formats import extension_of, writer_for
from typeset.manuscript import Manuscript, read_manuscript
from typeset.output import staged_outputs
from typeset.pandoc import pandoc_fingerprint, pandoc_path
from typeset.references import Bibliography, read_bibliography
from typeset.sanitize import restrict_resources
from typeset.styles import CslStyle, resolve_style
from typeset.timings import stage

log = logging.getLogger(__name__)

# Called as (format, event, seconds) with event "start", "done" or "cached".
ProgressCallback = Callable[[str, str, float], None]


@dataclass(frozen=True)
class BuildResult:
    outputs: dict[str, Path]
    style_name: str
    seconds: float
    format_seconds: dict[str, float] = field(default_factory=dict)
    from_cache: frozenset[str] = frozenset()
    inputs: tuple[Path, ...] = ()  # every file the build read, for the up-to-date check


def build(
    config: Config, *, force: bool = False, progress: ProgressCallback | None = None
) -> BuildResult:
    """Build every format the config asks for; raise a TypesetError on bad input.

    `force` ignores cached results (they are still refreshed).
    """
    started = time.perf_counter()
    report = progress or (lambda name, event, seconds: None)
    cache = BuildCache(cache_folder(config.project_dir), read=not force)
    formats = _in_build_order(config.formats)
    input_paths = _input_paths(config)
    # pandoc subprocesses (parse, citeproc) leave this process idle: meanwhile a thread
    # imports the writers (WeasyPrint alone takes ~0.5 s) and another reads the .bib.
    background = concurrent.futures.ThreadPoolExecutor(2)
    try:
        warm_writers = background.submit(_import_writers, formats)
        bibliography_read = background.submit(read_bibliography, config.bibliography, cache=cache)
        style = _style_of(config)
        with stage("parse"):
            manuscript = restrict_resources(
                read_manuscript(
                    config.manuscript, config.metadata, anonymous=config.anonymous, cache=cache
                ),
                allowed_roots=[config.manuscript.parent, config.project_dir],
                allowed_urls=config.allowed_urls,
            )
        bibliography = bibliography_read.result()
        if config.missing_citations == "error":
            check_citations(manuscript, bibliography)
        else:
            _warn_missing_citations(manuscript, bibliography)

        work = _cite_this_work(manuscript, config, cache)
        if work is not None and config.cite_this_work:
            _refuse_overwriting_inputs(
                cite_this_work_paths(config.output_dir, manuscript.stem).values(), input_paths
            )
        destinations = {
            name: config.output_dir / f"{manuscript.stem}.{extension_of(name)}" for name in formats
        }
        resolved_key = _resolved_key(manuscript, bibliography, style, config)
        resources = [file_fingerprint(path) for path in manuscript.local_resources()]
        section_key = (
            work.references if work is not None and config.cite_this_work_section else None
        )
        output_keys = {
            name: _output_key(name, fingerprint(resolved_key, repr(section_key)), resources, config)
            for name in formats
        }
        cached_outputs = {
            name: path for name in formats if (path := cache.get_file(name, output_keys[name]))
        }
        timings: dict[str, float] = {}
        with staged_outputs(destinations) as staged:
            for name, path in cached_outputs.items():
                staged[name].write_bytes(path.read_bytes())
                report(name, "cached", 0.0)
            to_write = [name for name in formats if name not in cached_outputs]
            if to_write:
                with stage("citeproc"):
                    resolved = _resolved(
                        manuscript, bibliography, style, config, cache, resolved_key
                    )
                documents = {
                    name: _with_back_matter(name, resolved, work, config) for name in to_write
                }
                # The import thread must be done before the writers fork: a fork taken
                # mid-import would leave the children holding the import lock.
                warm_writers.result()
                timings = _write_formats(to_write, documents, staged, config, report)
                for name in to_write:
                    cache.put_file(name, output_keys[name], staged[name])
    finally:
        background.shutdown(wait=True)
    outputs: dict[str, Path] = dict(destinations)
    if work is not None and config.cite_this_work:
        written = write_cite_this_work(work, config.output_dir, manuscript.stem, config.project_dir)
        outputs.update({f"cite-{path.name}": path for path in written})
    return BuildResult(
        outputs=outputs,
        style_name=style.name,
        seconds=time.perf_counter() - started,
        format_seconds=timings,
        from_cache=frozenset(cached_outputs),
        inputs=_inputs_read(config, manuscript, style),
    )


def _inputs_read(config: Config, manuscript: Manuscript, style: CslStyle) -> tuple[Path, ...]:
    styles = config.project_dir / "styles"
    code = Path(typeset.__file__).parent
    tools = [Path(pandoc_path())]
    for module in ("weasyprint", "citeproc", "pypandoc"):
        spec = importlib.util.find_spec(module)
        if spec and spec.origin:
            tools.append(Path(spec.origin))
    return (
        manuscript.path,
        config.bibliography,
        style.path,
        *sorted(path for path in styles.rglob("*") if path.is_file()),
        *manuscript.local_resources(),
        config.docx_reference,
        *([config.cover_image] if config.cover_image else []),
        *sorted(code.rglob("*.py")),
        *tools,
    )


def _style_of(config: Config) -> CslStyle:
    """The configured style; an unknown name is reported where it was set."""
    try:
        return resolve_style(config.style, config.project_dir)
    except StyleError as error:
        origin = config.origins.get("style", "")
        if error.path is None and ":" in origin and origin != "the command line":
            file_name, _, line = origin.rpartition(":")
            error.path = Path(file_name)
            error.line = int(line) if line.isdigit() else None
        raise


def _input_paths(config: Config) -> frozenset[Path]:
    """Input files an output must never replace."""
    return frozenset(
        path.resolve() for path in (config.manuscript, config.bibliography) if path.exists()
    )


def _refuse_overwriting_inputs(paths: Iterable[Path], inputs: frozenset[Path]) -> None:
    for path in paths:
        if path.resolve() in inputs:
            raise OutputError(
                f"the cite-this-work record {path.name} would overwrite an input",
                path=path,
                hint="choose another output_dir, or turn off cite_this_work",
            )


def _cite_this_work(
    manuscript: Manuscript, config: Config, cache: BuildCache
) -> CiteThisWork | None:
    """The manuscript's own reference in several styles; cached, as it costs a pandoc run
    per style. A review copy is anonymous: it gets none."""
    if config.anonymous or not (config.cite_this_work or config.cite_this_work_section):
        return None
    styles = list(config.cite_this_work_styles or DEFAULT_CITE_STYLES)
    key = fingerprint(
        "cite",
        manuscript.meta,
        styles,
        [file_fingerprint(resolve_style(name, config.project_dir).path) for name in styles],
        pandoc_fingerprint(),
        _code_fingerprint(),
    )
    cached = cache.get_bytes("cite", key)
    if cached is not None:
        try:
            work: CiteThisWork = pickle.loads(cached)  # our own cache: trusted
            return work
        except Exception:
            pass
    work = cite_this_work(manuscript.meta, config.project_dir, styles)
    cache.put_bytes("cite", key, pickle.dumps(work))
    return work


def _with_back_matter(
    name: str, resolved: ResolvedDocument, work: CiteThisWork | None, config: Config
) -> ResolvedDocument:
    """PDF and EPUB readers may want 'How to cite this essay'; a journal's DOCX does not."""
    if work is None or not config.cite_this_work_section or name == "docx":
        return resolved
    level = min(
        (block["c"][0] for block in resolved.document["blocks"] if block["t"] == "Header"),
        default=2,
    )
    document = dict(resolved.document)
    document["blocks"] = [*document["blocks"], *cite_this_work_blocks(work, level=level)]
    return dataclasses.replace(resolved, document=document)


def _warn_missing_citations(manuscript: Manuscript, bibliography: Bibliography) -> None:
    """Draft mode: say so, and let citeproc print the key in bold with a question mark."""
    try:
        check_citations(manuscript, bibliography)
    except TypesetError as error:
        log.warning("%s (draft: building anyway)", error)


def _import_writers(formats: list[str]) -> None:
    for name in formats:
        writer_for(name)


def _in_build_order(formats: tuple[str, ...]) -> list[str]:
    """PDF first: it is the slowest, so starting it first shortens the whole build."""
    return [name for name in FORMATS if name in formats]


def _resolved(
    manuscript: Manuscript,
    bibliography: Bibliography,
    style: CslStyle,
    config: Config,
    cache: BuildCache,
    key: str,
) -> ResolvedDocument:
    """The manuscript with citations formatted: from the cache, or one engine run."""
    cached = cache.get_json("resolved", key)
    if cached is not None:
        return ResolvedDocument(cached, style, manuscript)
    with tempfile.TemporaryDirectory(prefix="typeset-") as workdir:
        resolved = engine_named(config.engine).resolve(
            manuscript, bibliography, style, Path(workdir)
        )
    document = without_processing_fields(resolved.document)
    if config.missing_citations != "error":
        document = unlink_missing_entries(document, bibliography.keys)
    resolved = dataclasses.replace(resolved, document=document)
    cache.put_json("resolved", key, resolved.document)
    return resolved


def _resolved_key(
    manuscript: Manuscript, bibliography: Bibliography, style: CslStyle, config: Config
) -> str:
    return fingerprint(
        "resolved",
        manuscript.document,
        list(bibliography.items),
        file_fingerprint(style.path),
        style.name,
        config.engine,
        config.missing_citations,
        _engine_version(config.engine),
        pandoc_fingerprint(),
        _code_fingerprint(),
    )


def _output_key(name: str, resolved_key: str, resources: list[str], config: Config) -> str:
    """Everything a format's bytes depend on beyond the resolved document."""
    styles = config.project_dir / "styles"
    parts: list[Any] = [
        name,
        resolved_key,
        resources,
        config.toc,
        os.environ.get("SOURCE_DATE_EPOCH", ""),
    ]
    if name == "pdf":
        parts += [
            config.paper,
            config.margins,
            config.pdf_variant,
            list(config.allowed_urls),
            [file_fingerprint(path) for path in sorted(styles.glob("print.*"))],
            _tool_version("weasyprint"),
            fonts_fingerprint(),
        ]
    elif name == "epub":
        parts += [
            str(config.cover_image),
            file_fingerprint(config.cover_image),
            [file_fingerprint(path) for path in sorted(styles.glob("epub*"))],
            # the generated cover is drawn with Pillow in the installed fonts
            _tool_version("pillow"),
            _tool_version("fonttools"),
            _tool_version("lxml"),
            fonts_fingerprint(),
        ]
    elif name == "docx":
        parts += [file_fingerprint(config.docx_reference)]
    return fingerprint(*parts)


def _engine_version(engine: str) -> str:
    return _tool_version("citeproc-py") if engine == "citeproc-py" else ""


def _tool_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _code_fingerprint() -> str:
    """Our own code shapes the outputs too: an upgrade must not serve old files."""
    return folder_fingerprint(Path(typeset.__file__).parent)


def _write_formats(
    names: list[str],
    documents: dict[str, ResolvedDocument],
    staged: dict[str, Path],
    config: Config,
    report: ProgressCallback,
) -> dict[str, float]:
    """Write each format to its staged path, in parallel processes when there are several."""
    for name in names:
        report(name, "start", 0.0)
    if len(names) == 1 or (os.cpu_count() or 1) == 1:
        timings = {}
        for name in names:
            timings[name] = _write_format(name, documents[name], staged[name], config)
            report(name, "done", timings[name])
        return timings
    workers = min(len(names), os.cpu_count() or 1)
    # fork: the workers inherit the imported modules, and the documents through this
    # global, instead of having a book-sized AST pickled to each of them.
    global _DOCUMENTS_FOR_WORKERS
    _DOCUMENTS_FOR_WORKERS = documents
    context = multiprocessing.get_context("fork")
    timings = {}
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {
            pool.submit(_write_inherited_format, name, staged[name], config): name
            for name in names  # submitted in build order: PDF first
        }
        try:
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                timings[name] = future.result()
                report(name, "done", timings[name])
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            _DOCUMENTS_FOR_WORKERS = {}
    return timings


_DOCUMENTS_FOR_WORKERS: dict[str, ResolvedDocument] = {}


def _write_inherited_format(name: str, temporary: Path, config: Config) -> float:
    return _write_format(name, _DOCUMENTS_FOR_WORKERS[name], temporary, config)


def _write_format(name: str, resolved: ResolvedDocument, temporary: Path, config: Config) -> float:
    started = time.perf_counter()
    try:
        with stage(name):
            writer_for(name).write(resolved, temporary, config)
    except TypesetError:
        raise
    except Exception as error:  # a library failure must not reach the user as a traceback
        raise ToolError(
            f"the {name.upper()} writer failed: {type(error).__name__}: {error}",
            hint="run again with --verbose for details; report it if the input looks fine",
        ) from error
    return time.perf_counter() - started
