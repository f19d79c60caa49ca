"""PDF: pandoc's HTML, set by WeasyPrint with the project's print stylesheet."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import weasyprint
from weasyprint.urls import URLFetcher, URLFetchingError

from typeset import ast, timings
from typeset.cache import cache_folder
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.formats import validators
from typeset.formats.base import style_file
from typeset.formats.cache_inputs import (
    config_fields,
    installed_fonts,
    node_package_versions,
    package_version,
    style_files,
)
from typeset.formats.pdf import parallel as pdf_parallel
from typeset.formats.pdf.html import render_print_html
from typeset.formats.pdf.line_numbers import number_lines
from typeset.formats.pdf.math import MATH_URL_SCHEME, math_image
from typeset.formats.pdf.metadata import pdf_metadata
from typeset.formats.pdf.weasyprint import enabled
from typeset.formats.pdf.weasyprint.artifacts import mark_orphaned_content_as_artifacts
from typeset.formats.pdf.weasyprint.metadata import weasyprint_metadata, xmp_finisher
from typeset.media import media_folder
from typeset.names import PAPER_SIZES, PDF_SPLIT_VARIABLE
from typeset.urls import url_is_under

log = logging.getLogger(__name__)

GENERATOR = "typeset (pandoc + WeasyPrint)"

# What each Config.pdf_variant asks of WeasyPrint. The PDF/A variants are tagged too:
# their "b"/"u" conformance levels don't require tags, but a reader using a screen
# reader gains from them and the archive loses nothing.
WEASYPRINT_OPTIONS_BY_VARIANT: dict[str, dict[str, Any]] = {
    "pdf/ua-1": {"pdf_variant": "pdf/ua-1"},  # WeasyPrint turns tags on for PDF/UA
    "pdf/a-2b": {"pdf_variant": "pdf/a-2b", "pdf_tags": True},
    "pdf/a-3u": {"pdf_variant": "pdf/a-3u", "pdf_tags": True},
    "tagged": {"pdf_tags": True},
    "plain": {"pdf_tags": False},
}


class PdfWriter:
    name = "pdf"
    extension = "pdf"
    cache_inputs = (
        config_fields(
            "paper",
            "margins",
            "pdf_variant",
            "allowed_urls",
            "font_size",
            "line_stretch",
            "main_font",
            "columns",
            "line_numbers",
            "double_spacing",
        ),
        style_files("print.*"),
        package_version("weasyprint"),
        installed_fonts,
        node_package_versions,
    )
    validators = (
        validators.pdf_fonts_embedded,
        validators.qpdf_check,
        validators.pdf_ua_structure,
        validators.pdf_typography,
    )
    takes_cite_this_work_section = True

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        # WeasyPrint's patches were installed before this module was imported
        # (typeset/formats/pdf/weasyprint/__init__.py).
        with timings.stage("html"):
            html = render_print_html(resolved, config)
        folder = resolved.source.folder
        stylesheet = style_file(config, "print.css")
        # The figures are read from the build's media folder (typeset.media), where the
        # last sanitising pass put them.
        fetcher = LocalFilesOnly(
            [folder, stylesheet.parent, media_folder(config.project_dir)],
            allowed_urls=config.allowed_urls,
        )
        book_length = pdf_parallel.is_worth_splitting(html.decode()) or is_book(
            config, resolved.document["meta"]
        )
        options: dict[str, Any] = {
            "stylesheets": [
                weasyprint.CSS(filename=str(stylesheet), url_fetcher=fetcher),
                weasyprint.CSS(string=page_setup_css(config, book_length=book_length)),
            ],
            **WEASYPRINT_OPTIONS_BY_VARIANT[config.pdf_variant],
        }
        metadata = pdf_metadata(resolved.document["meta"])
        if not metadata.lang:
            log.warning(
                "%s has no 'lang' in its front matter: the PDF has no document language "
                "(screen readers guess, PDF/UA requires one) and words are not hyphenated; "
                "add e.g. 'lang: en-US'",
                resolved.source.path,
            )
        if self.write_in_parts(html, destination, folder, fetcher, options, metadata, config):
            _number_lines_if_asked(destination, config)  # through the parts, joined
            return  # each part has had the artifacts pass
        with timings.stage("layout"):
            document = weasyprint.HTML(
                string=html.decode(), base_url=str(folder) + "/", url_fetcher=fetcher
            ).render(**options)

        document.metadata = weasyprint_metadata(metadata, GENERATOR, document.metadata)
        with timings.stage("pdf-write"):
            document.write_pdf(destination, finisher=xmp_finisher(), **options)
        with timings.stage("artifacts"):
            mark_orphaned_content_as_artifacts(destination)  # running heads, page numbers
        _number_lines_if_asked(destination, config)

    def write_in_parts(
        self,
        html: bytes,
        destination: Path,
        folder: Path,
        fetcher: URLFetcher,
        options: dict[str, Any],
        metadata: Any,
        config: Config,
    ) -> bool:
        """A book laid out in parts on every core (parallel.py); False if not worth it, or
        where the parts' tag trees cannot be joined (a WeasyPrint not checked)."""
        if os.environ.get(PDF_SPLIT_VARIABLE) == "0" or not enabled("parts-tag-tree"):
            return False
        return pdf_parallel.write(
            html.decode(),
            destination,
            base_url=str(folder) + "/",
            url_fetcher=fetcher,
            stylesheets=options["stylesheets"],
            stylesheet_key=style_file(config, "print.css").read_text()
            + page_setup_css(config, book_length=True),
            options={k: v for k, v in options.items() if k != "stylesheets"},
            prepare=lambda document: setattr(
                document, "metadata", weasyprint_metadata(metadata, GENERATOR, document.metadata)
            ),
            finisher=xmp_finisher(),
            cache_dir=cache_folder(config.project_dir) / "pdf-parts",
            # running heads are per part; the folios the join stamps are artifacts already
            postprocess=mark_orphaned_content_as_artifacts,
        )


# Two columns on the default margins (set for a 70-character measure) would give 30
# characters a column: a two-column page widens the text block, as LaTeX's twocolumn does.
TWO_COLUMN_MARGINS = "22mm 18mm 26mm"


def _number_lines_if_asked(destination: Path, config: Config) -> None:
    if config.line_numbers:
        with timings.stage("line-numbers"):
            number_lines(destination)


def page_setup_css(config: Config, *, book_length: bool = False) -> str:
    """Paper, margins and the text's size, spacing, face and columns from the config (which
    validated each; pandoc's and Quarto's front-matter keys set them too); a book's
    chapters open on a new page."""
    margins = config.margins
    if config.columns == 2 and "margins" not in config.origins:
        margins = TWO_COLUMN_MARGINS
    rules = [f"@page {{ size: {PAPER_SIZES[config.paper]}; margin: {margins}; }}"]
    text = [f"font-size: {config.font_size}"]
    if config.double_spacing:
        text.append("line-height: 2")
    elif config.line_stretch is not None:
        text.append(f"line-height: {1.2 * config.line_stretch:.3g}")  # LaTeX's \linestretch
    if config.main_font:
        text.append(f'font-family: "{config.main_font}", {TEXT_FACES}')
    rules.append(f"html {{ {'; '.join(text)}; }}")
    if config.double_spacing or config.line_stretch:
        # the body's spacing, not the notes' and tables' (a journal's review copy)
        rules.append("p, li, dd, blockquote { line-height: inherit; }")
    if config.columns == 2:
        rules.append(
            "body { column-count: 2; column-gap: 7mm; } "
            "#title-block, nav#TOC { column-span: all; } "
            "html { hyphenate-limit-chars: 5 2 2; }"
        )
    return "\n".join(rules) + (pdf_parallel.CHAPTER_CSS if book_length else "")


# Front matter that makes a manuscript a book for LaTeX (and so for its author).
BOOK_CLASSES = frozenset({"book", "scrbook", "report", "scrreprt", "memoir"})


def is_book(config: Config, meta: dict[str, Any]) -> bool:
    """A book whatever its length, whose chapters open on a new page as in Quarto's and
    LaTeX's books: several files, a book's folder (Quarto, Manubot, bookdown), or front
    matter asking for a book class or chapters (`documentclass: book`,
    `top-level-division: chapter`)."""
    if config.chapters or config.manuscript.is_dir():
        return True
    document_class = ast.plain_text(meta.get("documentclass")).strip().lower()
    division = ast.plain_text(meta.get("top-level-division")).strip().lower()
    return document_class in BOOK_CLASSES or division in ("chapter", "part")


# print.css's faces after the text face, for the scripts a chosen face lacks.
TEXT_FACES = (
    '"Charis SIL", "Noto Serif CJK SC", "Noto Serif CJK JP", "Noto Serif CJK KR", '
    '"Noto Serif CJK TC", serif'
)


class LocalFilesOnly(URLFetcher):  # type: ignore[misc]
    """Fetch data: URLs, the equations' SVGs (math.py), files inside `roots`, and URLs
    under `allowed_urls`; nothing else.

    A manuscript may come from someone else: it must not be able to pull /etc/passwd
    into the PDF (an <img>, or a <link rel="attachment"> that embeds any file), nor
    make the build call out to a tracking pixel or an internal address.
    """

    def __init__(self, roots: list[Path], allowed_urls: tuple[str, ...] = ()) -> None:
        # No redirects: an allowed server could otherwise bounce a request anywhere.
        super().__init__(allowed_protocols=["file", "data", "http", "https"], allow_redirects=False)
        self._roots = [root.resolve() for root in roots]
        self._allowed_urls = allowed_urls

    def fetch(self, url: str, headers: Any = None) -> Any:
        parsed = urlparse(url)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in self._roots):
                log.warning("refused to read %s: outside the manuscript and styles", path)
                raise URLFetchingError(f"refused: {url} is outside the allowed folders")
        elif parsed.scheme in ("http", "https"):
            if not any(url_is_under(url, prefix) for prefix in self._allowed_urls):
                log.warning(
                    "refused to fetch %s: network access is off (allow it with the "
                    "'allowed_urls' option)",
                    url,
                )
                raise URLFetchingError(f"refused: {url} (not under an allowed URL prefix)")
        elif parsed.scheme == MATH_URL_SCHEME:
            return math_image(url)
        elif parsed.scheme != "data":
            log.warning("refused to fetch %s: unsupported URL scheme", url)
            raise URLFetchingError(f"refused: {url} (unsupported scheme)")
        return super().fetch(url, headers)
