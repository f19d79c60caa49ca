"""Keep a manuscript from reaching outside its folder or onto the network.

A journal or a class builds manuscripts it did not write. By default a build may read only
files inside the manuscript's folder and the project, and fetch nothing; `allowed_urls`
opens named URL prefixes. This stage rewrites the parsed document so that no writer is
ever asked to do otherwise: images that point elsewhere become their alt text, raw HTML
that loads or runs anything is dropped, and front-matter fields that make pandoc read
files are removed. Each removal is logged as a warning naming the manuscript line.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.errors import ManuscriptError
from typeset.manuscript import Manuscript
from typeset.urls import url_is_under

log = logging.getLogger(__name__)

# Front-matter fields pandoc resolves as files or pastes verbatim into HTML/EPUB heads;
# the project's own config and styles supply all of them.
FILE_READING_FIELDS = (
    "css",
    "stylesheet",
    "cover-image",
    "epub-cover-image",
    "epub-fonts",
    "header-includes",
    "include-before",
    "include-after",
    "citation-abbreviations",
    "reference-doc",
    "template",
)

# HTML elements that load, embed or run something: never kept from raw HTML.
ACTIVE_ELEMENTS = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "link",
        "meta",
        "base",
        "form",
        "style",
        "svg",
        "math",
        "audio",
        "video",
        "source",
        "track",
        "portal",
    }
)
VOID_ELEMENTS = frozenset(
    {
        "area",
        "br",
        "col",
        "hr",
        "img",
        "input",
        "param",
        "wbr",
    }
)
URL_ATTRIBUTES = frozenset(
    {
        "src",
        "href",
        "srcset",
        "data",
        "poster",
        "background",
        "action",
        "formaction",
        "xlink:href",
        "cite",
        "longdesc",
        "lowsrc",
        "manifest",
        "ping",
    }
)
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"%PDF-", "pdf"),
)


def restrict_resources(
    manuscript: Manuscript, allowed_roots: list[Path], allowed_urls: tuple[str, ...]
) -> Manuscript:
    """The manuscript with every out-of-bounds reference removed (and each one logged)."""
    guard = _Guard(manuscript, [root.resolve() for root in allowed_roots], allowed_urls)
    document = dict(manuscript.document)
    meta = dict(document["meta"])
    for field in FILE_READING_FIELDS:
        if field in meta:
            del meta[field]
            guard.warn(f"front-matter field '{field}' ignored", field + ":")
    document["meta"] = meta
    document["blocks"] = ast.transform(document["blocks"], guard.rewrite)
    return dataclasses.replace(manuscript, document=document)


class _Guard:
    def __init__(
        self, manuscript: Manuscript, roots: list[Path], allowed_urls: tuple[str, ...]
    ) -> None:
        self.manuscript = manuscript
        self.roots = roots
        self.allowed_urls = allowed_urls

    def warn(self, what: str, needle: str) -> None:
        line = self.manuscript.line_containing(needle)
        where = f"{self.manuscript.path}:{line}" if line else str(self.manuscript.path)
        log.warning("%s: %s (outside what a build may read)", where, what)

    def rewrite(self, node: dict[str, Any]) -> dict[str, Any] | None:
        kind = node["t"]
        if kind == "Image":
            return self._image(node)
        if kind in ("RawInline", "RawBlock"):
            return self._raw(node)
        return None

    def _image(self, node: dict[str, Any]) -> dict[str, Any] | None:
        attributes, alt, (target, _title) = node["c"]
        if self.url_allowed(target):
            return None
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not target.startswith("data:"):
            self.warn(f"image {target} not fetched; its alt text is shown instead", target)
            return {"t": "Span", "c": [attributes, alt]}
        if target.startswith("data:"):
            if re.match(r"^data:image/(png|jpeg|gif);", target):
                return None
            self.warn("inline image of a type that can carry scripts removed", "data:")
            return {"t": "Span", "c": [attributes, alt]}
        path = (self.manuscript.folder / target).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            self.warn(f"image {target} is outside the manuscript's folder; not read", target)
            return {"t": "Span", "c": [attributes, alt]}
        self.check_image_file(path, target)
        return None

    def check_image_file(self, path: Path, target: str) -> None:
        line = self.manuscript.line_containing(target)
        if not path.is_file():
            raise ManuscriptError(
                f"image not found: {target}",
                path=self.manuscript.path,
                line=line,
                hint=f"put the file at {path}, or fix the path (relative to the manuscript)",
            )
        head = path.read_bytes()[:512]
        if any(head.startswith(signature) for signature, _ in IMAGE_SIGNATURES):
            return
        if (
            path.suffix.lower() == ".svg"
            and b"<svg" in head.lower() + path.read_bytes()[:4096].lower()
        ):
            return
        raise ManuscriptError(
            f"{target} is not an image pandoc and WeasyPrint can embed (PNG, JPEG, GIF, SVG, PDF)",
            path=self.manuscript.path,
            line=line,
            hint="convert it to PNG or JPEG, or check that the file is not damaged",
        )

    def url_allowed(self, url: str) -> bool:
        return any(url_is_under(url, prefix) for prefix in self.allowed_urls)

    def _raw(self, node: dict[str, Any]) -> dict[str, Any] | None:
        raw_format, text = node["c"]
        if raw_format.lower() not in ("html", "html5", "html4", "epub", "epub3", "xhtml"):
            return None
        cleaner = _RawHtmlCleaner(self)
        cleaned = cleaner.clean(text)
        if cleaner.removed:
            self.warn("raw HTML: removed " + ", ".join(cleaner.removed), text.strip()[:40])
        # Re-emitted even when nothing was removed: the EPUB's XHTML needs `<br />`
        # where the author may have typed `<br>`.
        return None if cleaned == text else {"t": node["t"], "c": [raw_format, cleaned]}


class _RawHtmlCleaner(HTMLParser):
    """Re-emit a raw HTML snippet without anything that would load or run something.

    Tags are rewritten rather than dropped so that an opening tag and its closing tag,
    which pandoc often keeps in separate raw nodes, stay balanced.
    """

    def __init__(self, guard: _Guard) -> None:
        super().__init__(convert_charrefs=True)
        self.guard = guard
        self.removed: list[str] = []
        self.output: list[str] = []
        self.inside_active = 0

    def clean(self, text: str) -> str:
        self.feed(text)
        self.close()
        return "".join(self.output)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closing_slash="")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closing_slash="/")

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closing_slash: str) -> None:
        if tag in ACTIVE_ELEMENTS:
            self.removed.append(f"<{tag}>")
            if not closing_slash and tag not in ("link", "meta", "base", "source", "track"):
                self.inside_active += 1
            return
        if self.inside_active:
            return
        kept = []
        for name, value in attrs:
            reason = self._attribute_problem(name, value or "")
            if reason:
                self.removed.append(reason)
                if tag == "img" and name in ("src", "srcset"):
                    return  # an image without its source is nothing
            else:
                kept.append(name if value is None else f'{name}="{html.escape(value)}"')
        if tag in VOID_ELEMENTS:
            closing_slash = " /"  # EPUB content is XHTML: void elements must close
        self.output.append(f"<{' '.join([tag, *kept])}{closing_slash}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ACTIVE_ELEMENTS:
            self.inside_active = max(0, self.inside_active - 1)
            return
        if not self.inside_active:
            self.output.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.inside_active:
            self.output.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        pass  # comments carry nothing a reader sees, and conditional comments can load

    def _attribute_problem(self, name: str, value: str) -> str | None:
        if name.startswith("on"):
            return f"event handler {name}"
        if name == "style" and "url(" in value.lower():
            return "a style attribute loading a URL"
        if name in URL_ATTRIBUTES and value and not self._link_allowed(name, value):
            return f"{name}={value!r}"
        return None

    def _link_allowed(self, attribute: str, value: str) -> bool:
        value = value.strip()
        if self.guard.url_allowed(value):
            return True
        if attribute == "href" and (value.startswith("#") or re.match(r"^(https?|mailto):", value)):
            return True  # a link the reader may follow: nothing is fetched while building
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value) or value.startswith(("/", "\\")):
            return False
        path = (self.guard.manuscript.folder / value).resolve()
        return any(path.is_relative_to(root) for root in self.guard.roots)
