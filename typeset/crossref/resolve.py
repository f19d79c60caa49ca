"""Each Cite that names a label becomes a reference: a link reading "Figure 1" (or the
author's own word, or the number alone); the citations beside it stay a Cite, and a label
that exists nowhere is marked `?@label` and reported."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from typeset import ast, locale
from typeset.ast import Node
from typeset.crossref.numbering import Target
from typeset.crossref.syntax import kind_of, lowered, str_node
from typeset.crossref.words import Words

# pandoc-xnos' modifiers written right before a reference: `+@fig:x` capitalises the
# word, `*@fig:x` writes it in lower case, `!@fig:x` prints the number alone; braces,
# `{@fig:x}`, only delimit the reference.
XNOS_MODIFIERS = {"+": "upper", "*": "lower", "!": "number"}
LOWERCASE = "typesetLowercase"  # a mark on the citation, gone once it is resolved
_LAST_WORD = re.compile(r"(\w[\w.]*)\u00a0?$")


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
        if not any(self.is_reference(citation["citationId"]) for citation in citations):
            return None
        parts: list[list[Node]] = []
        kept: list[Node] = []
        for citation in citations:
            key = citation["citationId"]
            if self.is_reference(key):
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

    def habits(self, inlines: list[Any]) -> list[Any] | None:
        """The list rewrite (ast.transform's `rewrite_list`, before `rewrite`) of what
        authors write around a reference: pandoc-xnos' `+@`, `*@`, `!@` and `{@...}`, and
        the kind's word written before it ("Figure @fig:x", "Fig. @fig:x", "Abb.
        @fig-x"), which leaves the number alone ("Figure Figure 1" otherwise)."""
        if not any(isinstance(node, dict) and node.get("t") == "Cite" for node in inlines):
            return None
        result: list[Any] = []
        changed = False
        index = 0
        while index < len(inlines):
            node = inlines[index]
            index += 1
            citation = self._single_reference(node)
            if citation is None:
                result.append(node)
                continue
            before = result[-1] if result else None
            if _is_str(before) and before["c"][-1:] in XNOS_MODIFIERS:
                citation = _modified(citation, XNOS_MODIFIERS[before["c"][-1]])
                result[-1:] = _str_unless_empty(before["c"][:-1])
                before = result[-1] if result else None
            if _is_str(before) and before["c"].endswith("{"):
                after = inlines[index] if index < len(inlines) else None
                if _is_str(after) and after["c"].startswith("}"):
                    result[-1:] = _str_unless_empty(before["c"][:-1])
                    inlines = [
                        *inlines[:index],
                        *_str_unless_empty(after["c"][1:]),
                        *inlines[index + 1 :],
                    ]
            elif self._names_its_kind(result, citation):
                citation = _modified(citation, "number")
            result.append({"t": "Cite", "c": [[citation], node["c"][1]]})
            changed = True
        return result if changed else None

    def _single_reference(self, node: Any) -> dict[str, Any] | None:
        """The citation of a Cite that is one reference written in the text (`@fig-x`)."""
        if not isinstance(node, dict) or node.get("t") != "Cite" or len(node["c"][0]) != 1:
            return None
        citation: dict[str, Any] = node["c"][0][0]
        if citation["citationMode"]["t"] != "AuthorInText" or citation["citationPrefix"]:
            return None
        return citation if self.is_reference(citation["citationId"]) else None

    def _names_its_kind(self, before: list[Any], citation: dict[str, Any]) -> bool:
        """Whether the word before the reference is its kind's ("Fig." for a figure)."""
        if len(before) >= 2 and before[-1].get("t") == "Space" and _is_str(before[-2]):
            text = before[-2]["c"]
        elif before and _is_str(before[-1]) and before[-1]["c"].endswith("\u00a0"):
            text = before[-1]["c"]
        else:
            return False
        found = _LAST_WORD.search(text)
        if found is None:
            return False
        kind = kind_of(citation["citationId"])
        assert kind is not None
        names = {self.words.prefix(kind), self.words.title(kind)}
        if kind == "sec":
            names |= {locale.term(self.words.lang, term) for term in ("chapter", "appendix")}
        return any(_abbreviates(found.group(1), name) for name in names if name)

    def is_reference(self, key: str) -> bool:
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
        elif citation.get(LOWERCASE):
            word = word[:1].lower() + word[1:]
        return [str_node(self.words.numbered(word, target.number))]


def _is_str(node: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(node, dict) and node.get("t") == "Str"


def _str_unless_empty(text: str) -> list[Node]:
    return [str_node(text)] if text else []


def _modified(citation: dict[str, Any], how: str) -> dict[str, Any]:
    if how == "number":
        return {**citation, "citationMode": {"t": "SuppressAuthor"}}
    if how == "upper":
        key = citation["citationId"]
        return {**citation, "citationId": key[:1].upper() + key[1:]}
    return {**citation, LOWERCASE: True}


def _abbreviates(word: str, name: str) -> bool:
    """ "Figure", "figures", "Fig.", "Figs." for "Figure"; "Abb." for "Abbildung"."""
    written = word.casefold()
    name = name.casefold().rstrip(".")
    if written.rstrip(".") in (name, name + "s"):
        return True
    if not written.endswith(".") or len(written) < 3:
        return False
    stem = written[:-1]
    return name.startswith(stem) or (stem.endswith("s") and name.startswith(stem[:-1]))
