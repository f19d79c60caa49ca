"""`and others`: a name list the author truncated, printed as the style's et al.

BibTeX's `author = {A and B and others}` says there are more authors than listed.
pandoc's reader keeps it as a last name `{"literal": "others"}`, and pandoc's citeproc
prints that as the et-al term, but only when the style sets `et-al-min` at all: styles
that always list every name (ISO 690) printed "SMITH, John and OTHERS". citeproc-py has
no notion of it and printed "Smith & others".

Both engines therefore get the same two things here:

- `style_for_others`: a style that sets no `et-al-min` for its citations or its
  bibliography gets one too large ever to be reached (no real list is that long), so
  nothing changes for other entries and pandoc's et-al handling of "others" applies;
- `others_as_et_al` (citeproc-py): a list ending in "others" is rendered truncated after
  its real names, followed by the et-al term, as if et-al-min were just reached (a
  longer real list is truncated by the style's own rule as usual).
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from typeset.references import Bibliography
from typeset.styles import CslStyle

# "Never reached": far above any real name list, so only "others" triggers et al.
UNREACHED_ET_AL_MIN = 1000
_LAYOUT_ELEMENT = re.compile(r"<(citation|bibliography)\b([^>]*?)(/?)>")


def is_others(name: Any) -> bool:
    return isinstance(name, dict) and str(name.get("literal", "")).strip().lower() == "others"


def has_others(bibliography: Bibliography) -> bool:
    return any(
        isinstance(names, list) and names and is_others(names[-1])
        for item in bibliography.items
        for names in item.values()
    )


def style_for_others(style: CslStyle, bibliography: Bibliography, workdir: Path) -> CslStyle:
    """`style`, or when the bibliography has an "and others" list and the style never sets
    `et-al-min`, a copy of it in `workdir` that does (see the module)."""
    if not has_others(bibliography):
        return style
    text = style.path.read_text(encoding="utf-8")
    adapted = _with_unreached_et_al_min(text)
    if adapted == text:
        return style
    path = workdir / f"{style.path.stem}-et-al.csl"
    path.write_text(adapted, encoding="utf-8")
    return replace(style, path=path)


def _with_unreached_et_al_min(text: str) -> str:
    root = re.search(r"<style\b[^>]*>", text)
    if root is None or "et-al-min=" in root.group(0):
        return text

    def add(match: re.Match[str]) -> str:
        attributes = match.group(2)
        if "et-al-min=" in attributes:
            return match.group(0)
        added = f' et-al-min="{UNREACHED_ET_AL_MIN}" et-al-use-first="{UNREACHED_ET_AL_MIN}"'
        return f"<{match.group(1)}{added}{attributes}{match.group(3)}>"

    return _LAYOUT_ELEMENT.sub(add, text)


@functools.cache
def patch_citeproc_py() -> None:
    """Make citeproc-py's `cs:name` render a list ending in "others" as et al."""
    from citeproc.model import Name

    original = Name.process

    def process(
        self: Any,
        item: Any,
        variable: str,
        context: Any = None,
        sort_options: Any = None,
        **kwargs: Any,
    ) -> Any:
        names = item.reference.get(variable, [])
        if not names or "literal" not in names[-1] or not _is_others_name(names[-1]):
            return original(self, item, variable, context, sort_options, **kwargs)
        real = len(names) - 1
        minimum = self.get_option("et-al-min", context, sort_options)
        options = dict(sort_options or {})
        options["et-al-use-last"] = "false"  # "…, others" is never the name to end on
        if real and not (minimum and real >= minimum):
            use_first = self.get_option("et-al-use-first", context, sort_options) or real
            options["et-al-min"] = str(real + 1)
            options["et-al-use-first"] = str(min(use_first, real))
        return original(self, item, variable, context, options, **kwargs)

    Name.process = process


def _is_others_name(name: Any) -> bool:
    return str(name["literal"]).strip().lower() == "others"
