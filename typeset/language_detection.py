"""The language of a manuscript that does not declare one, told from its text.

A missing `lang` is not neutral: the EPUB says `en`, PDF/UA needs a language, hyphenation
and the generated words follow it. py3langid (a trained n-gram classifier, 97 languages,
its model inside the wheel) reads the body; the build uses its answer and says so.
"""

from __future__ import annotations

import functools
from typing import Any

# Below this much text a guess is a coin toss; above it, more text adds only time.
MIN_CHARACTERS = 200
MAX_CHARACTERS = 20_000
MIN_CONFIDENCE = 0.9


def detected_language(text: str) -> tuple[str, float] | None:
    """(ISO 639-1 code, probability) for `text`, or None when it is too short or unclear."""
    sample = " ".join(text.split())[:MAX_CHARACTERS]
    if len(sample) < MIN_CHARACTERS:
        return None
    language, probability = classified(sample)
    if probability < MIN_CONFIDENCE:
        return None
    return language, probability


def classified(text: str, languages: frozenset[str] | None = None) -> tuple[str, float]:
    """py3langid's best language for `text` (among `languages`, if given), with its
    probability: the one place the classifier is run, for manuscripts and entries alike."""
    language, probability = _identifier(languages).classify(text)
    return str(language), float(probability)


@functools.lru_cache(maxsize=4)
def _identifier(languages: frozenset[str] | None) -> Any:
    # Loaded on first use only (about a second): most manuscripts declare their language.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    if languages:
        identifier.set_languages(sorted(languages))
    return identifier
