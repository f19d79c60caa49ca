"""Line numbers in the PDF's left margin, for a review copy (config `line_numbers`).

CSS has no line numbering, and a counter in the HTML cannot know where WeasyPrint breaks
lines; so the numbers are stamped on the laid-out PDF: the lines are the ones the
typographic preflight reads (typeset/formats/pdf/preflight.py), numbered through the document as
LaTeX's lineno does, body text only (not running heads, folios or footnotes). Each number
is drawn as the outlines of the text face's digits, in an /Artifact marked-content
sequence: a screen reader skips it, search and copy never see it, and no font (which
PDF/UA would require embedded) is added.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pikepdf

from typeset.formats.pdf.preflight import read_pages, text_block

NUMBER_SIZE = 7.0  # points
GAP = 12.0  # points between the number's right edge and the text block
FACE = "Charis SIL"
# Lines starting right of the page's middle that make a page one of two columns.
MIN_COLUMN_LINES = 3


def number_lines(path: Path) -> None:
    """Stamp each body line's number beside it, in place."""
    pages = read_pages(path)
    block = text_block(pages)
    if block is None:
        return
    digits = _digit_outlines()
    if digits is None:
        return
    number = 0
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for page, laid_out in zip(pdf.pages, pages, strict=True):
            operators = []
            middle = laid_out.width / 2
            right_column = [line for line in laid_out.body if line.x0 > middle]
            two_columns = len(right_column) >= MIN_COLUMN_LINES
            # A two-column page is numbered down the left column, then the right, whose
            # numbers stand in the right margin (as lineno sets them).
            lines = sorted(
                (line for line in laid_out.body if line.role or not laid_out.tagged),
                key=lambda line: (two_columns and line.x0 > middle, line.baseline),
            )
            for line in lines:
                number += 1
                y = laid_out.height - line.baseline
                if two_columns and line.x0 > middle:
                    operators.append(
                        _number_at(str(number), block.right + GAP, y, digits, left=True)
                    )
                else:
                    operators.append(_number_at(str(number), block.left - GAP, y, digits))
            if operators:
                page.contents_add(pikepdf.Stream(pdf, b"q"), prepend=True)
                stamp = b"Q q /Artifact BMC 0.45 g " + b" ".join(operators) + b" EMC Q"
                page.contents_add(pikepdf.Stream(pdf, stamp))
        pdf.save(path)


Outline = tuple[float, bytes]  # advance width at NUMBER_SIZE, path operators at the origin


def _number_at(
    text: str, edge: float, baseline: float, digits: dict[str, Outline], *, left: bool = False
) -> bytes:
    """The number set flush right against `edge` (flush left from it with `left`)."""
    width = sum(digits[digit][0] for digit in text)
    x = edge if left else edge - width
    drawn = []
    for digit in text:
        advance, path = digits[digit]
        drawn.append(b"q 1 0 0 1 %.2f %.2f cm %s f Q" % (x, baseline, path))
        x += advance
    return b" ".join(drawn)


@functools.cache
def _digit_outlines() -> dict[str, Outline] | None:
    """The ten digits of the text face as PDF path operators, scaled to NUMBER_SIZE."""
    from fontTools.pens.basePen import BasePen
    from fontTools.ttLib import TTFont

    font_file = _font_file(FACE)
    if font_file is None:
        return None
    font = TTFont(font_file)
    scale = NUMBER_SIZE / font["head"].unitsPerEm
    glyphs = font.getGlyphSet()
    cmap = font.getBestCmap()

    class PdfPen(BasePen):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(glyphs)
            self.parts: list[bytes] = []

        def _point(self, point: tuple[float, float]) -> bytes:
            return b"%.2f %.2f" % (point[0] * scale, point[1] * scale)

        def _moveTo(self, point: tuple[float, float]) -> None:
            self.parts.append(self._point(point) + b" m")

        def _lineTo(self, point: tuple[float, float]) -> None:
            self.parts.append(self._point(point) + b" l")

        def _curveToOne(self, *points: tuple[float, float]) -> None:
            self.parts.append(b" ".join(self._point(p) for p in points) + b" c")

        def _closePath(self) -> None:
            self.parts.append(b"h")

    outlines = {}
    for digit in "0123456789":
        name = cmap[ord(digit)]
        pen = PdfPen()
        glyphs[name].draw(pen)
        outlines[digit] = (glyphs[name].width * scale, b" ".join(pen.parts))
    return outlines


def _font_file(family: str) -> str | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    found = subprocess.run(
        [fc_match, "-f", "%{file}", f"{family}:style=Regular"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return found if found.endswith((".ttf", ".otf")) and Path(found).is_file() else None
