"""The essay's inputs: the author's prose kept word for word, the ten works recorded."""

from __future__ import annotations

import re

from tests.conftest import PROJECT, SEED
from typeset.manuscript import read_manuscript
from typeset.references import read_bibliography

# Citations as the seed typed them -> as the manuscript writes them.
SEED_CITATIONS = [
    ("Jervis (1978) argues", "@jervis1978 argues"),
    ("by Mearsheimer (2014) has it", "by @mearsheimer2014 has it"),
    (" (Rawnsley, 2009)", " [@rawnsley2009]"),
    (" (Yufan and Zhihai, 1990)", " [@hao1990]"),
    (" (Zhihua, 2012)", " [@shen2012]"),
    (" (Zhihua, 2012.", " [@shen2012]."),
]


def seed_essay_paragraphs() -> list[str]:
    text = SEED.read_text()
    headings = {
        "Chinese Intervention in the Korean war",
        "Security Concerns",
        "Domestic situation",
        "Ideological factors of individual leaders",
    }
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    return [p for p in paragraphs if p not in headings]


def test_manuscript_keeps_every_seed_paragraph_word_for_word() -> None:
    body = (PROJECT / "manuscript" / "essay.md").read_text().split("---", 2)[2]
    manuscript_paragraphs = [
        p.strip() for p in body.split("\n") if p.strip() and not p.startswith("#")
    ]
    expected = []
    for paragraph in seed_essay_paragraphs():
        for typed, pandoc in SEED_CITATIONS:
            paragraph = paragraph.replace(typed, pandoc)
        expected.append(paragraph)
    assert manuscript_paragraphs == expected


def test_manuscript_has_no_page_furniture_and_a_conclusion_heading() -> None:
    text = (PROJECT / "manuscript" / "essay.md").read_text()
    for furniture in (
        "SAVE5NOW",
        "Cite This Work",
        "Copy to clipboard",
        "Popular Essay Topics",
        "Place an order",
        "Coggins, B. (2011)",
    ):
        assert furniture not in text
    assert "## Conclusion\n\nThe primary aim of this paper" in text
    assert not re.search(r"\(\w+,? \d{4}\)", text), "a hand-typed citation survived"


def test_front_matter_has_title_language_and_date_but_no_author() -> None:
    meta = read_manuscript(PROJECT / "manuscript" / "essay.md").document["meta"]
    assert {"title", "lang", "date", "nocite"} <= set(meta)
    assert "author" not in meta


def test_every_work_is_cited_or_listed_in_nocite() -> None:
    manuscript = read_manuscript(PROJECT / "manuscript" / "essay.md")
    bibliography = read_bibliography(PROJECT / "refs.bib")
    assert len(bibliography.items) == 10
    assert set(manuscript.cited_keys()) | set(manuscript.nocite_keys()) == bibliography.keys
    assert not set(manuscript.cited_keys()) & set(manuscript.nocite_keys())


def test_chinese_authors_are_recorded_family_name_first() -> None:
    items = {item["id"]: item for item in read_bibliography(PROJECT / "refs.bib").items}
    assert [a["family"] for a in items["hao1990"]["author"]] == ["Hao", "Zhai"]
    assert [a["family"] for a in items["shen2012"]["author"]] == ["Shen"]
    assert items["mearsheimer2014"]["editor"][0]["family"] == "Elman"
