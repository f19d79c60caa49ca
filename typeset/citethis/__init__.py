"""The essay's own reference ("cite this work"), in several CSL styles and as records.

The essay's metadata (title, subtitle, author, date, publisher, container-title, url, doi)
becomes one CSL item. pandoc builds it (titles keep their emphasis as CSL markup; names
go through pandoc's BibTeX name parser, which knows "van der", "Family, Given" and
{Braced Organisations}) and formats it with the same citeproc the build uses, so the
reference offered to readers is the one a bibliography citing the essay would print.

Outputs: `<stem>-cite.html` (one copy button per style), `<stem>-cite.txt`, and the
records `<stem>.bib`, `<stem>.ris`, `<stem>.json` (CSL-JSON). `cite_this_work_blocks`
gives the same references as pandoc blocks for a "How to cite this essay" section.

The modules, in the order the build uses them: `item` (the essay's CSL item), `formatting`
(citeproc in each style), `work` (the two together), `records` (BibTeX, RIS, CSL-JSON),
`page` (the cite page and its text), `outputs` (the files, written together) and `section`
(the back-matter blocks); `fragments` renders pandoc AST for all of them.
"""

from typeset.citethis.formatting import (
    STYLE_ALSO_KNOWN_AS,
    CitationKind,
    FormattedReference,
    bibliography_entries,
    citation_kind,
    format_references,
    run_citeproc,
    without_number_label,
)
from typeset.citethis.fragments import Block, pandoc_api_version, render_fragments
from typeset.citethis.item import (
    OFFLINE_TYPE,
    ONLINE_TYPE,
    CslItem,
    citation_key,
    csl_markup_to_text,
    essay_item,
)
from typeset.citethis.outputs import (
    cite_this_work_files,
    cite_this_work_paths,
    write_cite_this_work,
    write_together,
)
from typeset.citethis.page import cite_page_html, cite_text
from typeset.citethis.records import (
    bibtex_record,
    csl_json_record,
    latex_escaped,
    ris_record,
    work_records,
)
from typeset.citethis.section import DEFAULT_SECTION_HEADING, cite_this_work_blocks
from typeset.citethis.work import DEFAULT_CITE_STYLES, CiteThisWork, cite_this_work

__all__ = [
    "DEFAULT_CITE_STYLES",
    "DEFAULT_SECTION_HEADING",
    "OFFLINE_TYPE",
    "ONLINE_TYPE",
    "STYLE_ALSO_KNOWN_AS",
    "Block",
    "CitationKind",
    "CiteThisWork",
    "CslItem",
    "FormattedReference",
    "bibliography_entries",
    "bibtex_record",
    "citation_key",
    "citation_kind",
    "cite_page_html",
    "cite_text",
    "cite_this_work",
    "cite_this_work_blocks",
    "cite_this_work_files",
    "cite_this_work_paths",
    "csl_json_record",
    "csl_markup_to_text",
    "essay_item",
    "format_references",
    "latex_escaped",
    "pandoc_api_version",
    "render_fragments",
    "ris_record",
    "run_citeproc",
    "without_number_label",
    "work_records",
    "write_cite_this_work",
    "write_together",
]
