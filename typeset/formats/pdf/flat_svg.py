"""MathJax's SVG of an equation flattened into one path, which WeasyPrint draws faster.

MathJax nests every glyph in `<g transform="translate(...) scale(...)">` groups (about 15
elements for an inline equation, hundreds for a display). WeasyPrint 70 draws an SVG by
walking its elements in Python, parsing each one's transform and setting its graphic state,
for every occurrence of the equation on the page: for 500 equations that walk was about a
quarter of the PDF's drawing time. Here the transforms are applied to the coordinates once,
when the equation is rendered, and all glyph outlines become one `<path>` (the rules of
fractions and roots stay `<rect>`s). The picture is the same: only translations and scales
are applied, and coordinates are rounded to a thousandth of an em. The nested `<svg>`s
MathJax clips stretched glyphs with are kept as they are, at their place.

An SVG holding anything else (colour, `<use>`, `<text>`, nested `<svg>`, other transforms,
relative path commands) is returned unchanged: flattening is an optimisation, never a change.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

_SVG = "{http://www.w3.org/2000/svg}"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PATH_TOKEN = re.compile(rf"([A-Za-z])|({_NUMBER})|([\s,]+)|(.)")
_TRANSFORM = re.compile(r"\s*(translate|scale)\(\s*([^)]*)\)\s*")
# Absolute commands whose arguments are all (x, y) pairs, and H/V with one coordinate each.
_PAIR_COMMANDS = set("MLCSQT")
_ROOT_GROUP = {"stroke": "currentColor", "fill": "currentColor", "stroke-width": "0"}

# (x scale, y scale, x offset, y offset): a point (x, y) maps to (a x + e, d y + f).
Scaling = tuple[float, float, float, float]
_IDENTITY: Scaling = (1.0, 1.0, 0.0, 0.0)


class _NotFlat(Exception):
    """The SVG holds something flattening does not handle."""


def flattened(svg: str) -> str:
    """`svg` with its glyphs in one path and no transforms below the root group; or `svg`
    itself when it holds anything this does not handle."""
    try:
        root = ET.fromstring(svg)
        if len(root) != 1 or root[0].tag != f"{_SVG}g":
            raise _NotFlat
        top = root[0]
        if any(top.get(name) != value for name, value in _ROOT_GROUP.items()):
            raise _NotFlat
        if set(top.attrib) - {*_ROOT_GROUP, "transform"}:
            raise _NotFlat
        outlines: list[str] = []
        rules: list[str] = []
        _collect(top, _IDENTITY, outlines, rules)
    except (ET.ParseError, _NotFlat, ValueError):
        return svg
    start = svg[: svg.index(">") + 1]
    flip = f' transform="{top.get("transform")}"' if top.get("transform") else ""
    path = f'<path d="{"".join(outlines)}"/>' if outlines else ""
    return f'{start}<g fill="currentColor"{flip}>{path}{"".join(rules)}</g></svg>'


def _collect(group: ET.Element, outer: Scaling, outlines: list[str], rules: list[str]) -> None:
    for child in group:
        tag = child.tag.removeprefix(_SVG)
        attributes = {k for k in child.attrib if not k.startswith("data-")}
        scaling = _then(outer, _parsed_transform(child.get("transform", "")))
        if tag == "g" and attributes <= {"transform"}:
            _collect(child, scaling, outlines, rules)
        elif tag == "path" and attributes <= {"d", "transform"} and len(child) == 0:
            outlines.append(_mapped_path(child.get("d", ""), scaling))
        elif (
            tag == "rect"
            and attributes <= {"x", "y", "width", "height", "transform"}
            and not len(child)
        ):
            rules.append(_mapped_rect(child, scaling))
        elif tag == "svg" and "transform" not in attributes:
            # A clipped window on a glyph (stretched delimiters, rules): kept as it is,
            # at its place.
            a, d, e, f = scaling
            nested = _serialised(child)
            rules.append(f'<g transform="matrix({a:g} 0 0 {d:g} {e:g} {f:g})">{nested}</g>')
        else:
            raise _NotFlat


def _parsed_transform(text: str) -> Scaling:
    scaling = _IDENTITY
    position = 0
    while position < len(text):
        match = _TRANSFORM.match(text, position)
        if match is None:
            raise _NotFlat
        values = [float(v) for v in re.split(r"[\s,]+", match.group(2).strip())]
        if match.group(1) == "translate" and len(values) in (1, 2):
            step = (1.0, 1.0, values[0], values[1] if len(values) == 2 else 0.0)
        elif match.group(1) == "scale" and len(values) in (1, 2):
            step = (values[0], values[-1], 0.0, 0.0)
        else:
            raise _NotFlat
        scaling = _then(scaling, step)
        position = match.end()
    return scaling


def _then(outer: Scaling, inner: Scaling) -> Scaling:
    """The scaling that applies `inner` first, then `outer`."""
    a, d, e, f = outer
    a2, d2, e2, f2 = inner
    return (a * a2, d * d2, a * e2 + e, d * f2 + f)


def _number(value: float) -> str:
    # A thousandth of an em (MathJax's unit): 0.01 pt in 10 pt type.
    return str(round(value) + 0)  # + 0: no "-0"


def _mapped_path(data: str, scaling: Scaling) -> str:
    a, d, e, f = scaling
    out: list[str] = []
    command = ""
    coordinate = 0  # index of the next number within the command's arguments
    for letter, number, _space, other in _PATH_TOKEN.findall(data):
        if other:
            raise _NotFlat
        if letter:
            if letter not in _PAIR_COMMANDS and letter not in "HVZz":
                raise _NotFlat  # relative commands, arcs
            command, coordinate = letter, 0
            out.append(letter)
        elif number:
            value = float(number)
            if command == "H" or (command in _PAIR_COMMANDS and coordinate % 2 == 0):
                mapped = a * value + e
            elif command == "V" or command in _PAIR_COMMANDS:
                mapped = d * value + f
            else:
                raise _NotFlat  # a number after Z, or before any command
            coordinate += 1
            text = _number(mapped)
            if out and not out[-1][-1].isalpha() and not text.startswith("-"):
                out.append(" ")
            out.append(text)
    return "".join(out)


def _mapped_rect(rect: ET.Element, scaling: Scaling) -> str:
    a, d, e, f = scaling
    x, y = float(rect.get("x", "0")), float(rect.get("y", "0"))
    width, height = float(rect.get("width", "0")), float(rect.get("height", "0"))
    left, right = sorted((a * x + e, a * (x + width) + e))
    bottom, top = sorted((d * y + f, d * (y + height) + f))
    return (
        f'<rect x="{_number(left)}" y="{_number(bottom)}" '
        f'width="{_number(right - left)}" height="{_number(top - bottom)}"/>'
    )


def _serialised(element: ET.Element) -> str:
    """`element` as SVG markup in the default namespace (ElementTree's own serialiser
    names it by a process-wide prefix registry that other modules may change)."""
    tag = element.tag.removeprefix(_SVG)
    if tag == element.tag and element.tag.startswith("{"):
        raise _NotFlat  # an element of another namespace
    if any(name.startswith("{") for name in element.attrib):
        raise _NotFlat  # xlink:href and the like
    attributes = "".join(f" {name}={quoteattr(value)}" for name, value in element.items())
    if element.tag.endswith("}svg"):
        attributes += ' xmlns="http://www.w3.org/2000/svg"'
    children = "".join(_serialised(child) + escape(child.tail or "") for child in element)
    return f"<{tag}{attributes}>{escape(element.text or '')}{children}</{tag}>"
