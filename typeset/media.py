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
readers may not show SVG (Word). The DOCX writer, the one format that needs it, draws it in
its own process beside the other writers (`with_raster_renditions`), so no format waits
for another's conversions: from the SVG itself, or for a figure converted from PDF or EPS
(typeset.figures) from its source page, which the seal stores beside it (`NAME.svg.source`
names the source's file, content-addressed like the images, and the page).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.cache import BuildCache, cache_folder
from typeset.figures import FigureSource, converted_raster, raster_rendition
from typeset.images import (
    EPS_TYPE,
    EXTENSIONS,
    PDF_TYPE,
    SVG_TYPE,
    ImageRefused,
    media_type_of,
)

log = logging.getLogger(__name__)

MEDIA_FOLDER_NAME = "media"
RASTER_RENDITION_SUFFIX = ".png"
SOURCE_NOTE_SUFFIX = ".source"


def media_folder(project_dir: Path) -> Path:
    """Where a build of `project_dir` keeps the images its writers read."""
    return cache_folder(project_dir) / MEDIA_FOLDER_NAME


class MediaFolder:
    """Checked images stored once each; `add` returns the path a document refers to."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._written: dict[str, Path] = {}  # sha256 -> file written by this build

    def add(self, media_type: str, data: bytes, *, source: FigureSource | None = None) -> str:
        """Store `data`; `source`: the PDF or EPS figure page it was converted from."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._written.get(digest)
        if path is None:
            path = self.folder / f"{digest}{EXTENSIONS[media_type]}"
            _write_atomically(path, data)
            if source is not None:
                source_digest = hashlib.sha256(source.data).hexdigest()
                source_path = self.folder / f"{source_digest}{EXTENSIONS[source.media_type]}"
                _write_atomically(source_path, source.data)
                note = {
                    "file": source_path.name,
                    "media_type": source.media_type,
                    "page": source.page,
                }
                _write_atomically(_source_note_path(path), json.dumps(note).encode())
            else:  # a source is used only if this build named it
                _source_note_path(path).unlink(missing_ok=True)
            self._written[digest] = path
        return str(path)


def with_raster_renditions(
    document: dict[str, Any], folder: Path, *, cache: BuildCache | None = None
) -> dict[str, Any]:
    """`document` with each SVG of `folder` pointing at a PNG rendition of it, drawn now
    (cached; several at once): from the source page of a converted figure, else from the
    SVG (typeset.figures). An SVG that cannot be drawn stays an SVG."""
    svgs = {
        path
        for node in ast.walk(document)
        if node["t"] == "Image"
        and (path := Path(node["c"][2][0])).parent == folder
        and path.suffix == EXTENSIONS[SVG_TYPE]
    }
    shown = _draw_renditions(sorted(svgs), cache)
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


def _draw_renditions(svgs: list[Path], cache: BuildCache | None) -> set[Path]:
    """Draw each of `svgs` as its PNG rendition, as many at once as there are cores (each
    drawing is a converter's process: the threads only wait for them); those drawn."""
    if not svgs:
        return set()
    drawn = set()
    workers = min(len(svgs), os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="rendition") as pool:
        for path, png in zip(svgs, pool.map(lambda svg: _drawn(svg, cache), svgs), strict=True):
            if png is not None:
                _write_atomically(_rendition_path(path), png)
                drawn.add(path)
    return drawn


def _drawn(path: Path, cache: BuildCache | None) -> bytes | None:
    svg = _stored_bytes(path)
    if svg is None:
        return None
    source = _figure_source(path)
    if source is None:
        return raster_rendition(svg, cache=cache)
    try:
        return converted_raster(source.data, source.media_type, page=source.page, cache=cache)
    except ImageRefused as refused:
        log.warning("a converted figure has no PNG for Word (%s); the DOCX shows its SVG", refused)
        return None


def _figure_source(svg: Path) -> FigureSource | None:
    """The PDF or EPS page `svg` was converted from, as the seal noted it, or None."""
    try:
        note = json.loads(_source_note_path(svg).read_bytes())
        media_type, page, name = note["media_type"], note["page"], note["file"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("%s's note of its source is damaged; the DOCX draws the SVG", svg)
        return None
    if media_type not in (PDF_TYPE, EPS_TYPE) or not isinstance(page, int) or "/" in str(name):
        log.warning("%s's note of its source is damaged; the DOCX draws the SVG", svg)
        return None
    data = _stored_bytes(svg.with_name(str(name)))
    if data is None or media_type_of(data) != media_type:
        return None
    return FigureSource(data, media_type, page)


def _stored_bytes(path: Path) -> bytes | None:
    """The bytes of the media file `path` if they are still those the seal stored under
    their digest (what it checked), else None."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != path.name.split(".", 1)[0]:
        log.warning("%s changed after the build stored it; the DOCX shows it as SVG", path)
        return None
    return data


def _rendition_path(path: Path) -> Path:
    return path.with_name(path.name + RASTER_RENDITION_SUFFIX)


def _source_note_path(path: Path) -> Path:
    return path.with_name(path.name + SOURCE_NOTE_SUFFIX)


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
