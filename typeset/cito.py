"""CiTO-typed citations: `@usesMethodIn:smith2020` cites `smith2020`.

pandoc-scholar manuscripts say why they cite a work by prefixing the key with a property
of the Citation Typing Ontology (CiTO), in its own name (`citesAsAuthority`), in snake
case (`cites_as_authority`) or in a short form (`method`, `background`). pandoc itself
reads the whole as the key, and every such citation would be missing. Here a prefix is
dropped when the prefixed key is not in the bibliography, the prefix is a CiTO property
(or a short form of one), and the key without it is; the typing carries no meaning for a
printed citation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from typeset import ast

# CiTO 2.8's citing properties (http://purl.org/spar/cito), compared lower-cased and
# without underscores, so both spellings match.
CITO_PROPERTIES = frozenset(
    name.lower()
    for name in (
        "agreesWith",
        "citesAsAuthority",
        "citesAsDataSource",
        "citesAsEvidence",
        "citesAsMetadataDocument",
        "citesAsPotentialSolution",
        "citesAsRecommendedReading",
        "citesAsRelated",
        "citesAsSourceDocument",
        "citesForInformation",
        "compiles",
        "confirms",
        "containsAssertionFrom",
        "corrects",
        "credits",
        "critiques",
        "derides",
        "describes",
        "disagreesWith",
        "discusses",
        "disputes",
        "documents",
        "extends",
        "givesBackgroundTo",
        "givesSupportTo",
        "hasReplyFrom",
        "includesExcerptFrom",
        "includesQuotationFrom",
        "linksTo",
        "obtainsBackgroundFrom",
        "obtainsSupportFrom",
        "parodies",
        "plagiarizes",
        "qualifies",
        "refutes",
        "repliesTo",
        "retracts",
        "reviews",
        "ridicules",
        "sharesAuthorsWith",
        "speculatesOn",
        "supports",
        "updates",
        "usesConclusionsFrom",
        "usesDataFrom",
        "usesMethodIn",
        "cites",
    )
)
# The short forms pandoc-scholar manuscripts write for the common ones.
SHORT_FORMS = frozenset(
    {"agrees", "disagrees", "authority", "background", "data", "evidence", "method", "related"}
)
PREFIXED_KEY = re.compile(r"^([A-Za-z_]+):(.+)$")


def is_cito_property(word: str) -> bool:
    normalised = word.replace("_", "").lower()
    return normalised in CITO_PROPERTIES or normalised in SHORT_FORMS


def without_cito_prefixes(document: dict[str, Any], known_keys: Iterable[str]) -> dict[str, Any]:
    """`document` with each CiTO-typed citation citing its bare key (see the module)."""
    cited = ast.survey(document["blocks"]).citation_ids | ast.survey(document["meta"]).citation_ids
    if not any(PREFIXED_KEY.match(key) for key in cited):
        return document  # no key has a prefix: no walk
    known = frozenset(known_keys)

    def bare(key: str) -> str:
        match = PREFIXED_KEY.match(key)
        if key in known or match is None or not is_cito_property(match.group(1)):
            return key
        return match.group(2) if match.group(2) in known else key

    def rewrite(node: dict[str, Any]) -> dict[str, Any] | None:
        if node["t"] != "Cite":
            return None
        citations, text = node["c"]
        renamed = [{**c, "citationId": bare(c["citationId"])} for c in citations]
        if all(a["citationId"] == b["citationId"] for a, b in zip(renamed, citations, strict=True)):
            return None
        return {"t": "Cite", "c": [renamed, text]}

    result: dict[str, Any] = ast.transform(document, rewrite)
    return result
