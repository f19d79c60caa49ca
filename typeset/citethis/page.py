"""The cite page (HTML, one copy button per style) and its text version."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path

from typeset.citethis.formatting import CitationKind
from typeset.citethis.item import _slug
from typeset.citethis.records import work_records
from typeset.citethis.work import CiteThisWork
from typeset.pages import Markup, read_page_asset, render_page


def cite_text(work: CiteThisWork) -> str:
    lines = [f"How to cite: {work.title_text}", ""]
    for reference in work.references:
        lines += [f"{reference.label} ({reference.style.name})", reference.reference_text]
        if reference.kind != "numeric" and reference.citation_text:
            lines.append(f"{_citation_heading(reference.kind)}: {reference.citation_text}")
        lines.append("")
    return "\n".join(lines)


def _citation_heading(kind: CitationKind) -> str:
    return "Note" if kind == "note" else "In the text"


def cite_page_html(
    work: CiteThisWork, stem: str, project_dir: Path, records: Mapping[str, str] | None = None
) -> str:
    """One self-contained page: a copyable reference per style, then the records."""
    records = records or work_records(work.item)
    sections = []
    for reference in work.references:
        slug = _slug(reference.style.name) or "style"
        citation = ""
        if reference.kind != "numeric" and reference.citation_html:
            citation = (
                f'<div class="citation"><span class="label">{_citation_heading(reference.kind)}:'
                f"</span> {_inline_html(reference.citation_html)}</div>"
            )
        sections.append(
            f'<section class="style" id="style-{slug}">\n'
            f'<h2 class="style-title">{html.escape(reference.label)}</h2>\n'
            f'<p class="style-name"><code>{html.escape(reference.style.name)}</code></p>\n'
            f'<div class="reference" id="reference-{slug}">{reference.reference_html}</div>\n'
            f"{_copy_button(reference.reference_text, f'reference-{slug}', reference.style.name)}\n"
            f"{citation}\n</section>"
        )
    shown = [
        ("BibTeX", "bibtex", f"{stem}.bib", records["bibtex"]),
        ("RIS", "ris", f"{stem}.ris", records["ris"].replace("\r\n", "\n")),
        ("CSL-JSON", "csl-json", f"{stem}.json", records["csl-json"]),
    ]
    record_sections = [
        f'<section class="record" id="record-{name}">\n'
        f'<h3>{label} <a href="{html.escape(file_name)}" download>'
        f"{html.escape(file_name)}</a></h3>\n"
        f'<pre id="record-text-{name}">{html.escape(text)}</pre>\n'
        f"{_copy_button(text, '', label)}\n</section>"
        for label, name, file_name, text in shown
    ]
    return render_page(
        project_dir,
        "citethis.html",
        lang=work.lang,
        title=work.title_text,
        css=Markup(
            read_page_asset(project_dir, "copy-button.css")
            + read_page_asset(project_dir, "citethis.css")
        ),
        script=Markup(read_page_asset(project_dir, "citethis.js")),
        references=Markup("\n".join(sections)),
        records=Markup("\n".join(record_sections)),
    )


def _inline_html(fragment: str) -> str:
    """A one-paragraph fragment without its <p>, to follow a label on the same line."""
    match = re.fullmatch(r"<p>(.*)</p>", fragment, re.S)
    if match and "<p>" not in match.group(1):
        return match.group(1)
    return fragment


def _copy_button(text: str, rich_source_id: str, label: str) -> str:
    rich = f' data-copy-html="{html.escape(rich_source_id)}"' if rich_source_id else ""
    return (
        f'<button type="button" class="copy" data-copy-text="{html.escape(text)}"{rich}'
        f' data-copy-label="{html.escape(label)}">Copy</button>'
    )
