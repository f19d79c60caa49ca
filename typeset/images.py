"""What an embedded image may be: its type read from its bytes, and one SVG allow-list.

Every image a build embeds (a body figure, the EPUB cover, a `data:` URI in Markdown or
raw HTML, an `<img>` in raw HTML, an image inside an SVG, the SVG drawn from a PDF
figure) is typed here by its first bytes, never by its name or declared type: a
`data:image/png` URI holding an SVG is an SVG, and is checked as one.

An SVG passes `checked_svg` or is refused. The check is an allow-list:

- XML: parsed with defusedxml; no entities, no internal DTD subset. A DOCTYPE that only
  names the standard SVG DTD (as matplotlib and older Illustrator write) is removed; no
  processing instruction but the XML declaration (`<?xml-stylesheet?>` would load CSS);
- elements: the SVG drawing elements in `SVG_ELEMENTS` (no script, foreignObject,
  handler, font-face-uri, ...), plus the editor metadata Inkscape and matplotlib write
  (RDF, Dublin Core, Creative Commons, sodipodi and inkscape namespaces), which no
  renderer draws;
- links: `href` and `xlink:href` only to `#fragments`; an `<image>` or `<feImage>` may
  also hold a `data:` PNG or JPEG (whose bytes must be that type, within the pixel
  limit) or an SVG (checked by the same rules, to a bounded depth);
- attributes: no event handlers (`on*`); no value, presentation attribute or style
  property that loads anything: `url(...)` only as `url(#local)`, no `image-set()`,
  `image()`, `cross-fade()`, `element()`, `src()`, `@import`, `expression` or CSS
  escapes (which could spell any of these);
- animation (SMIL): `<set>` and `<animate*>` may not target `href`, `xlink:href` or an
  event attribute, and their values pass the same attribute rules.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from xml.etree.ElementTree import TreeBuilder

from typeset.limits import MAX_IMAGE_PIXELS

# Raster types every format shows (WeasyPrint, EPUB 3 core media types, Word).
RASTER_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
SVG_TYPE = "image/svg+xml"
PDF_TYPE = "application/pdf"
EPS_TYPE = "application/postscript"
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    SVG_TYPE: ".svg",
    PDF_TYPE: ".pdf",
    EPS_TYPE: ".eps",
}

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
# Editors' metadata: kept in the file, never drawn or fetched by a renderer.
METADATA_NAMESPACES = frozenset(
    {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://purl.org/dc/elements/1.1/",
        "http://purl.org/dc/terms/",
        "http://creativecommons.org/ns#",
        "http://web.resource.org/cc/",
        "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
        "http://www.inkscape.org/namespaces/inkscape",
        "http://ns.adobe.com/AdobeIllustrator/10.0/",
        "http://ns.adobe.com/Graphs/1.0/",
        "http://ns.adobe.com/SaveForWeb/1.0/",
        "http://ns.adobe.com/Extensibility/1.0/",
        "http://ns.adobe.com/Variables/1.0/",
        "http://ns.adobe.com/ImageReplacement/1.0/",
    }
)
# SVG 1.1 and 2 drawing, paint, text, filter and animation elements. Not here: script,
# foreignObject, handler, font-face-uri (loads a font), iframe/video/audio/canvas.
SVG_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "switch", "title", "desc", "metadata", "style",
        "a", "view", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath", "tref", "altGlyph", "altGlyphDef", "altGlyphItem",
        "glyphRef", "font", "font-face", "font-face-src", "font-face-name", "glyph",
        "missing-glyph", "hkern", "vkern", "image", "linearGradient", "radialGradient",
        "stop", "pattern", "clipPath", "mask", "marker", "color-profile", "cursor",
        "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
        "feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap", "feDistantLight",
        "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
        "feGaussianBlur", "feImage", "feMerge", "feMergeNode", "feMorphology", "feOffset",
        "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
        "set", "animate", "animateColor", "animateMotion", "animateTransform", "mpath",
        "solidcolor", "meshgradient", "meshrow", "meshpatch",
        # SVG 1.2 flowed text, as Inkscape 0.92 writes it (renderers draw nothing)
        "flowRoot", "flowRegion", "flowRegionExclude", "flowPara", "flowSpan", "flowDiv",
        "flowLine",
    }
)  # fmt: skip
ANIMATION_ELEMENTS = frozenset(
    {"set", "animate", "animateColor", "animateMotion", "animateTransform"}
)
# Attributes read as CSS: style, the presentation attributes that take a paint, a
# resource or a font, and the values an animation sets (any of those).
CSS_ATTRIBUTES = frozenset(
    {
        "style", "fill", "stroke", "filter", "clip-path", "mask", "marker", "marker-start",
        "marker-mid", "marker-end", "cursor", "color-profile", "src", "font", "font-family",
        "stop-color", "flood-color", "lighting-color", "color", "paint-order",
        "to", "from", "by", "values",
    }
)  # fmt: skip
# The elements whose link may carry an image as a data: URI; every other link is #local.
IMAGE_ELEMENTS = frozenset({"image", "feImage"})
EMBEDDED_RASTER_TYPES = frozenset({"image/png", "image/jpeg"})
MAX_SVG_NESTING = 3  # an SVG inside an SVG inside an SVG: deeper is not a figure

# A DOCTYPE naming the SVG DTD and nothing else: no internal subset ("[...]") can follow.
STANDARD_DOCTYPE = re.compile(
    rb"<!DOCTYPE\s+svg"
    rb"""(?:\s+PUBLIC\s+(["'])-//W3C//DTD SVG [0-9.]+(?: Tiny| Basic)?//EN\1"""
    rb"""(?:\s+(["'])https?://www\.w3\.org/[A-Za-z0-9/._-]+\.dtd\2)?)?"""
    rb"\s*>"
)
_URL = re.compile(r"url\s*\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
# CSS functions that load a resource without url(), at-rules that do, IE's expression,
# and escapes (which could spell any of them, or url itself).
_LOADS_WITHOUT_URL = re.compile(
    r"(?:image-set|image|cross-fade|element|src)\s*\(|@import|expression|\\", re.IGNORECASE
)
_DATA_URI = re.compile(r"data:([a-z0-9.+/-]+)((?:;[a-z0-9=.+-]+)*?)(;base64)?,(.*)", re.I | re.S)


class ImageRefused(ValueError):
    """The image may not be embedded; the message says why, in the author's terms."""


def media_type_of(data: bytes) -> str | None:
    """The image type `data` really is (PNG, JPEG, GIF, SVG, PDF, EPS), or None."""
    for signature, media_type in RASTER_SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data.startswith(b"%PDF-"):
        return PDF_TYPE
    # EPS: "%!PS-Adobe-3.0 EPSF-3.0", or the binary DOS EPS header around it.
    if data.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        return EPS_TYPE
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in head:
        return SVG_TYPE
    return None


def check_raster(data: bytes, name: str) -> None:
    """Refuse a raster image whose decoded size is unsafe, reading only its header."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        width = height = MAX_IMAGE_PIXELS
    except Exception as error:  # Pillow raises many kinds on damaged headers
        raise ImageRefused(f"{name} is a damaged image ({type(error).__name__})") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageRefused(
            f"{name} is {width} x {height} pixels, more than the {MAX_IMAGE_PIXELS:,} "
            "a build decodes"
        )


def data_uri_bytes(uri: str) -> tuple[str, bytes]:
    """(declared type, bytes) of a `data:` URI; ImageRefused if it cannot be decoded."""
    match = _DATA_URI.fullmatch(uri.strip())
    if match is None:
        raise ImageRefused("a data: URI that is not well-formed")
    declared, _parameters, is_base64, payload = match.groups()
    if is_base64:
        try:
            return declared.lower(), base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
        except (binascii.Error, ValueError):
            raise ImageRefused("a data: URI whose base64 is damaged") from None
    from urllib.parse import unquote_to_bytes

    return declared.lower(), unquote_to_bytes(payload)


def checked_svg(data: bytes, *, depth: int = 0) -> bytes:
    """`data` as it may be embedded (a standard DOCTYPE removed), or ImageRefused."""
    from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import DefusedXMLParser, ParseError

    data = _without_standard_doctype(data)
    builder = _RecordingTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    try:
        parser.feed(data)
        root = parser.close()
    except DTDForbidden:
        raise ImageRefused(
            "it has a DOCTYPE with declarations of its own (which can define entities and "
            "pull in files)"
        ) from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise ImageRefused("it defines entities or external references") from None
    except ParseError as error:
        raise ImageRefused(f"it is not well-formed XML ({error})") from None
    if builder.instructions:
        raise ImageRefused(
            f"it has a <?{builder.instructions[0]}?> processing instruction "
            "(a stylesheet it would load)"
        )
    if _namespace(root.tag) != SVG_NAMESPACE or _local(root.tag) != "svg":
        raise ImageRefused("its root element is not <svg> in the SVG namespace")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        _check_element(element.tag, dict(element.attrib), element.text or "", depth)
    return data


def svg_problem(data: bytes) -> str | None:
    """Why an SVG may not be embedded, or None."""
    try:
        checked_svg(data)
    except ImageRefused as refused:
        return str(refused)
    return None


class _RecordingTreeBuilder(TreeBuilder):
    """A TreeBuilder that notes processing instructions (the default one drops them)."""

    def __init__(self) -> None:
        super().__init__()
        self.instructions: list[str] = []

    def pi(self, target: str, data: str | None = None) -> None:  # type: ignore[override]
        self.instructions.append(target)


def _without_standard_doctype(data: bytes) -> bytes:
    start = data.find(b"<!DOCTYPE", 0, 4096)
    if start < 0:
        return data
    match = STANDARD_DOCTYPE.match(data, start)
    if match is None:
        return data  # the parser refuses it, saying why
    return data[:start] + data[match.end() :]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _check_element(tag: str, attributes: dict[str, str], text: str, depth: int) -> None:
    namespace, local = _namespace(tag), _local(tag)
    if namespace in METADATA_NAMESPACES:
        _check_attributes(local, attributes, depth, editor_metadata=True)
        return
    if namespace != SVG_NAMESPACE:
        raise ImageRefused(f"it contains a <{local}> element from {namespace or 'no namespace'}")
    if local not in SVG_ELEMENTS:
        raise ImageRefused(f"it contains a <{local}> element")
    if local == "style":
        _check_css(text, "its stylesheet")
    if local in ANIMATION_ELEMENTS:
        # "xlink:href" as written (a prefix, not a {namespace}), or "href"
        target = _local(attributes.get("attributeName", "")).rsplit(":", 1)[-1].strip().lower()
        if target == "href" or target.startswith("on"):
            raise ImageRefused(f"an <{local}> animation sets {target} (a link or a handler)")
    _check_attributes(local, attributes, depth, editor_metadata=False)


def _check_attributes(
    tag: str, attributes: dict[str, str], depth: int, *, editor_metadata: bool
) -> None:
    for name, value in attributes.items():
        local = _local(name).lower()
        if local.startswith("on"):
            raise ImageRefused(f"<{tag}> has an event handler ({local})")
        if local == "href":  # xlink:href, href, or any prefix a renderer might honour
            _check_link(tag, value, depth)
            continue
        if editor_metadata or _namespace(name) in METADATA_NAMESPACES:
            continue  # rdf:resource, inkscape:export-filename: names, never fetched
        if local in CSS_ATTRIBUTES:
            _check_css(value, f"<{tag}> attribute {local}")
        else:
            _check_urls(value, f"<{tag}> attribute {local}")


def _check_link(tag: str, value: str, depth: int) -> None:
    target = re.sub(r"[\x00-\x20]", "", value)
    if target.startswith("#"):
        return
    if tag in IMAGE_ELEMENTS and target.lower().startswith("data:"):
        _check_embedded_image(tag, target, depth)
        return
    raise ImageRefused(f"<{tag}> refers to {value[:60]!r} (only #fragments are allowed)")


def _check_embedded_image(tag: str, uri: str, depth: int) -> None:
    declared, data = data_uri_bytes(uri)
    actual = media_type_of(data)
    if actual == SVG_TYPE:
        if depth + 1 >= MAX_SVG_NESTING:
            raise ImageRefused(f"SVGs nested more than {MAX_SVG_NESTING} deep in an <{tag}>")
        try:
            checked_svg(data, depth=depth + 1)
        except ImageRefused as refused:
            raise ImageRefused(f"the SVG embedded in an <{tag}> is refused: {refused}") from None
        return
    if actual not in EMBEDDED_RASTER_TYPES or declared != actual:
        raise ImageRefused(
            f"<{tag}> embeds data declared {declared} that is "
            f"{actual or 'not an image'} (only PNG, JPEG or SVG, as declared)"
        )
    check_raster(data, f"the {actual} embedded in an <{tag}>")


def _check_urls(value: str, where: str) -> None:
    for found in _URL.finditer(value):
        if not found.group(2).strip().startswith("#"):
            raise ImageRefused(f"{where} loads {found.group(2)[:60]!r} (only url(#local))")
    if re.search(r"url\s*\(", _URL.sub("", value), re.IGNORECASE):
        raise ImageRefused(f"{where} loads something (only url(#local) is allowed)")


def _check_css(value: str, where: str) -> None:
    _check_urls(value, where)
    if _LOADS_WITHOUT_URL.search(_URL.sub("", value)):
        raise ImageRefused(f"{where} loads something (only url(#local) is allowed)")
