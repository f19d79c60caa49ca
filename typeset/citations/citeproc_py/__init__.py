"""citeproc-py: a second, pure-Python CSL engine behind the same interface as pandoc's.

The document it returns has the shape pandoc's citeproc gives (see ResolvedDocument):
each `Cite` keeps its citations and gets the formatted text as content, every cited item
linked to `#ref-KEY`; note styles put the citation in a `Note` after the punctuation; the
bibliography is a `Div #refs` of `Div #ref-KEY .csl-entry` under the usual heading.

citeproc-py formats to HTML strings. They are all parsed back into pandoc inlines with one
pandoc call, so italics, small caps, super/subscripts and quotes survive. The citation
prefixes and suffixes the author wrote never go through citeproc-py as text: each is
replaced by a private-use marker character that is swapped back for the original pandoc
inlines afterwards, so links, emphasis or maths in them stay exactly as written.

Faults of citeproc-py 0.11 that the adapter avoids (each generally, not per style):

- it registers the first citation of a work, locator and all, as that work's bibliography
  entry, so `[@key, p. 12]` would print "p. 12" in the bibliography: the bibliography is
  registered here with bare items first;
- it has no author-in-text (`@key`) or suppress-author (`[-@key]`) modes: they are
  rendered with copies of the style whose first `cs:names` is marked or removed;
- case-protected words: see `items.py` (`_CaseProtectingCslJson`, `_protected_words`).

Faults that need citeproc-py itself fixed (disambiguation, punctuation-in-quote, nested
quotes, initialize="false", second-field-align, ...) are left visible and listed in
docs/engines.md; `typeset.commands.crosscheck` measures them against pandoc.
"""

from typeset.citations.citeproc_py.engine import CiteprocPy

__all__ = ["CiteprocPy"]
