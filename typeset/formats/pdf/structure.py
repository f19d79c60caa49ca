"""Reading a tagged PDF's logical structure with pikepdf: what the writer's post-pass and
the PDF/UA audit both need.

A tagged PDF ties its two halves together by numbers. In a page's content stream each
marked-content sequence `/P <</MCID 3>> BDC ... EMC` has a marked-content id; the
structure element that owns it lists 3 in its `/K` and names the page in `/Pg`; and the
catalogue's `/StructTreeRoot /ParentTree` maps (the page's `/StructParents`, 3) back to
that element. A screen reader reads the tree from the root; content whose element is not
reachable from the root is, for it, not there (ISO 32000-1, 14.7.4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf

ObjectId = tuple[int, int]


@dataclass(frozen=True)
class MarkedContentReference:
    """An MCID a structure element claims, on the page it says."""

    page: ObjectId
    mcid: int


def structure_elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every structure element reachable from the StructTreeRoot, depth first, in order."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    seen: set[ObjectId] = set()
    stack = list(reversed(_kids(root)))
    while stack:
        element = stack.pop()
        if not _is_structure_element(element):
            continue
        if element.is_indirect:
            if element.objgen in seen:  # a cycle would be a broken file, not a deep tree
                continue
            seen.add(element.objgen)
        yield element  # type: ignore[misc]  # pikepdf types kids as Object
        stack.extend(reversed(_kids(element)))


def element_kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    return _kids(element)


def claimed_content(element: pikepdf.Dictionary) -> Iterator[MarkedContentReference]:
    """The marked-content sequences an element owns directly (integers or MCR dictionaries)."""
    page = element.get("/Pg")
    for kid in _kids(element):
        if isinstance(kid, int):  # pikepdf hands PDF integers over as Python ints
            if page is not None:
                yield MarkedContentReference(page.objgen, int(kid))
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            kid_page = kid.get("/Pg", page)
            if kid_page is not None and "/MCID" in kid:
                yield MarkedContentReference(kid_page.objgen, int(kid.MCID))


def parent_tree(pdf: pikepdf.Pdf) -> dict[int, pikepdf.Object]:
    """The ParentTree as {key: value}: an array of elements per page, an element per
    annotation. Reads both flat (`/Nums`) and nested (`/Kids`) number trees."""
    root = pdf.Root.get("/StructTreeRoot")
    entries: dict[int, pikepdf.Object] = {}
    if root is None or "/ParentTree" not in root:
        return entries
    stack = [root.ParentTree]
    while stack:
        node = stack.pop()
        numbers = node.get("/Nums", pikepdf.Array())
        for index in range(0, len(numbers) - 1, 2):
            entries[int(numbers[index])] = numbers[index + 1]
        stack.extend(node.get("/Kids", pikepdf.Array()))
    return entries


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _is_structure_element(item: pikepdf.Object) -> bool:
    return (
        isinstance(item, pikepdf.Dictionary)
        and "/S" in item
        and item.get("/Type", pikepdf.Name.StructElem) == "/StructElem"
    )
