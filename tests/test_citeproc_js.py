"""Both citation engines against citeproc-js on every corpus bibliography (issue 26.10).

tests/citeproc_js.py renders each entry with pandoc's citeproc, citeproc-py and
citeproc-js from the same CSL items in twelve-plus widely used styles. A difference is
allowed only when tests/data/citeproc_js_differences.yaml lists it with the reason it is
an upstream fault (or a convention citeproc-js does not share); the table of docs/engines.md
comes from the same run (tools/engine_agreement.py).
"""

from __future__ import annotations

import pytest

from tests.citeproc_js import (
    STYLES,
    StyleResult,
    compare_all,
    known_differences,
    node_available,
    unexplained,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not node_available(), reason="citeproc-js not installed (npm ci)"),
]


@pytest.fixture(scope="module")
def results() -> list[StyleResult]:
    return compare_all()


def test_at_least_twelve_styles_are_compared() -> None:
    assert len(STYLES) >= 12


def test_every_difference_from_citeproc_js_is_a_listed_upstream_fault(
    results: list[StyleResult],
) -> None:
    differences = [
        f"{d.engine}/{d.style}/{d.corpus}/{d.entry}\n  ours:        {d.ours}\n"
        f"  citeproc-js: {d.citeproc_js}"
        for d in unexplained(results)
    ]
    assert not differences, "\n".join(differences)


def test_the_list_of_known_differences_is_not_stale(results: list[StyleResult]) -> None:
    occurring = {
        (d.engine, d.style, d.corpus, d.entry) for result in results for d in result.differences
    }
    stale = sorted("/".join(key) for key in set(known_differences()) - occurring)
    assert not stale, "listed but agreeing now (remove them): " + ", ".join(stale)
