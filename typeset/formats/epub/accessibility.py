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
from typeset.locale import term

log = logging.getLogger(__name__)

# pandoc's metadata keys for the schema.org accessibility properties it writes to the OPF.
ACCESS_MODES = "accessModes"
ACCESS_MODE_SUFFICIENT = "accessModeSufficient"
FEATURES = "accessibilityFeatures"
HAZARDS = "accessibilityHazards"
SUMMARY = "accessibilitySummary"
# What the package claims, in EPUB Accessibility 1.1's words, when the checks that back
# the claim pass (see `conforms_to`).
WCAG_AA_CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"


@dataclass(frozen=True)
class ContentSurvey:
    """What the document holds that accessibility metadata has to speak about."""

    image_sources: tuple[str, ...]
    images_without_alt: tuple[str, ...]
    has_headings: bool
    has_math: bool
    has_notes: bool
    empty_links: int = 0

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
    empty_links = 0
    for node in ast.walk(document["blocks"]):
        kinds.add(node["t"])
        if node["t"] == "Image":
            source = node["c"][2][0]
            images.append(source)
            if not ast.alt_text(node):
                undescribed.append(source)
        elif node["t"] == "Link" and not _link_text(node):
            empty_links += 1
    return ContentSurvey(
        image_sources=tuple(images),
        images_without_alt=tuple(undescribed),
        has_headings="Header" in kinds,
        has_math="Math" in kinds,
        has_notes="Note" in kinds,
        empty_links=empty_links,
    )


def _link_text(link: ast.Node) -> str:
    """What a screen reader announces for a link: its text, else its title."""
    text = ast.plain_text(link["c"][1])
    images = [node for node in ast.walk(link["c"][1]) if node["t"] == "Image"]
    return text or link["c"][2][1] or " ".join(ast.alt_text(image) for image in images).strip()


def conforms_to(content: ContentSurvey, lang: str) -> str | None:
    """The conformance the package may claim, or None when a check backing it fails.

    Claimed only when what the writer cannot fix in the content is right: the author set
    the document's language, every image has alternative text and no link is empty. The
    rest of WCAG 2.1 AA the writer guarantees itself (reflowable text, navigation,
    language on every file, semantic notes, contrast of the stylesheet) and `--check`
    confirms with DAISY Ace.
    """
    if lang and content.every_image_described and not content.empty_links:
        return WCAG_AA_CONFORMANCE
    return None


def accessibility_metadata(content: ContentSurvey, lang: str = "en") -> dict[str, ast.Node]:
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
        SUMMARY: ast.meta_value(accessibility_summary(content, lang)),
    }


def accessibility_summary(content: ContentSurvey, lang: str = "en") -> str:
    """A plain-language statement of what the metadata claims, for people, not machines,
    in the document's language (typeset/locale.py)."""
    keys = ["a11y-reading", "a11y-contents"]
    if content.has_headings:
        keys.append("a11y-headings")
    if content.has_notes:
        keys.append("a11y-notes")
    if content.has_images:
        keys.append(
            "a11y-images-described" if content.every_image_described else "a11y-images-undescribed"
        )
    if content.has_math:
        keys.append("a11y-math")
    keys.append("a11y-no-hazards")
    separator = "" if lang.split("-")[0].lower() in ("zh", "ja") else " "
    return separator.join(term(lang, key) for key in keys)
