"""Front-matter keys as Quarto users write them, settled before any writer sees them.

- Keys that steer Quarto itself (`format`, `execute`, `jupyter`, `knitr`, `engine`,
  `editor`, `filters`, ...) are consumed here: left in the metadata, pandoc would print
  some of them (`format` becomes an empty `dc:format` in the EPUB, which EPUBCheck
  rejects: RSC-005). The cell options among them were read by typeset.quarto.cells.
- `date` / `date-modified`: Quarto's `today`, `now` and `last-modified` become dates.
- `keywords` are printed under the abstract ("Keywords: a; b") in every format, in the
  document's language; without an abstract, at the head of the text.
- no `lang`: the body's language is detected (typeset.language_detection) and used, with
  a warning naming it.
"""

from __future__ import annotations

import datetime
import logging
import os
from pathlib import Path
from typing import Any

from typeset import ast, locale
from typeset.language_detection import detected_language
from typeset.names import SOURCE_DATE_EPOCH_VARIABLE

log = logging.getLogger(__name__)

QUARTO_ONLY_KEYS = frozenset(
    {
        "format",
        "execute",
        "jupyter",
        "knitr",
        "engine",
        "editor",
        "filters",
        "freeze",
        "echo",
        "eval",
        "output",
        "warning",
        "error",
        "include",
        "quarto-required",
        "project",
        "code-fold",
        "code-tools",
        "code-summary",
        "code-overflow",
        "code-line-numbers",
        "fig-width",
        "fig-height",
        "fig-format",
        "fig-dpi",
        "fig-responsive",
        "comments",
        "google-scholar",
        "editor_options",
        "output-file",
        "self-contained",
        "embed-resources",
        "theme",
        "html-math-method",
        "crossref-labels",
        "notebook-links",
        "notebook-view",
    }
)
DATE_KEYS = ("date", "date-modified")


def with_quarto_metadata(document: dict[str, Any], path: Path) -> dict[str, Any]:
    meta = {key: value for key, value in document["meta"].items() if key not in QUARTO_ONLY_KEYS}
    for key in DATE_KEYS:
        if key in meta:
            meta[key] = _dated(meta[key], path)
    blocks = document["blocks"]
    if "lang" not in meta or not ast.plain_text(meta["lang"]).strip():
        language = _language_of_body(blocks, path)
        if language:
            meta["lang"] = ast.meta_value(language)
    if meta.get("keywords") is not None:
        meta, blocks = _with_keywords(meta, blocks)
    return {**document, "meta": meta, "blocks": blocks}


def _dated(value: Any, path: Path) -> Any:
    word = ast.plain_text(value).strip().lower()
    if word in ("today", "now"):
        return ast.meta_value(_today().isoformat())
    if word == "last-modified":
        try:
            modified = datetime.date.fromtimestamp(path.stat().st_mtime)
        except OSError:
            modified = _today()
        return ast.meta_value(modified.isoformat())
    return value


def _today() -> datetime.date:
    """Today, or the day of SOURCE_DATE_EPOCH: a reproducible build prints the same date."""
    epoch = os.environ.get(SOURCE_DATE_EPOCH_VARIABLE, "")
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
    return datetime.date.today()


def _language_of_body(blocks: list[Any], path: Path) -> str | None:
    detected = detected_language(ast.plain_text(blocks))
    if detected is None:
        log.warning(
            "%s: no `lang` in the front matter and too little text to tell its language; "
            "set `lang:` (e.g. lang: en-GB) for correct hyphenation, PDF/UA and EPUB",
            path,
        )
        return None
    language, probability = detected
    log.warning(
        "%s: no `lang` in the front matter; the text reads as %s (%s, %.0f%% sure), used as "
        "the document's language; set `lang: %s` to say so",
        path,
        _language_name(language),
        language,
        probability * 100,
        language,
    )
    return language


def _with_keywords(meta: dict[str, Any], blocks: list[Any]) -> tuple[dict[str, Any], list[Any]]:
    keywords = meta["keywords"]
    items = keywords["c"] if keywords.get("t") == "MetaList" else [keywords]
    words = [ast.plain_text(item).strip() for item in items]
    words = [word for word in words if word]
    if not words:
        return meta, blocks
    lang = ast.plain_text(meta.get("lang"))
    label = {"t": "Strong", "c": [{"t": "Str", "c": f"{locale.term(lang, 'keywords')}:"}]}
    text: list[Any] = [label]
    for index, word in enumerate(words):
        text.append({"t": "Space"})
        text.append({"t": "Str", "c": word + (";" if index < len(words) - 1 else "")})
    paragraph = {"t": "Div", "c": [["", ["keywords"], []], [{"t": "Para", "c": text}]]}
    abstract = meta.get("abstract")
    if abstract is None:
        return meta, [paragraph, *blocks]
    if abstract["t"] == "MetaBlocks":
        content = abstract["c"]
    elif abstract["t"] == "MetaInlines":
        content = [{"t": "Para", "c": abstract["c"]}]
    else:
        content = [{"t": "Para", "c": [{"t": "Str", "c": ast.plain_text(abstract)}]}]
    return {**meta, "abstract": {"t": "MetaBlocks", "c": [*content, paragraph]}}, blocks


def _language_name(code: str) -> str:
    import babel

    try:
        return str(babel.Locale.parse(code).english_name)
    except (ValueError, babel.UnknownLocaleError):
        return code
