"""Math for the PDF: every TeX Math node becomes an inline SVG drawn by MathJax.

WeasyPrint cannot typeset TeX or MathML, but it draws SVG: before pandoc's HTML writer
runs, each `Math` node is replaced by raw HTML: an <img> of its SVG with the TeX as `alt`
(WeasyPrint makes that the /Alt of the PDF's Figure tag, what a screen reader speaks).
Equations are rendered in one batch and cached one by one, so a rebuild renders only the
equations that are new. A TeX error in one equation is a warning naming its line;
that equation is printed as its source in a box and the build goes on.

The EPUB (MathML) and the DOCX (Word equations) keep pandoc's own math: this runs only in
the PDF writer.
"""

from __future__ import annotations

import fcntl
import html
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from typeset import ast, timings
from typeset.cache import BuildCache, cache_folder, file_fingerprint, fingerprint
from typeset.config import Config
from typeset.errors import ManuscriptError
from typeset.formats.pdf import flat_svg
from typeset.limits import MAX_MANUSCRIPT_BYTES, read_input
from typeset.manuscript import Manuscript
from typeset.mathjax import (
    SCRIPT,
    Equation,
    RenderedEquation,
    discard_warm,
    mathjax_version,
    stream_equations,
    warm_up,
)

log = logging.getLogger(__name__)

CACHE_KIND = "math-svg"

# MathJax lays out \tag and multline as width="100%" SVGs, which WeasyPrint 70 does not
# draw. A tag is taken out of the TeX and set as an HTML equation number, like a number
# from a {#eq-...} label; multline becomes mathtools' multlined, which has its own width.
_TAG = re.compile(r"\\tag(\*?)\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_SVG_START = re.compile(r"<svg[^>]*>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
_MULTLINE = re.compile(r"\\(begin|end)\s*\{multline\*?\}")


@dataclass(frozen=True)
class PreparedMath:
    """A Math node as MathJax gets it, and the equation number taken out of its TeX."""

    source: str  # the TeX as the author wrote it: the alt text, the error box
    equation: Equation
    number: str | None  # from \tag{...}: "(3)"; from \tag*{...}: as written


def prepare(tex: str, display: bool) -> PreparedMath:
    numbers: list[str] = []

    def take_tag(match: re.Match[str]) -> str:
        numbers.append(match.group(2) if match.group(1) else f"({match.group(2)})")
        return ""

    cleaned = _TAG.sub(take_tag, tex) if display else tex
    cleaned = _MULTLINE.sub(lambda m: f"\\{m.group(1)}{{multlined}}", cleaned)
    return PreparedMath(
        source=tex,
        equation=Equation(cleaned.strip(), display),
        number=", ".join(numbers) if numbers else None,
    )


# amsmath environments written straight into Markdown (`\begin{align}...\end{align}`)
# reach the AST as raw TeX; pandoc's HTML, EPUB and DOCX writers set them as display math,
# and so must the PDF (its HTML writer has no MathJax to hand them to, and drops them).
_MATH_ENVIRONMENT = re.compile(
    r"\s*\\begin\{(align|alignat|aligned|eqnarray|equation|flalign|gather|multline|split)"
    r"\*?\}.*\\end\{\1\*?\}\s*",
    re.DOTALL,
)


def _environment_as_math(node: dict[str, Any]) -> dict[str, Any] | None:
    if node["t"] not in ("RawInline", "RawBlock"):
        return None
    raw_format, text = node["c"]
    if raw_format.lower() not in ("tex", "latex") or not _MATH_ENVIRONMENT.fullmatch(text):
        return None
    math = {"t": "Math", "c": [{"t": "DisplayMath"}, text.strip()]}
    return math if node["t"] == "RawInline" else {"t": "Para", "c": [math]}


def _prepared_maths(document: dict[str, Any]) -> dict[tuple[str, bool], PreparedMath]:
    """Each distinct equation of `document` (TeX, display?), once however often it occurs:
    in its body and its front matter (a title or abstract with math), and the amsmath
    environments written as raw TeX."""
    keys: dict[tuple[str, bool], None] = {}
    for node in ast.walk(document):
        if node["t"] in ("RawInline", "RawBlock"):
            as_math = _environment_as_math(node)
            if as_math is None:
                continue
            node = as_math if as_math["t"] == "Math" else as_math["c"][0]
        if node["t"] == "Math":
            keys[(node["c"][1], node["c"][0]["t"] == "DisplayMath")] = None
    return {key: prepare(*key) for key in keys}


# Something in the Markdown that may be math: `$`, `\begin{`, `\(` or `\[`.
_MAYBE_MATH = re.compile(rb"\$|\\begin\{|\\\(|\\\[")


def start_mathjax_early(config: Config) -> None:
    """Start node and MathJax before the manuscript is parsed, when it may hold math: the
    0.3 s MathJax takes to load then passes beside pandoc. No `$` (the essay): no node."""
    try:  # bounded, regular files only: a FIFO or a huge file must not stall this
        text = read_input(
            config.manuscript, what="manuscript", error=ManuscriptError,
            max_bytes=MAX_MANUSCRIPT_BYTES, hint="",
        )  # fmt: skip
    except ManuscriptError:
        return  # reading the inputs reports it
    if _MAYBE_MATH.search(text):
        warm_up(config.project_dir)


def render_meanwhile(document: dict[str, Any], config: Config) -> None:
    """Start MathJax on the equations of the parsed manuscript in a background thread.

    The PDF writer needs the SVGs only after citations are formatted; started here, node
    runs meanwhile (about 1 s for 500 equations) and puts the SVGs in the cache. The writer,
    in this process or a forked one, waits on the cache folder's math lock (held from this
    call until the cache is filled) and then finds them there. A failure here is only
    logged: the writer renders what is missing itself and reports the error there.
    """
    maths = list(_prepared_maths(document).values())
    if not maths:
        discard_warm()  # a `$` in the manuscript was no math
        return
    lock = _math_lock(config, fcntl.LOCK_EX)
    # Set before the thread starts, so a writer forked meanwhile inherits it too.
    _RENDERED_AHEAD.update(math.equation for math in maths)

    def render() -> None:
        try:
            _rendered(maths, config)
        except Exception as error:
            log.debug("math: rendering ahead failed (%s); the PDF writer retries", error)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()

    threading.Thread(target=render, name="mathjax-ahead", daemon=True).start()


# Equations whose rendering this process started ahead of the PDF writer.
_RENDERED_AHEAD: set[Equation] = set()


def _math_lock(config: Config, operation: int) -> IO[bytes]:
    """The manuscript's math lock in the cache folder, taken: exclusive while equations are
    being rendered ahead, shared by a writer waiting for them. A new open file per call, so
    that a forked process waits for its parent's thread like any other process would. One
    lock per manuscript: the builds of other titles sharing the folder (`typeset jobs` on
    one TYPESET_CACHE_DIR) neither wait for these equations nor hold them up."""
    folder = cache_folder(config.project_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{CACHE_KIND}-{fingerprint(str(config.manuscript.resolve()))[:16]}.lock"
    lock = open(folder / name, "ab")  # noqa: SIM115 (released by the caller)
    fcntl.flock(lock, operation)
    return lock


def math_rewrite(
    document: dict[str, Any], manuscript: Manuscript, config: Config
) -> ast.Rewrite | None:
    """The rewrite (for ast.transform) that replaces each Math node of `document`, and each
    amsmath environment written as raw TeX, by raw HTML: its SVG, or a boxed error; None
    when there is no math. The equations are typeset (or read from the cache) here, and
    each TeX error is a warning naming its line."""
    by_source = _prepared_maths(document)
    if not by_source:
        return None
    # The equations rendered ahead are in the cache once the lock is free.
    with timings.stage("math-wait"), _math_lock(config, fcntl.LOCK_SH):
        pass
    rendered = _rendered(list(by_source.values()), config, ahead=frozenset(_RENDERED_AHEAD))
    for math in by_source.values():
        error = rendered[math.equation].error
        if error is not None:
            path, line = manuscript.at(_line_of(math, manuscript))
            log.warning(
                "%s:%s: TeX error in the equation %s: %s (printed as its source in a box)",
                path,
                line or "?",
                _one_line(math.source),
                error,
            )

    def typeset(node: dict[str, Any]) -> dict[str, Any]:
        math = by_source[(node["c"][1], node["c"][0]["t"] == "DisplayMath")]
        return {"t": "RawInline", "c": ["html", math_html(math, rendered[math.equation])]}

    def replace(node: dict[str, Any]) -> dict[str, Any] | None:
        if node["t"] == "Math":
            return typeset(node)
        if node["t"] in ("RawInline", "RawBlock"):
            as_math = _environment_as_math(node)
            if as_math is not None and as_math["t"] == "Math":
                return typeset(as_math)
            if as_math is not None:  # a Para holding the environment's Math
                return {"t": "Para", "c": [typeset(as_math["c"][0])]}
        return None

    return replace


def math_html(math: PreparedMath, rendered: RenderedEquation) -> str:
    kind = "display" if math.equation.display else "inline"
    if rendered.svg is None:
        box = (
            f'<code class="math {kind} math-error" title="TeX error: '
            f'{html.escape(rendered.error or "", quote=True)}">'
            f"{html.escape(math.source)}</code>"
        )
        return box
    # An <img> of the SVG, not the SVG inline: WeasyPrint then parses and styles one
    # element per equation instead of every path in it (about half its cost per equation).
    start = _SVG_START.match(rendered.svg)
    attributes = dict(_ATTRIBUTE.findall(start.group(0))) if start else {}
    style = (
        f"width: {attributes.get('width', 'auto')}; height: {attributes.get('height', 'auto')}; "
        + attributes.get("style", "")
    )
    source = _image_url(rendered.svg)
    svg = (
        f'<img src="{source}" alt="{html.escape(_one_line(math.equation.tex), quote=True)}" '
        f'style="{html.escape(style, quote=True)}">'
    )
    # The TeX again as text, invisible over the drawing, so search and copy find the
    # equation (the drawing has no glyphs); the PDF post-pass (weasyprint/math_text.py) makes it an
    # artifact, as screen readers already read the TeX from the <img>'s alt.
    text = f'<span class="math-tex">{html.escape(_one_line(math.equation.tex))}</span>'
    element = f'<span class="math {kind}">{svg}{text}</span>'
    if math.number is None:
        return element
    number = f'<span class="equation-number">{html.escape(math.number)}</span>'
    return f'<span class="display-equation">{element}{number}</span>'


# The PDF's HTML names each equation's SVG by a short URL that the PDF writer's URL
# fetcher answers from here (formats/pdf/writer.py LocalFilesOnly), not by a data: URI: a paper
# repeats its equations, and 500 base64 SVGs made a 2 MB HTML that WeasyPrint's HTML
# parser took 0.3 s and its layout another 0.3 s to read. The URL is the SVG's digest, so
# equal equations share one URL (one image parsed) and forked layout processes, which
# inherit this table, resolve the same URLs.
MATH_URL_SCHEME = "typeset-math"
_IMAGES_BY_URL: dict[str, bytes] = {}


def _image_url(svg: str) -> str:
    data = svg.encode()
    url = f"{MATH_URL_SCHEME}:{fingerprint(data)[:40]}.svg"
    _IMAGES_BY_URL[url] = data
    return url


def math_image(url: str) -> Any:
    """The fetcher's answer for a MATH_URL_SCHEME URL: the SVG of an equation this
    process typeset (a weasyprint.urls.URLFetcherResponse)."""
    from weasyprint.urls import URLFetcherResponse, URLFetchingError

    data = _IMAGES_BY_URL.get(url)
    if data is None:
        raise URLFetchingError(f"refused: {url} is no equation of this build")
    return URLFetcherResponse(url, data, {"Content-Type": "image/svg+xml"})


def _rendered(
    maths: list[PreparedMath], config: Config, *, ahead: frozenset[Equation] = frozenset()
) -> dict[Equation, RenderedEquation]:
    """Each equation's SVG or error: from the cache, the rest from one MathJax run.

    `ahead` are equations this build rendered ahead (render_meanwhile): the cache holds
    them fresh, so they are read from it even when the build reads no cache (--force).
    """
    cache = BuildCache(cache_folder(config.project_dir))
    fresh = BuildCache(cache_folder(config.project_dir), read=True)
    version = fingerprint(
        mathjax_version(config.project_dir),
        file_fingerprint(SCRIPT),
        file_fingerprint(Path(flat_svg.__file__)),
    )
    keys = {
        math.equation: fingerprint(CACHE_KIND, math.equation.tex, math.equation.display, version)
        for math in maths
    }
    results: dict[Equation, RenderedEquation] = {}
    for equation, key in keys.items():
        cached = (fresh if equation in ahead else cache).get_json(CACHE_KIND, key)
        if isinstance(cached, dict):
            results[equation] = RenderedEquation(cached.get("svg"), cached.get("error"))
    missing = [equation for equation in keys if equation not in results]
    log.debug("math: %d equations cached, %d to render", len(results), len(missing))
    for equation, result in zip(
        missing, stream_equations(missing, config.project_dir), strict=True
    ):
        if result.svg is not None:
            result = RenderedEquation(svg=flat_svg.flattened(result.svg))
        results[equation] = result
        cache.put_json(CACHE_KIND, keys[equation], {"svg": result.svg, "error": result.error})
    return results


def _one_line(tex: str) -> str:
    return " ".join(tex.split())


def _line_of(math: PreparedMath, manuscript: Manuscript) -> int | None:
    """The manuscript line where the equation starts (pandoc's AST has no positions)."""
    tex = math.source
    needle = tex if math.equation.display else f"${tex}$"
    found = manuscript.text.find(needle)
    if found >= 0:
        return manuscript.text.count("\n", 0, found) + 1
    first = next((line.strip() for line in tex.splitlines() if line.strip()), "")
    return manuscript.line_containing(first)
