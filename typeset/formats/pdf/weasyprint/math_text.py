"""Equations that search and copy find, and screen readers read once.

An equation is drawn as paths (formats/pdf/math.py), which no reader can search or copy; its TeX is
the <img>'s alt, which only a screen reader reads. So the print HTML sets the TeX again as
text, invisible over the drawing (`span.math-tex` in print.css): pdftotext, a viewer's
search and copy find it. WeasyPrint tags that text as a Span beside the equation's
Figure, which would make a screen reader read the TeX twice; this pass takes those Spans
out of the structure tree, and the artifacts pass (artifacts.py) then marks their
content as an artifact: in the page for search and copy, out of the tagged reading.
"""

from __future__ import annotations

import pikepdf

from typeset.formats.pdf.structure import element_kids, structure_elements


def detach_equation_text(pdf: pikepdf.Pdf) -> int:
    """Remove from the tree each Span set beside a Figure as the only two kids of a Span
    (WeasyPrint's tags for `<span class="math"><img alt=TeX><span class="math-tex">`);
    return how many."""
    detached = 0
    for element in list(structure_elements(pdf)):
        if element.get("/S") != pikepdf.Name.Span:
            continue
        kids = element_kids(element)
        if len(kids) != 2 or not all(isinstance(kid, pikepdf.Dictionary) for kid in kids):
            continue
        figure, text = kids
        if (
            figure.get("/S") == pikepdf.Name.Figure
            and "/Alt" in figure
            and text.get("/S") == pikepdf.Name.Span
        ):
            element.K = pikepdf.Array([figure])
            detached += 1
    return detached
