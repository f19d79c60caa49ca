"""The images the writers read: one file per distinct image, named by its content.

The last sanitising pass (typeset.sanitize.seal_for_writers) puts every checked image
here and points the document's images at these files, so a figure used 300 times is one
file, one resource in the EPUB and the DOCX and one image object in the PDF, and the
document the writers get stays small (a 2 MB figure as a data: URI in each reference made
a 300-reference document of 800 MB, copied again by every writer and by pandoc).

The folder lives in the build cache and is content-addressed, so a path names the same
bytes in every build (the PDF's cached parts stay valid) and the folder may be deleted at
any time. Each build writes the bytes it embeds itself (an atomic replace), so a file
someone else left there is never what an output shows.

An SVG `NAME.svg` gets a raster rendition `NAME.svg.png` beside it for writers whose
readers may not show SVG (Word): a figure converted from PDF or EPS (typeset.figures) brings
its own, stored with it; any other SVG is drawn by the DOCX writer, the one format that
needs it, in its own process beside the other writers (`with_raster_renditions`), so that
no format waits for another's conversions.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.cache import BuildCache, cache_folder
from typeset.figures import raster_rendition
from typeset.images import EXTENSIONS, SVG_TYPE

log = logging.getLogger(__name__)

MEDIA_FOLDER_NAME = "media"
RASTER_RENDITION_SUFFIX = ".png"


def media_folder(project_dir: Path) -> Path:
    """Where a build of `project_dir` keeps the images its writers read."""
    return cache_folder(project_dir) / MEDIA_FOLDER_NAME


class MediaFolder:
    """Checked images stored once each; `add` returns the path a document refers to."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._written: dict[str, Path] = {}  # sha256 -> file written by this build

    def add(self, media_type: str, data: bytes, *, raster_rendition: bytes | None = None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._written.get(digest)
        if path is None:
            path = self.folder / f"{digest}{EXTENSIONS[media_type]}"
            _write_atomically(path, data)
            if raster_rendition is not None:
                _write_atomically(_rendition_path(path), raster_rendition)
            else:  # a rendition is used only if this build made it
                _rendition_path(path).unlink(missing_ok=True)
            self._written[digest] = path
        return str(path)


def with_raster_renditions(
    document: dict[str, Any], folder: Path, *, cache: BuildCache | None = None
) -> dict[str, Any]:
    """`document` with each SVG of `folder` pointing at a PNG rendition of it: the one
    stored with a converted figure, else one drawn now (typeset.figures.raster_rendition,
    cached; several at once); an SVG that cannot be drawn stays an SVG."""
    svgs = {
        path
        for node in ast.walk(document)
        if node["t"] == "Image"
        and (path := Path(node["c"][2][0])).parent == folder
        and path.suffix == EXTENSIONS[SVG_TYPE]
    }
    # The seal stored a converted figure's rendition and removed any other (typeset.
    # sanitize): what is there now was made by this build.
    _draw_renditions(sorted(path for path in svgs if not _rendition_path(path).is_file()), cache)
    shown = {path for path in svgs if _rendition_path(path).is_file()}
    if not shown:
        return document

    def rendition(node: dict[str, Any]) -> dict[str, Any] | None:
        if node["t"] != "Image":
            return None
        attributes, alt, (target, title) = node["c"]
        path = Path(target)
        if path not in shown:
            return None
        return {"t": "Image", "c": [attributes, alt, [str(_rendition_path(path)), title]]}

    transformed: dict[str, Any] = ast.transform(document, rendition)
    return transformed


def _draw_renditions(svgs: list[Path], cache: BuildCache | None) -> None:
    """Draw each of `svgs` as its PNG rendition, as many at once as there are cores (each
    drawing is an rsvg-convert process: the threads only wait for them)."""
    if not svgs:
        return
    workers = min(len(svgs), os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="rendition") as pool:
        for path, png in zip(svgs, pool.map(lambda svg: _drawn(svg, cache), svgs), strict=True):
            if png is not None:
                _write_atomically(_rendition_path(path), png)


def _drawn(path: Path, cache: BuildCache | None) -> bytes | None:
    svg = path.read_bytes()
    # Named by its bytes' digest when the seal checked it: bytes that no longer match were
    # not checked, and are not drawn.
    if hashlib.sha256(svg).hexdigest() != path.stem:
        log.warning("%s changed after the build stored it; the DOCX shows it as SVG", path)
        return None
    return raster_rendition(svg, cache=cache)


def _rendition_path(path: Path) -> Path:
    return path.with_name(path.name + RASTER_RENDITION_SUFFIX)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
