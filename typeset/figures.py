"""PDF and EPS figures as every output can show them.

No output shows a PDF or EPS figure as it is: WeasyPrint and e-readers draw SVG, PNG and
JPEG; Word draws PNG everywhere and SVG only since 2016. A figure's page is converted by
poppler's pdftocairo to a vector SVG (text as glyph outlines, embedded bitmaps as data:
PNGs) for the PDF and the EPUB (`converted_figure`, before the writers), and to a PNG at
print resolution for the DOCX (`converted_raster`, by the DOCX writer alone: three
quarters of a conversion's time, which no other format waits for). EPS goes through
ghostscript under -dSAFER (no file access but its own output) to PDF first.

Both tools read a file someone else made: each runs in an empty temporary folder under
address-space and CPU limits (util-linux prlimit), dies with the build (setpriv
--pdeathsig) and is stopped after `CONVERSION_SECONDS`. The SVG they write passes the same
allow-list as any other (typeset.images.checked_svg). Results are cached by the figure's
bytes, the page and the tools' identities.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from typeset.cache import BuildCache, fingerprint
from typeset.confine import MEGABYTE
from typeset.images import EPS_TYPE, ImageRefused, check_raster, checked_svg, media_type_of
from typeset.limits import capped_command_prefix

log = logging.getLogger(__name__)

# Print resolution for the raster rendition; a page bigger than a figure is drawn at a
# lower one so that the PNG stays under FIGURE_RASTER_PIXELS.
FIGURE_DPI = 300
FIGURE_RASTER_PIXELS = 40_000_000
CONVERSION_SECONDS = 60
CONVERSION_CPU_SECONDS = 50
CONVERSION_MEMORY_BYTES = 1536 * MEGABYTE
MAX_SVG_BYTES = 64 * MEGABYTE  # what a converted page may weigh (a dense scatter plot is ~10)
# Bump when the conversion changes: cached conversions are keyed by it.
CONVERSION_VERSION = 1


@dataclass(frozen=True)
class FigureSource:
    """A page of a PDF or EPS figure, as the author gave it."""

    data: bytes
    media_type: str
    page: int


@dataclass(frozen=True)
class ConvertedFigure:
    svg: bytes  # checked: passes typeset.images.checked_svg
    pages: int  # in the source document; `page` was converted


def converted_figure(
    data: bytes, media_type: str, *, page: int = 1, cache: BuildCache | None = None
) -> ConvertedFigure:
    """Page `page` of the PDF or EPS figure `data` as SVG; ImageRefused if the file is
    damaged, has no such page, or needs more than the conversion's limits."""
    key = _conversion_key("figure", data, media_type, page)
    cached = cache.get_json("figure", key) if cache is not None else None
    if isinstance(cached, dict):
        try:
            # The cache may be shared: what comes from it is checked as a figure is.
            return ConvertedFigure(
                svg=checked_svg(base64.b64decode(cached["svg"])), pages=int(cached["pages"])
            )
        except (KeyError, ValueError, TypeError):
            pass  # a damaged entry is a miss (ImageRefused is a ValueError)
    figure = _converted(data, media_type, page, _as_svg)
    if cache is not None:
        cache.put_json(
            "figure", key, {"svg": base64.b64encode(figure.svg).decode(), "pages": figure.pages}
        )
    return figure


def converted_raster(
    data: bytes, media_type: str, *, page: int = 1, cache: BuildCache | None = None
) -> bytes:
    """Page `page` of the PDF or EPS figure `data` as a PNG at print resolution (at most
    FIGURE_RASTER_PIXELS), for the DOCX; ImageRefused as `converted_figure`."""
    key = _conversion_key("figure-png", data, media_type, page)
    cached = cache.get_bytes("figure-png", key) if cache is not None else None
    if cached is not None and media_type_of(cached) == "image/png":
        try:
            check_raster(cached, "a cached figure")  # the cache may be shared
            return cached
        except ImageRefused:
            pass  # a damaged entry is a miss
    png = _converted(data, media_type, page, _as_png)
    if cache is not None:
        cache.put_bytes("figure-png", key, png)
    return png


def raster_rendition(svg: bytes, *, cache: BuildCache | None = None) -> bytes | None:
    """The checked SVG `svg` as a PNG at print resolution (librsvg's rsvg-convert), for
    the DOCX; None where rsvg-convert is missing or fails (the DOCX keeps the SVG alone,
    which Word shows since 2016)."""
    if shutil.which("rsvg-convert") is None:
        return None
    key = fingerprint("svg-png", hashlib.sha256(svg).hexdigest(), _tools(), CONVERSION_VERSION)
    cached = cache.get_bytes("svg-png", key) if cache is not None else None
    if cached is not None and media_type_of(cached) == "image/png":
        return cached
    with tempfile.TemporaryDirectory(prefix="typeset-figure-") as workdir:
        folder = Path(workdir)
        (folder / "figure.svg").write_bytes(svg)
        try:
            # CSS pixels are 1/96 inch: a zoom of 300/96 draws at 300 dpi in any unit.
            zoom = f"{FIGURE_DPI / 96:g}"
            command = [_tool("rsvg-convert"), "--zoom", zoom, "--format", "png"]
            _run([*command, "--output", "figure.png", "figure.svg"], folder, "rsvg-convert")
            png = with_resolution((folder / "figure.png").read_bytes(), FIGURE_DPI)
            check_raster(png, "the figure drawn for the DOCX")
        except (ImageRefused, OSError) as failure:
            log.warning("an SVG figure has no PNG for Word (%s); the DOCX shows the SVG", failure)
            return None
    if cache is not None:
        cache.put_bytes("svg-png", key, png)
    return png


def with_resolution(png: bytes, dpi: int) -> bytes:
    """`png` declaring `dpi` (a pHYs chunk after the header), so that pandoc sizes it in
    the DOCX as drawn: without one it assumes 96 dpi, and a figure is three times too big."""
    header_end = 8 + 25  # signature, then the IHDR chunk (length, type, 13 bytes, CRC)
    if b"pHYs" in png[:200]:
        return png
    per_metre = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    return png[:header_end] + chunk + png[header_end:]


_Result = TypeVar("_Result")


def _conversion_key(kind: str, data: bytes, media_type: str, page: int) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return fingerprint(kind, digest, media_type, page, _tools(), CONVERSION_VERSION)


def _converted(
    data: bytes, media_type: str, page: int, draw: Callable[[Path, Path, int, int, float], _Result]
) -> _Result:
    """`draw(folder, pdf, page, pages, dpi)` run on the figure as a PDF in an empty folder,
    once its page is known to exist (`dpi`: the raster resolution its size allows)."""
    with tempfile.TemporaryDirectory(prefix="typeset-figure-") as workdir:
        folder = Path(workdir)
        pdf = folder / "figure.pdf"
        if media_type == EPS_TYPE:
            (folder / "figure.eps").write_bytes(data)
            _run(
                [
                    _tool("gs"),
                    "-dSAFER",
                    "-dBATCH",
                    "-dNOPAUSE",
                    "-dQUIET",
                    "-dEPSCrop",  # the figure's bounding box, not a letter page
                    "-sDEVICE=pdfwrite",
                    f"-sOutputFile={pdf.name}",
                    "figure.eps",
                ],
                folder,
                "ghostscript",
            )
        else:
            pdf.write_bytes(data)
        pages, width, height = _page_count_and_size(folder, pdf, page)
        if page > pages:
            raise ImageRefused(f"it has {pages} page(s), no page {page}")
        return draw(folder, pdf, page, pages, _raster_resolution(width, height))


def _as_svg(folder: Path, pdf: Path, page: int, pages: int, dpi: float) -> ConvertedFigure:
    selected = ["-f", str(page), "-l", str(page)]
    _run([_tool("pdftocairo"), "-svg", *selected, pdf.name, "figure.svg"], folder, "pdftocairo")
    svg_path = folder / "figure.svg"
    if svg_path.stat().st_size > MAX_SVG_BYTES:
        raise ImageRefused(f"its page drawn as SVG is more than {MAX_SVG_BYTES // MEGABYTE} MB")
    try:
        svg = checked_svg(svg_path.read_bytes())
    except ImageRefused as refused:
        raise ImageRefused(f"its page converted to SVG is refused: {refused}") from None
    return ConvertedFigure(svg=svg, pages=pages)


def _as_png(folder: Path, pdf: Path, page: int, pages: int, dpi: float) -> bytes:
    selected = ["-f", str(page), "-l", str(page)]
    command = [_tool("pdftocairo"), "-png", "-singlefile", "-r", str(dpi), *selected]
    _run([*command, pdf.name, "figure"], folder, "pdftocairo")
    png = (folder / "figure.png").read_bytes()
    check_raster(png, "the figure drawn for the DOCX")
    return png


_PAGES = re.compile(r"^Pages:\s+(\d+)", re.MULTILINE)
_PAGE_SIZE = re.compile(r"^Page\s+\d+\s+size:\s+([\d.]+)\s+x\s+([\d.]+)\s+pts", re.MULTILINE)


def _page_count_and_size(folder: Path, pdf: Path, page: int) -> tuple[int, float, float]:
    """(pages, width, height in points of page `page`, or of the first if there is none)."""
    info = _run([_tool("pdfinfo"), pdf.name], folder, "pdfinfo")
    pages = _PAGES.search(info)
    if pages is None or int(pages.group(1)) < 1:
        raise ImageRefused("it has no pages")
    count = int(pages.group(1))
    shown = min(page, count)
    sizes = _run(
        [_tool("pdfinfo"), "-f", str(shown), "-l", str(shown), pdf.name], folder, "pdfinfo"
    )
    size = _PAGE_SIZE.search(sizes)
    if size is None:
        raise ImageRefused("its page has no size")
    return count, float(size.group(1)), float(size.group(2))


def _raster_resolution(width_points: float, height_points: float) -> float:
    square_inches = max(width_points * height_points / 72**2, 1e-6)
    return min(FIGURE_DPI, math.floor(math.sqrt(FIGURE_RASTER_PIXELS / square_inches)))


def _run(command: list[str], folder: Path, tool: str) -> str:
    try:
        completed = subprocess.run(
            [*capped_command_prefix(CONVERSION_MEMORY_BYTES, CONVERSION_CPU_SECONDS), *command],
            cwd=folder,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=CONVERSION_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ImageRefused(f"{tool} did not convert it within {CONVERSION_SECONDS} s") from None
    if completed.returncode != 0:
        said = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = said[-1][:200] if said else f"exit {completed.returncode}"
        if completed.returncode < 0:
            reason = "it needed more memory or time than a figure may"
        raise ImageRefused(f"{tool} could not convert it ({reason}); is the file damaged?")
    return completed.stdout.decode("utf-8", "replace")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = {"gs": "ghostscript", "rsvg-convert": "librsvg2-bin"}.get(name, "poppler-utils")
        raise ImageRefused(f"converting it needs {name}, which is not installed ({package})")
    return path


def _tools() -> list[str]:
    """The converters' identities (path, size, date), for the cache key."""
    found = []
    for name in ("pdftocairo", "gs", "rsvg-convert"):
        path = shutil.which(name)
        if path:
            status = Path(path).stat()
            found.append(f"{path}:{status.st_size}:{status.st_mtime_ns}")
    return found
