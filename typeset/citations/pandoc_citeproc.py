"""pandoc's built-in citeproc: the default engine (it passes most of the CSL test suite)."""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar
from xml.etree import ElementTree

from typeset import ast
from typeset.bibtex import has_math, math_from_citations
from typeset.cache import BuildCache, fingerprint
from typeset.citations.base import (
    ResolvedDocument,
    has_own_bibliography_heading,
    match_heading_levels,
)
from typeset.citations.others import style_for_others
from typeset.errors import CitationError
from typeset.manuscript import Manuscript
from typeset.pandoc import PandocFailure, PandocLimitExceeded, pandoc_fingerprint, run_pandoc
from typeset.references import Bibliography
from typeset.styles import CSL_NAMESPACE, CslStyle, bibliography_heading

log = logging.getLogger(__name__)

# citeproc allocates about 1 GB of short-lived data a second: a 64 MB nursery (GHC's
# allocation area, which pandoc's binary leaves at the runtime's default) collects it less
# often. Measured on the
# 2,235 citations of a 50k-word book: 5.5 s of CPU down to 4.3 s, for 30 MB more memory.
CITEPROC_RUNTIME_OPTIONS = ("-A64m",)

# From this many citations on, an in-text style is formatted on a document made of the
# citations alone: citeproc's time on a book goes largely into walking the prose.
EXTRACT_FROM_CITATIONS = 150


class PandocCiteproc:
    name: ClassVar[str] = "pandoc"

    def __init__(self, extract_from_citations: int = EXTRACT_FROM_CITATIONS) -> None:
        self.extract_from_citations = extract_from_citations

    def version_fingerprint(self) -> str:
        return pandoc_fingerprint()

    def resolve(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        workdir: Path,
    ) -> ResolvedDocument:
        references = workdir / "references.json"
        references.write_bytes(bibliography.to_csl_json())
        document, own_heading = _with_citation_meta(manuscript, style)
        cites = [node for node in ast.walk(document["blocks"]) if node["t"] == "Cite"]
        csl = style_for_others(style, bibliography, workdir)
        if self._takes_whole_document(style, len(cites)):
            resolved = run_citeproc(json.dumps(document).encode(), "json", csl, references)
        else:
            resolved = _resolve_citations_alone(document, cites, csl, references)
        if not own_heading:
            resolved = match_heading_levels(resolved)
        if has_math(bibliography.items):
            resolved = math_from_citations(resolved)
        return ResolvedDocument(resolved, style, manuscript)

    def start_ahead(
        self,
        manuscript: Manuscript,
        bibliography: Bibliography,
        style: CslStyle,
        cache: BuildCache | None,
    ) -> None:
        """Start, in the background, the pandoc run `resolve` will likely make once the
        passes after the parse have run on `manuscript`.

        Those passes rarely touch a citation, but they do remove the cross-references
        (pandoc reads `@fig:x` as a citation): the citations guessed are those whose keys
        are all in the bibliography. `run_citeproc` takes the run only when what it is
        asked to format is byte for byte what the run was given; otherwise it runs pandoc
        again. A note style's run takes the whole document, which those passes change:
        it is not started ahead. The result is also kept in `cache` by that exact input,
        so a later build whose citations did not change (an edit of the prose) runs no
        pandoc at all.
        """
        document, _ = _with_citation_meta(manuscript, style)
        keys = bibliography.keys
        cites = [
            node
            for node in ast.walk(document["blocks"])
            if node["t"] == "Cite"
            and all(citation["citationId"] in keys for citation in node["c"][0])
        ]
        if self._takes_whole_document(style, len(cites)):
            return
        workdir = Path(tempfile.mkdtemp(prefix="typeset-citeproc-"))
        references = workdir / "references.json"
        references.write_bytes(bibliography.to_csl_json())
        csl = style_for_others(style, bibliography, workdir)
        source = json.dumps(_citations_alone(document, cites)).encode()
        _RUNS_AHEAD.start(
            _run_key(source, "json", csl, references, ()),
            cache,
            workdir,
            lambda: _run(source, "json", csl, references, (), through=workdir),
        )

    def _takes_whole_document(self, style: CslStyle, citations: int) -> bool:
        return (
            style.is_note_style
            or _superscript_citations(style)
            or citations < self.extract_from_citations
        )


def _with_citation_meta(manuscript: Manuscript, style: CslStyle) -> tuple[dict[str, Any], bool]:
    """The manuscript as citeproc is given it, with the metadata that steers the
    bibliography; and whether the author gave the bibliography a heading of their own."""
    # Only the metadata changes: share the blocks (a book's AST is large to copy).
    meta = dict(manuscript.document["meta"])
    document = {**manuscript.document, "meta": meta}
    own_heading = has_own_bibliography_heading(document["blocks"])
    if own_heading:  # the author's heading wins: pandoc must not add a second one
        meta.pop("reference-section-title", None)
    else:
        meta.setdefault(
            "reference-section-title",
            ast.meta_value(bibliography_heading(style, manuscript.lang)),
        )
    # link-citations is the author's (pandoc's default: off); URLs are always links.
    meta.setdefault("link-citations", ast.meta_value(False))
    meta["link-bibliography"] = ast.meta_value(True)
    return document, own_heading


@functools.cache
def _superscript_citations(style: CslStyle) -> bool:
    """Superscript styles (nature...) make pandoc drop the space before a citation."""
    root = ElementTree.parse(style.path).getroot()
    citation = root.find(f"{CSL_NAMESPACE}citation")
    if citation is None:
        return False
    macros = {macro.get("name"): macro for macro in root.iter(f"{CSL_NAMESPACE}macro")}
    pending, seen = [citation], set()
    while pending:  # the citation layout and every macro it calls, however deep
        for element in pending.pop().iter():
            if element.get("vertical-align") == "sup":
                return True
            called = element.get("macro")
            if called and called not in seen and called in macros:
                seen.add(called)
                pending.append(macros[called])
    return False


def _resolve_citations_alone(
    document: dict[str, Any], cites: list[dict[str, Any]], style: CslStyle, references: Path
) -> dict[str, Any]:
    """Format the citations of `document` by running citeproc on them alone.

    For an in-text style each citation's rendering depends only on the citations before
    it (ibid, subsequent, disambiguation), never on the prose around it, so a document of
    the citations in order, each in its own paragraph, gives each the same text; the
    rendered citations are put back in place and the bibliography appended. Note styles
    move citations into notes and punctuation around them, so they always take the whole
    document.
    """
    extract = _citations_alone(document, cites)
    resolved = run_citeproc(json.dumps(extract).encode(), "json", style, references)
    rendered = iter(block["c"][0] for block in resolved["blocks"] if block["t"] == "Para")
    replacement = {id(cite): next(rendered) for cite in cites}
    bibliography = [block for block in resolved["blocks"] if block["t"] != "Para"]

    def put_back(node: dict[str, Any]) -> dict[str, Any] | None:
        return replacement.get(id(node)) if node["t"] == "Cite" else None

    result = {**document, "meta": resolved["meta"]}
    result["blocks"] = ast.transform(document["blocks"], put_back) + bibliography
    return result


def _citations_alone(document: dict[str, Any], cites: list[dict[str, Any]]) -> dict[str, Any]:
    """`document` made of its citations alone, in order, each in its own paragraph."""
    return {**document, "blocks": [{"t": "Para", "c": [cite]} for cite in cites]}


def _run_key(
    source: bytes,
    source_format: str,
    style: CslStyle,
    bibliography: Path,
    extra_arguments: Sequence[str],
) -> str:
    """Everything a citeproc run's result depends on: its input, its arguments, the
    contents (not the paths) of the style and the bibliography, and the pandoc binary."""
    return fingerprint(
        "citeproc",
        hashlib.sha256(source).hexdigest(),
        source_format,
        hashlib.sha256(style.path.read_bytes()).hexdigest(),
        hashlib.sha256(bibliography.read_bytes()).hexdigest(),
        list(extra_arguments),
        pandoc_fingerprint(),
    )


class _RunsAhead:
    """citeproc runs started before they are asked for, by the key of their exact input."""

    def __init__(self) -> None:
        self._runs: dict[str, concurrent.futures.Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def start(
        self,
        key: str,
        cache: BuildCache | None,
        workdir: Path,
        run: Callable[[], dict[str, Any]],
    ) -> None:
        def cached_or_run() -> dict[str, Any]:
            try:
                cached = None if cache is None else cache.get_json(CACHE_KIND, key)
                if isinstance(cached, dict):
                    return cached
                resolved = run()
                if cache is not None:
                    cache.put_json(CACHE_KIND, key, resolved)
                return resolved
            finally:
                shutil.rmtree(workdir, ignore_errors=True)

        future: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()

        def settle() -> None:
            try:
                future.set_result(cached_or_run())
            except BaseException as error:  # the asker gets what a run of its own raises
                future.set_exception(error)

        with self._lock:
            self._runs[key] = future
        # A daemon: a build that fails before asking (a missing key) need not wait for it.
        threading.Thread(target=settle, name="citeproc-ahead", daemon=True).start()

    def any_started(self) -> bool:
        return bool(self._runs)

    def take(self, key: str) -> concurrent.futures.Future[dict[str, Any]] | None:
        with self._lock:
            return self._runs.pop(key, None)

    def discard(self) -> None:
        """Forget the runs nobody asked for (their input was not the build's)."""
        with self._lock:
            self._runs.clear()


# A started run's result is the one pandoc gives that input: whoever asks with the same
# input, in this process, may take it (once).
_RUNS_AHEAD = _RunsAhead()
CACHE_KIND = "citeproc"


def discard_runs_ahead() -> None:
    _RUNS_AHEAD.discard()


def run_citeproc(
    source: bytes,
    source_format: str,
    style: CslStyle,
    bibliography: Path,
    extra_arguments: Sequence[str] = (),
) -> dict[str, Any]:
    """Resolve the citations of `source` (pandoc JSON or Markdown) into a pandoc document:
    by the run started ahead on exactly this input, if there is one (whose `bibliography`
    and `csl` metadata then name the files of that run: citation processing fields, which
    the build drops)."""
    if _RUNS_AHEAD.any_started():
        key = _run_key(source, source_format, style, bibliography, extra_arguments)
        ahead = _RUNS_AHEAD.take(key)
        if ahead is not None:
            return ahead.result()
        log.debug("no citeproc run was started ahead on this input: formatting it now")
    return _run(source, source_format, style, bibliography, extra_arguments)


def _run(
    source: bytes,
    source_format: str,
    style: CslStyle,
    bibliography: Path,
    extra_arguments: Sequence[str],
    *,
    through: Path | None = None,
) -> dict[str, Any]:
    """One pandoc run. `through`: a folder where the input and the output go as files
    instead of pipes, for a run in a thread beside busy Python code: a pipe is fed and
    drained a few kilobytes at a time, each time waiting for the interpreter lock (up to
    5 ms) while pandoc waits."""
    files: list[str] = []
    if through is not None:
        (through / "citations.json").write_bytes(source)
        files = [str(through / "citations.json"), "--output", str(through / "resolved.json")]
    try:
        resolved = run_pandoc(
            [
                # --sandbox: citeproc reads only the style and bibliography named here.
                "--from",
                source_format,
                "--to",
                "json",
                "--citeproc",
                "--sandbox",
                "--csl",
                str(style.path),
                "--bibliography",
                str(bibliography),
                *extra_arguments,
                *files,
            ],
            None if through is not None else source,
            runtime_options=CITEPROC_RUNTIME_OPTIONS,
        )
        if through is not None:
            resolved = (through / "resolved.json").read_bytes()
    except PandocFailure as failure:
        raise CitationError(
            f"citeproc could not format the citations: {failure.stderr.strip()[:300]}",
            path=style.path,
            hint="the CSL style may be invalid; try another with --style",
        ) from None
    except PandocLimitExceeded as limit:
        # The style is the likelier culprit (the manuscript was parsed within the limits).
        raise CitationError(
            f"{limit.message}, formatting the citations in the style '{style.name}'",
            path=style.path,
            hint="the style may be pathological (huge or deeply repeated macros): "
            "try another with --style",
        ) from None
    document: dict[str, Any] = json.loads(resolved)
    return document
