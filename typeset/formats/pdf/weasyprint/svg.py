"""A faster length parser for WeasyPrint's SVG drawing: same results, no import per call.

WeasyPrint 70 draws every point of every SVG path through `weasyprint.svg.utils.size`,
which runs a function-level `from ..css.units import ...` before it tries `float()`: for
500 equations (300 000 coordinates) that import statement alone was about 0.7 s of the
PDF's drawing. `faster_svg_lengths()` puts a wrapper in front that tries `float()` first
and hands everything else (units, percentages, empty values) to WeasyPrint's own `size`,
so every length comes out exactly as before (the PDFs are byte-identical). It replaces only
the name the SVG drawer looks up, once, when the fence's `install()` finds a checked version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from typeset.formats.pdf.weasyprint import replaced_once


def faster_svg_lengths() -> bool:
    """Install the wrapper (once per process); False where the SVG drawer does not look
    `size` up where expected."""
    import weasyprint.svg as drawer
    from weasyprint.svg import utils

    if drawer.size is not utils.size and not getattr(drawer.size, "typeset_wrapper", False):
        return False
    return replaced_once(drawer, "size", _float_first)


def _float_first(size: Callable[..., Any]) -> Callable[..., Any]:
    def float_first(string: Any, font_size: Any = None, percentage_reference: Any = None) -> Any:
        try:
            return float(string)  # what `size` itself returns first for a plain number
        except (TypeError, ValueError):
            return size(string, font_size, percentage_reference)

    return float_first


def equations_drawn_once(url_prefix: str) -> bool:
    """Draw each equation once per document and size, as a form the pages call (`Do`).

    WeasyPrint 70 draws an SVG image by walking and parsing it at every place it appears:
    an equation used forty times is parsed forty times, and its outlines written forty
    times into the PDF. With this, the SVG images whose URL starts with `url_prefix` (our
    equations, which are only paths and rectangles: nothing in them depends on where on
    the page they are drawn) are drawn into a form XObject the first time each size
    appears in a document, and every occurrence, that one included, calls the form.
    Other images are drawn by WeasyPrint as before. Installed once per process."""
    from weasyprint.images import SVGImage

    return replaced_once(SVGImage, "draw", lambda draw: _drawn_once(draw, url_prefix))


def equation_forms() -> bool:
    """`equations_drawn_once` for the URLs the PDF's equations have (formats/pdf/math.py)."""
    from typeset.formats.pdf.math import MATH_URL_SCHEME

    return equations_drawn_once(f"{MATH_URL_SCHEME}:")


def _drawn_once(draw: Callable[..., Any], url_prefix: str) -> Callable[..., Any]:
    def draw_once(
        image: Any, stream: Any, concrete_width: float, concrete_height: float, style: Any
    ) -> None:
        if not str(image._base_url).startswith(url_prefix):
            draw(image, stream, concrete_width, concrete_height, style)
            return
        # One document's pages share one resources dictionary (the forms live there): the
        # key holds it, so its id is not reused by another document's while this lives.
        resources = stream._resources
        forms = image.__dict__.setdefault("_typeset_forms", {})
        key = (id(resources), concrete_width, concrete_height)
        if key not in forms:
            # The box clips a form's drawing; a margin of the image's own size around it
            # keeps what MathJax draws past its viewBox (overhanging glyphs) as before.
            form = stream.add_group(
                -concrete_width, -concrete_height, 3 * concrete_width, 3 * concrete_height
            )
            del form.extra["Group"]  # a plain form: no transparency group (PDF/A)
            draw(image, form, concrete_width, concrete_height, style)
            forms[key] = (form.id, resources)
        stream.draw_x_object(forms[key][0])

    return draw_once


# The paths flat_svg.py writes: absolute M, L, C, H, V and Z, integer coordinates (no "-0",
# no leading zeros), starting with a command. For these, the PDF operators WeasyPrint's
# `svg.path.path` would write are known without parsing a float.
_FLAT_PATH = re.compile(r"\s*[MLCHVZ](?:[MLCHVZ]|(?:-?[1-9][0-9]*|0)(?![0-9])|\s+)*")
_PATH_COMMAND = re.compile(r"([MLCHVZ])([^MLCHVZ]*)")
_INTEGER = re.compile(r"-?[0-9]+")
_ARGUMENTS = {"M": 2, "L": 2, "C": 6, "H": 1, "V": 1, "Z": 0}
_MARKERS = ("marker", "marker-start", "marker-mid", "marker-end")


def flat_paths_written_directly() -> bool:
    """Write the operators of flat paths (`_FLAT_PATH`) straight into the PDF stream.

    WeasyPrint 70 parses each path point by point in Python (normalising the string, a
    regular expression and a float per coordinate, one stream call per segment): about
    half of what 500 equations add to the PDF's drawing. For a path in the grammar flat
    paths are written in, and with no markers, this writes the same operators, byte for
    byte, in one piece (tests compare it with WeasyPrint's own on many paths); any other
    path is drawn by WeasyPrint. Installed once per process."""
    from weasyprint import svg as drawer

    return replaced_once(drawer.TAGS, "path", _written_directly)


def _written_directly(path: Callable[..., Any]) -> Callable[..., Any]:
    def flat_path(svg: Any, node: Any, font_size: float) -> None:
        operators = None
        if not any(marker in node.attrib for marker in _MARKERS):
            operators = flat_path_operators(node.get("d", ""))
        if operators is None:
            path(svg, node, font_size)
        else:
            svg.stream.stream.append(operators)

    return flat_path


def flat_path_operators(data: str) -> bytes | None:
    """The operators WeasyPrint writes for path `data`, or None where it is not flat."""
    if not _FLAT_PATH.fullmatch(data):
        return None
    operators = ["0 0 m"]  # WeasyPrint starts every path at the origin
    x = y = "0"
    start: tuple[str, str] | None = None  # a subpath's first point, once it has a segment
    for letter, arguments in _PATH_COMMAND.findall(data):
        numbers = _INTEGER.findall(arguments)
        count = _ARGUMENTS[letter]
        if count == 0:
            if numbers:
                return None
            if start is not None:
                operators.append("h")
                (x, y), start = start, None
            continue
        if not numbers or len(numbers) % count:
            return None
        for index in range(0, len(numbers), count):
            values = numbers[index : index + count]
            if letter == "M" and index == 0:
                x, y = values
                operators.append(f"{x} {y} m")
                start = None
                continue
            if start is None:
                start = (x, y)
            if letter == "C":
                operators.append(" ".join(values) + " c")
                x, y = values[4], values[5]
            else:
                if letter in "ML":  # pairs after an M are lines
                    x, y = values
                elif letter == "H":
                    x = values[0]
                else:
                    y = values[0]
                operators.append(f"{x} {y} l")
    return "\n".join(operators).encode("ascii")
