"""The words references and captions use ("Figure", "Table", "Appendix"): the document's
language's (typeset.locale), unless the front matter's `crossref:` sets them (Quarto's
`fig-prefix`, `fig-title`, `title-delim`, `lof-title`...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from typeset import ast, locale
from typeset.crossref.syntax import KIND_TERMS


@dataclass(frozen=True)
class Words:
    """The words references and captions use: the language's, unless `crossref:` sets them."""

    lang: str | None
    overrides: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Words:
        lang = ast.plain_text(meta.get("lang")) or None
        crossref = meta.get("crossref")
        overrides: dict[str, str] = {}
        if crossref is not None and crossref.get("t") == "MetaMap":
            for key, value in crossref["c"].items():
                overrides[key] = (
                    value["c"] if value.get("t") == "MetaString" else ast.plain_text(value)
                )
        return cls(lang, overrides)

    def prefix(self, kind: str, *, capitalised: bool = False) -> str:
        """The word before a reference's number ("Figure"), Quarto's `fig-prefix`."""
        word = self.overrides.get(f"{kind}-prefix", locale.term(self.lang, KIND_TERMS[kind]))
        return word[:1].upper() + word[1:] if capitalised else word

    def title(self, kind: str) -> str:
        """The word before a caption's number ("Figure"), Quarto's `fig-title`."""
        return self.overrides.get(f"{kind}-title", locale.term(self.lang, KIND_TERMS[kind]))

    def list_title(self, kind: str) -> str:
        """The heading of a list of figures or tables: Quarto's `lof-title` / `lot-title`."""
        key = {"fig": "lof", "tbl": "lot"}[kind]
        name = {"fig": "list-of-figures", "tbl": "list-of-tables"}[kind]
        return self.overrides.get(f"{key}-title", locale.term(self.lang, name))

    @property
    def title_delimiter(self) -> str:
        return self.overrides.get("title-delim", ":")

    def numbered(self, word: str, number: str) -> str:
        return locale.joined(self.lang, word, number) if word else number
