"""The essay's own reference ("cite this work"), in several CSL styles and as records.

The essay's metadata (title, subtitle, author, date, publisher, container-title, url, doi)
becomes one CSL item. pandoc builds it (titles keep their emphasis as CSL markup; names
go through pandoc's BibTeX name parser, which knows "van der", "Family, Given" and
{Braced Organisations}) and formats it with the same citeproc the build uses, so the
reference offered to readers is the one a bibliography citing the essay would print.

Outputs: `<stem>-cite.html` (one copy button per style), `<stem>-cite.txt`, and the
records `<stem>.bib`, `<stem>.ris`, `<stem>.json` (CSL-JSON). `cite_this_work_blocks`
gives the same references as pandoc blocks for a "How to cite this essay" section.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import functools
import html
import json
import os
import re
import tempfile
import unicodedata
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from typeset import ast
from typeset.citations.pandoc_citeproc import run_citeproc as citeproc_to_json
from typeset.errors import CitationError, ManuscriptError, OutputError
from typeset.output import staged_outputs
from typeset.pandoc import run_pandoc
from typeset.styles import CSL_NAMESPACE, CslStyle, resolve_style

CslItem = dict[str, Any]
Block = dict[str, Any]

DEFAULT_CITE_STYLES: tuple[str, ...] = (
    "apa",
    "modern-language-association",
    "chicago-author-date",
    "chicago-notes-bibliography",
    "harvard-cite-them-right",
    "ieee",
    # The catalog has no plain "vancouver": NLM's Citing Medicine is the Vancouver style.
    "nlm-citation-sequence",
    # The catalog has no Turabian style; Turabian's 9th edition follows the Chicago
    # Manual's 17th, notes and bibliography.
    "chicago-notes-bibliography-17th-edition",
)

# The names readers look for, where the catalog files a style under another one.
STYLE_ALSO_KNOWN_AS: dict[str, str] = {
    "nlm-citation-sequence": "Vancouver",
    "chicago-notes-bibliography-17th-edition": "Turabian (9th edition follows Chicago 17th)",
}

DEFAULT_SECTION_HEADING = "How to cite this essay"

CitationKind = Literal["in-text", "note", "numeric"]


@dataclass(frozen=True)
class FormattedReference:
    """The essay's reference and first citation in one style, as HTML, text and blocks."""

    style: CslStyle
    kind: CitationKind
    reference_html: str
    reference_text: str
    citation_html: str
    citation_text: str
    reference_blocks: tuple[Block, ...]  # pandoc blocks, the numeric label removed

    @property
    def label(self) -> str:
        """The style's title, with the name readers may know it by."""
        also = STYLE_ALSO_KNOWN_AS.get(self.style.name)
        return f"{self.style.title} — {also}" if also else self.style.title


@dataclass(frozen=True)
class CiteThisWork:
    """The essay as a CSL item, formatted in each requested style."""

    item: CslItem
    references: tuple[FormattedReference, ...]
    lang: str

    @property
    def key(self) -> str:
        return str(self.item["id"])

    @property
    def title_text(self) -> str:
        return csl_markup_to_text(str(self.item.get("title", "")))


def cite_this_work(
    meta: Mapping[str, Any],
    project_dir: Path,
    styles: Sequence[str] = DEFAULT_CITE_STYLES,
) -> CiteThisWork:
    """Build the essay's CSL item from pandoc `meta` and format it in every style.

    Raises StyleError for an unknown style (before any formatting), ManuscriptError for
    metadata that cannot make a reference (no title, a URL that is not http(s)).
    """
    resolved = [resolve_style(name, project_dir) for name in dict.fromkeys(styles)]
    item = essay_item(meta)
    lang = ast.meta_text(meta.get("lang")) or "en-US"
    return CiteThisWork(item, tuple(format_references(item, resolved, lang)), lang)


# --- the CSL item ------------------------------------------------------------------------

# A URL or DOI means the essay is read online: "webpage" renders as an online document in
# every style. Without one, "article" (CSL: a work not formally published) is the only
# type every default style prints sensibly with or without an author: "document" and
# "manuscript" print nothing in chicago-notes-bibliography when there is no author, and
# "report" italicises the title like a book's. With a URL, "post" prints nothing in
# chicago-notes-bibliography, and "post-weblog" makes the title the blog's name in Chicago
# and MLA when no container-title is given.
ONLINE_TYPE = "webpage"
OFFLINE_TYPE = "article"


def essay_item(meta: Mapping[str, Any]) -> CslItem:
    """The essay as one CSL-JSON item, built by pandoc from the document's metadata."""
    title = _title_node(meta)
    if title is None:
        raise ManuscriptError(
            "the essay has no title, so it cannot be cited",
            hint="add 'title:' to the front matter or to the config's 'metadata'",
        )
    url = ast.meta_text(meta.get("url"))
    if url and not re.match(r"https?://\S+$", url):
        raise ManuscriptError(
            f"'url' must be a web address starting with http:// or https://, not {url!r}",
            hint="set 'url' in the front matter or the config's 'metadata'",
        )
    doi = _normalised_doi(ast.meta_text(meta.get("doi")))
    fields: dict[str, Any] = {
        "id": _meta_string("essay"),
        "type": _meta_string(ONLINE_TYPE if url or doi else OFFLINE_TYPE),
        "title": title,
    }
    names = _author_names(meta.get("author"))
    if names:
        fields["author"] = {
            "t": "MetaList",
            "c": [
                _meta_map({part: _meta_string(text) for part, text in name.items()})
                for name in names
            ],
        }
    issued = _issued(ast.meta_text(meta.get("date")))
    if issued is not None:
        fields["issued"] = issued
    for field in ("publisher", "container-title"):
        if ast.meta_text(meta.get(field)):
            fields[field] = meta[field]
    if url:
        fields["URL"] = _meta_string(url)
    if doi:
        fields["DOI"] = _meta_string(doi)
    document = {
        "pandoc-api-version": pandoc_api_version(),
        "meta": {"references": {"t": "MetaList", "c": [_meta_map(fields)]}},
        "blocks": [],
    }
    items = json.loads(run_pandoc(["--from", "json", "--to", "csljson"], _json(document)))
    item: CslItem = items[0]
    item["id"] = citation_key(item)
    return item


def citation_key(item: CslItem) -> str:
    """A BibTeX-style key: first author's family name, year, first title word."""
    authors = item.get("author") or []
    family = ""
    if authors:
        family = _slug(authors[0].get("family") or authors[0].get("literal") or "")
    words = [_slug(word) for word in csl_markup_to_text(str(item.get("title", ""))).split()]
    words = [word for word in words if word and word not in ("a", "an", "the")]
    first_word = words[0] if words else ""
    parts = (item.get("issued") or {}).get("date-parts") or [[]]
    year = str(parts[0][0]) if parts[0] else ""
    key = f"{family}{year}{first_word}" if family else f"{first_word}{year}"
    return key or "essay"


def _title_node(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    title = meta.get("title")
    if not ast.meta_text(title):
        return None
    subtitle = meta.get("subtitle")
    if not ast.meta_text(subtitle):
        return dict(title) if title else None
    # A reference gives the subtitle after the title and a colon, in every style.
    inlines = [*_inlines(title), {"t": "Str", "c": ":"}, {"t": "Space"}, *_inlines(subtitle)]
    return {"t": "MetaInlines", "c": inlines}


def _inlines(node: Any) -> list[dict[str, Any]]:
    if node["t"] == "MetaInlines":
        return list(node["c"])
    if node["t"] == "MetaBlocks":
        return [inline for block in node["c"] for inline in block.get("c", [])]
    return [{"t": "Str", "c": ast.meta_text(node)}]


# Characters BibTeX would read as markup: a name holding one is kept whole.
_BIBTEX_SPECIAL = re.compile(r"[{}\\%#~$&^_]|\band\b")
_NAME_PARTS = ("family", "given", "dropping-particle", "non-dropping-particle", "suffix", "literal")


def _author_names(author: Any) -> list[dict[str, str]]:
    """CSL names from `author`: a name, a list of names, {name: ...} or CSL name maps.

    A name written as text is split by pandoc's BibTeX name parser ("Jane Q. van der
    Doe", "Doe, Jane"); write `{literal: Some Organisation}` to keep a name whole.
    """
    if author is None:
        return []
    entries = author["c"] if author["t"] == "MetaList" else [author]
    names: list[dict[str, str] | str] = []
    for entry in entries:
        if entry["t"] == "MetaMap":
            parts = {key: ast.meta_text(value) for key, value in entry["c"].items()}
            given_parts = {key: parts[key] for key in _NAME_PARTS if parts.get(key)}
            if given_parts:
                names.append(given_parts)
                continue
            entry = entry["c"].get("name")
        text = ast.meta_text(entry)
        braced = re.fullmatch(r"\{([^{}]+)\}", text)
        if braced:  # BibTeX's way of keeping an organisation's name whole
            names.append({"literal": braced.group(1).strip()})
        elif text:
            names.append(text)
    to_parse = [
        name for name in names if isinstance(name, str) and not _BIBTEX_SPECIAL.search(name)
    ]
    parsed = dict(zip(to_parse, _parsed_names(to_parse), strict=True))
    result: list[dict[str, str]] = []
    for name in names:
        if isinstance(name, dict):
            result.append(name)
        else:
            result.append(parsed.get(name) or {"literal": name})
    return result


def _parsed_names(names: list[str]) -> list[dict[str, str]]:
    if not names:
        return []
    entry = "@misc{names, author = {" + " and ".join(names) + "}}"
    items = json.loads(run_pandoc(["--from", "bibtex", "--to", "csljson"], entry.encode()))
    parsed: list[dict[str, str]] = items[0].get("author", []) if items else []
    if len(parsed) != len(names):  # a name the parser read as two: keep each as written
        return [{"literal": name} for name in names]
    return parsed


_WRITTEN_DATE_FORMATS = (
    "%B %d, %Y",
    "%B %d %Y",
    "%b %d, %Y",
    "%b. %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d %b. %Y",
    "%B %Y",
    "%b %Y",
    "%b. %Y",
    "%Y/%m/%d",
)


def _issued(text: str) -> dict[str, Any] | None:
    """The date as pandoc reads it (ISO 8601), or a literal date CSL prints as written.

    pandoc reads only ISO dates in references and silently drops any other.
    """
    if not text:
        return None
    iso = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:[T ].*)?$", text)
    if iso:
        return _meta_string("-".join(part for part in iso.groups() if part))
    for pattern in _WRITTEN_DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
        has_day = "%d" in pattern
        return _meta_string(parsed.strftime("%Y-%m-%d" if has_day else "%Y-%m"))
    return _meta_map({"literal": _meta_string(text)})


def _normalised_doi(text: str) -> str:
    if not text:
        return ""
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text.strip(), flags=re.I)
    if not re.match(r"10\.\d{4,9}/[^\s{}]+$", doi):
        raise ManuscriptError(
            f"'doi' is not a DOI: {text!r}",
            hint="give it as 10.NNNN/suffix (https://doi.org/ in front is fine)",
        )
    return doi


def _meta_string(text: str) -> dict[str, Any]:
    return {"t": "MetaString", "c": text}


def _meta_map(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"t": "MetaMap", "c": dict(fields)}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


# CSL-JSON's rich-text markup (CSL 1.0.2, "HTML-like formatting"): only these tags; any
# other "<" is text.
_CSL_MARKUP = re.compile(r"</?(?:i|b|sup|sub|span)(?:\s[^<>]*)?>")


def csl_markup_to_text(value: str) -> str:
    return _CSL_MARKUP.sub("", value)


# --- formatting with citeproc ------------------------------------------------------------


def format_references(
    item: CslItem, styles: Sequence[CslStyle], lang: str
) -> list[FormattedReference]:
    """Format `item` in each style: one citeproc run per style, in parallel threads."""
    with tempfile.TemporaryDirectory(prefix="typeset-cite-") as workdir:
        item_file = Path(workdir) / "essay.json"
        item_file.write_text(json.dumps([item], ensure_ascii=False), encoding="utf-8")
        workers = min(len(styles), os.cpu_count() or 4) or 1
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            formatted = list(
                pool.map(
                    lambda style: _format_in_style(item_file, str(item["id"]), style, lang), styles
                )
            )
    fragments = [fragment for entry, citation in formatted for fragment in (entry, citation)]
    as_html = render_fragments(fragments, "html")
    as_text = render_fragments(fragments, "plain")
    references = []
    for index, (style, (entry, _citation)) in enumerate(zip(styles, formatted, strict=True)):
        references.append(
            FormattedReference(
                style=style,
                kind=citation_kind(style),
                reference_html=as_html[2 * index],
                reference_text=as_text[2 * index],
                citation_html=as_html[2 * index + 1],
                citation_text=as_text[2 * index + 1],
                reference_blocks=tuple(entry),
            )
        )
    return references


def _format_in_style(
    item_file: Path, key: str, style: CslStyle, lang: str
) -> tuple[list[Block], list[Block]]:
    """The bibliography entry and the first citation (a note's text in note styles)."""
    document = run_citeproc(f"[@{key}]\n".encode(), "markdown", style, item_file, lang)
    entry = bibliography_entries(document)
    if not entry:
        raise CitationError(
            f"the style {style.name!r} prints no bibliography entry for the essay",
            path=style.path,
            hint="pick another style for 'cite this work'",
        )
    return without_number_label(entry[0]["c"][1]), _first_citation(document["blocks"][0])


def _first_citation(block: Block) -> list[Block]:
    """A note style's note text, or else the in-text citation."""
    nodes = list(ast.walk(block))
    for node in nodes:
        if node["t"] == "Note":
            return list(node["c"])
    for node in nodes:
        if node["t"] == "Cite":
            return [{"t": "Plain", "c": node["c"][1]}]
    return []


def run_citeproc(
    source: bytes,
    source_format: str,
    style: CslStyle,
    bibliography: Path,
    lang: str,
) -> dict[str, Any]:
    """Resolve the citations of `source` (markdown or pandoc JSON) to a pandoc document."""
    return citeproc_to_json(
        source, source_format, style, bibliography, ["--metadata", f"lang={lang}"]
    )


def bibliography_entries(document: dict[str, Any]) -> list[Block]:
    """The `Div .csl-entry` blocks of citeproc's bibliography, in the style's order."""
    for node in ast.walk(document["blocks"]):
        if node["t"] == "Div" and node["c"][0][0] == "refs":
            return [block for block in node["c"][1] if block["t"] == "Div"]
    return []


def without_number_label(blocks: list[Block]) -> list[Block]:
    """Drop a numeric style's "[1]" label: a reader's own list numbers it differently."""

    def rewrite(node: dict[str, Any]) -> Any:
        if node["t"] in ("Para", "Plain"):
            kept: list[dict[str, Any]] = []
            for inline in node["c"]:
                classes = inline["c"][0][1] if inline["t"] == "Span" else []
                if "csl-left-margin" in classes:
                    continue
                kept.extend(inline["c"][1] if "csl-right-inline" in classes else [inline])
            return {"t": node["t"], "c": kept}
        return None

    result: list[Block] = ast.transform(blocks, rewrite)
    return result


def citation_kind(style: CslStyle) -> CitationKind:
    if style.is_note_style:
        return "note"
    try:
        root = ElementTree.parse(style.path).getroot()
    except (ElementTree.ParseError, OSError):
        return "in-text"
    for category in root.iter(f"{CSL_NAMESPACE}category"):
        if category.get("citation-format") == "numeric":
            return "numeric"
    return "in-text"


# --- rendering fragments of pandoc AST ---------------------------------------------------

_FRAGMENT_MARKER = "TYPESETFRAGMENT{}END"
_FRAGMENT_SPLIT = re.compile(r"(?:<p>)?TYPESETFRAGMENT(\d+)END(?:</p>)?\n*")


def render_fragments(
    fragments: Sequence[Sequence[Block]], to: Literal["html", "plain"]
) -> list[str]:
    """Render lists of pandoc blocks to HTML or plain text with one pandoc run for all.

    A marker paragraph separates the fragments; the output is split on it.
    """
    blocks: list[Block] = []
    for index, fragment in enumerate([*fragments, []]):
        blocks.append({"t": "Para", "c": [{"t": "Str", "c": _FRAGMENT_MARKER.format(index)}]})
        blocks.extend(fragment)
    document = {"pandoc-api-version": pandoc_api_version(), "meta": {}, "blocks": blocks}
    output = run_pandoc(
        ["--from", "json", "--to", to, "--wrap=none", "--sandbox"], _json(document)
    ).decode()
    pieces = _FRAGMENT_SPLIT.split(output)
    # split() gives [before, index0, text0, index1, text1, ..., indexN, after]
    texts = [piece.strip() for piece in pieces[2::2]]
    if len(texts) != len(fragments) + 1:
        raise OutputError(f"could not split pandoc's {to} output into {len(fragments)} parts")
    return texts[:-1]


@functools.cache
def pandoc_api_version() -> list[int]:
    version: list[int] = json.loads(run_pandoc(["--from", "markdown", "--to", "json"], b""))[
        "pandoc-api-version"
    ]
    return version


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


# --- records: BibTeX, RIS, CSL-JSON ------------------------------------------------------


def bibtex_record(item: CslItem) -> str:
    """The item as BibTeX, written by pandoc, with the fields its writer leaves out.

    pandoc's BibTeX writer drops the DOI and a webpage's container-title; `doi` is read
    by biblatex and most .bst styles, `howpublished` is @misc's field for the venue.
    """
    record = run_pandoc(["--from", "csljson", "--to", "bibtex"], _json([item])).decode()
    extra = {}
    if item.get("DOI") and not re.search(r"^\s*doi\s*=", record, re.M):
        extra["doi"] = str(item["DOI"])
    venue = csl_markup_to_text(str(item.get("container-title", "")))
    if venue and not re.search(r"^\s*(howpublished|journal|booktitle)\s*=", record, re.M):
        extra["howpublished"] = latex_escaped(venue)
    if not extra:
        return record
    body = record.rstrip()
    if not body.endswith("}"):
        raise OutputError("pandoc wrote an unexpected BibTeX record", hint=record[:200])
    fields = "".join(f",\n  {name} = {{{value}}}" for name, value in extra.items())
    return body[:-1].rstrip() + fields + "\n}\n"


def latex_escaped(text: str) -> str:
    replacements = {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\^{}",
    }
    return "".join(replacements.get(character, character) for character in text)


# RIS type codes (RIS specification; EndNote, Zotero and Mendeley use ELEC for web pages).
_RIS_TYPES = {ONLINE_TYPE: "ELEC", OFFLINE_TYPE: "UNPB"}


def ris_record(item: CslItem) -> str:
    """The item as one RIS record: TY first, ER last, CRLF line ends, UTF-8."""
    lines = [("TY", _RIS_TYPES.get(str(item.get("type")), "GEN"))]
    for name in item.get("author", []):
        lines.append(("AU", _ris_name(name)))
    lines.append(("TI", csl_markup_to_text(str(item.get("title", "")))))
    if item.get("container-title"):
        lines.append(("T2", csl_markup_to_text(str(item["container-title"]))))
    date_parts = (item.get("issued") or {}).get("date-parts") or [[]]
    if date_parts[0]:
        year, *rest = date_parts[0]
        lines.append(("PY", f"{year:04d}"))
        # DA is YYYY/MM/DD/other-info; missing parts stay empty between the slashes.
        month_day = [f"{part:02d}" for part in rest] + ["", ""]
        lines.append(("DA", f"{year:04d}/{month_day[0]}/{month_day[1]}/"))
    if item.get("publisher"):
        lines.append(("PB", csl_markup_to_text(str(item["publisher"]))))
    if item.get("URL"):
        lines.append(("UR", str(item["URL"])))
    if item.get("DOI"):
        lines.append(("DO", str(item["DOI"])))
    lines.append(("ID", str(item["id"])))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {' '.join(value.split())}\r\n" for tag, value in lines)


def _ris_name(name: Mapping[str, str]) -> str:
    if name.get("literal"):
        # A trailing comma marks a corporate author (EndNote's convention; pandoc reads it
        # as a family name alone).
        return f"{name['literal']},"
    particles = " ".join(
        name[part] for part in ("dropping-particle", "non-dropping-particle") if name.get(part)
    )
    family = f"{particles} {name.get('family', '')}".strip()
    parts = [family, name.get("given", ""), name.get("suffix", "")]
    while parts and not parts[-1]:
        parts.pop()
    return ", ".join(parts)


def csl_json_record(item: CslItem) -> str:
    """CSL-JSON is a list of items, even for one."""
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


# --- the outputs ---------------------------------------------------------------------------


def work_records(item: CslItem) -> dict[str, str]:
    """The records reference managers import, by kind: bibtex, ris, csl-json."""
    return {
        "bibtex": bibtex_record(item),
        "ris": ris_record(item),
        "csl-json": csl_json_record(item),
    }


def cite_this_work_paths(output_dir: Path, stem: str) -> dict[str, Path]:
    return {
        "html": output_dir / f"{stem}-cite.html",
        "text": output_dir / f"{stem}-cite.txt",
        "bibtex": output_dir / f"{stem}.bib",
        "ris": output_dir / f"{stem}.ris",
        "csl-json": output_dir / f"{stem}.json",
    }


def write_cite_this_work(
    work: CiteThisWork, output_dir: Path, stem: str, project_dir: Path
) -> list[Path]:
    """Write the cite page, the text version and the three records; return their paths.

    Every file is rendered first, then all are written to temporaries beside their
    destinations and renamed into place together, so a failure leaves earlier files as
    they were.
    """
    files = cite_this_work_files(work, output_dir, stem, project_dir)
    write_together(files)
    return list(files)


def cite_this_work_files(
    work: CiteThisWork, output_dir: Path, stem: str, project_dir: Path
) -> dict[Path, bytes]:
    """Each cite-this-work file's destination and bytes, rendered but not written."""
    paths = cite_this_work_paths(output_dir, stem)
    records = work_records(work.item)
    contents = {
        "html": cite_page_html(work, stem, project_dir, records),
        "text": cite_text(work),
        **records,
    }
    return {paths[name]: text.encode() for name, text in contents.items()}


def write_together(files: Mapping[Path, bytes]) -> None:
    """Write every file to a temporary beside it, then rename them all into place."""
    with staged_outputs({str(path): path for path in files}) as staged:
        for path, data in files.items():
            staged[str(path)].write_bytes(data)


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
    return fill_template(
        read_page_asset(project_dir, "citethis.html"),
        {
            "lang": html.escape(work.lang),
            "title": html.escape(work.title_text),
            "css": read_page_asset(project_dir, "copy-button.css")
            + read_page_asset(project_dir, "citethis.css"),
            "script": read_page_asset(project_dir, "citethis.js"),
            "references": "\n".join(sections),
            "records": "\n".join(record_sections),
        },
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


# --- the back-matter section -------------------------------------------------------------


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


# --- page assets ---------------------------------------------------------------------------


def read_page_asset(project_dir: Path, name: str) -> str:
    """A page template, stylesheet or script from the project's styles/ folder."""
    path = project_dir / "styles" / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OutputError(
            "page template missing",
            path=path,
            hint="restore it from the typeset repository (styles/citethis.* and preview.*)",
        ) from None


_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Replace each {{name}} with its value (values are inserted as they are)."""
    missing = set(_PLACEHOLDER.findall(template)) - set(values)
    if missing:
        raise OutputError(f"page template has unknown placeholders: {', '.join(sorted(missing))}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
