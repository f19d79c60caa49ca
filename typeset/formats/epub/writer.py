"""EPUB 3 through pandoc: complete package metadata, a cover, the e-reader stylesheet.

The writer completes the document's metadata (identifier, language, accessibility), picks
or draws a cover, has pandoc write the book, then finishes the package (footnote
back-links, labelled cover, a reproducible archive). All metadata comes from the resolved
document, never from the config, so an anonymised document makes an anonymous book.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.cache import BuildCache, cache_folder, fingerprint, fonts_fingerprint
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.confine import roots_of
from typeset.errors import ConfigError
from typeset.formats import validators
from typeset.formats.base import (
    document_json,
    stable_identifier,
    structure_arguments,
    style_file,
)
from typeset.formats.cache_inputs import (
    config_files,
    installed_fonts,
    package_version,
    style_files,
)
from typeset.formats.epub.accessibility import (
    ContentSurvey,
    accessibility_metadata,
    conforms_to,
    survey,
)
from typeset.formats.epub.cover import CoverText, render_cover
from typeset.formats.epub.package import finish_epub
from typeset.formats.title_block import epub_meta, title_page_details
from typeset.headings import with_top_heading_level
from typeset.images import (
    EXTENSIONS,
    SVG_TYPE,
    ImageRefused,
    check_raster,
    checked_svg,
    media_type_of,
)
from typeset.limits import MAX_IMAGE_BYTES, read_input
from typeset.pandoc import run_pandoc

log = logging.getLogger(__name__)

# Bump when cover.py draws differently: cached covers are keyed by it.
COVER_DESIGN_VERSION = 2

# The image types EPUB 3 reading systems must support that pandoc can size for its cover
# page.
COVER_MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", SVG_TYPE)
FALLBACK_LANGUAGE = "en"


class EpubWriter:
    name = "epub"
    extension = "epub"
    cache_inputs = (
        config_files("cover_image"),
        style_files("epub*"),
        # the generated cover is drawn with Pillow in the installed fonts
        package_version("pillow"),
        package_version("fonttools"),
        package_version("lxml"),
        installed_fonts,
    )
    validators = (validators.epubcheck, validators.daisy_ace)
    takes_cite_this_work_section = True

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        contents = survey(resolved.document)  # the EPUB's blocks differ only in levels
        document = epub_document(resolved, contents)
        cover_text = CoverText.from_meta(document["meta"])
        with tempfile.TemporaryDirectory(prefix="typeset-epub-") as workdir:
            cover = configured_cover(config, Path(workdir))
            if cover is None:
                cover = Path(workdir) / "cover.png"
                drawn_cover(cover_text, cover, config)
            pandoc_epub = Path(workdir) / "book.epub"
            run_pandoc(
                [
                    "--from",
                    "json",
                    "--to",
                    "epub3",
                    "--css",
                    str(style_file(config, "epub.css")),
                    "--epub-cover-image",
                    str(cover),
                    # pandoc's --sandbox would refuse the stylesheet and the cover (3.9):
                    # instead the document arrives sealed, images embedded, and pandoc
                    # resolves anything relative in an empty folder.
                    "--resource-path",
                    workdir,
                    # EPUB 3 reading systems render MathML, and screen readers can speak
                    # it; pandoc's default turns formulas into styled text.
                    "--mathml",
                    # The citation layout lives in epub.css with everything else.
                    "--variable",
                    "csl-css=",
                    *structure_arguments(config),
                    "--output",
                    str(pandoc_epub),
                ],
                document_json(document),
                cwd=Path(workdir),
                source=resolved.source,
            )
            finish_epub(
                pandoc_epub,
                destination,
                cover_label=cover_text.label,
                lang=ast.plain_text(document["meta"]["lang"]),
                # pandoc's title page lists the names only
                title_page=title_page_details(resolved.document["meta"]),
                conforms_to=conforms_to(
                    contents, ast.plain_text(resolved.document["meta"].get("lang"))
                ),
            )


def epub_document(
    resolved: ResolvedDocument, contents: ContentSurvey | None = None
) -> dict[str, Any]:
    """A copy of the resolved document with the metadata an EPUB package needs.

    The manuscript's top heading level, `#` or `##`, becomes <h1>: pandoc starts a new
    chapter file at each <h1> (its default --split-level), so chapters follow the
    manuscript's own sections whatever level it starts at.
    """
    # Copied where it changes only (a book's AST is large): the blocks by the heading
    # shift, the metadata here.
    document = dict(with_top_heading_level(resolved.document, 1))
    meta = dict(document["meta"])
    if not ast.plain_text(meta.get("title")):
        log.warning(
            "%s has no title; the EPUB is titled after the file (add title: to the front matter)",
            resolved.source.path,
        )
        meta["title"] = ast.meta_value(resolved.source.stem)
    if not ast.plain_text(meta.get("lang")):
        # pandoc would fall back to the build machine's locale, so the same manuscript
        # would declare different languages on different machines.
        log.warning(
            "%s sets no lang; the EPUB declares %r (add lang: to the front matter)",
            resolved.source.path,
            FALLBACK_LANGUAGE,
        )
        meta["lang"] = ast.meta_value(FALLBACK_LANGUAGE)
    document["meta"] = meta = epub_meta(meta)
    # Stores and reading systems key editions on the identifier: pandoc's default is
    # random per build.
    meta.setdefault("identifier", ast.meta_value(stable_identifier(document)))
    lang = ast.plain_text(meta["lang"])
    contents = contents or survey(document)
    for key, value in accessibility_metadata(contents, lang).items():
        meta.setdefault(key, value)
    return document


def drawn_cover(text: CoverText, destination: Path, config: Config) -> None:
    """Draw the cover, or reuse the one drawn for the same words in the same fonts.

    Drawing costs about half a second (font coverage, shaping); a rebuild after an edit
    to the body text should not pay it again.
    """
    cache = BuildCache(cache_folder(config.project_dir))
    key = fingerprint(dataclasses.asdict(text), fonts_fingerprint(), COVER_DESIGN_VERSION)
    cached = cache.get_bytes("cover", key)
    if cached is not None:
        destination.write_bytes(cached)
        return
    render_cover(text, destination)
    cache.put_file("cover", key, destination)


def configured_cover(config: Config, workdir: Path) -> Path | None:
    """A checked copy in `workdir` of the cover image the config names; None when the
    build should draw one.

    Only the config can name one: the manuscript's own `cover-image` is dropped with its
    other resource fields when the manuscript is read, as a manuscript may be untrusted.
    Its type is read from its bytes and it passes the checks every figure passes (an SVG
    cover the same allow-list, typeset.images); pandoc gets the checked bytes.
    """
    path = config.cover_image
    if path is None:
        return None
    hint = "fix 'cover_image' in the config, or remove it to have a cover drawn"
    # Read once, inside the build's roots; pandoc gets this checked copy, not the name.
    data = read_input(
        path,
        roots=roots_of(config),
        what="cover image",
        error=ConfigError,
        max_bytes=MAX_IMAGE_BYTES,
        hint=hint,
    )
    media_type = media_type_of(data)
    if media_type not in COVER_MEDIA_TYPES:
        raise ConfigError(
            f"cover image must be PNG, JPEG, GIF or SVG, not {path.suffix or 'extensionless'}"
            + (f" (its bytes are {media_type})" if media_type else ""),
            path=path,
            hint="convert the image, or fix 'cover_image' in the config",
        )
    try:
        if media_type == SVG_TYPE:
            data = checked_svg(data)
        else:
            check_raster(data, path.name)
    except ImageRefused as refused:
        raise ConfigError(
            f"cover image refused: {refused}",
            path=path,
            hint="export the cover again as plain SVG, or use a PNG or JPEG",
        ) from None
    checked = workdir / f"configured-cover{EXTENSIONS[media_type]}"
    checked.write_bytes(data)
    return checked
