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
  reads them), `data:` URIs and images under an allowed URL (fetched here: no redirects,
  size and time limits), each typed by its bytes (typeset.images): rasters of bounded
  size, SVG through one allow-list, PDF and EPS figures converted (typeset.figures);
- raw HTML: cleaned by nh3 (Ammonia) with the same attribute and URL rules;
- front-matter fields that make pandoc read files are removed.

`restrict_resources` runs on the parsed manuscript and logs each removal with its line;
`seal_for_writers` runs on the resolved document just before the writers, and puts every
image, checked, in the build's media folder (typeset.media), one file per distinct image,
so no writer has a file or URL of the author's left to read.
"""

from __future__ import annotations

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
from typeset.cache import BuildCache
from typeset.confine import Roots, real_folder
from typeset.errors import ManuscriptError, TypesetError
from typeset.figures import FigureSource, converted_figure
from typeset.frontmatter import FRONT_MATTER_OPTIONS
from typeset.images import (
    EPS_TYPE,
    PDF_TYPE,
    SVG_TYPE,
    ImageRefused,
    check_raster,
    checked_svg,
    data_uri_bytes,
    media_type_of,
    svg_problem,
)
from typeset.limits import (
    MAX_IMAGE_BYTES,
    absurd_css_length,
    is_language_tag,
    read_input,
)
from typeset.manuscript import Manuscript
from typeset.media import MediaFolder
from typeset.rawhtml import balanced_html
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
    {
        "width",
        "height",
        "lang",
        "dir",
        "alt",
        "fig-alt",
        "title",
        "custom-style",
        "label",
        "style",
        "page",  # which page of a PDF figure (typeset.figures)
    }
)
# Quarto's presentation attributes: read by typeset/quarto/ (layouts, captions, widths) or
# print-neutral; plain values, never loaded or run, so kept without a warning.
QUARTO_PRESENTATION_ATTRIBUTES = frozenset(
    {
        "fig-cap",
        "tbl-cap",
        "fig-scap",
        "fig-align",
        "fig-width",
        "fig-height",
        "fig-pos",
        "fig-env",
        "fig-cap-location",
        "tbl-cap-location",
        "cap-location",
        "tbl-colwidths",
        "layout",
        "layout-ncol",
        "layout-nrow",
        "layout-align",
        "layout-valign",
        "collapse",
        "appearance",
        "icon",
        "reference-location",
        "code-fold",
        "code-summary",
        "code-line-numbers",
        # listings and theorems (typeset/crossref/): `lst-cap`, pandoc-crossref's
        # `caption` on a code block, a theorem's `name`
        "lst-cap",
        "algo-cap",
        "caption",
        "name",
    }
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
    cache: BuildCache | None = None,
) -> Manuscript:
    """The manuscript with every out-of-bounds reference removed (and each one logged).

    A figure no format can show is an error, or under `draft` a warning (and its alt text).
    `cache` keeps PDF and EPS figures' conversions.
    """
    guard = _Guard(manuscript, allowed_roots, allowed_urls, draft=draft, cache=cache)
    document = dict(manuscript.document)
    meta = dict(document["meta"])
    for field in FILE_READING_FIELDS:
        if field in meta:
            del meta[field]
            # `bibliography` and `csl` were read as options (typeset/config.py), with the
            # files they name checked to be inside the project: not the writers' business.
            if field not in FRONT_MATTER_OPTIONS:
                guard.warn(f"front-matter field '{field}' ignored", field + ":")
    document["meta"] = meta
    _refuse_long_headings(meta, manuscript)
    document = guard.apply(document)
    # After nh3, which may drop a lone tag (a <tr> outside a table) whose end tag remains.
    document = balanced_html(document, _html_repair_warning(manuscript))
    return dataclasses.replace(manuscript, document=document, named_files=tuple(guard.named))


def _html_repair_warning(manuscript: Manuscript) -> Callable[[str, str], None]:
    def warn(message: str, needle: str) -> None:
        path, line = manuscript.where(needle)
        where = f"{path}:{line}" if line else str(path)
        log.warning("%s: %s", where, message)

    return warn


# Title-like fields are set as one unbreakable heading on the title page, the running head
# and the PDF outline: WeasyPrint's line breaking is quadratic in their length (28 s at
# 3,000 words), and no real title comes near this.
HEADING_FIELDS = ("title", "subtitle", "short-title", "abstract-title")
MAX_HEADING_WORDS = 150


def _refuse_long_headings(meta: dict[str, Any], manuscript: Manuscript) -> None:
    for field in HEADING_FIELDS:
        words = len(ast.plain_text(meta.get(field)).split())
        if words > MAX_HEADING_WORDS:
            path, line = manuscript.where(field + ":")
            raise ManuscriptError(
                f"the {field} is {words} words long (at most {MAX_HEADING_WORDS})",
                path=path,
                line=line,
                hint=f"shorten the {field}; put longer text in the abstract or the body",
            )


def seal_for_writers(
    document: dict[str, Any],
    manuscript: Manuscript,
    allowed_roots: Roots | list[Path],
    allowed_urls: tuple[str, ...],
    *,
    media: Path,
    cache: BuildCache | None = None,
) -> dict[str, Any]:
    """The resolved document as the writers may see it: sanitised again (citeproc added
    the bibliography and its links), with every image a file in the folder `media`."""
    guard = _Guard(
        manuscript, allowed_roots, allowed_urls, draft=True, media=MediaFolder(media), cache=cache
    )
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
        media: MediaFolder | None = None,
        cache: BuildCache | None = None,
    ) -> None:
        self.manuscript = manuscript
        # A bare list of folders (tests, tools) gets the manuscript folder's rules.
        self.confined = roots if isinstance(roots, Roots) else Roots.of(untrusted=roots)
        self.allowed_urls = allowed_urls
        self.draft = draft
        # Where images go in the final pass before the writers; None in the first pass.
        self.media = media
        self.fetch = media is not None
        self.cache = cache
        self.quiet = False
        # target (and page) -> what the writers load: a figure used 300 times is read,
        # checked and stored once.
        self.embedded: dict[tuple[str, int], str | None] = {}
        self.named: dict[Path, None] = {}  # local files named as images, shown or not

    # --- reporting ------------------------------------------------------------------------

    def line_of(self, needle: str) -> int | None:
        return self.manuscript.line_containing(needle) if needle else None

    def figure_line(self, target: str, page: int) -> int | None:
        """The line of the image `target` whose `page` attribute is `page` (the same file
        may be shown twice, once per page)."""
        wanted = re.compile(
            r"\bpage\s*=\s*[\"']?" + str(page) + r"\b" if page > 1 else r"\bpage\s*="
        )
        lines = self.manuscript.text.splitlines()
        for number, line in enumerate(lines, start=1):
            if target in line:
                after = line[line.index(target) :]
                if (wanted.search(after) is not None) == (page > 1):
                    return number
        return self.line_of(target)

    def warn(self, what: str, needle: str) -> None:
        if self.quiet:
            log.debug("%s (removed)", what)
            return
        path, line = self.manuscript.where(needle) if needle else (self.manuscript.path, None)
        where = f"{path}:{line}" if line else str(path)
        log.warning("%s: %s (outside what a build may read or run)", where, what)

    def refuse(self, message: str, needle: str, hint: str, *, line: int | None = None) -> None:
        """An error, or under draft a warning: the figure is shown as its alt text."""
        if self.draft:
            self.warn(message, needle)
            return
        path, found = self.manuscript.where(needle) if needle else (self.manuscript.path, None)
        if line is not None:  # a line of the text: the author's file and line of it
            path, found = self.manuscript.at(line)
        raise ManuscriptError(message, path=path, line=found, hint=hint)

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
        page_attribute = dict(pair for pair in attributes[2] if len(pair) == 2).get("page", "1")
        if not page_attribute.isdigit() or int(page_attribute) < 1:
            self.refuse(
                f"image {target[:80]}: page={page_attribute[:20]!r} is not a page number",
                "page=",
                "write page=N with N counted from 1",
            )
            return {"t": "Span", "c": [attributes, alt]}
        source = self.image_source(target, page=int(page_attribute))
        if source is None:
            return {"t": "Span", "c": [attributes, alt]}
        if source == target:
            return None
        return {"t": "Image", "c": [attributes, alt, [source, title]]}

    def image_source(self, target: str, *, page: int = 1) -> str | None:
        """What the writers should load for image `target`, or None to show the alt text."""
        if (target, page) not in self.embedded:
            self.embedded[target, page] = self._image_source(target, page)
        return self.embedded[target, page]

    def _image_source(self, target: str, page: int) -> str | None:
        clean_target = _without_control_characters(target.strip())
        scheme = URL_SCHEME.match(clean_target)
        if scheme and scheme.group(1).lower() == "data":
            return self._inline_image(clean_target, page)
        if scheme:
            if scheme.group(1).lower() in ("http", "https") and self.url_allowed(clean_target):
                return self._fetched(clean_target, page) if self.fetch else clean_target
            self.warn(f"image {target[:80]} not fetched; its alt text is shown instead", target)
            return None
        return self._local_image(target, page)

    def _inline_image(self, uri: str, page: int) -> str | None:
        """A data: URI, typed by its bytes (a `data:image/png` may hold an SVG) and checked
        as any image is."""
        needle = uri[:40]
        try:
            _declared, data = data_uri_bytes(uri)
            if len(data) > MAX_IMAGE_BYTES:
                raise ImageRefused("it is larger than an image a build reads")
            embeddable = self._embeddable(data, "an inline data: image", page, needle)
        except ImageRefused as refused:
            self.warn(f"inline data: image removed: {refused}", needle)
            return None
        return self._stored(embeddable) if self.fetch else uri

    def _fetched(self, url: str, page: int) -> str | None:
        try:
            data = fetch_allowed(url)
            embeddable = self._embeddable(data, url, page, url)
        except (UrlFetchError, ImageRefused) as error:
            log.warning("%s: image %s not shown: %s", self.manuscript.path, url, error)
            return None
        return self._stored(embeddable)

    def _stored(self, embeddable: _Embeddable) -> str:
        assert self.media is not None  # only the final pass stores
        return self.media.add(embeddable.media_type, embeddable.data, source=embeddable.source)

    def _embeddable(self, data: bytes, name: str, page: int, needle: str) -> _Embeddable:
        """`data` as the writers may show it, typed by its bytes; ImageRefused if not."""
        media_type = media_type_of(data)
        if media_type in (PDF_TYPE, EPS_TYPE):
            figure = converted_figure(data, media_type, page=page, cache=self.cache)
            if figure.pages > 1 and page == 1 and not self.quiet:
                path, line = self.manuscript.at(self.figure_line(needle, page))
                where = f"{path}:{line}" if line else str(path)
                log.warning(
                    "%s: %s has %d pages; its first is shown (choose another with {page=N})",
                    where,
                    name,
                    figure.pages,
                )
            # Its PNG for Word is drawn from its source by the DOCX writer (typeset.media).
            return _Embeddable(SVG_TYPE, figure.svg, FigureSource(data, media_type, page))
        if media_type == SVG_TYPE:
            try:
                checked = checked_svg(data)
            except ImageRefused as refused:
                raise ImageRefused(f"SVG figure refused: {refused}") from None
            # Its PNG for Word is drawn by the DOCX writer (typeset.media): no other format
            # needs it, so it is no part of the seal every writer waits for.
            return _Embeddable(SVG_TYPE, checked)
        if media_type is not None:
            check_raster(data, name)
            return _Embeddable(media_type, data)
        raise ImageRefused(
            "not an image every format can show (PNG, JPEG, GIF, SVG, or a PDF or EPS figure)"
        )

    def _local_image(self, target: str, page: int) -> str | None:
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
            where, line = self.manuscript.where(target)
            if line is None:
                where, line = self.manuscript.where(decoded)
            raise ManuscriptError(
                f"image not found: {decoded}",
                path=where,
                line=line,
                hint=f"put the file at {path}, or fix the path (relative to the manuscript)",
            )
        try:
            data = read_input(
                path,
                roots=self.confined,  # checked again on the open file: no swap escapes
                what="image",
                error=ManuscriptError,
                max_bytes=MAX_IMAGE_BYTES,
                hint="use an ordinary image file inside the manuscript's folder",
            )
        except ManuscriptError as error:
            # The read names the image's file; the author needs the manuscript's line.
            where, line = self.manuscript.where(target)
            if line is None:
                where, line = self.manuscript.where(decoded)
            raise ManuscriptError(
                f"{error.message} (image {decoded[:80]})",
                path=where,
                line=line,
                hint=error.hint,
            ) from None
        try:
            embeddable = self._embeddable(data, decoded, page, target)
        except ImageRefused as refused:
            self.refuse(
                f"{decoded}: {refused}",
                target,
                _hint_for(str(refused)),
                line=self.figure_line(target, page),
            )
            return None
        return self._stored(embeddable) if self.fetch else decoded

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


@dataclasses.dataclass(frozen=True)
class _Embeddable:
    media_type: str
    data: bytes  # checked
    source: FigureSource | None = None  # the PDF or EPS page it was converted from


def _hint_for(problem: str) -> str:
    if "<image> refers to" in problem:
        return "embed the linked image in the SVG (Inkscape: Extensions > Images > Embed)"
    if "SVG" in problem:
        return "remove it from the SVG (export it again as plain SVG), or use a PNG"
    if "pixels" in problem:
        return "scale the image down (300 dpi at print size is plenty)"
    if "convert" in problem or "page" in problem:
        return "check the file opens in a PDF viewer, or export the figure as SVG or PNG"
    return "convert it to PNG, JPEG or SVG, or check that the file is not damaged"


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

    # A comment is the author's note to self: removing it is no news (issue 25).
    uncommented = re.sub(r"<!--.*?(?:-->|$)", "", original, flags=re.S)
    return normal(cleaned) != normal(uncommented)


def _attribute_value(name: str, value: str) -> str | None:
    """The value of key-value attribute `name` if the allow-list keeps it, else None."""
    name = name.lower()
    if name.startswith(ALLOWED_ATTRIBUTE_PREFIXES) and re.fullmatch(r"data-[a-z0-9_.-]+", name):
        return value
    if name in QUARTO_PRESENTATION_ATTRIBUTES:
        return value if len(value) <= 200 else None
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
    if name == "page":
        return value if value.isdigit() else None
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


def _is_leaf_node(value: dict[str, Any]) -> bool:
    """A Str, Space or other element node with no list or dict inside: no Attr to clean
    (half of a book's nodes; not stacking them halves the walk)."""
    if "c" not in value:
        return len(value) == 1 and "t" in value
    return len(value) == 2 and "t" in value and not isinstance(value["c"], (list, dict))


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
                elif isinstance(item, list) or (isinstance(item, dict) and not _is_leaf_node(item)):
                    stack.append(item)
    return document


def _without_control_characters(text: str) -> str:
    """What a browser sees: tabs and newlines inside a scheme (`java\tscript:`) ignored."""
    return re.sub(r"[\x00-\x20\x7f]", "", text)


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
