"""Keep a manuscript from reaching outside its folder or onto the network, or running code.

A journal or a class builds manuscripts it did not write. By default a build may read only
files inside the manuscript's folder and the project, and fetch nothing; `allowed_urls`
opens named URL prefixes. Everything pandoc or WeasyPrint will write from goes through
one allow-list, the body and the metadata alike (title, author, abstract, ... and, after
citeproc, the bibliography and the reference-section title):

- element attributes: ids, classes and the key-value attributes in `ALLOWED_ATTRIBUTES`
  (`style` only with the CSS properties and plain values in `ALLOWED_CSS_PROPERTIES`);
- link targets: `LINK_SCHEMES`, relative paths and #fragments; anything else (javascript:,
  data:, file:, vbscript:, ...) becomes plain text;
- images: files inside the allowed folders (checked after percent-decoding, as pandoc
  reads them), of a type every format shows, of bounded size; SVG parsed with defusedxml
  and refused if it carries a DOCTYPE, scripts, event handlers or external references;
  images under an allowed URL are fetched here (no redirects, size and time limits) and
  handed over as bytes;
- raw HTML: cleaned by nh3 (Ammonia) with the same attribute and URL rules;
- front-matter fields that make pandoc read files are removed.

`restrict_resources` runs on the parsed manuscript and logs each removal with its line;
`seal_for_writers` runs on the resolved document just before the writers, and embeds every
image as a data: URI, so no writer has a file or URL left to read.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import nh3

from typeset import ast
from typeset.confine import Roots, real_folder
from typeset.errors import ManuscriptError, TypesetError
from typeset.limits import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    absurd_css_length,
    is_language_tag,
    read_input,
)
from typeset.manuscript import Manuscript
from typeset.urls import UrlFetchError, fetch_allowed, url_is_under

log = logging.getLogger(__name__)

# Front-matter fields pandoc resolves as files or pastes verbatim into HTML/EPUB heads;
# the project's own config and styles supply all of them.
FILE_READING_FIELDS = (
    "css",
    "stylesheet",
    "cover-image",
    "epub-cover-image",
    "epub-fonts",
    "epub-metadata",
    "header-includes",
    "include-before",
    "include-after",
    "citation-abbreviations",
    "reference-doc",
    "template",
    "bibliography",
    "csl",
    "citation-style",
)

# Key-value attributes kept on any element (pandoc's `{key=value}`); ids and classes are
# always kept. Everything else (on*, style with anything loading, src, href, formaction,
# xlink:href, ...) is dropped.
ALLOWED_ATTRIBUTES = frozenset(
    {"width", "height", "lang", "dir", "alt", "fig-alt", "title", "custom-style", "label", "style"}
)
ALLOWED_ATTRIBUTE_PREFIXES = ("data-",)
LENGTH = re.compile(r"^\s*\d+(\.\d+)?\s*(px|em|rem|ex|%|cm|mm|in|pt|pc)?\s*$")
DIRECTIONS = frozenset({"ltr", "rtl", "auto"})
# Presentational CSS only, with plain values: no url(), image-set(), var(), expression(),
# escapes or at-rules can be written with these characters.
ALLOWED_CSS_PROPERTIES = frozenset(
    {
        "color",
        "background-color",
        "font-style",
        "font-weight",
        "font-variant",
        "font-size",
        "text-align",
        "text-decoration",
        "text-transform",
        "vertical-align",
        "width",
        "height",
        "max-width",
        "margin-left",
        "margin-right",
        "letter-spacing",
    }
)
CSS_VALUE = re.compile(
    r"^(?:[A-Za-z0-9#.%+-]+|(?:rgb|rgba|hsl|hsla)\([0-9.,%\s]+\))"
    r"(?:\s+(?:[A-Za-z0-9#.%+-]+|(?:rgb|rgba|hsl|hsla)\([0-9.,%\s]+\)))*$"
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")

# Raster types every format shows (WeasyPrint, EPUB 3 core media types, Word).
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

RAW_HTML_FORMATS = frozenset({"html", "html5", "html4", "epub", "epub3", "xhtml"})
HTML_TAGS = frozenset(nh3.ALLOWED_TAGS) - {"map", "area"}
HTML_VOID = frozenset({"br", "hr", "img", "wbr", "col", "area"})
HTML_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "lang", "dir", "title", "style"},
}
_LONE_START_TAG = re.compile(r"^\s*<([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*>\s*$")
_LONE_END_TAG = re.compile(r"^\s*</([a-zA-Z][a-zA-Z0-9-]*)\s*>\s*$")


def restrict_resources(
    manuscript: Manuscript,
    allowed_roots: Roots | list[Path],
    allowed_urls: tuple[str, ...],
    *,
    draft: bool = False,
) -> Manuscript:
    """The manuscript with every out-of-bounds reference removed (and each one logged).

    A figure no format can show is an error, or under `draft` a warning (and its alt text).
    """
    guard = _Guard(manuscript, allowed_roots, allowed_urls, draft=draft, fetch=False)
    document = dict(manuscript.document)
    meta = dict(document["meta"])
    for field in FILE_READING_FIELDS:
        if field in meta:
            del meta[field]
            guard.warn(f"front-matter field '{field}' ignored", field + ":")
    document["meta"] = meta
    _refuse_long_headings(meta, manuscript)
    document = guard.apply(document)
    return dataclasses.replace(manuscript, document=document, named_files=tuple(guard.named))


# Title-like fields are set as one unbreakable heading on the title page, the running head
# and the PDF outline: WeasyPrint's line breaking is quadratic in their length (28 s at
# 3,000 words), and no real title comes near this.
HEADING_FIELDS = ("title", "subtitle", "short-title", "abstract-title")
MAX_HEADING_WORDS = 150


def _refuse_long_headings(meta: dict[str, Any], manuscript: Manuscript) -> None:
    for field in HEADING_FIELDS:
        words = len(ast.plain_text(meta.get(field)).split())
        if words > MAX_HEADING_WORDS:
            raise ManuscriptError(
                f"the {field} is {words} words long (at most {MAX_HEADING_WORDS})",
                path=manuscript.path,
                line=manuscript.line_containing(field + ":"),
                hint=f"shorten the {field}; put longer text in the abstract or the body",
            )


def seal_for_writers(
    document: dict[str, Any],
    manuscript: Manuscript,
    allowed_roots: Roots | list[Path],
    allowed_urls: tuple[str, ...],
) -> dict[str, Any]:
    """The resolved document as the writers may see it: sanitised again (citeproc added
    the bibliography and its links), with every image embedded as a data: URI."""
    guard = _Guard(manuscript, allowed_roots, allowed_urls, draft=True, fetch=True)
    guard.quiet = True
    sealed: dict[str, Any] = guard.apply(document)
    return sealed


class _Guard:
    def __init__(
        self,
        manuscript: Manuscript,
        roots: Roots | list[Path],
        allowed_urls: tuple[str, ...],
        *,
        draft: bool,
        fetch: bool,
    ) -> None:
        self.manuscript = manuscript
        # A bare list of folders (tests, tools) gets the manuscript folder's rules.
        self.confined = roots if isinstance(roots, Roots) else Roots.of(untrusted=roots)
        self.allowed_urls = allowed_urls
        self.draft = draft
        self.fetch = fetch  # embed images as data: URIs (the final pass before the writers)
        self.quiet = False
        self.embedded: dict[str, str] = {}
        self.named: dict[Path, None] = {}  # local files named as images, shown or not

    # --- reporting ------------------------------------------------------------------------

    def line_of(self, needle: str) -> int | None:
        return self.manuscript.line_containing(needle) if needle else None

    def warn(self, what: str, needle: str) -> None:
        if self.quiet:
            log.debug("%s (removed)", what)
            return
        line = self.line_of(needle)
        where = f"{self.manuscript.path}:{line}" if line else str(self.manuscript.path)
        log.warning("%s: %s (outside what a build may read or run)", where, what)

    def refuse(self, message: str, needle: str, hint: str) -> None:
        """An error, or under draft a warning: the figure is shown as its alt text."""
        if self.draft:
            self.warn(message, needle)
            return
        raise ManuscriptError(
            message, path=self.manuscript.path, line=self.line_of(needle), hint=hint
        )

    # --- the walk -------------------------------------------------------------------------

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        try:
            cleaned: dict[str, Any] = ast.transform(document, self.rewrite)
            _clean_attributes(cleaned, self)
            return cleaned
        except RecursionError:
            raise ManuscriptError(
                "the manuscript is nested too deeply to process",
                path=self.manuscript.path,
                hint="remove the deeply nested quotes, lists, divs or spans",
            ) from None

    def rewrite(self, node: dict[str, Any]) -> dict[str, Any] | None:
        kind = node["t"]
        if kind == "Image":
            return self._image(node)
        if kind == "Link":
            return self._link(node)
        if kind in ("RawInline", "RawBlock"):
            return self._raw(node)
        return None

    # --- links ----------------------------------------------------------------------------

    def link_allowed(self, target: str) -> bool:
        target = _without_control_characters(target)
        if target.startswith("#") or target == "":
            return True
        scheme = URL_SCHEME.match(target)
        if scheme:
            return scheme.group(1).lower() in LINK_SCHEMES
        return not target.startswith(("//", "\\"))  # protocol-relative: another host

    def _link(self, node: dict[str, Any]) -> dict[str, Any] | None:
        attributes, content, (target, _title) = node["c"]
        if self.link_allowed(target):
            return None
        self.warn(f"link to {target[:60]!r} removed (only http, https, mailto)", target[:30])
        return {"t": "Span", "c": [attributes, content]}

    # --- images ---------------------------------------------------------------------------

    def url_allowed(self, url: str) -> bool:
        return any(url_is_under(url, prefix) for prefix in self.allowed_urls)

    def _image(self, node: dict[str, Any]) -> dict[str, Any] | None:
        attributes, alt, (target, title) = node["c"]
        source = self.image_source(target)
        if source is None:
            return {"t": "Span", "c": [attributes, alt]}
        if source == target:
            return None
        return {"t": "Image", "c": [attributes, alt, [source, title]]}

    def image_source(self, target: str) -> str | None:
        """What the writers should load for image `target`, or None to show the alt text."""
        clean_target = _without_control_characters(target.strip())
        scheme = URL_SCHEME.match(clean_target)
        if scheme and scheme.group(1).lower() == "data":
            if re.match(r"^data:image/(png|jpeg|gif);base64,", clean_target, re.IGNORECASE):
                return clean_target
            self.warn("inline image of a type that can carry scripts removed", "data:")
            return None
        if scheme:
            if scheme.group(1).lower() in ("http", "https") and self.url_allowed(clean_target):
                return self._fetched(clean_target) if self.fetch else clean_target
            self.warn(f"image {target[:80]} not fetched; its alt text is shown instead", target)
            return None
        return self._local_image(target)

    def _fetched(self, url: str) -> str | None:
        if url in self.embedded:
            return self.embedded[url]
        try:
            data = fetch_allowed(url)
        except UrlFetchError as error:
            log.warning("%s: image %s not fetched: %s", self.manuscript.path, url, error)
            return None
        media_type = _raster_type(data)
        if media_type is None:
            log.warning(
                "%s: %s is not a PNG, JPEG or GIF image; not shown", self.manuscript.path, url
            )
            return None
        try:
            _check_pixels(data, url)
        except ValueError as error:
            log.warning("%s: %s", self.manuscript.path, error)
            return None
        self.embedded[url] = _data_uri(media_type, data)
        return self.embedded[url]

    def _local_image(self, target: str) -> str | None:
        # pandoc percent-decodes a target before reading it (`<fig 1.png>` is stored as
        # fig%201.png): the check and the writers use the decoded path.
        decoded = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if decoded and "\x00" not in decoded:
            self.named[Path(os.path.abspath(self.manuscript.folder / decoded))] = None
        if "\x00" in decoded or decoded.startswith(("/", "\\", "~")) or decoded == "":
            self.warn(f"image {target[:80]} is outside the manuscript's folder; not read", target)
            return None
        path = real_folder(self.manuscript.folder / decoded)
        if not self.confined.holds(path):
            self.warn(f"image {target[:80]} is outside the manuscript's folder; not read", target)
            return None
        try:
            exists = path.exists()
        except OSError:  # a name too long to look up: the read below says so
            exists = True
        if not exists and not os.path.islink(path):
            if self.fetch:
                return None
            raise ManuscriptError(
                f"image not found: {decoded}",
                path=self.manuscript.path,
                line=self.line_of(target) or self.line_of(decoded),
                hint=f"put the file at {path}, or fix the path (relative to the manuscript)",
            )
        try:
            media_type, data = self._checked_image(path, decoded, target)
        except _Refused:
            return None
        except ManuscriptError as error:
            # The read names the image's file; the author needs the manuscript's line.
            raise ManuscriptError(
                f"{error.message} (image {decoded[:80]})",
                path=self.manuscript.path,
                line=self.line_of(target) or self.line_of(decoded),
                hint=error.hint,
            ) from None
        if self.fetch:
            return _data_uri(media_type, data)
        return decoded

    def _checked_image(self, path: Path, decoded: str, target: str) -> tuple[str, bytes]:
        def refuse(message: str, hint: str) -> None:
            self.refuse(message, target, hint)
            raise _Refused

        data = read_input(
            path,
            roots=self.confined,  # checked again on the open file: no swap escapes
            what="image",
            error=ManuscriptError,
            max_bytes=MAX_IMAGE_BYTES,
            hint="use an ordinary image file inside the manuscript's folder",
        )
        media_type = _raster_type(data)
        if media_type is not None:
            try:
                _check_pixels(data, decoded)
            except ValueError as error:
                refuse(str(error), "scale the image down (300 dpi at print size is plenty)")
            return media_type, data
        if data.startswith(b"%PDF-"):
            refuse(
                f"{decoded} is a PDF: no output format can show a PDF figure",
                "convert it to SVG or PNG (e.g. pdftocairo -svg, or -png -r 300)",
            )
        if path.suffix.lower() == ".svg" or b"<svg" in data[:4096].lower():
            problem = svg_problem(data)
            if problem:
                refuse(
                    f"{decoded}: SVG figure refused: {problem}",
                    "remove it from the SVG (export it again as plain SVG), or use a PNG",
                )
            return "image/svg+xml", data
        refuse(
            f"{decoded} is not an image every format can show (PNG, JPEG, GIF, SVG)",
            "convert it to PNG or JPEG, or check that the file is not damaged",
        )
        raise AssertionError  # unreachable: refuse() raised

    # --- raw HTML -------------------------------------------------------------------------

    def _raw(self, node: dict[str, Any]) -> dict[str, Any] | None:
        raw_format, text = node["c"]
        if raw_format.lower() not in RAW_HTML_FORMATS:
            # LaTeX, ConTeXt, ...: no writer of ours emits them. Dropped so that no future
            # writer can be made to \input a file.
            if raw_format.lower() in ("openxml", "opendocument"):
                self.warn(f"raw {raw_format} removed", text.strip()[:40])
                return {"t": node["t"], "c": ["html", ""]}
            return None
        # nh3 calls the filter from Rust, which swallows any exception it raises (printed
        # as "Exception ignored"): an error such as a missing image is kept and raised here.
        refused: list[TypesetError] = []

        def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
            try:
                return self._html_attribute(tag, attribute, value)
            except TypesetError as error:
                refused.append(error)
                return None

        cleaned = clean_html(text, attribute_filter)
        if refused:
            raise refused[0]
        if _visible_difference(cleaned, text):
            self.warn(
                "raw HTML cleaned (scripts, handlers, styles or links removed)", text.strip()[:40]
            )
        return None if cleaned == text else {"t": node["t"], "c": [raw_format, cleaned]}

    def _html_attribute(self, tag: str, attribute: str, value: str) -> str | None:
        if attribute == "href":
            return value if self.link_allowed(value) else None
        if attribute == "src" and tag == "img":
            return self.image_source(value)
        if attribute in ("cite", "longdesc"):
            return None
        if attribute == "style":
            return _clean_css(value)
        if _without_control_characters(value).strip().lower().startswith("file:"):
            return None  # any other URL attribute: no local file by its path
        return value  # nh3's per-element allow-list already chose it


class _Refused(Exception):
    """A figure refused under draft: shown as its alt text."""


def clean_html(text: str, attribute_filter: Callable[[str, str, str], str | None]) -> str:
    """`text` cleaned by nh3, keeping pandoc's split raw tags balanced and XHTML-valid.

    pandoc keeps an opening tag and its closing tag in separate raw nodes (`<sup>`, text,
    `</sup>`); nh3 would close a lone opening tag at once, so those are cleaned one by one.
    """
    lone_end = _LONE_END_TAG.match(text)
    if lone_end:
        return text if lone_end.group(1).lower() in HTML_TAGS else ""
    lone_start = _LONE_START_TAG.match(text)
    cleaned = nh3.clean(
        text,
        tags=set(HTML_TAGS),
        clean_content_tags={"script", "style", "template", "noscript", "textarea", "title"},
        attributes=HTML_ATTRIBUTES,
        attribute_filter=attribute_filter,
        # file: is let through to `attribute_filter`, which refuses it by name ("image
        # file:///etc/hostname not fetched"); nh3 would drop it without a word.
        url_schemes=set(LINK_SCHEMES) | {"file"},
        strip_comments=True,
        link_rel=None,
    )
    if lone_start and lone_start.group(1).lower() not in HTML_VOID:
        cleaned = re.sub(r"</[a-zA-Z][a-zA-Z0-9-]*>\s*$", "", cleaned)
    # An image whose source was refused shows nothing and is invalid: drop it.
    cleaned = re.sub(r"<img\b(?![^<>]*\ssrc=)[^<>]*>", "", cleaned)
    # EPUB content is XHTML: void elements must close.
    return re.sub(r"<(br|hr|img|wbr|col)((?:\s[^<>]*?)?)\s*/?>", r"<\1\2 />", cleaned)


def _visible_difference(cleaned: str, original: str) -> bool:
    def normal(html: str) -> str:
        return re.sub(r"\s+|/>|>", "", html.replace("'", '"')).lower()

    return normal(cleaned) != normal(original)


def _attribute_value(name: str, value: str) -> str | None:
    """The value of key-value attribute `name` if the allow-list keeps it, else None."""
    name = name.lower()
    if name.startswith(ALLOWED_ATTRIBUTE_PREFIXES) and re.fullmatch(r"data-[a-z0-9_.-]+", name):
        return value
    if name not in ALLOWED_ATTRIBUTES:
        return None
    if name in ("width", "height"):
        return value if LENGTH.match(value) and absurd_css_length(value) is None else None
    if name == "dir":
        return value if value.lower() in DIRECTIONS else None
    if name == "lang":
        return value if is_language_tag(value) else None
    if name == "style":
        return _clean_css(value)
    return value


def _clean_css(declarations: str) -> str | None:
    kept = []
    for declaration in declarations.split(";"):
        if not declaration.strip():
            continue
        prop, colon, value = declaration.partition(":")
        prop, value = prop.strip().lower(), value.strip()
        if (
            colon
            and prop in ALLOWED_CSS_PROPERTIES
            and CSS_VALUE.match(value)
            and absurd_css_length(value) is None  # 1e20px divides WeasyPrint by zero
        ):
            kept.append(f"{prop}: {value}")
    return "; ".join(kept) or None


def _is_attr(value: Any) -> bool:
    """pandoc's Attr: [id, [class...], [[key, value]...]] (positional, so found by shape)."""
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], list)
        and isinstance(value[2], list)
        and all(isinstance(item, str) for item in value[1])
        and all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
            for pair in value[2]
        )
    )


def _clean_attributes(document: Any, guard: _Guard) -> Any:
    """Every Attr in the document (any element, table rows and cells too) allow-listed."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(v for v in value.values() if isinstance(v, (list, dict)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if _is_attr(item) and item[2]:
                    kept = []
                    for key, attribute in item[2]:
                        cleaned = _attribute_value(key, attribute)
                        if cleaned is None:
                            guard.warn(f"attribute {key}={attribute[:40]!r} removed", key + "=")
                        else:
                            kept.append([key, cleaned])
                    if kept != item[2]:
                        value[index] = [item[0], item[1], kept]
                elif isinstance(item, (list, dict)):
                    stack.append(item)
    return document


def _without_control_characters(text: str) -> str:
    """What a browser sees: tabs and newlines inside a scheme (`java\tscript:`) ignored."""
    return re.sub(r"[\x00-\x20\x7f]", "", text)


def _raster_type(data: bytes) -> str | None:
    return next((kind for signature, kind in IMAGE_SIGNATURES if data.startswith(signature)), None)


def _check_pixels(data: bytes, name: str) -> None:
    """Refuse an image whose decoded size is unsafe, reading only its header."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        width = height = MAX_IMAGE_PIXELS
    except Exception as error:  # Pillow raises many kinds on damaged headers
        raise ValueError(f"{name} is a damaged image ({type(error).__name__})") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError(
            f"{name} is {width} x {height} pixels, more than the {MAX_IMAGE_PIXELS:,} "
            "a build decodes"
        )


def svg_problem(data: bytes) -> str | None:
    """Why an SVG figure is unsafe to embed, or None. Parsed with defusedxml: no DTDs,
    entities or external references; no scripts, handlers, foreign content or links out."""
    from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(data, forbid_dtd=True)
    except DTDForbidden:
        return "it has a DOCTYPE (which can define entities and pull in files)"
    except (EntitiesForbidden, ExternalReferenceForbidden):
        return "it defines entities or external references"
    except ParseError as error:
        return f"it is not well-formed XML ({error})"
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if tag in ("script", "foreignObject", "iframe", "object", "embed", "handler"):
            return f"it contains a <{tag}> element"
        if tag == "style" and re.search(r"url\s*\(|@import|\\", element.text or "", re.I):
            return "its stylesheet loads something"
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return f"<{tag}> has an event handler ({local})"
            if (local == "href" or name == XLINK_HREF) and not value.strip().startswith("#"):
                return f"<{tag}> refers to {value[:60]!r} (only #fragments are allowed)"
            loads = re.search(r"url\s*\(|\\|expression", value, re.I)
            local_reference = re.fullmatch(r"[^\\]*url\(\s*#[^)]*\)[^\\]*", value)
            if local == "style" and loads and not local_reference:
                return f"<{tag}> has a style that loads something"
    return None


def _data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def is_local_target(target: str) -> bool:
    """True for an image target that names a file (not a URL or inline data)."""
    return not URL_SCHEME.match(target) and not urlparse(target).netloc


__all__ = [
    "TypesetError",
    "clean_html",
    "is_local_target",
    "restrict_resources",
    "seal_for_writers",
    "svg_problem",
]
