"""Each Cite that names a label becomes a reference: a link reading "Figure 1" (or the
author's own word, or the number alone); the citations beside it stay a Cite, and a label
that exists nowhere is marked `?@label` and reported."""

from __future__ import annotations

from typeset import ast, locale
from typeset.ast import Node
from typeset.crossref.numbering import Target
from typeset.crossref.syntax import kind_of, lowered, str_node
from typeset.crossref.words import Words


class ReferenceResolver:
    """Rewrites each Cite: references become links, citations stay, missing labels marked."""

    def __init__(self, targets: dict[str, Target], citation_keys: frozenset[str], words: Words):
        self.targets = targets
        self.citation_keys = citation_keys
        self.words = words
        self.missing: list[str] = []

    def rewrite(self, node: Node) -> Node | None:
        if node["t"] != "Cite":
            return None
        citations, original = node["c"]
        if not any(self._is_reference(citation["citationId"]) for citation in citations):
            return None
        parts: list[list[Node]] = []
        kept: list[Node] = []
        for citation in citations:
            key = citation["citationId"]
            if self._is_reference(key):
                parts.append(self._reference(citation))
            else:
                if not kept:
                    parts.append([])  # where the remaining citations go
                    kept_index = len(parts) - 1
                kept.append(citation)
        if kept:
            parts[kept_index] = [{"t": "Cite", "c": [kept, original]}]
        inlines: list[Node] = []
        for position, part in enumerate(parts):
            if position:
                inlines += [str_node(","), {"t": "Space"}]
            inlines += part
        return {"t": "Span", "c": [["", ["cross-reference"], []], inlines]}

    def _is_reference(self, key: str) -> bool:
        if kind_of(key) is None:
            return False
        return lowered(key) in self.targets or key not in self.citation_keys

    def _reference(self, citation: Node) -> list[Node]:
        key = citation["citationId"]
        label = lowered(key)
        target = self.targets.get(label)
        suffix = citation["citationSuffix"]
        if target is None:
            self.missing.append(key)
            marked = {"t": "Strong", "c": [str_node(f"?@{key}")]}
            return [{"t": "Span", "c": [["", ["missing-cross-reference"], []], [marked]]}, *suffix]
        text = self._reference_text(citation, target, capitalised=key[:1].isupper())
        link = {"t": "Link", "c": [["", ["cross-reference-link"], []], text, [f"#{label}", ""]]}
        return [link, *suffix]

    def _without_references(self, inlines: list[Node]) -> list[Node]:
        """A title that stands for a reference ("Proof of @thm-x"), its own references
        written as words (a link inside a link is not allowed), never followed twice."""

        def written(node: Node) -> Node | None:
            if node["t"] != "Cite":
                return None
            words: list[Node] = []
            for citation in node["c"][0]:
                target = self.targets.get(lowered(citation["citationId"]))
                if target is None or target.number is None:
                    return None  # a citation, or a title again: left as it is
                if words:
                    words += [str_node(","), {"t": "Space"}]
                key = citation["citationId"]
                words += self._reference_text(citation, target, capitalised=key[:1].isupper())
            return {"t": "Span", "c": [["", ["cross-reference"], []], words]}

        result: list[Node] = ast.transform(inlines, written)
        return result

    def _reference_text(self, citation: Node, target: Target, *, capitalised: bool) -> list[Node]:
        prefix = citation["citationPrefix"]
        suppress_word = citation["citationMode"]["t"] == "SuppressAuthor"
        if target.number is None:  # an unnumbered section: its title stands for it
            title = self._without_references(target.title)
            return [*prefix, *([{"t": "Space"}] if prefix else []), *title]
        if prefix:  # `[Fig. @fig-x]`: the author's word replaces ours (Quarto)
            return [*prefix, str_node("\u00a0" + target.number)]
        if suppress_word:
            return [str_node(target.number)]
        kind = "appendix" if target.is_appendix else target.kind
        kind = "chapter" if target.is_chapter and kind == "sec" else kind
        word = (
            locale.term(self.words.lang, kind)
            if kind in ("appendix", "chapter")
            else self.words.prefix(kind)
        )
        if capitalised:
            word = word[:1].upper() + word[1:]
        return [str_node(self.words.numbered(word, target.number))]
