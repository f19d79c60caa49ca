"""Our own PDF/UA-1 structure audit, with pikepdf: the machine checks of the Matterhorn
Protocol that can be made from the file alone.

No PDF/UA validator (veraPDF, PAC) is installable on these machines, and qpdf and pdfinfo
say nothing about tags, so `--check` reads the structure itself. Each finding names the
Matterhorn failure condition it stands for (docs/pdf.md lists those covered and those
that need a person). The audit is strict about what a screen reader depends on and does
not judge meaning: whether a heading is really a heading, or alt text says what a
figure shows, needs a human.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from typeset.findings import Finding
from typeset.formats.pdf.structure import (
    MarkedContentReference,
    ObjectId,
    claimed_content,
    element_kids,
    parent_tree,
    structure_elements,
)

CHECK = "pdf-ua"

# ISO 32000-1, 14.8.4: the standard structure types of PDF 1.7.
STANDARD_STRUCTURE_TYPES = frozenset(
    [
        "Document",
        "Part",
        "Art",
        "Sect",
        "Div",
        "BlockQuote",
        "Caption",
        "TOC",
        "TOCI",
        "Index",
        "NonStruct",
        "Private",
        "P",
        "H",
        "H1",
        "H2",
        "H3",
        "H4",
        "H5",
        "H6",
        "L",
        "LI",
        "Lbl",
        "LBody",
        "Table",
        "TR",
        "TH",
        "TD",
        "THead",
        "TBody",
        "TFoot",
        "Span",
        "Quote",
        "Note",
        "Reference",
        "BibEntry",
        "Code",
        "Link",
        "Annot",
        "Ruby",
        "RB",
        "RT",
        "RP",
        "Warichu",
        "WT",
        "WP",
        "Figure",
        "Formula",
        "Form",
    ]
)
HEADINGS = {f"H{level}": level for level in range(1, 7)}
TEXT_OPERATORS = frozenset({"Tj", "TJ", "'", '"'})
PAINTING_OPERATORS = frozenset(
    {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "Do", "INLINE IMAGE"}
)


@dataclass
class PageContent:
    """What one page's content stream holds, as far as tagging goes."""

    mcids: list[int] = field(default_factory=list)
    untagged: Counter[str] = field(default_factory=Counter)
    artifacts_in_tagged: int = 0
    tagged_in_artifacts: int = 0


def audit_pdf(path: Path) -> list[Finding]:
    """The `--check` validator: every PDF/UA structure problem found, as an error."""
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as error:
        return [Finding("error", CHECK, f"cannot be opened: {error}", str(path))]
    with pdf:
        return [Finding(level, CHECK, message, str(path)) for level, message in _audit(pdf)]


def _audit(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    claims_ua = _xmp(pdf, "pdfuaid:part")
    if "/StructTreeRoot" not in pdf.Root and not claims_ua:
        yield "warning", "untagged PDF (pdf_variant: plain): screen readers get no structure"
        return
    if not claims_ua:
        yield "info", "does not claim PDF/UA (no XMP pdfuaid:part); its structure is audited"
    yield from _document_checks(pdf)
    if "/StructTreeRoot" not in pdf.Root:
        yield "error", "[01-005] no structure tree (StructTreeRoot): the PDF is not tagged"
        return
    role_map = _role_map(pdf)
    yield from _role_map_checks(role_map)
    elements = list(structure_elements(pdf))
    yield from _structure_type_checks(elements, role_map)
    yield from _content_checks(pdf, elements)
    yield from _alternative_text_checks(elements, role_map)
    yield from _heading_checks(elements, role_map)
    yield from _table_checks(elements, role_map)
    yield from _annotation_checks(pdf, elements, role_map)


# --- the document -----------------------------------------------------------------------


def _document_checks(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    mark_info = pdf.Root.get("/MarkInfo", pikepdf.Dictionary())
    if not bool(mark_info.get("/Marked", False)):
        yield "error", "[UA1 7.1] the catalogue's /MarkInfo does not say /Marked true"
    if bool(mark_info.get("/Suspects", False)):
        yield "error", "[01-007] /MarkInfo /Suspects is true"
    if not str(pdf.Root.get("/Lang", "")).strip():
        yield "error", "[11-006] no document language (/Lang in the catalogue): set lang"
    preferences = pdf.Root.get("/ViewerPreferences", pikepdf.Dictionary())
    if not bool(preferences.get("/DisplayDocTitle", False)):
        yield "error", "[07-001] /ViewerPreferences /DisplayDocTitle is not true"
    if "/Metadata" not in pdf.Root:
        yield "error", "[06-001] no XMP metadata stream"
    elif not _xmp(pdf, "dc:title").strip():
        yield "error", "[06-003] the XMP metadata has no dc:title: set title"
    for number, page in enumerate(pdf.pages, start=1):
        if page.obj.get("/Tabs") != "/S":
            yield "error", f"[28-008] page {number}: /Tabs is not /S (structure order)"


def _xmp(pdf: pikepdf.Pdf, key: str) -> str:
    if "/Metadata" not in pdf.Root:
        return ""
    try:
        return str(pdf.open_metadata().get(key, "") or "")
    except Exception:  # an XMP packet pikepdf cannot parse holds no usable value
        return ""


# --- structure types ------------------------------------------------------------------------


def _role_map(pdf: pikepdf.Pdf) -> dict[str, str]:
    role_map = pdf.Root.StructTreeRoot.get("/RoleMap", pikepdf.Dictionary())
    return {str(key)[1:]: str(value)[1:] for key, value in role_map.items()}


def _role_map_checks(role_map: dict[str, str]) -> Iterator[tuple[str, str]]:
    for name in role_map:
        if name in STANDARD_STRUCTURE_TYPES:
            yield "error", f"[02-004] the standard structure type {name} is role-mapped"
        elif _standard_type(name, role_map) is None:
            yield "error", f"[02-001/02-003] {name} does not map to a standard structure type"


def _standard_type(name: str, role_map: dict[str, str]) -> str | None:
    """The standard type `name` maps to, or None (unmapped, or a circular mapping)."""
    seen: set[str] = set()
    while name not in STANDARD_STRUCTURE_TYPES:
        if name in seen or name not in role_map:
            return None
        seen.add(name)
        name = role_map[name]
    return name


def _structure_type_checks(
    elements: list[pikepdf.Dictionary], role_map: dict[str, str]
) -> Iterator[tuple[str, str]]:
    unknown = Counter(
        str(element.S)[1:]
        for element in elements
        if _standard_type(str(element.S)[1:], role_map) is None
    )
    for name, count in sorted(unknown.items()):
        yield (
            "error",
            f"[02-001] {count} element(s) of type {name}: neither standard nor role-mapped",
        )


def _type_of(element: pikepdf.Dictionary, role_map: dict[str, str]) -> str:
    name = str(element.S)[1:]
    return _standard_type(name, role_map) or name


# --- content and the tree -------------------------------------------------------------------


def _content_checks(
    pdf: pikepdf.Pdf, elements: list[pikepdf.Dictionary]
) -> Iterator[tuple[str, str]]:
    page_numbers = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    claimed: dict[MarkedContentReference, pikepdf.Dictionary] = {}
    for element in elements:
        for reference in claimed_content(element):
            claimed[reference] = element
    owners_by_key = parent_tree(pdf)
    for page in pdf.pages:
        number = page_numbers[page.obj.objgen]
        content = read_page_content(page)
        for operator, count in sorted(content.untagged.items()):
            yield (
                "error",
                f"[01-005] page {number}: {count} '{operator}' operator(s) neither in tagged "
                "content nor in an artifact",
            )
        if content.artifacts_in_tagged:
            yield "error", f"[01-003] page {number}: an artifact inside tagged content"
        if content.tagged_in_artifacts:
            yield "error", f"[01-004] page {number}: tagged content inside an artifact"
        if not content.mcids:
            continue
        key = page.obj.get("/StructParents")
        owners = owners_by_key.get(int(key)) if key is not None else None
        if not isinstance(owners, pikepdf.Array):
            yield "error", f"[01-005] page {number}: marked content but no ParentTree entry"
            continue
        orphans = [
            mcid
            for mcid in content.mcids
            if claimed.get(MarkedContentReference(page.obj.objgen, mcid)) is None
        ]
        if orphans:
            yield (
                "error",
                f"[01-005] page {number}: {len(orphans)} marked-content sequence(s) "
                f"(MCID {', '.join(map(str, orphans[:8]))}) not reachable from the structure "
                "root and not artifacts",
            )
        mismatched = [
            mcid
            for mcid in content.mcids
            if mcid not in orphans
            and (
                mcid >= len(owners)
                or not isinstance(owners[mcid], pikepdf.Dictionary)
                or owners[mcid].objgen
                != claimed[MarkedContentReference(page.obj.objgen, mcid)].objgen
            )
        ]
        if mismatched:
            yield (
                "error",
                f"[UA1 7.1] page {number}: the ParentTree names another parent than the tree "
                f"for MCID {', '.join(map(str, mismatched[:8]))}",
            )
    present = {
        MarkedContentReference(page.obj.objgen, mcid)
        for page in pdf.pages
        for mcid in read_page_content(page).mcids
    }
    missing = [reference for reference in claimed if reference not in present]
    if missing:
        pages = sorted({page_numbers.get(reference.page, 0) for reference in missing})
        yield (
            "error",
            f"[UA1 7.1] {len(missing)} MCID(s) claimed by structure elements are not in the "
            f"content of page(s) {', '.join(map(str, pages))}",
        )


def read_page_content(page: pikepdf.Page) -> PageContent:
    """Walk a page's content stream, keeping track of marked content (BDC/BMC ... EMC)."""
    content = PageContent()
    # One entry per open marked-content sequence: "artifact", "tagged" (has an MCID) or
    # "other" (a marked sequence that is neither, e.g. /Span without MCID or /Tx).
    stack: list[str] = []
    for instruction in pikepdf.parse_content_stream(page):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            operator = "INLINE IMAGE"
        else:
            operator = str(instruction.operator)
        if operator in ("BDC", "BMC"):
            kind = _marked_kind(page, operator, list(instruction.operands))
            if kind == "artifact" and "tagged" in stack:
                content.artifacts_in_tagged += 1
            if kind == "tagged":
                if "artifact" in stack:
                    content.tagged_in_artifacts += 1
                properties = _properties(page, list(instruction.operands))
                if properties is not None and "/MCID" in properties:
                    content.mcids.append(int(properties.MCID))
            stack.append(kind)
        elif operator == "EMC" and stack:
            stack.pop()
        elif (operator in TEXT_OPERATORS or operator in PAINTING_OPERATORS) and not (
            "tagged" in stack or "artifact" in stack
        ):
            content.untagged[operator] += 1
    return content


def _marked_kind(page: pikepdf.Page, operator: str, operands: list[pikepdf.Object]) -> str:
    if operands and operands[0] == pikepdf.Name.Artifact:
        return "artifact"
    if operator == "BDC":
        properties = _properties(page, operands)
        if properties is not None and "/MCID" in properties:
            return "tagged"
    return "other"


def _properties(page: pikepdf.Page, operands: list[pikepdf.Object]) -> pikepdf.Dictionary | None:
    """A BDC's property list: inline, or a name in the page's /Properties resources."""
    if len(operands) < 2:
        return None
    properties = operands[1]
    if isinstance(properties, pikepdf.Name):
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        properties = resources.get("/Properties", pikepdf.Dictionary()).get(properties)  # type: ignore[assignment]
    return properties if isinstance(properties, pikepdf.Dictionary) else None


# --- what elements must carry ---------------------------------------------------------------


def _alternative_text_checks(
    elements: list[pikepdf.Dictionary], role_map: dict[str, str]
) -> Iterator[tuple[str, str]]:
    for kind, condition in (("Figure", "13-004"), ("Formula", "17-002")):
        missing = [
            element
            for element in elements
            if _type_of(element, role_map) == kind
            and not str(element.get("/Alt", "")).strip()
            and not str(element.get("/ActualText", "")).strip()
        ]
        if missing:
            yield (
                "error",
                f"[{condition}] {len(missing)} {kind} element(s) without alternative text "
                "(/Alt): describe it in the manuscript",
            )


def _heading_checks(
    elements: list[pikepdf.Dictionary], role_map: dict[str, str]
) -> Iterator[tuple[str, str]]:
    levels = [
        HEADINGS[kind]
        for kind in (_type_of(element, role_map) for element in elements)
        if kind in HEADINGS
    ]
    if levels and levels[0] != 1:
        yield "error", f"[14-002] the first heading is H{levels[0]}, not H1"
    for previous, level in itertools.pairwise(levels):
        if level > previous + 1:
            yield "error", f"[14-003] heading levels skip from H{previous} to H{level}"


def _table_checks(
    elements: list[pikepdf.Dictionary], role_map: dict[str, str]
) -> Iterator[tuple[str, str]]:
    for element in elements:
        kind = _type_of(element, role_map)
        if kind == "Table":
            cells = [_type_of(cell, role_map) for cell in _descendants(element)]
            if "TH" not in cells:
                yield "warning", "[15] a table has no header cells (TH): give it a header row"
        elif kind == "THead":
            cells = [
                _type_of(cell, role_map)
                for row in _structure_kids(element)
                for cell in _structure_kids(row)
            ]
            if any(cell != "TH" for cell in cells):
                yield "error", "[15] a table header row (THead) holds cells that are not TH"


def _annotation_checks(
    pdf: pikepdf.Pdf, elements: list[pikepdf.Dictionary], role_map: dict[str, str]
) -> Iterator[tuple[str, str]]:
    # An annotation is in the tree when a reachable element lists it in an OBJR.
    annotation_parents: dict[ObjectId, str] = {}
    for element in elements:
        for kid in element_kids(element):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                target = kid.get("/Obj")
                if target is not None:
                    annotation_parents[target.objgen] = _type_of(element, role_map)
    for number, page in enumerate(pdf.pages, start=1):
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            subtype = str(annotation.get("/Subtype", ""))
            if subtype in ("/Popup", "/PrinterMark"):
                continue
            if subtype != "/Widget" and not str(annotation.get("/Contents", "")).strip():
                yield (
                    "error",
                    f"[28-004] page {number}: a {subtype[1:]} annotation has no /Contents",
                )
            parent = annotation_parents.get(annotation.objgen)
            if subtype == "/Link" and parent != "Link":
                yield "error", f"[28-011] page {number}: a link annotation is not in a Link element"
            elif subtype not in ("/Link", "/Widget") and parent != "Annot":
                yield "error", f"[28-002] page {number}: a {subtype[1:]} annotation is not tagged"


def _structure_kids(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    return [
        kid for kid in element_kids(element) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid
    ]


def _descendants(element: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    for kid in _structure_kids(element):
        yield kid
        yield from _descendants(kid)
