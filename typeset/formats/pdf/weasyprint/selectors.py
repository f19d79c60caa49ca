"""cssselect2's sibling walk without recursion, so a long run of siblings cannot overflow.

cssselect2 (0.7 to 0.10 at least) computes an element's `previous_siblings` as its
previous sibling's, plus that sibling: a recursion one frame deep per sibling not yet
asked. A selector with `~` or `:nth-child(... of S)` that is first asked about an element
late in a long run of siblings (the bibliography's <section> after a chapter of 1,100
paragraphs with no headings) went past Python's recursion limit, and the PDF writer
failed with RecursionError. `sibling_walks_iterative()` computes the same tuples (tree
order, cached on each element as cssselect2 caches them) in a loop; `ancestors` likewise,
for documents nested deeply. Nothing else of cssselect2 changes.

Installed on any cssselect2 whose wrapper still caches in `_previous_siblings` and
`_ancestors`; a version that does not is left as it is (it has changed these walks, and
the rest of the build does not depend on them).
"""

from __future__ import annotations

from typing import Any


def sibling_walks_iterative() -> bool:
    """Install the iterative walks on cssselect2's ElementWrapper (idempotent); True if in
    place. Call before forking, like the WeasyPrint replacements."""
    from cssselect2.tree import ElementWrapper

    if ElementWrapper.previous_siblings.fget is _previous_siblings:
        return True
    probe = ElementWrapper.__init__.__code__.co_names
    if "_previous_siblings" not in probe or "_ancestors" not in probe:
        return False
    ElementWrapper.previous_siblings = property(
        _previous_siblings, doc=ElementWrapper.previous_siblings.__doc__
    )
    ElementWrapper.ancestors = property(_ancestors, doc=ElementWrapper.ancestors.__doc__)
    return True


def _previous_siblings(element: Any) -> tuple[Any, ...]:
    """The element's previous siblings in tree order, as cssselect2 defines them."""
    if element._previous_siblings is None:
        unknown = []
        walked = element
        while walked is not None and walked._previous_siblings is None:
            unknown.append(walked)
            walked = walked.previous
        for sibling in reversed(unknown):  # from the earliest: its previous one is known
            before = sibling.previous
            sibling._previous_siblings = (
                () if before is None else (*before._previous_siblings, before)
            )
    result: tuple[Any, ...] = element._previous_siblings
    return result


def _ancestors(element: Any) -> tuple[Any, ...]:
    """The element's ancestors from the root to its parent, as cssselect2 defines them."""
    if element._ancestors is None:
        unknown = []
        walked = element
        while walked is not None and walked._ancestors is None:
            unknown.append(walked)
            walked = walked.parent
        for descendant in reversed(unknown):
            parent = descendant.parent
            descendant._ancestors = () if parent is None else (*parent._ancestors, parent)
    result: tuple[Any, ...] = element._ancestors
    return result
