"""What the PDF says about itself: document info, XMP and the creation date.

WeasyPrint fills the PDF's info dictionary and XMP packet from its `DocumentMetadata`
object; `PdfMetadata` is what we fill it with (weasyprint/metadata.py), read from pandoc's
front matter rather than from <meta> tags in the HTML template, so values are plain text
(no HTML escaping to undo), keywords stay a list, and the dates come from
SOURCE_DATE_EPOCH for reproducible builds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from typeset import ast
from typeset.authors import author_names
from typeset.dates import build_time

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PdfMetadata:
    """The document-level facts a PDF reader, library catalogue or screen reader shows."""

    title: str
    authors: tuple[str, ...]
    subject: str
    keywords: tuple[str, ...]
    lang: str
    created: str  # W3C date-time, the form WeasyPrint's DocumentMetadata expects


def pdf_metadata(meta: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> PdfMetadata:
    """Read title, authors, subject, keywords and language from pandoc's front matter."""
    return PdfMetadata(
        title=ast.plain_text(meta.get("title")),
        authors=tuple(author_names(meta)),
        subject=ast.plain_text(meta.get("subject")),
        keywords=tuple(_keywords(meta.get("keywords"))),
        lang=ast.plain_text(meta.get("lang")),
        created=w3c_timestamp(build_time(environ)),
    )


def w3c_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _keywords(keywords: Any) -> list[str]:
    """Keywords as a list: a YAML list, or one comma-separated string."""
    if keywords is None:
        return []
    items = keywords["c"] if keywords["t"] == "MetaList" else [keywords]
    words = [word.strip() for item in items for word in ast.plain_text(item).split(",")]
    return list(dict.fromkeys(word for word in words if word))
