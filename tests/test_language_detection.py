"""The language model decompressed once per machine answers as the shipped one does."""

from __future__ import annotations

from pathlib import Path

import pytest
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from typeset import language_detection
from typeset.bibtex import DETECTABLE_LANGUAGES

TITLES = [
    "Friends in High Places: International Politics and the Emergence of States",
    "Gravitation und Raum in der allgemeinen Relativitätstheorie",
    "La théorie des jeux et la guerre froide",
    "中国人民志愿军抗美援朝战争史",
    # Russian, spelled out: its letters look like Latin ones to the linter
    "\u0412\u043e\u0439\u043d\u0430 \u0438 \u043c\u0438\u0440",
    "Nature",
    "",
]


def test_the_prepared_model_is_written_once_and_answers_as_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    languages = frozenset(DETECTABLE_LANGUAGES)
    load = language_detection._identifier.__wrapped__  # not the process's loaded one
    first = load(languages)  # decompresses the shipped model, then prepares the copy
    prepared = language_detection._prepared_folder(Path(MODEL_DIR) / MODEL_FILE)
    assert prepared is not None and prepared.is_relative_to(tmp_path / "typeset")
    assert sorted(path.name for path in prepared.iterdir()) == [
        "nb_classes.json", "nb_pc.npy", "nb_ptc.npy", "tk_nextmove.npy", "tk_output.npy",
        "tk_row.npy",
    ]  # fmt: skip
    mapped = load(languages)  # from the prepared copy
    assert isinstance(mapped.tk_nextmove, memoryview)
    shipped = LanguageIdentifier.from_modelpath(Path(MODEL_DIR) / MODEL_FILE, norm_probs=True)
    shipped.set_languages(sorted(languages))
    for title in TITLES:
        assert mapped.classify(title) == shipped.classify(title) == first.classify(title)
        assert mapped.rank(title) == shipped.rank(title)


def test_an_unreadable_prepared_copy_falls_back_to_the_shipped_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    prepared = language_detection._prepared_folder(Path(MODEL_DIR) / MODEL_FILE)
    assert prepared is not None
    prepared.mkdir(parents=True)
    (prepared / "nb_classes.json").write_text("not json")
    identifier = language_detection._identifier.__wrapped__(None)
    assert identifier.classify(TITLES[1])[0] == "de"
