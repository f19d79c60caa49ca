"""PDF: pandoc's HTML, set by WeasyPrint with the project's print stylesheet."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import weasyprint
from weasyprint.urls import URLFetcher, URLFetchingError

from typeset import ast
from typeset.citations.base import ResolvedDocument
from typeset.config import Config
from typeset.formats.base import document_json, styles_dir
from typeset.pandoc import run_pandoc

log = logging.getLogger(__name__)

PAGE_SIZES = {"a4": "A4", "letter": "letter"}


class PdfWriter:
    extension = "pdf"

    def write(self, resolved: ResolvedDocument, destination: Path, config: Config) -> None:
        html = render_print_html(resolved, config)
        folder = resolved.source.folder
        fetcher = LocalFilesOnly([folder, styles_dir(config)])
        page_css = weasyprint.CSS(
            string=f"@page {{ size: {PAGE_SIZES[config.paper]}; }}"
        )
        document = weasyprint.HTML(
            string=html.decode(), base_url=str(folder) + "/", url_fetcher=fetcher
        )
        document.write_pdf(
            destination,
            stylesheets=[
                weasyprint.CSS(filename=str(styles_dir(config) / "print.css"), url_fetcher=fetcher),
                page_css,
            ],
            pdf_tags=True,
        )


def render_print_html(resolved: ResolvedDocument, config: Config) -> bytes:
    """The HTML WeasyPrint lays out: footnotes moved inline so they float to the page foot."""
    document = ast.transform(resolved.document, _note_to_footnote_span)
    return run_pandoc(
        [
            "--from", "json", "--to", "html5", "--standalone",
            "--template", str(styles_dir(config) / "print.html"),
            "--section-divs",
            # WeasyPrint 70 keeps source line breaks inside floated footnotes as forced
            # breaks; one line per paragraph avoids ragged notes.
            "--wrap=none",
        ],
        document_json(document),
    )


def _note_to_footnote_span(node: dict[str, Any]) -> dict[str, Any] | None:
    """Turn a pandoc Note into <span class="footnote"> for CSS `float: footnote`.

    pandoc's HTML writer gathers notes at the end of the document (endnotes); a printed
    page wants them at the foot of the page where they are called, which WeasyPrint
    does for inline elements floated to the footnote area.
    """
    if node["t"] != "Note":
        return None
    inlines: list[Any] = []
    for block in node["c"]:
        if block["t"] in ("Para", "Plain"):
            if inlines:
                inlines.append({"t": "Space"})
            inlines.extend(block["c"])
    return {"t": "Span", "c": [["", ["footnote"], []], inlines]}


class LocalFilesOnly(URLFetcher):
    """Fetch only data: URLs and files inside `roots`; never the network.

    A manuscript may come from someone else: it must not be able to pull /etc/passwd
    or a tracking pixel into the PDF.
    """

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(allowed_protocols=["file", "data"])
        self._roots = [root.resolve() for root in roots]

    def fetch(self, url: str, headers: Any = None) -> Any:
        parsed = urlparse(url)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in self._roots):
                log.warning("refused to read %s: outside the manuscript and styles", path)
                raise URLFetchingError(f"refused: {url} is outside the allowed folders")
        elif parsed.scheme != "data":
            log.warning("refused to fetch %s: network access is off", url)
            raise URLFetchingError(f"refused: {url} (network access is off)")
        return super().fetch(url, headers)
