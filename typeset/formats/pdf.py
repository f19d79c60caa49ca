"""PDF: pandoc's HTML, set by WeasyPrint with the project's print stylesheet."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pydyf
import weasyprint
from weasyprint.urls import URLFetcher, URLFetchingError

from typeset import ast, timings
from typeset.cache import cache_folder
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.formats import pdf_parallel, validators
from typeset.formats.base import document_json, structure_arguments, style_file
from typeset.formats.cache_inputs import (
    config_fields,
    installed_fonts,
    node_package_versions,
    package_version,
    style_files,
)
from typeset.formats.cssselect2_walks import sibling_walks_iterative
from typeset.formats.math_svg import MATH_URL_SCHEME, math_image, math_rewrite
from typeset.formats.pdf_artifacts import mark_orphaned_content_as_artifacts
from typeset.formats.pdf_line_numbers import number_lines
from typeset.formats.pdf_metadata import pdf_metadata, weasyprint_metadata
from typeset.formats.print_notes import print_notes
from typeset.formats.print_typography import print_inline_lists, print_typography
from typeset.formats.title_block import print_meta
from typeset.formats.weasyprint_cffi import arrays_parsed_once
from typeset.formats.weasyprint_footnotes import measure_footnotes_one_by_one
from typeset.formats.weasyprint_tags import page_references_cached
from typeset.headings import heading_shift
from typeset.media import media_folder
from typeset.names import PAPER_SIZES, PDF_SPLIT_VARIABLE
from typeset.pandoc import run_pandoc
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
        measure_footnotes_one_by_one()  # before any layout here or in the forked parts
        arrays_parsed_once()
        page_references_cached()
        sibling_walks_iterative()
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
        book_length = pdf_parallel.is_worth_splitting(html.decode())
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
            document.write_pdf(destination, finisher=_ensure_xmp_packet, **options)
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
        """A book laid out in parts on every core (pdf_parallel); False if not worth it."""
        if os.environ.get(PDF_SPLIT_VARIABLE) == "0":
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
            finisher=_ensure_xmp_packet,
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


# print.css's faces after the text face, for the scripts a chosen face lacks.
TEXT_FACES = (
    '"Charis SIL", "Noto Serif CJK SC", "Noto Serif CJK JP", "Noto Serif CJK KR", '
    '"Noto Serif CJK TC", serif'
)


def _ensure_xmp_packet(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """Write the XMP packet for variants WeasyPrint writes none for (tagged, plain).

    WeasyPrint adds XMP only for PDF/A, PDF/UA and PDF/X; catalogues and archives read
    title, authors and language from XMP rather than the older info dictionary.
    """
    if "Metadata" not in pdf.catalog:
        document.metadata.include_in_pdf(pdf, "", None, None, compress=True)


# Tables with this many columns are set smaller (print.css `table.wide`) to fit the text
# block without breaking words.
WIDE_TABLE_COLUMNS = 6
# A "word" in a table cell longer than this (a hash, an identifier, a run of letters) is
# wider than any column can be; print.css lets it alone break anywhere (`.unbreakable`),
# so the table still fits the text block while real words break only at hyphens.
LONGEST_TABLE_WORD = 30


def render_print_html(resolved: ResolvedDocument, config: Config) -> bytes:
    """The HTML WeasyPrint lays out: math as SVG, footnotes moved inline so they float to
    the page foot."""
    document = resolved.document
    # Adjacent note calls get a separator (and opening marks their word) before the notes
    # become footnotes.
    document = {
        **document,
        "blocks": ast.transform(document["blocks"], rewrite_list=print_inline_lists),
    }
    maths = math_rewrite(document, resolved.source, config)
    body = ast.first_of(maths, print_rewrite(document))
    # WeasyPrint 70 keeps source line breaks inside floated footnotes as forced breaks;
    # one line per paragraph avoids ragged notes.
    body_options = ["--wrap=none"]
    notes = print_notes(document, body, body_options, tagged=config.pdf_variant != "plain")
    # One pass over the blocks for all of it (each pass over a book costs a few tenths).
    meta = document["meta"] if maths is None else ast.transform(document["meta"], maths)
    blocks = ast.transform(document["blocks"], ast.first_of(body, notes.rewrite if notes else None))
    document = {**document, "meta": print_meta(meta), "blocks": blocks}
    page = run_pandoc(
        [
            "--from",
            "json",
            "--to",
            "html5",
            "--standalone",
            "--template",
            str(style_file(config, "print.html")),
            "--section-divs",
            *body_options,
            "--sandbox",
            *structure_arguments(config),
        ],
        document_json(document),
        source=resolved.source,
    )
    return page if notes is None else notes.filled(page)


def print_rewrite(document: dict[str, Any]) -> ast.Rewrite:
    """The body as the printed page shows it.

    The title is the page's <h1>, so the manuscript's top heading level, `#` or `##`,
    becomes <h2> and the levels below follow (styled by print.css for h2 to h6); wide
    tables are marked so print.css can set them smaller, and overlong words in a table's
    cells kept whole; quotations, URLs and hard line breaks break lines where a reader
    expects (print_typography).
    """
    return ast.first_of(heading_shift(document, 2), _printed_table, print_typography)


def _printed_table(node: dict[str, Any]) -> dict[str, Any] | None:
    if node["t"] != "Table":
        return None
    table = _mark_wide_table(node) or node
    return ast.transform(table, _overlong_word_span)  # type: ignore[no-any-return]


def _overlong_word_span(node: dict[str, Any]) -> dict[str, Any] | None:
    if node["t"] != "Str" or len(node["c"]) <= LONGEST_TABLE_WORD:
        return None
    return {"t": "Span", "c": [["", ["unbreakable"], []], [node]]}


def _mark_wide_table(node: dict[str, Any]) -> dict[str, Any] | None:
    if node["t"] != "Table" or len(node["c"][2]) < WIDE_TABLE_COLUMNS:
        return None
    (identifier, classes, attributes), caption, colspecs, *rest = node["c"]
    # pandoc derives relative widths from the dashes of a pipe table's rule when a row
    # is long: an artefact of the source, which squeezes a text column to a word's
    # width. A wide table is laid out from its content instead.
    natural = [[alignment, {"t": "ColWidthDefault"}] for alignment, _ in colspecs]
    return {
        "t": "Table",
        "c": [[identifier, [*classes, "wide"], attributes], caption, natural, *rest],
    }


class LocalFilesOnly(URLFetcher):  # type: ignore[misc]
    """Fetch data: URLs, the equations' SVGs (math_svg), files inside `roots`, and URLs
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
