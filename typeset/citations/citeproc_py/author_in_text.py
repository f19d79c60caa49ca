"""Author-in-text: finding the style's first names, to mark or remove them."""

from __future__ import annotations

from typing import Any

from typeset.citations.citeproc_py.markers import _AUTHOR_END, _AUTHOR_START
from typeset.styles import CSL_NAMESPACE


def _leading_names(element: Any, style_root: Any) -> tuple[list[Any], bool]:
    """The `cs:names` elements a citation renders first, and whether every path has one.

    Walks the layout in order, into macros and groups; at a `cs:choose` each branch is
    followed separately (position conditions pick long or short names, for example).
    """
    found: list[Any] = []
    for child in element:
        tag = child.tag
        if tag == f"{CSL_NAMESPACE}names":
            return [*found, child], True
        if tag == f"{CSL_NAMESPACE}text" and child.get("macro"):
            names, complete = _leading_names(style_root.get_macro(child.get("macro")), style_root)
        elif tag == f"{CSL_NAMESPACE}group":
            names, complete = _leading_names(child, style_root)
        elif tag == f"{CSL_NAMESPACE}choose":
            names, complete = [], True
            has_else = False
            for branch in child:
                branch_names, branch_complete = _leading_names(branch, style_root)
                names += branch_names
                complete = complete and branch_complete
                has_else = has_else or branch.tag == f"{CSL_NAMESPACE}else"
            complete = complete and has_else
        else:
            continue
        found += names
        if complete:
            return found, True
    return found, False


def _citation_leading_names(style: Any) -> list[Any]:
    names, _ = _leading_names(style.root.citation.layout, style.root)
    return list({id(element): element for element in names}.values())


def _with_leading_names_marked(style: Any) -> Any:
    for names in _citation_leading_names(style):
        names.set("prefix", _AUTHOR_START + names.get("prefix", ""))
        names.set("suffix", names.get("suffix", "") + _AUTHOR_END)
    return style


def _with_leading_names_removed(style: Any) -> Any:
    for names in _citation_leading_names(style):
        names.getparent().remove(names)
    return style
