"""Long runs of siblings (a chapter of a thousand paragraphs, a thousand short sections)
build: no walk over an element's siblings or ancestors may recurse once per element."""

from __future__ import annotations

import random
from pathlib import Path

import cssselect2
import pytest
from lxml import etree

from tests.conftest import PROJECT, pdf_text
from typeset import build, load_config
from typeset.formats.pdf.weasyprint.selectors import sibling_walks_iterative

WORDS = ["river", "delta", "survey", "archive", "ledger", "harvest", "season", "village"]
WORDS += ["market", "council", "record", "letter", "treaty", "border", "famine", "grain"]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(9, 18))).capitalize() + "."


def test_a_sibling_walk_late_in_a_long_run_does_not_recurse() -> None:
    """The first `~` test on the 5,000th sibling (cssselect2 alone recursed 5,000 deep)."""
    assert sibling_walks_iterative()
    html = "<html><body><main>" + "<p>x</p>" * 5000 + "<section>end</section></main></body></html>"
    root = etree.fromstring(html)
    matcher = cssselect2.Matcher()
    for selector in cssselect2.compile_selector_list("p ~ section"):
        matcher.add_selector(selector, "late")
    section = next(
        element
        for element in cssselect2.ElementWrapper.from_html_root(root).iter_subtree()
        if element.local_name == "section"
    )
    assert [payload for *_, payload in matcher.match(section)] == ["late"]
    assert len(section.previous_siblings) == 5000
    assert section.previous_siblings[0].index == 0  # tree order, as cssselect2 gives it


def test_the_iterative_walks_give_cssselect2s_own_tuples() -> None:
    """Same siblings and ancestors, in the same order, as cssselect2's recursive walks."""
    sibling_walks_iterative()
    root = etree.fromstring(
        "<div><p><i>a</i><b>b</b><i>c</i></p><ul><li>1</li><li>2<em>x</em></li></ul><p/></div>"
    )
    ours = list(cssselect2.ElementWrapper.from_xml_root(root).iter_subtree())
    theirs = list(cssselect2.ElementWrapper.from_xml_root(root).iter_subtree())
    for element in theirs:  # cssselect2's definitions, computed recursively by hand
        before = element.previous
        element._previous_siblings = () if before is None else (*before.previous_siblings, before)
    for mine, reference in zip(ours, theirs, strict=True):
        assert [e.etree_element for e in mine.previous_siblings] == [
            e.etree_element for e in reference.previous_siblings
        ]
        expected_ancestors = []
        walked = reference.parent
        while walked is not None:
            expected_ancestors.insert(0, walked.etree_element)
            walked = walked.parent
        assert [e.etree_element for e in mine.ancestors] == expected_ancestors


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["paragraphs", "short-sections"])
def test_a_long_chapter_without_subheadings_builds(tmp_path: Path, shape: str) -> None:
    """15,000+ words in 1,200 short paragraphs with no headings, or in 1,200 headed
    sections, cited once so a bibliography section follows: all three formats build."""
    rng = random.Random(7)
    body = []
    for index in range(1200):
        if shape == "short-sections":
            body.append(f"## Entry {index + 1}\n")
        citation = " [@jervis1978]" if index == 600 else ""
        body.append(_sentence(rng) + " " + _sentence(rng) + citation)
    manuscript = tmp_path / "long.md"
    manuscript.write_text(
        "---\ntitle: A Long Chapter\nlang: en-GB\n---\n\n" + "\n\n".join(body) + "\n",
        encoding="utf-8",
    )
    config = load_config(
        PROJECT / "typeset.yaml",
        project_dir=PROJECT,
        overrides={
            "manuscript": str(manuscript),
            "bibliography": str(PROJECT / "refs.bib"),
            "output_dir": str(tmp_path / "out"),
        },
    )
    outputs = build(config).outputs
    text = pdf_text(outputs["pdf"])
    assert "Jervis" in text  # the bibliography, after the long run
    assert {"pdf", "epub", "docx"} <= set(outputs)
