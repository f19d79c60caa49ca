"""Everything typeset does to WeasyPrint's insides, behind one fence, on checked versions.

Two kinds of code live here:

- replacements: a function, method or property of WeasyPrint, or of the libraries it is
  built on (cffi, pydyf, cssselect2), replaced by one that gives the same PDF faster or
  without a crash; and code that relies on WeasyPrint's private classes or on the exact
  shape of what it writes (the XMP packet, the tag tree of a part). Each is gated: it is
  used only when every library it touches is at a version it was checked on
  (byte-identical PDFs in tests/test_footnote_measure.py, test_math.py,
  test_weasyprint_*.py, test_pdf_parallel.py);
- post-passes on the written file (`artifacts`, `math_text`): they read and rewrite the
  PDF with pikepdf, never WeasyPrint, so they run on every version. A WeasyPrint that
  no longer writes what they repair leaves them nothing to change.

`PATCHES` is the one table of them: what each replaces, why, the versions it was checked
on, and the upstream issue or pull request that would retire it (docs/weasyprint-
upstream.md holds a report ready to file for each). `install()` imports WeasyPrint and puts
every checked replacement in place, once per process: the format registry calls it before
the PDF writer's module is imported (typeset/formats/__init__.py), so before the build
forks its writers and the writer its layout processes, which inherit it. On a version not
checked nothing is replaced, one warning says so, and the PDF is stock WeasyPrint's,
tagged and checked by the same post-passes, only slower for long documents
(tests/test_weasyprint_fence.py forces that fallback).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Patch:
    name: str
    replaces: str  # what of WeasyPrint's (or its libraries') it replaces or relies on
    why: str
    # (distribution, version prefix) it was checked on: ("weasyprint", "70.") is any 70.x
    checked_on: tuple[tuple[str, str], ...]
    upstream: str  # the issue or pull request that would retire it, or "none filed"
    # "module:function" that puts it in place and returns True if it did; None for code
    # of ours that asks `enabled(name)` before taking its fast path.
    installer: str | None = None
    post_pass: bool = False  # reads and rewrites the written PDF only: runs on any version


_HERE = __name__
WEASYPRINT = ("weasyprint", "70.")
CFFI = ("cffi", "2.1.")
PYDYF = ("pydyf", "0.13.")
CSSSELECT2 = ("cssselect2", "0.10.")

PATCHES: tuple[Patch, ...] = (
    Patch(
        "startup",
        "cffi's `cparser.Parser.parse` and `ctypes.util.find_library`, while WeasyPrint is "
        "imported",
        "every import parses WeasyPrint's C declarations (0.1 s) and looks its libraries "
        "up under 22 names (0.17 s); both answers are kept in a file keyed by the versions",
        (WEASYPRINT, CFFI),
        "Kozea/WeasyPrint#2073 (import time, closed without this part); none filed for "
        "the declarations and library lookups",
        f"{_HERE}.startup:install",
    ),
    Patch(
        "cffi-arrays",
        "`ffi._parser.parse_type_and_quals` of WeasyPrint's FFI",
        "font subsetting asks for `hb_codepoint_t[n]` with a new n per font: a pycparser "
        "run each (0.5 s a PDF); the array type is built from its element type",
        (WEASYPRINT, CFFI),
        "none filed (WeasyPrint could allocate `hb_codepoint_t[]`, a type parsed once)",
        f"{_HERE}.cffi_arrays:arrays_parsed_once",
    ),
    Patch(
        "footnote-measure",
        "`LayoutContext._update_footnote_area` and `layout.page.block_level_layout`",
        "each note called lays the page's whole note area out again: quadratic in the "
        "notes of a page (a quarter of a note-style book's layout)",
        (WEASYPRINT,),
        "none filed",
        f"{_HERE}.footnotes:measure_footnotes_one_by_one",
    ),
    Patch(
        "svg-lengths",
        "`weasyprint.svg.size` as the SVG drawer looks it up",
        "a function-level import runs for every coordinate (0.7 s for 500 equations)",
        (WEASYPRINT,),
        "none filed",
        f"{_HERE}.svg:faster_svg_lengths",
    ),
    Patch(
        "svg-forms",
        "`weasyprint.images.SVGImage.draw`, for the equations' SVGs only",
        "an SVG used many times is parsed and written out at every use; an equation is "
        "drawn once per size into a form XObject",
        (WEASYPRINT,),
        "Kozea/WeasyPrint#1978 (open: an SVG is written again for every page)",
        f"{_HERE}.svg:equation_forms",
    ),
    Patch(
        "svg-flat-paths",
        "`weasyprint.svg.TAGS['path']`, for paths in flat_svg's grammar",
        "paths are parsed point by point in Python: half of what 500 equations cost",
        (WEASYPRINT,),
        "none filed",
        f"{_HERE}.svg:flat_paths_written_directly",
    ),
    Patch(
        "page-references",
        "the `pydyf.PDF.page_references` property",
        "it builds a tuple of every page for each structure element tagged: P x P per "
        "part (12 s of a 370-page part)",
        (WEASYPRINT, PYDYF),
        "none filed",
        f"{_HERE}.tags:page_references_cached",
    ),
    Patch(
        "sibling-walks",
        "cssselect2's `ElementWrapper.previous_siblings` and `ancestors`",
        "recursive, one frame per sibling: a chapter of 1,100 paragraphs went past the "
        "recursion limit (RecursionError)",
        (WEASYPRINT, CSSSELECT2),
        "none filed",
        f"{_HERE}.selectors:sibling_walks_iterative",
    ),
    Patch(
        "xmp-metadata",
        "`DocumentMetadata.generate_rdf_metadata` (subclassed) and `include_in_pdf` (called "
        "for the tagged and plain variants)",
        "WeasyPrint writes no dc:language or dc:subject, and no XMP packet at all for "
        "variants other than PDF/A, PDF/UA and PDF/X; catalogues read XMP",
        (WEASYPRINT,),
        "Kozea/WeasyPrint#2681 (dc:description, merged for PDF/A); none filed for "
        "dc:language, dc:subject and XMP on every variant",
    ),
    Patch(
        "parts-tag-tree",
        "the shape of WeasyPrint's tag tree (a Document element whose kids are the pages' "
        "elements in order; a parent tree numbered by page, then by annotation)",
        "a book laid out in parts (formats/pdf/parallel.py) joins its parts' tag trees; on "
        "another shape the book is set in one pass",
        (WEASYPRINT, PYDYF),
        "none filed",
    ),
    Patch(
        "margin-box-artifacts",
        "nothing: a post-pass (artifacts.py) on WeasyPrint's tagged PDF",
        "the running head and folio are tagged but left out of the tree: content no reader "
        "reaches that is no artifact either (PDF/UA, Matterhorn 01-001..004)",
        (WEASYPRINT, PYDYF),
        "Kozea/WeasyPrint#1836 (open)",
        post_pass=True,
    ),
    Patch(
        "link-annotations",
        "nothing: a post-pass (artifacts.py) on WeasyPrint's tagged PDF",
        "a link whose text has inline children gets one annotation per child, each "
        "claimed by the child's Span, not by the Link (Matterhorn 28-011)",
        (WEASYPRINT,),
        "Kozea/WeasyPrint#1782 (closed for plain links), #2482 ('nested tags in anchors')",
        post_pass=True,
    ),
    Patch(
        "equation-text",
        "nothing: a post-pass (math_text.py) on WeasyPrint's tagged PDF",
        "the TeX set invisibly over an equation (search, copy) is tagged as a Span beside "
        "the Figure whose /Alt is the same TeX: a screen reader reads it twice",
        (WEASYPRINT,),
        "none filed (a way to mark an element's content as an artifact)",
        post_pass=True,
    ),
)


def installed_version(distribution: str) -> str | None:
    """The version the gate reads (tests replace it to force the fallback)."""
    # importlib.metadata in full: this package's own `metadata` module would shadow the name
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def is_checked(patch: Patch) -> bool:
    """Whether every library `patch` touches is at a version it was checked on."""
    for distribution, prefix in patch.checked_on:
        version = installed_version(distribution)
        if version is None or not (version == prefix.rstrip(".") or version.startswith(prefix)):
            return False
    return True


@functools.cache
def install() -> frozenset[str]:
    """Import WeasyPrint and put every checked replacement in place, once per process;
    the names of the patches in use. Call before forking: children inherit them."""
    checked = {patch.name for patch in PATCHES if not patch.post_pass and is_checked(patch)}
    if "startup" not in checked:
        import weasyprint  # noqa: F401  (the stock import)
    in_use = set()
    for patch in PATCHES:
        if patch.post_pass or patch.name not in checked:
            continue
        if patch.installer is None or _call(patch.installer):
            in_use.add(patch.name)
    left_out = [p.name for p in PATCHES if not p.post_pass and p.name not in in_use]
    if left_out:
        versions = ", ".join(
            f"{name} {installed_version(name)}" for name in ("weasyprint", "cffi", "pydyf")
        )
        log.warning(
            "%s: typeset's changes to WeasyPrint were checked on WeasyPrint 70.x, cffi "
            "2.1.x, pydyf 0.13.x and are left out (%s); the PDF is stock WeasyPrint's, "
            "slower for long documents (see docs/weasyprint-upstream.md)",
            versions,
            ", ".join(left_out),
        )
    return frozenset(in_use)


def enabled(name: str) -> bool:
    """Whether the patch `name` is in use in this process."""
    return name in install()


def _call(target: str) -> bool:
    module_name, _, function_name = target.partition(":")
    installer: Callable[[], Any] = getattr(importlib.import_module(module_name), function_name)
    return bool(installer())


def replaced_once(owner: Any, name: str, replacement_for: Callable[[Any], Any]) -> bool:
    """Put `replacement_for(current)` where `owner` keeps `name` (an item when `owner` is a
    dict, else an attribute), once per process; True if it is in place.

    The replacement remembers WeasyPrint's own function as `weasyprint_original`, which the
    tests call to compare the two. Whether to replace at all is `install()`'s decision.
    """
    current = owner[name] if isinstance(owner, dict) else getattr(owner, name)
    if getattr(current, "typeset_wrapper", False):
        return True
    replacement = replacement_for(current)
    replacement.typeset_wrapper = True
    replacement.weasyprint_original = current
    if isinstance(owner, dict):
        owner[name] = replacement
    else:
        setattr(owner, name, replacement)
    return True
