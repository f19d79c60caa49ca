"""The tag trees of a book's parts, joined as one pass would have built the book's.

WeasyPrint 70 builds the tag tree page by page: a Document element whose kids are each
page's elements in order, and a parent tree numbered by page, then by annotation. The
join in formats/pdf/parallel.py relies on that shape, so it is the `parts-tag-tree`
patch of this fence: on a WeasyPrint not checked, books are set in one pass.
"""

from __future__ import annotations

from typing import Any

import pikepdf


def detach_structure(source: pikepdf.Pdf) -> None:
    """Cut the links from a part's top-level structure elements to its own root, so
    copying them does not copy that part's whole structure tree again."""
    if "/StructTreeRoot" not in source.Root:
        return
    for kid in source.Root.StructTreeRoot.K[0].K:
        del kid["/P"]


def join_structure(
    joined: pikepdf.Pdf, sources: list[pikepdf.Pdf], offsets: list[int], page_counts: list[int]
) -> None:
    """WeasyPrint's tag tree is built page by page: a Document element whose kids are each
    page's elements in order, and a parent tree numbered by page, then by annotation.
    So the joined tree is the parts' kids in order and a parent tree renumbered."""
    root = joined.Root.StructTreeRoot
    document = root.K[0]
    total_pages = len(joined.pages)
    page_entries: list[tuple[int, Any]] = []
    annotation_entries: list[Any] = []
    for number, source in enumerate(sources):
        part_root = source.Root.StructTreeRoot
        nums = list(part_root.ParentTree.Nums)
        pages_in_part = page_counts[number]
        if source is not joined:
            for kid in part_root.K[0].K:
                copied = _copied(joined, kid)
                copied.P = document
                document.K.append(copied)
        for key, value in zip(nums[::2], nums[1::2], strict=True):
            value = value if source is joined else _copied(joined, value)
            if int(key) < pages_in_part:
                page_entries.append((offsets[number] + int(key), value))
            else:
                annotation_entries.append(value)
    parent_of_annotation = {
        kid.Obj.objgen: element
        for element in annotation_entries
        for kid in element.get("/K", [])
        if isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid
    }
    # The annotations themselves: renumber their StructParent in page order.
    numbered = total_pages
    entries: list[Any] = []
    for _, value in sorted(page_entries, key=lambda entry: entry[0]):
        entries += [len(entries) // 2, value]
    for index, page in enumerate(joined.pages):
        page.obj.StructParents = index
    for page in joined.pages:
        for annotation in page.obj.get("/Annots", []):
            if "/StructParent" in annotation:
                element = parent_of_annotation[annotation.objgen]
                annotation.StructParent = numbered
                entries += [numbered, element]
                numbered += 1
    root.ParentTree = joined.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(entries)))
    root.ParentTreeNextKey = numbered


def _copied(joined: pikepdf.Pdf, value: Any) -> Any:
    """`value` from another PDF: its indirect objects copied (once: pikepdf keeps one
    copy per foreign object, so the pages copied before are the pages referred to)."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return joined.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copied(joined, item) for item in value])
    return value
