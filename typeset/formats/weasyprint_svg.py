"""A faster length parser for WeasyPrint's SVG drawing: same results, no import per call.

WeasyPrint 70 draws every point of every SVG path through `weasyprint.svg.utils.size`,
which runs a function-level `from ..css.units import ...` before it tries `float()`: for
500 equations (300 000 coordinates) that import statement alone was about 0.7 s of the
PDF's drawing. `faster_svg_lengths()` puts a wrapper in front that tries `float()` first
and hands everything else (units, percentages, empty values) to WeasyPrint's own `size`,
so every length comes out exactly as before (the PDFs are byte-identical). It replaces only
the name the SVG drawer looks up, only on the WeasyPrint version checked here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CHECKED_VERSIONS = ("70.",)


def faster_svg_lengths() -> bool:
    """Install the wrapper (once per process); False where the WeasyPrint is not one this
    was checked against, or its SVG drawer does not look `size` up where expected."""
    import weasyprint
    import weasyprint.svg as drawer
    from weasyprint.svg import utils

    if getattr(drawer.size, "typeset_wrapper", False):
        return True
    if not weasyprint.__version__.startswith(CHECKED_VERSIONS) or drawer.size is not utils.size:
        return False
    drawer.size = _float_first(utils.size)
    return True


def _float_first(size: Callable[..., Any]) -> Callable[..., Any]:
    def float_first(string: Any, font_size: Any = None, percentage_reference: Any = None) -> Any:
        try:
            return float(string)  # what `size` itself returns first for a plain number
        except (TypeError, ValueError):
            return size(string, font_size, percentage_reference)

    float_first.typeset_wrapper = True  # type: ignore[attr-defined]
    return float_first
