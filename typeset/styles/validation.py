"""CSL validation: a style from anywhere is parsed safely and checked before an engine runs it.

A style may come from a stranger (a path in a config, a file in the project's styles/):
it is read as an ordinary file of bounded size, parsed without DTDs or entities
(defusedxml), and refused when citeproc would print nothing with it (an undefined macro),
recurse without end (macros calling each other in a loop) or work for ever (macros that
fan out beyond any real style).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import defusedxml.ElementTree as defused_tree
from defusedxml import DefusedXmlException

from typeset.confine import Roots
from typeset.errors import StyleError
from typeset.limits import MAX_STYLE_BYTES, read_input

CSL_NAMESPACE = "{http://purl.org/net/xbiblio/csl}"


def parsed_style(path: Path, *, roots: Roots | None = None) -> ElementTree.Element:
    """The style's root element, read and parsed safely; a StyleError naming the file
    (and the line) when it is no CSL style."""
    # A style may come from a stranger: an ordinary file of bounded size (a pipe would
    # block) inside the build's roots, parsed without DTDs or entities (defusedxml).
    data = read_input(
        path,
        roots=roots,
        what="CSL style",
        error=StyleError,
        max_bytes=MAX_STYLE_BYTES,
        hint="pass a .csl file, or pick a style by name with --style",
    )
    try:
        root: ElementTree.Element = defused_tree.fromstring(data)
    except DefusedXmlException as error:
        raise StyleError(
            f"CSL style uses XML features a style never needs ({type(error).__name__})",
            path=path,
            hint="remove the DOCTYPE and entity declarations, or pick another style",
        ) from None
    except ElementTree.ParseError as error:
        raise StyleError(
            f"CSL style is not well-formed XML: {error.msg if hasattr(error, 'msg') else error}",
            path=path,
            line=error.position[0],
            hint="fix the XML, or pick another style with --style",
        ) from None
    except (LookupError, ValueError) as error:  # an encoding= the XML parser cannot use
        raise StyleError(
            f"CSL style declares an unusable encoding ({str(error)[:100]})",
            path=path,
            line=1,
            hint='save the style as UTF-8 with encoding="utf-8" in its XML declaration',
        ) from None
    except OSError as error:
        raise StyleError(f"cannot read CSL style: {error.strerror}", path=path) from None
    if root.tag != f"{CSL_NAMESPACE}style":
        raise StyleError(
            "not a CSL style (the root element must be <style> in the CSL namespace)",
            path=path,
            hint="download the style from the CSL repository, or pick another name",
        )
    return root


def check_independent_style(root: ElementTree.Element, path: Path) -> None:
    """Refuse an independent style citeproc could not run, or would run badly."""
    if root.find(f"{CSL_NAMESPACE}citation") is None:
        raise StyleError(
            "CSL style has no <citation> element",
            path=path,
            hint="an independent CSL style needs <citation> and usually <bibliography>",
        )
    _refuse_undefined_macros(root, path)
    _refuse_macro_fan_out(root, path)


def _refuse_undefined_macros(root: ElementTree.Element, path: Path) -> None:
    """pandoc renders a call to an undefined macro as nothing: every citation goes blank;
    and macros that call each other in a loop make it recurse until memory runs out."""
    macros = {macro.get("name"): macro for macro in root.iter(f"{CSL_NAMESPACE}macro")}
    for element in root.iter():
        called = element.get("macro")
        if called is not None and called not in macros:
            raise StyleError(
                f"CSL style calls the undefined macro '{called}'",
                path=path,
                line=_line_of(path, f'macro="{called}"'),
                hint="define the macro in the style, or fix the name of the call",
            )
    calls = {
        name: [element.get("macro") for element in macro.iter() if element.get("macro") is not None]
        for name, macro in macros.items()
    }
    finished: set[str | None] = set()
    for start in calls:
        path_so_far: list[str | None] = []
        stack: list[tuple[str | None, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            if name in finished:
                continue
            if index == 0:
                path_so_far.append(name)
            callees = calls.get(name, []) if name is not None else []
            if index == len(callees):
                path_so_far.pop()
                finished.add(name)
                continue
            stack.append((name, index + 1))
            callee = callees[index]
            if callee in path_so_far:
                loop = [*path_so_far[path_so_far.index(callee) :], callee]
                raise StyleError(
                    "CSL macros call each other in a loop: " + " -> ".join(map(str, loop)),
                    path=path,
                    line=_line_of(path, f'name="{callee}"'),
                    hint="remove the call that leads back to a macro already being expanded",
                )
            if callee not in finished:
                stack.append((callee, 0))


# Elements one reference can make a CSL processor evaluate, macros expanded, taking the
# costliest branch of each <choose>: the largest of the ~5,400 catalog styles is 3,047
# (Chicago's shortened notes). Macros that each call the next twice (no loop) double it at
# every level: 30 levels is a billion, which no engine finishes.
MAX_CSL_RENDERING_ELEMENTS = 50_000


def _refuse_macro_fan_out(root: ElementTree.Element, path: Path) -> None:
    """Refuse a style whose macros expand beyond any real style (a bound on the work both
    engines do per reference). Runs after the macros are known to form no loop."""
    macros = {macro.get("name"): macro for macro in root.iter(f"{CSL_NAMESPACE}macro")}
    choose = f"{CSL_NAMESPACE}choose"
    cost: dict[int, int] = {}
    # Iterative post-order over elements, a macro call leading to the macro's element.
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        element, ready = stack.pop()
        if id(element) in cost:
            continue
        called = macros.get(element.get("macro")) if element.get("macro") else None
        children = list(element)
        if not ready:
            stack.append((element, True))
            stack.extend((child, False) for child in children if id(child) not in cost)
            if called is not None and id(called) not in cost:
                stack.append((called, False))
            continue
        parts = [cost[id(child)] for child in children]
        total = 1 + (max(parts, default=0) if element.tag == choose else sum(parts))
        if called is not None:
            total += cost[id(called)]
        cost[id(element)] = min(total, MAX_CSL_RENDERING_ELEMENTS + 1)  # no giant integers
    for part in (f"{CSL_NAMESPACE}citation", f"{CSL_NAMESPACE}bibliography"):
        top = root.find(part)
        if top is None or cost[id(top)] <= MAX_CSL_RENDERING_ELEMENTS:
            continue
        heaviest = max(macros, key=lambda name: cost.get(id(macros[name]), 0), default=None)
        raise StyleError(
            f"CSL style expands to more than {MAX_CSL_RENDERING_ELEMENTS:,} elements for one "
            f"reference (macros calling macros many times over, from '{heaviest}')",
            path=path,
            line=_line_of(path, f'name="{heaviest}"'),
            hint="remove the repeated macro calls; no real style needs this many",
        )


def _line_of(path: Path, needle: str) -> int | None:
    try:  # an ordinary file of bounded size, like the style's own read
        data = read_input(
            path, what="CSL style", error=StyleError, max_bytes=MAX_STYLE_BYTES, hint=""
        )
    except StyleError:
        return None
    for number, line in enumerate(data.decode(errors="replace").splitlines(), start=1):
        if needle in line:
            return number
    return None
