"""typeset/bibtex.py on its own: the BibTeX text before pandoc, languages, no tools run."""

from __future__ import annotations

import pytest

from typeset.bibtex import bcp47, prepared_for_pandoc, title_language


def test_babel_names_and_tags_become_bcp47() -> None:
    assert bcp47("ngerman") == "de-DE"
    assert bcp47("chinese") == "zh"
    assert bcp47("british") == "en-GB"
    assert bcp47("french") == "fr-FR"
    assert bcp47("en-gb") == "en-GB"
    assert bcp47("zh_hant_tw") == "zh-Hant-TW"


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("Die Großstädte und das Geistesleben", "de"),
        ("La Méditerranée et le monde méditerranéen à l'époque de Philippe II", "fr"),
        ("Observation of a new boson at a mass of 125 GeV", "en"),
        ("Nature", None),  # too short to tell
        ("Der Prozess", None),
    ],
)
def test_title_language_is_detected_only_when_sure(title: str, language: str | None) -> None:
    assert title_language(title) == language


def test_and_is_normalised_only_between_names_and_lines_stay() -> None:
    text = (
        "@book{a, author = {Smith, J.\n AND Jones, M. And {Barnes AND Noble}},\n"
        '  editor = "Roe, R. AND {Y and Z}", title = {Salt AND Pepper}}\n'
    )
    prepared = prepared_for_pandoc(text, "en-US")
    assert prepared.count("\n") == text.count("\n")
    assert "Smith, J.\n and Jones, M. and {Barnes AND Noble}" in prepared
    assert '"Roe, R. and {Y and Z}"' in prepared
    assert "{Salt AND Pepper}" in prepared  # not a name field
