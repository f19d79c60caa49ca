"""Page images of the typographic preflight's findings, before and after a change.

    python tools/preflight_images.py BEFORE.pdf AFTER.pdf PAGE OUT.png

renders PAGE of both PDFs side by side (the band around the lines the preflight flags on
the BEFORE page), with each flagged line outlined in red and the findings listed
underneath; docs/pdf.md shows the images it made from two corpus manuscripts.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from typeset.formats.pdf.preflight import Line, preflight, read_pages

DPI = 80
BAND = 90.0  # points above and below the flagged lines


def flagged(pdf: Path, page: int) -> tuple[list[str], list[Line]]:
    findings = [f for f in preflight(pdf) if f.message.startswith(f"page {page}:")]
    lines = read_pages(pdf)[page - 1].lines
    marked = []
    for finding in findings:
        quoted = [part.split("”")[0].rstrip("…") for part in finding.message.split("“")[1:]]
        marked += [line for line in lines if any(q and q in line.text for q in quoted)]
    return [f"{f.check}: {f.message}" for f in findings], marked


def page_image(pdf: Path, page: int, lines: list[Line], top: float, bottom: float) -> Image.Image:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(DPI),
                "-png",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(pdf),
                f"{folder}/page",
            ],
            check=True,
        )
        image = Image.open(f"{folder}/page.png").convert("RGB")
    scale = DPI / 72
    draw = ImageDraw.Draw(image)
    for line in lines:
        draw.rectangle(
            [
                (line.x0 - 2) * scale,
                (line.top - 2) * scale,
                (line.x1 + 2) * scale,
                (line.baseline + 4) * scale,
            ],
            outline=(200, 30, 30),
            width=2,
        )
    return image.crop((0, int(top * scale), image.width, int(bottom * scale)))


def main(before: str, after: str, page: str, out: str) -> None:
    number = int(page)
    findings, lines = flagged(Path(before), number)
    after_findings, after_lines = flagged(Path(after), number)
    tops = [line.top for line in lines] or [300.0]
    top, bottom = max(0.0, min(tops) - BAND), max(tops) + BAND
    left = page_image(Path(before), number, lines, top, bottom)
    right = page_image(Path(after), number, after_lines, top, bottom)
    text_height = 14 * (max(len(findings), len(after_findings), 1) + 1)
    sheet = Image.new("RGB", (left.width + right.width + 10, left.height + text_height), "white")
    sheet.paste(left, (0, 0))
    sheet.paste(right, (left.width + 10, 0))
    draw = ImageDraw.Draw(sheet)
    draw.line([(left.width + 5, 0), (left.width + 5, left.height)], fill=(150, 150, 150))
    for column, (title, listed) in enumerate(
        (("before", findings), ("after", after_findings or ["no findings"]))
    ):
        x = column * (left.width + 10) + 6
        draw.text((x, left.height + 2), title, fill=(0, 0, 0))
        for row, finding in enumerate(listed, start=1):
            draw.text((x, left.height + 2 + 14 * row), finding[:70], fill=(160, 20, 20))
    sheet.save(out, optimize=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
