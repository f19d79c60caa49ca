"""The build, top to bottom: `build()` names the stages in the order they run.

read the inputs (parsed once, cached) -> check every citation key -> the work's own
reference (cite this work) -> plan the outputs (destinations, cache keys) -> write them:
citations formatted once, the formats in parallel, everything renamed into place together.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import dataclasses
import functools
import importlib.util
import logging
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typeset
from typeset import ast, resources
from typeset.cache import (
    BuildCache,
    cache_folder,
    file_fingerprint,
    fingerprint,
    folder_fingerprint,
    fonts_fingerprint,
    reads_allowed,
)
from typeset.citations import engine_named
from typeset.citations.base import (
    ResolvedDocument,
    unlink_missing_entries,
    without_processing_fields,
)
from typeset.citations.pandoc_citeproc import discard_runs_ahead
from typeset.citethis import (
    DEFAULT_CITE_STYLES,
    CiteThisWork,
    cite_this_work_blocks,
    cite_this_work_files,
    cite_this_work_paths,
)
from typeset.citethis.work import (
    formatted_work,
    resolved_cite_styles,
    work_from_json,
    work_to_json,
)
from typeset.config import Config
from typeset.confine import roots_of
from typeset.errors import ToolError, TypesetError, from_os_error
from typeset.formats import (
    format_names,
    start_after_parsing,
    start_before_reading,
    writer_for,
)
from typeset.formats.base import FormatWriter, structure_arguments
from typeset.formats.cache_inputs import files_read
from typeset.inputs import (
    Inputs,
    SourceReads,
    check_citation_keys,
    read_inputs,
    read_style_and_sources,
)
from typeset.limits import (
    WRITER_CPU_SECONDS,
    WRITER_MEMORY_BYTES,
    memory_capped,
    near_memory_cap,
)
from typeset.manuscript import Manuscript
from typeset.mathjax import discard_warm
from typeset.media import media_folder
from typeset.names import SOURCE_DATE_EPOCH_VARIABLE
from typeset.output import staged_outputs
from typeset.pandoc import pandoc_fingerprint, pandoc_path
from typeset.presentation import for_readers
from typeset.processes import ForkedWorkers, WorkerDied
from typeset.sanitize import seal_for_writers
from typeset.timings import stage

# Called as (format, event, seconds) with event "start", "done" or "cached".
ProgressCallback = Callable[[str, str, float], None]


@dataclass(frozen=True)
class BuildResult:
    outputs: dict[str, Path]  # format name -> file
    style_name: str
    seconds: float
    format_seconds: dict[str, float] = field(default_factory=dict)
    from_cache: frozenset[str] = frozenset()
    inputs: tuple[Path, ...] = ()  # every file the build read, for the up-to-date check
    cite_this_work: tuple[Path, ...] = ()  # the work's own reference: page and records
    style_description: str = ""  # a journal's name, title and the style it uses

    @property
    def written(self) -> tuple[Path, ...]:
        """Every file the build put in place: the formats, then the cite-this-work files."""
        return (*self.outputs.values(), *self.cite_this_work)


def build(
    config: Config,
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
    sources: SourceReads | None = None,
) -> BuildResult:
    """Build every format the config asks for; raise a TypesetError on bad input.

    `force` ignores cached results (they are still refreshed). `sources` are the
    manuscript and bibliography already read for this config (several profiles, one read).
    """
    fonts_fingerprint.cache_clear()  # fonts installed since the last build count
    with reads_allowed(not force):
        try:
            return _build(config, progress=progress, sources=sources)
        finally:
            discard_warm()  # a node started for math that no equation needed
            discard_runs_ahead()  # a citeproc run whose guess did not hold


def _build(
    config: Config, *, progress: ProgressCallback | None, sources: SourceReads | None
) -> BuildResult:
    started = time.perf_counter()
    cache = BuildCache(cache_folder(config.project_dir))  # reads unless `build` was forced
    cache.remove_abandoned()  # what a killed build left half-written
    # A writer's head start (the PDF's: node and MathJax), its module imported here before
    # the thread importing the writers starts: two threads importing one module can clash.
    start_before_reading(config.formats, config)
    writers = _import_writers_meanwhile(config.formats)
    with stage("parse"):
        style, sources = read_style_and_sources(config, cache=cache, sources=sources)
        # citeproc's pandoc run starts on the citations as parsed, on the other core, while
        # the passes below run; `_resolved` keeps it only if they left the citations alone.
        engine_named(config.engine).start_ahead(
            sources.manuscript, sources.bibliography, style, cache
        )
        inputs = read_inputs(config, cache=cache, sources=sources, style=style)
    # Work a writer needs done early (the PDF's equations) runs while citations are formatted.
    start_after_parsing(config.formats, inputs.manuscript.document, config)
    check_citation_keys(inputs)
    resolved_key = _resolved_key(inputs, config)
    # Citations are resolved before the writers are needed, so their import (WeasyPrint's
    # takes ~0.7 s) goes on while pandoc runs. When every format is served from the cache,
    # so is the resolved document, written by the same earlier build. The work's own
    # reference needs only the front matter, and the plan (cache keys: fonts, stylesheets)
    # not the resolved document: both go on at the same time, one after the other.
    with concurrent.futures.ThreadPoolExecutor(1) as meanwhile:
        work_formatted = meanwhile.submit(cached_cite_this_work, inputs.manuscript, config, cache)
        planned = meanwhile.submit(
            lambda: _plan_outputs(
                inputs, work_formatted.result(), writers.result(), config, resolved_key
            )
        )
        try:
            with stage("citeproc"):
                resolved = _resolved(inputs, config, cache, resolved_key)
        except BaseException:
            work_formatted.result()  # its error first, as when it ran first
            raise
        work = work_formatted.result()
        plan = planned.result()
    written = _write_outputs(plan, inputs, resolved, work, config, cache, progress)
    return BuildResult(
        outputs={name: planned.destination for name, planned in plan.formats.items()},
        style_name=inputs.style.name,
        style_description=inputs.style.description,
        seconds=time.perf_counter() - started,
        format_seconds=written.seconds,
        from_cache=written.from_cache,
        inputs=_inputs_read(config, inputs, plan),
        cite_this_work=tuple(plan.cite_this_work.values()),
    )


# --- stage: import the writers while pandoc parses ----------------------------------------


def _import_writers_meanwhile(
    formats: tuple[str, ...],
) -> concurrent.futures.Future[dict[str, FormatWriter]]:
    """The writers, in build order, imported in a thread (WeasyPrint alone takes ~0.5 s)
    while this process waits for the pandoc subprocesses that read the inputs."""
    ordered = [name for name in format_names() if name in formats]
    executor = concurrent.futures.ThreadPoolExecutor(1)
    writers = executor.submit(lambda: {name: writer_for(name) for name in ordered})
    executor.submit(_code_fingerprint)  # then the code's, for the cache keys
    executor.shutdown(wait=False)  # the thread ends with its tasks
    return writers


def _input_paths(config: Config) -> frozenset[Path]:
    """Input files an output must never replace (the config files among them)."""
    config_files = {
        Path(origin.rpartition(":")[0])
        for origin in config.origins.values()
        if ":" in origin and origin != "the command line"
    }
    return frozenset(
        path.resolve()
        for path in (config.manuscript, *config.chapters, *config.bibliography, *config_files)
        if path.exists()
    )


def _sealed(document: dict[str, Any], source: Manuscript, config: Config) -> dict[str, Any]:
    """What a writer may see: sanitised after citeproc (issue 14), each image one checked
    file in the build's media folder (issue 26)."""
    return seal_for_writers(
        document,
        source,
        roots_of(config),
        config.allowed_urls,
        media=media_folder(config.project_dir),
        cache=BuildCache(cache_folder(config.project_dir)),
    )


# --- stage: the work's own reference -------------------------------------------------------


def cached_cite_this_work(
    manuscript: Manuscript, config: Config, cache: BuildCache
) -> CiteThisWork | None:
    """The manuscript's own reference in several styles; cached, as it costs a pandoc run
    per style. A review copy is anonymous: it gets none."""
    if config.anonymous or not (config.cite_this_work or config.cite_this_work_section):
        return None
    meta = manuscript.meta
    if not ast.plain_text(meta.get("title")):
        # A paper without a title builds; only its own reference cannot be written.
        logging.getLogger(__name__).warning(
            "%s has no title: the cite-this-work page and section are left out "
            "(add 'title:' to the front matter)",
            manuscript.path,
        )
        return None
    styles = resolved_cite_styles(
        config.cite_this_work_styles or DEFAULT_CITE_STYLES, config.project_dir
    )
    key = fingerprint(
        "cite",
        meta,
        [style.name for style in styles],
        [file_fingerprint(style.path) for style in styles],
        pandoc_fingerprint(),
        _code_fingerprint(),
    )
    cached = cache.get_json("cite", key)
    if cached is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):  # an older shape: a miss
            return work_from_json(cached)
    work = formatted_work(meta, styles)
    cache.put_json("cite", key, work_to_json(work))
    return work


# --- stage: plan the outputs ----------------------------------------------------------------


@dataclass(frozen=True)
class PlannedFormat:
    writer: FormatWriter
    destination: Path
    cache_key: str  # everything the file's bytes depend on


@dataclass(frozen=True)
class OutputPlan:
    resolved_key: str  # everything the resolved document depends on
    formats: dict[str, PlannedFormat]  # in build order
    cite_this_work: dict[str, Path]  # record kind -> destination; empty when not asked for


def _plan_outputs(
    inputs: Inputs,
    work: CiteThisWork | None,
    writers: Mapping[str, FormatWriter],
    config: Config,
    resolved_key: str,
) -> OutputPlan:
    stem = inputs.manuscript.stem
    records = (
        cite_this_work_paths(config.output_dir, stem)
        if work is not None and config.cite_this_work
        else {}
    )
    return OutputPlan(
        resolved_key=resolved_key,
        formats={
            name: PlannedFormat(
                writer=writer,
                destination=config.output_dir / f"{stem}.{writer.extension}",
                cache_key=_output_key(writer, resolved_key, inputs, work, config),
            )
            for name, writer in writers.items()
        },
        cite_this_work=records,
    )


def _resolved_key(inputs: Inputs, config: Config) -> str:
    return fingerprint(
        "resolved",
        inputs.manuscript.document,
        list(inputs.bibliography.items),
        file_fingerprint(inputs.style.path),
        inputs.style.name,
        config.engine,
        inputs.draft,
        engine_named(config.engine).version_fingerprint(),
        pandoc_fingerprint(),
        _code_fingerprint(),
    )


def _output_key(
    writer: FormatWriter,
    resolved_key: str,
    inputs: Inputs,
    work: CiteThisWork | None,
    config: Config,
) -> str:
    """Everything a format's bytes depend on: the resolved document, what every format
    shares, and the inputs the writer declares."""
    return fingerprint(
        writer.name,
        resolved_key,
        repr(_back_matter_for(writer, work, config)),
        [file_fingerprint(path) for path in inputs.manuscript.local_resources()],
        structure_arguments(config),
        os.environ.get(SOURCE_DATE_EPOCH_VARIABLE, ""),
        [cache_input(config) for cache_input in writer.cache_inputs],
    )


# --- stage: write everything, then rename it all into place ---------------------------------


@dataclass(frozen=True)
class Written:
    seconds: dict[str, float]  # format -> seconds its writer took
    from_cache: frozenset[str]


def _write_outputs(
    plan: OutputPlan,
    inputs: Inputs,
    resolved: ResolvedDocument,
    work: CiteThisWork | None,
    config: Config,
    cache: BuildCache,
    progress: ProgressCallback | None,
) -> Written:
    """Write every format (from the cache where it can) and the cite-this-work files to
    temporaries; rename them all into place only when every one has succeeded."""
    report = progress or (lambda name, event, seconds: None)
    # Verified on the way out of the cache (typeset/cache.py): a changed entry is a miss.
    cached = {
        name: data
        for name, planned in plan.formats.items()
        if (data := cache.get_bytes(name, planned.cache_key))
    }
    destinations = {name: planned.destination for name, planned in plan.formats.items()}
    destinations.update({f"cite-{kind}": path for kind, path in plan.cite_this_work.items()})
    seconds: dict[str, float] = {}
    # Formats and records are committed together; none may replace a file the build read.
    protected = [
        *_input_paths(config),
        *_inputs_read(config, inputs, plan),
        *inputs.manuscript.named_files,  # refused figures too (`![](paper.pdf)`)
    ]
    with staged_outputs(
        destinations,
        protected=protected,
        roots=roots_of(config),
        folder_named=config.origins.get("output_dir") == "the command line",
    ) as staged:
        for name, data in cached.items():
            staged[name].write_bytes(data)
            report(name, "cached", 0.0)
        to_write = [name for name in plan.formats if name not in cached]
        if to_write:
            # One sealing pass for every format (a book's AST is large); the back matter
            # a format adds is sealed on its own.
            resolved = dataclasses.replace(
                resolved, document=_sealed(resolved.document, resolved.source, config)
            )
            documents = {
                name: _with_back_matter(plan.formats[name].writer, resolved, work, config)
                for name in to_write
            }
            seconds = _write_formats(to_write, documents, staged, config, report)
            for name in to_write:
                cache.put_file(name, plan.formats[name].cache_key, staged[name])
        if plan.cite_this_work and work is not None:
            files = cite_this_work_files(work, inputs.manuscript.stem, config.project_dir)
            for kind, text in files.items():
                staged[f"cite-{kind}"].write_bytes(text.encode())
    return Written(seconds=seconds, from_cache=frozenset(cached))


def _resolved(inputs: Inputs, config: Config, cache: BuildCache, key: str) -> ResolvedDocument:
    """The manuscript with citations formatted: from the cache, or one engine run."""
    cached = cache.get_json("resolved", key)
    if cached is not None:
        return ResolvedDocument(cached, inputs.style, inputs.manuscript)
    with tempfile.TemporaryDirectory(prefix="typeset-") as workdir:
        resolved = engine_named(config.engine).resolve(
            inputs.manuscript, inputs.bibliography, inputs.style, Path(workdir)
        )
    document = without_processing_fields(resolved.document)
    if inputs.draft:
        document = unlink_missing_entries(document, inputs.bibliography.keys)
    document = for_readers(document)
    resolved = dataclasses.replace(resolved, document=document)
    cache.put_json("resolved", key, resolved.document)
    return resolved


def _back_matter_for(
    writer: FormatWriter, work: CiteThisWork | None, config: Config
) -> CiteThisWork | None:
    """The "How to cite this essay" section a format gets, if any."""
    if work is None or not config.cite_this_work_section:
        return None
    return work if writer.takes_cite_this_work_section else None


def _with_back_matter(
    writer: FormatWriter, resolved: ResolvedDocument, work: CiteThisWork | None, config: Config
) -> ResolvedDocument:
    section = _back_matter_for(writer, work, config)
    if section is None:
        return resolved
    level = min(
        (block["c"][0] for block in resolved.document["blocks"] if block["t"] == "Header"),
        default=2,
    )
    back_matter = _sealed(
        {"blocks": cite_this_work_blocks(section, level=level)}, resolved.source, config
    )
    document = dict(resolved.document)
    document["blocks"] = [*document["blocks"], *back_matter["blocks"]]
    return dataclasses.replace(resolved, document=document)


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
    # Forked: each writer inherits the imported modules and its document, instead of
    # having a book-sized AST pickled to it.
    tasks = {
        name: functools.partial(_write_format, name, documents[name], staged[name], config)
        for name in names  # in build order: PDF first
    }
    timings = {}
    workers = min(len(names), os.cpu_count() or 1)
    with ForkedWorkers[str, float](workers, setup=_cap_cpu_time) as writers:
        try:
            for name, seconds in writers.run(tasks):
                timings[name] = seconds
                report(name, "done", seconds)
        except WorkerDied as died:
            # A writer killed outright: a library aborting at its memory cap, or its CPU
            # time used up.
            raise _writer_died(str(died.key), config) from None
    return timings


def _cap_cpu_time() -> None:
    """In each forked writer: its CPU time is bounded (SIGXCPU ends it), which only a
    process of its own can be."""
    with contextlib.suppress(OSError, ValueError):
        # The soft limit only: the hard one stays, so pandoc's own (lower) caps can be set.
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        resource.setrlimit(resource.RLIMIT_CPU, (WRITER_CPU_SECONDS, hard))


def _write_format(name: str, resolved: ResolvedDocument, temporary: Path, config: Config) -> float:
    started = time.perf_counter()
    try:
        # Each writer (WeasyPrint above all) is bounded like pandoc is.
        with stage(name), memory_capped(WRITER_MEMORY_BYTES):
            writer_for(name).write(resolved, temporary, config)
    except TypesetError as error:
        if error.path is None:  # say which manuscript, whatever the writer's own words
            error.path = resolved.source.path
        raise
    except WorkerDied:  # a part of a PDF laid out in parallel, in a process of its own
        raise _writer_died(name, config) from None
    except MemoryError:
        _end_without_finalising()
        raise _writer_died(name, config) from None
    except OSError as error:  # a full temporary disk, say
        raise from_os_error(error, manuscript=resolved.source.path) from None
    except Exception as error:  # a library failure must not reach the user as a traceback
        if near_memory_cap(WRITER_MEMORY_BYTES):  # C code failing an allocation its own way
            _end_without_finalising()
            raise _writer_died(name, config) from None
        raise ToolError(
            f"the {name.upper()} writer failed: {type(error).__name__}: {str(error)[:300]}",
            path=resolved.source.path,
            hint="run again with --verbose for details; report it if the input looks fine",
        ) from error
    return time.perf_counter() - started


def _end_without_finalising() -> None:
    """After a writer failed at its memory cap in this process (one format is written in
    the build's own process): a C library that failed an allocation may have left its
    state broken, and Python's finalisation would run destructors over it, a crash at exit
    after the error was reported. The process then ends at exit, streams flushed, with the
    error's status and without them. (In a forked writer this is never reached: the child
    ends with os._exit.)"""

    def end_now() -> None:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(1)

    atexit.register(end_now)


def _writer_died(name: str, config: Config) -> ToolError:
    return ToolError(
        f"the {name.upper()} writer ran out of its memory allowance "
        f"({WRITER_MEMORY_BYTES // 1024**2:,} MB) or its {WRITER_CPU_SECONDS} s of CPU time "
        "on this manuscript, or was killed",
        path=config.manuscript,
        hint="look for something enormous in the manuscript (a giant table, image or "
        "length in a style) and remove it",
    )


# --- what the build read, for the up-to-date check and the cache -----------------------------


def _inputs_read(config: Config, inputs: Inputs, plan: OutputPlan) -> tuple[Path, ...]:
    manuscript = inputs.manuscript
    # Every file of both styles folders, beyond those the writers declare: what a
    # stylesheet links to, and the cite-this-work and preview pages' templates.
    styles = [resources.project_styles_dir(config.project_dir), resources.shipped_styles_dir()]
    # What each writer declares it reads: the DOCX's reference document, the EPUB's cover...
    declared = [
        path
        for planned in plan.formats.values()
        for path in files_read(planned.writer.cache_inputs, config)
    ]
    code = Path(typeset.__file__).parent
    tools = [Path(pandoc_path())]
    for module in ("weasyprint", "citeproc", "pypandoc"):
        spec = importlib.util.find_spec(module)
        if spec and spec.origin:
            tools.append(Path(spec.origin))
    return (
        manuscript.path,
        *manuscript.sources,
        *config.bibliography,
        inputs.style.path,
        *sorted(path for folder in styles for path in folder.rglob("*") if path.is_file()),
        *manuscript.local_resources(),
        *declared,
        *sorted(code.rglob("*.py")),
        *sorted(code.rglob("*.mjs")),
        *tools,
        # node tools (MathJax): an `npm ci` that upgrades them must rebuild
        *[path for path in [config.project_dir / "package-lock.json"] if path.exists()],
    )


@functools.cache
def _code_fingerprint() -> str:
    """Our own code shapes the outputs too: an upgrade must not serve old files. Once per
    process: the code a process runs is the code it loaded."""
    return folder_fingerprint(Path(typeset.__file__).parent)
