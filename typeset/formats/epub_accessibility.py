"""Accessibility metadata for the EPUB package, claimed only as far as the content bears it.

EPUB Accessibility 1.1 asks every publication to declare how it can be read
(schema:accessMode, schema:accessModeSufficient), what helps (schema:accessibilityFeature),
what could harm (schema:accessibilityHazard) and a summary in words; DAISY Ace and the
European Accessibility Act checkers report a publication without them. pandoc writes them
from the metadata keys below, so this module surveys the document and fills those keys,
leaving any the author set in the front matter alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from typeset import ast

log = logging.getLogger(__name__)

# pandoc's metadata keys for the schema.org accessibility properties it writes to the OPF.
ACCESS_MODES = "accessModes"
ACCESS_MODE_SUFFICIENT = "accessModeSufficient"
FEATURES = "accessibilityFeatures"
HAZARDS = "accessibilityHazards"
SUMMARY = "accessibilitySummary"


@dataclass(frozen=True)
class ContentSurvey:
    """What the document holds that accessibility metadata has to speak about."""

    image_sources: tuple[str, ...]
    images_without_alt: tuple[str, ...]
    has_headings: bool
    has_math: bool
    has_notes: bool

    @property
    def has_images(self) -> bool:
        return bool(self.image_sources)

    @property
    def every_image_described(self) -> bool:
        return not self.images_without_alt


def survey(document: dict[str, Any]) -> ContentSurvey:
    images: list[str] = []
    undescribed: list[str] = []
    kinds: set[str] = set()
    for node in ast.walk(document["blocks"]):
        kinds.add(node["t"])
        if node["t"] == "Image":
            source = node["c"][2][0]
            images.append(source)
            if not ast.alt_text(node):
                undescribed.append(source)
    return ContentSurvey(
        image_sources=tuple(images),
        images_without_alt=tuple(undescribed),
        has_headings="Header" in kinds,
        has_math="Math" in kinds,
        has_notes="Note" in kinds,
    )


def accessibility_metadata(content: ContentSurvey) -> dict[str, ast.Node]:
    """pandoc metadata values for the OPF's schema.org accessibility properties."""
    for source in content.images_without_alt:
        log.warning(
            "image %s has no alt text: screen-reader users will not know what it shows "
            '(write ![what it shows](%s), or add {alt="..."})',
            source,
            source,
        )
    modes = ["textual", "visual"] if content.has_images else ["textual"]
    sufficient = "textual" if content.every_image_described else "textual,visual"
    features = ["tableOfContents", "readingOrder", "displayTransformability"]
    if content.has_headings:
        features.append("structuralNavigation")
    if content.has_images and content.every_image_described:
        features.append("alternativeText")
    if content.has_math:
        features.append("MathML")
    return {
        ACCESS_MODES: ast.meta_value(modes),
        ACCESS_MODE_SUFFICIENT: ast.meta_value([sufficient]),
        FEATURES: ast.meta_value(features),
        HAZARDS: ast.meta_value(["none"]),
        SUMMARY: ast.meta_value(accessibility_summary(content)),
    }


def accessibility_summary(content: ContentSurvey) -> str:
    """A plain-language statement of what the metadata claims, for people, not machines."""
    navigation = "a table of contents"
    if content.has_headings:
        navigation += " and headings that mark every section"
    sentences = [
        f"The text is reflowable and can be read aloud; it has {navigation}, "
        "and a reading order that follows the manuscript."
    ]
    if content.has_notes:
        sentences.append("Notes are numbered and link back to where they are called.")
    if content.has_images:
        sentences.append(
            "Every image has a text description."
            if content.every_image_described
            else "Some images have no text description."
        )
    if content.has_math:
        sentences.append("Mathematics is written in MathML.")
    sentences.append("It has no flashing, motion or sound hazards.")
    return " ".join(sentences)
