"""The work's reference: its CSL item formatted in each requested style."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typeset import ast
from typeset.citethis.formatting import FormattedReference, format_references
from typeset.citethis.item import CslItem, csl_markup_to_text, essay_item
from typeset.styles import CslStyle, resolve_style

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
    return formatted_work(meta, resolved_cite_styles(styles, project_dir))


def resolved_cite_styles(styles: Sequence[str], project_dir: Path) -> list[CslStyle]:
    """The styles, each once, in their order; StyleError for an unknown one."""
    return [resolve_style(name, project_dir) for name in dict.fromkeys(styles)]


def formatted_work(meta: Mapping[str, Any], styles: Sequence[CslStyle]) -> CiteThisWork:
    """`cite_this_work` for styles already resolved (the build resolves them once, for its
    cache key and the formatting both)."""
    item = essay_item(meta)
    lang = ast.plain_text(meta.get("lang")) or "en-US"
    return CiteThisWork(item, tuple(format_references(item, styles, lang)), lang)


# The cache keeps a work as JSON (data only; typeset/cache.py), never as a pickle.


def work_to_json(work: CiteThisWork) -> dict[str, Any]:
    """A work as plain JSON values, for the build cache."""
    data = dataclasses.asdict(work)
    for reference in data["references"]:
        reference["style"]["path"] = str(reference["style"]["path"])
    return data


def work_from_json(data: Mapping[str, Any]) -> CiteThisWork:
    """The work `work_to_json` stored; KeyError, TypeError or ValueError for another shape."""
    references = []
    for reference in data["references"]:
        style = dict(reference["style"])
        style["path"] = Path(style["path"])
        fields = {**reference, "style": CslStyle(**style)}
        fields["reference_blocks"] = tuple(reference["reference_blocks"])
        references.append(FormattedReference(**fields))
    if not isinstance(data["item"], dict) or not isinstance(data["lang"], str):
        raise TypeError("not a cached work")
    return CiteThisWork(dict(data["item"]), tuple(references), data["lang"])
