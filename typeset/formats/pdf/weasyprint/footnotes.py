"""Footnote areas measured note by note: WeasyPrint's page breaks, without its quadratic cost.

Each time a note is called on a page, WeasyPrint 70 (`LayoutContext._update_footnote_area`)
copies the page's whole footnote area and lays it out again, to learn how much of the page
the notes take. A page with k notes lays out 1 + 2 + ... + k notes: in a note-style book
(a footnote per citation, three or four a page) that was over a quarter of the layout.

The height of a stack of notes is the sum of their heights when nothing can pass between
them: each note is a block with no vertical margins that starts its own formatting context
(our print.css gives `.footnote` `overflow: hidden`), so no margin inside one collapses with
its neighbour. Then each note is laid out once, alone in a copy of the area, for each width
it is measured at, and the area's height is the sum, clamped as WeasyPrint clamps it
(`min-height`, `max-height`). Where any note on the page is not such a block (another
stylesheet, `footnote-display: inline`), WeasyPrint's own method runs, so the result is
always WeasyPrint's. The final footnote area of each page is still laid out by WeasyPrint as
before; only the measuring is replaced, and the PDFs are byte-identical (tests compare).
Installed once per process, by the fence's `install()` on a checked version.
"""

from __future__ import annotations

from math import inf
from typing import Any

from typeset.formats.pdf.weasyprint import replaced_once

_MEASURED = "_typeset_note_heights"


def measure_footnotes_one_by_one() -> bool:
    """Install the measuring (once per process)."""
    from weasyprint.layout import LayoutContext, page

    if not replaced_once(LayoutContext, "_update_footnote_area", _one_by_one):
        return False
    return replaced_once(page, "block_level_layout", _final_area)


def _final_area(layout: Any) -> Any:
    """The note area a page ends with, made of the notes as they were measured.

    When the page is done, WeasyPrint 70 lays its note area out once more (in
    `layout.page.make_page`). Each note was laid out alone, at the top of the same area,
    when it was measured: stacked and moved down by the heights above it, those are the
    notes the final layout makes. Only where every note of the page was measured that way
    and holds nothing placed out of the flow (floats, absolute or fixed boxes, whose
    layout has effects beyond the note); any other area is laid out by WeasyPrint.
    """
    from weasyprint.formatting_structure import boxes

    def final_area(
        context: Any, box: Any, bottom_space: float, skip_stack: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if isinstance(box, boxes.FootnoteAreaBox) and bottom_space == -inf and not skip_stack:
            stacked = _stacked_notes(context, box)
            if stacked is not None:
                return stacked, None, {"break": "any", "page": None}, [], False, None
        return layout(context, box, bottom_space, skip_stack, *args, **kwargs)

    return final_area


def _stacked_notes(context: Any, box: Any) -> Any:
    area = context.current_footnote_area
    notes = area.children
    if not notes or len(box.children) != len(notes):
        return None
    if any(
        copy.element is not note.element for copy, note in zip(box.children, notes, strict=True)
    ):
        return None  # not the copy of the page's notes the measuring saw
    measured = context.__dict__.get(_MEASURED, {})
    page = area.page
    alone = []
    for note in notes:
        entry = measured.get((id(note), page.width, page.height, area.position_y))
        if entry is None or not entry[2]:
            return None
        alone.append(entry[0])
    stacked = alone[-1].copy()
    bottom = stacked.content_box_y()
    children = []
    for one in alone:
        laid_out = one.children[0]
        note = laid_out.deepcopy()
        note.translate(dy=bottom - laid_out.position_y)
        children.append(note)
        bottom += note.margin_height()
    stacked.children = children
    stacked.height = max(
        min(max(0, bottom - stacked.content_box_y()), stacked.max_height), stacked.min_height
    )
    return stacked


def _one_by_one(original: Any) -> Any:
    from weasyprint.formatting_structure import build
    from weasyprint.layout.block import block_level_layout

    def alone(context: Any, area: Any, note: Any) -> Any:
        """The area laid out with `note` as its only child, once per note and width."""
        page = area.page
        key = (id(note), page.width, page.height, area.position_y)
        measured = context.__dict__.setdefault(_MEASURED, {})
        if key not in measured:
            children = area.children
            area.children = [note]
            try:
                copy = build.create_anonymous_boxes(area.deepcopy())
            finally:
                area.children = children
            # The note itself is kept too: its id must not be reused while it is a key.
            laid_out = block_level_layout(context, copy, -inf, None, page)[0]
            measured[key] = (laid_out, note, _in_flow_only(note))
        return measured[key][0]

    def update_footnote_area(context: Any) -> bool:
        notes = context.current_page_footnotes
        if not notes or not all(_stacks_exactly(note) for note in notes):
            return bool(original(context))
        area = context.current_footnote_area
        laid_out = [alone(context, area, note) for note in notes]
        if any(len(one.children) != 1 for one in laid_out):
            return bool(original(context))
        if area.height != "auto" and not context.in_column:
            context.page_bottom += area.margin_height()
        area.children = notes
        last = laid_out[-1]
        # The notes stacked in order from the top of the content box, as block layout adds.
        bottom = last.content_box_y()
        for one in laid_out:
            bottom += one.children[-1].margin_height()
        measured = last.copy()
        measured.height = max(
            min(max(0, bottom - measured.content_box_y()), measured.max_height),
            measured.min_height,
        )
        area.height = measured.height
        if not context.in_column:
            context.page_bottom -= measured.margin_height()
        area_bottom = measured.position_y + measured.margin_height() - measured.margin_bottom
        return bool(bottom > area_bottom)

    return update_footnote_area


def _stacks_exactly(note: Any) -> bool:
    """A block note whose height is its own: no vertical margins, nothing collapsing out."""
    style = note.style
    return (
        style["footnote_display"] == "block"
        and getattr(style["margin_top"], "value", None) == 0
        and getattr(style["margin_bottom"], "value", None) == 0
        and note.establishes_formatting_context()
    )


def _in_flow_only(note: Any) -> bool:
    """Nothing in the note is floated or positioned out of the flow."""
    return all(
        box.style["position"] in ("static", "relative") and box.style["float"] == "none"
        for box in note.descendants()
        if box is not note
    )
