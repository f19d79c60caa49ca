"""Page furniture as artifacts: the post-pass that leaves no tagged content orphaned.

WeasyPrint 70 tags the content of page-margin boxes (running head, page number) like body
text, `/Span <</MCID n>> BDC`, and gives it structure elements, but does not link those
elements into the tree: marking them `/Artifact` inside the structure tree is PDF 2.0 only,
so it leaves them out (weasyprint/pdf/tags.py, "Build tree for margin boxes but don't link
it to main tree"). The ParentTree still points at them, so a PDF/UA checker finds tagged
content that no reader of the tree can reach and that is not an artifact either
(Matterhorn 01-001..01-004). Repeated page furniture is what PDF calls a pagination
artifact (ISO 32000-1, 14.8.2.2), so this pass turns every such sequence into
`/Artifact <</Type /Pagination>> BDC`, renumbers the page's remaining MCIDs so they stay
dense, and rebuilds the ParentTree without the orphans.

The same pass files each link annotation under its Link element. When a link's text has
inline children of its own (a citation whose author is in small caps, an italic title),
WeasyPrint 70 writes one annotation per child box and makes each the object of the
child's Span, under the Link; PDF/UA wants the annotation in the Link itself (Matterhorn
28-011), so the annotation's object reference moves up to the nearest Link ancestor.

An equation's invisible TeX (math_text.py) is taken out of the tree first, so it becomes
an artifact here too.

It runs on every tagged variant, after WeasyPrint has written the file, and leaves a
PDF without a structure tree (`plain`) alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf

from typeset.formats.pdf.structure import ObjectId, element_kids, parent_tree, structure_elements
from typeset.formats.pdf.weasyprint.math_text import detach_equation_text

PAGINATION_ARTIFACT = [
    pikepdf.Name.Artifact,
    pikepdf.Dictionary(Type=pikepdf.Name.Pagination),
]


def mark_orphaned_content_as_artifacts(path: Path) -> int:
    """Rewrite `path` in place; return how many marked-content sequences became artifacts."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        if "/StructTreeRoot" not in pdf.Root:
            return 0
        detach_equation_text(pdf)  # its content becomes an orphan, then an artifact
        reachable = [element for element in structure_elements(pdf) if element.is_indirect]
        reachable_ids = {element.objgen for element in reachable}
        claimants = _elements_by_page(reachable)
        owners_by_key = parent_tree(pdf)
        converted = 0
        for page in pdf.pages:
            key = page.obj.get("/StructParents")
            owners = owners_by_key.get(int(key)) if key is not None else None
            if not isinstance(owners, pikepdf.Array):
                continue
            orphaned = {
                mcid
                for mcid, owner in enumerate(owners)
                if not isinstance(owner, pikepdf.Dictionary) or owner.objgen not in reachable_ids
            }
            if not orphaned:
                continue
            kept = [mcid for mcid in range(len(owners)) if mcid not in orphaned]
            renumbered = {old: new for new, old in enumerate(kept)}
            _rewrite_page_content(pdf, page, orphaned, renumbered)
            _renumber_claims(claimants.get(page.obj.objgen, []), page.obj.objgen, renumbered)
            assert key is not None  # owners was found under it above
            owners_by_key[int(key)] = pikepdf.Array([owners[mcid] for mcid in kept])
            converted += len(orphaned)
        relinked = _attach_annotations_to_their_links(pdf, owners_by_key)
        if converted or relinked:
            _write_parent_tree(pdf, owners_by_key)
            # deterministic_id: equal inputs still give equal bytes (qpdf would otherwise
            # make up a new second file identifier); WeasyPrint's XMP is left as written.
            pdf.save(path, deterministic_id=True, fix_metadata_version=False)
        return converted


# A marked-content sequence with an id, exactly as pydyf (WeasyPrint's PDF writer) writes
# it: `/Span\n<</MCID 3>>\nBDC`. Tag names, property lists and the operator each stand on
# a line of their own in its streams, and text is shown in hex strings, which hold neither
# newlines nor `>>`; so a match is always a real operator.
_PYDYF_MARKED_CONTENT = re.compile(rb"(?m)^/([A-Za-z][A-Za-z0-9]*)\n<</MCID (\d+)>>\nBDC$")
_ANY_BDC = re.compile(rb"(?m)^BDC$")
_PAGINATION_ARTIFACT_BYTES = b"/Artifact\n<</Type /Pagination>>\nBDC"


def _rewrite_page_content(
    pdf: pikepdf.Pdf, page: pikepdf.Page, orphaned: set[int], renumbered: dict[int, int]
) -> None:
    if _rewrite_pydyf_content(pdf, page, orphaned, renumbered):
        return
    # Any other writer's stream: tokenised in full (several times slower on a book).
    instructions = []
    for instruction in pikepdf.parse_content_stream(page):
        if (
            isinstance(instruction, pikepdf.ContentStreamInstruction)
            and str(instruction.operator) == "BDC"
        ):
            operands = list(instruction.operands)
            properties = operands[1] if len(operands) > 1 else None
            if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties:
                mcid = int(properties.MCID)
                if mcid in orphaned:
                    operands = list(PAGINATION_ARTIFACT)
                else:
                    operands = [operands[0], pikepdf.Dictionary(MCID=renumbered[mcid])]
                instruction = pikepdf.ContentStreamInstruction(operands, instruction.operator)
        instructions.append(instruction)
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))


def _elements_by_page(
    elements: list[pikepdf.Dictionary],
) -> dict[ObjectId, list[pikepdf.Dictionary]]:
    """The elements that claim marked content on each page (by their `/Pg` or an MCR's),
    so renumbering a page visits its own elements rather than the whole tree: a book has
    hundreds of pages and tens of thousands of elements."""
    by_page: dict[ObjectId, list[pikepdf.Dictionary]] = {}
    for element in elements:
        element_page = element.get("/Pg")
        pages = set()
        for kid in element_kids(element):
            if isinstance(kid, int):
                if element_page is not None:
                    pages.add(element_page.objgen)
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                kid_page = kid.get("/Pg", element_page)
                if kid_page is not None:
                    pages.add(kid_page.objgen)
        for page in pages:
            by_page.setdefault(page, []).append(element)
    return by_page


def _rewrite_pydyf_content(
    pdf: pikepdf.Pdf, page: pikepdf.Page, orphaned: set[int], renumbered: dict[int, int]
) -> bool:
    """The rewrite done on the stream's bytes; False (nothing changed) unless the page has
    one content stream whose every BDC is in pydyf's form."""
    contents = page.obj.get("/Contents")
    if not isinstance(contents, pikepdf.Stream):
        return False
    data = contents.read_bytes()
    if len(_ANY_BDC.findall(data)) != len(_PYDYF_MARKED_CONTENT.findall(data)):
        return False

    def rewrite(match: re.Match[bytes]) -> bytes:
        mcid = int(match.group(2))
        if mcid in orphaned:
            return _PAGINATION_ARTIFACT_BYTES
        return b"/%s\n<</MCID %d>>\nBDC" % (match.group(1), renumbered[mcid])

    page.obj.Contents = pdf.make_stream(_PYDYF_MARKED_CONTENT.sub(rewrite, data))
    return True


def _renumber_claims(
    elements: list[pikepdf.Dictionary], page: ObjectId, renumbered: dict[int, int]
) -> None:
    """Point every element's MCIDs on `page` at their new numbers."""
    for element in elements:
        element_page = element.get("/Pg")
        new_kids: list[object] = []
        changed = False
        for kid in element_kids(element):
            if isinstance(kid, int) and element_page is not None and element_page.objgen == page:
                new_kids.append(renumbered.get(kid, kid))
                changed |= renumbered.get(kid, kid) != kid
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                kid_page = kid.get("/Pg", element_page)
                if kid_page is not None and kid_page.objgen == page and "/MCID" in kid:
                    kid.MCID = renumbered.get(int(kid.MCID), int(kid.MCID))
                new_kids.append(kid)
            else:
                new_kids.append(kid)
        if changed:
            element.K = pikepdf.Array(new_kids)


def _attach_annotations_to_their_links(
    pdf: pikepdf.Pdf, owners_by_key: dict[int, pikepdf.Object]
) -> int:
    """Move each link annotation claimed by an element inside a Link up to that Link."""
    moved = 0
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            key = annotation.get("/StructParent")
            if annotation.get("/Subtype") != pikepdf.Name.Link or key is None:
                continue
            element = owners_by_key.get(int(key))
            if not isinstance(element, pikepdf.Dictionary) or element.get("/S") == "/Link":
                continue
            link = element.get("/P")
            while isinstance(link, pikepdf.Dictionary) and link.get("/S") != pikepdf.Name.Link:
                link = link.get("/P")
            if not isinstance(link, pikepdf.Dictionary):
                continue  # no Link above it: the audit reports it
            claim = _take_object_reference(element, annotation)
            if claim is None:
                continue
            kids = link.get("/K")
            if isinstance(kids, pikepdf.Array):
                kids.append(claim)
            else:
                link.K = pikepdf.Array([kids, claim] if kids is not None else [claim])
            owners_by_key[int(key)] = link
            moved += 1
    return moved


def _take_object_reference(
    element: pikepdf.Dictionary, annotation: pikepdf.Object
) -> pikepdf.Object | None:
    """Remove and return `element`'s OBJR kid that refers to `annotation`."""
    kids = element.get("/K")
    listed = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    for index, kid in enumerate(listed):
        if (
            isinstance(kid, pikepdf.Dictionary)
            and kid.get("/Type") == pikepdf.Name.OBJR
            and kid.get("/Obj") is not None
            and kid.Obj.objgen == annotation.objgen
        ):
            rest = listed[:index] + listed[index + 1 :]
            element.K = pikepdf.Array(rest)
            return kid
    return None


def _write_parent_tree(pdf: pikepdf.Pdf, entries: dict[int, pikepdf.Object]) -> None:
    numbers = pikepdf.Array()
    for key in sorted(entries):
        numbers.append(key)
        numbers.append(entries[key])
    root = pdf.Root.StructTreeRoot
    root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=numbers))
    root.ParentTreeNextKey = max(entries, default=-1) + 1
