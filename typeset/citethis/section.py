"""The back-matter section: "How to cite this essay" as pandoc blocks."""

from __future__ import annotations

import html
import json

from typeset.citethis.fragments import Block
from typeset.citethis.work import CiteThisWork
from typeset.pandoc import run_pandoc

DEFAULT_SECTION_HEADING = "How to cite this essay"


def cite_this_work_blocks(
    work: CiteThisWork, *, heading: str = DEFAULT_SECTION_HEADING, level: int = 2
) -> list[Block]:
    """A "How to cite this essay" section as pandoc blocks, to append to the document.

    The heading and the style labels are parsed by pandoc (from escaped HTML); each
    reference is citeproc's own bibliography entry for the essay.
    """
    source = f'<h{level} id="cite-this-work" class="unnumbered">{html.escape(heading)}</h{level}>'
    source += "".join(
        f"<p><strong>{html.escape(reference.label)}</strong></p>" for reference in work.references
    )
    parsed = json.loads(run_pandoc(["--from", "html", "--to", "json"], source.encode()))
    header, *labels = parsed["blocks"]
    entries = []
    for label, reference in zip(labels, work.references, strict=True):
        entry = {"t": "Div", "c": [["", ["csl-entry"], []], list(reference.reference_blocks)]}
        entries.append({"t": "Div", "c": [["", ["cite-this-work-style"], []], [label, entry]]})
    return [header, {"t": "Div", "c": [["cite-this-work-references", [], []], entries]}]
