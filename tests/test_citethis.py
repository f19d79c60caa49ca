"""The essay's own reference ("cite this work"), checked against the engine and in Chromium.

Each style's reference must be exactly the entry pandoc's citeproc prints for the same
item in an ordinary bibliography (here: among the essay's own references); the BibTeX and
RIS records must read back (with pandoc's readers) to the same item; the page must work in
a real browser, its copy buttons included.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, epub_text
from tests.test_preview import (
    ARTIFACTS,
    browser_dom,
    browser_screenshot,
    copy_buttons_with_real_clicks,
    selftest_report,
)
from typeset import ast, load_config
from typeset.citations import engine_named
from typeset.citations.base import without_processing_fields
from typeset.citethis import (
    DEFAULT_CITE_STYLES,
    CiteThisWork,
    bibtex_record,
    cite_this_work,
    cite_this_work_blocks,
    cite_this_work_paths,
    essay_item,
    render_fragments,
    ris_record,
    write_cite_this_work,
)
from typeset.errors import ManuscriptError, OutputError, StyleError
from typeset.formats import writer_for
from typeset.manuscript import read_manuscript
from typeset.pandoc import run_pandoc
from typeset.references import read_bibliographies, read_bibliography
from typeset.styles import resolve_style

ONLINE_METADATA = {
    "author": ["Jane Q. van der Doe", "{World Health Organization}"],
    "date": "November 29, 2026",
    "publisher": "Example Press",
    "container-title": "The Essay Review",
    "url": "https://example.org/essays/korea",
    "doi": "https://doi.org/10.5555/korea.1950",
}
TITLE = "Reasons for China Supporting North Korea During the Korean War (1950\u201353)"


def meta_of(metadata: dict[str, Any]) -> dict[str, Any]:
    return read_manuscript(PROJECT / "manuscript" / "essay.md", metadata).meta


@pytest.fixture(scope="module")
def online() -> CiteThisWork:
    """The essay with author, venue, publisher, URL and DOI, in the default styles."""
    return cite_this_work(meta_of(ONLINE_METADATA), PROJECT)


@pytest.fixture(scope="module")
def unpublished() -> CiteThisWork:
    """The essay as it stands: a title and a date, no author (as in a review copy)."""
    return cite_this_work(meta_of({}), PROJECT)


@pytest.fixture
def chromium_profile(tmp_path: Path) -> Path:
    return tmp_path / "chromium-chromium_profile"


@pytest.fixture(scope="module")
def written(online: CiteThisWork, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cite")
    write_cite_this_work(online, folder, "essay", PROJECT)
    return cite_this_work_paths(folder, "essay")


# --- the item ------------------------------------------------------------------------------


def test_an_essay_with_a_url_is_a_webpage_with_every_field(online: CiteThisWork) -> None:
    assert online.item == {
        "id": "doe2026reasons",
        "type": "webpage",
        "title": TITLE,
        "author": [
            {"dropping-particle": "van der", "family": "Doe", "given": "Jane Q."},
            {"literal": "World Health Organization"},
        ],
        "issued": {"date-parts": [[2026, 11, 29]]},
        "publisher": "Example Press",
        "container-title": "The Essay Review",
        "URL": "https://example.org/essays/korea",
        "DOI": "10.5555/korea.1950",
    }


def test_an_essay_without_url_is_an_article_keyed_by_its_title(unpublished: CiteThisWork) -> None:
    assert unpublished.item == {
        "id": "reasons2026",
        "type": "article",
        "title": TITLE,
        "issued": {"date-parts": [[2026, 11, 29]]},
    }


@pytest.mark.parametrize(
    ("author", "names"),
    [
        ("Doe, Jane", [{"family": "Doe", "given": "Jane"}]),
        (
            ["Ludwig van Beethoven"],
            [{"dropping-particle": "van", "family": "Beethoven", "given": "Ludwig"}],
        ),
        (
            ["{ACME Research}", {"literal": "Smith & Sons"}],
            [{"literal": "ACME Research"}, {"literal": "Smith & Sons"}],
        ),
        (
            [{"name": "Zhang, Wei", "affiliation": "PKU"}, {"family": "Mao", "given": "Zedong"}],
            [{"family": "Zhang", "given": "Wei"}, {"family": "Mao", "given": "Zedong"}],
        ),
    ],
)
def test_author_names_follow_bibtex_rules_or_csl_maps(author: Any, names: list[Any]) -> None:
    assert essay_item(meta_of({"author": author}))["author"] == names


@pytest.mark.parametrize(
    ("written_date", "issued"),
    [
        ("2026", {"date-parts": [[2026]]}),
        ("2026-11", {"date-parts": [[2026, 11]]}),
        ("29 November 2026", {"date-parts": [[2026, 11, 29]]}),
        ("Nov. 2026", {"date-parts": [[2026, 11]]}),
        ("Spring 2026", {"date-parts": [], "literal": "Spring 2026"}),
    ],
)
def test_written_dates_are_read_and_others_kept_as_written(
    written_date: str, issued: dict[str, Any]
) -> None:
    assert essay_item(meta_of({"date": written_date}))["issued"] == issued


def test_a_subtitle_follows_the_title_after_a_colon() -> None:
    item = essay_item(meta_of({"subtitle": "A *Security* Dilemma"}))
    assert item["title"] == f"{TITLE}: A *Security* Dilemma"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"title": None}, "no title"),
        ({"url": "javascript:alert(1)"}, "'url' must be a web address"),
        ({"doi": "not-a-doi"}, "'doi' is not a DOI"),
    ],
)
def test_metadata_that_cannot_make_a_reference_is_an_error(
    metadata: dict[str, Any], message: str
) -> None:
    with pytest.raises(ManuscriptError, match=message):
        essay_item(meta_of(metadata))


def test_an_unknown_style_is_refused_before_formatting() -> None:
    with pytest.raises(StyleError, match="did you mean"):
        cite_this_work(meta_of({}), PROJECT, ["apa", "vancuover"])


def test_the_default_styles_are_eight_common_ones_from_the_catalog() -> None:
    assert len(DEFAULT_CITE_STYLES) == 8
    titles = [resolve_style(name, PROJECT).title for name in DEFAULT_CITE_STYLES]
    assert any("Vancouver" in title for title in titles)


# --- the references match the engine --------------------------------------------------------


class _TextOfId(HTMLParser):
    """Text inside the element with `id`, skipping elements of class `skip`."""

    def __init__(self, element_id: str, skip: str) -> None:
        super().__init__()
        self.element_id, self.skip = element_id, skip
        self.text = ""
        self._stack: list[str] = []  # "in", "skip" or "" per open element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "meta", "link", "input", "hr"):
            return
        values = dict(attrs)
        if values.get("id") == self.element_id:
            self._stack.append("in")
        elif self.skip in (values.get("class") or "").split():
            self._stack.append("skip")
        else:
            self._stack.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if "in" in self._stack and "skip" not in self._stack:
            self.text += data


def text_of_id(markup: str, element_id: str, skip: str = "csl-left-margin") -> str:
    parser = _TextOfId(element_id, skip)
    parser.feed(markup)
    return " ".join(parser.text.split())


def html_text(markup: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", markup).replace("&amp;", "&").split())


def bibliography_with(work: CiteThisWork, folder: Path, to: str) -> str:
    """The essay cited between two other works, its item in the essay's bibliography."""
    items = [*read_bibliography(PROJECT / "refs.bib").items, work.item]
    references = folder / "references.json"
    references.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    source = f"One [@rawnsley2009]. Two [@{work.key}]. Three [@shen2012].\n"
    return run_pandoc(
        [
            "--from",
            "markdown",
            "--to",
            to,
            "--wrap=none",
            "--citeproc",
            "--csl",
            str(work.references[0].style.path),
            "--bibliography",
            str(references),
            "--metadata",
            f"lang={work.lang}",
        ],
        source.encode(),
    ).decode()


@pytest.mark.parametrize("case", ["online", "unpublished"])
@pytest.mark.parametrize("style_name", DEFAULT_CITE_STYLES)
def test_reference_is_the_entry_the_engine_prints_in_a_bibliography(
    case: str, style_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    work: CiteThisWork = request.getfixturevalue(case)
    (reference,) = [ref for ref in work.references if ref.style.name == style_name]
    alone = dataclasses.replace(work, references=(reference,))
    full_html = bibliography_with(alone, tmp_path, "html")
    entry = text_of_id(full_html, f"ref-{work.key}")
    assert entry, f"{style_name}: no bibliography entry for the essay"
    assert html_text(reference.reference_html) == entry
    full_plain = bibliography_with(alone, tmp_path, "plain")
    # The full bibliography numbers the essay's entry ("[2] ", "2. "); the reference not.
    lines = [re.sub(r"^(\[\d+\]|\d+\.)\s+", "", line) for line in full_plain.splitlines()]
    assert reference.reference_text in lines
    if reference.kind == "in-text":
        assert reference.citation_text in full_plain


def test_numeric_styles_offer_the_reference_without_its_number(online: CiteThisWork) -> None:
    ieee = next(ref for ref in online.references if ref.style.name == "ieee")
    assert ieee.kind == "numeric"
    assert ieee.reference_text.startswith("J. Q. van der Doe and World Health Organization, “")


def test_note_styles_offer_the_note_too(online: CiteThisWork) -> None:
    chicago = next(r for r in online.references if r.style.name == "chicago-notes-bibliography")
    assert chicago.kind == "note"
    assert chicago.citation_text.startswith(
        "Jane Q. van der Doe and World Health Organization, “Reasons for China"
    )


# --- the records read back -------------------------------------------------------------------


def read_back(path: Path, input_format: str) -> dict[str, Any]:
    (item,) = json.loads(run_pandoc(["--from", input_format, "--to", "csljson", str(path)]))
    result: dict[str, Any] = item
    return result


def test_bibtex_reads_back_to_the_same_item(online: CiteThisWork, written: dict[str, Path]) -> None:
    item, back = online.item, read_back(written["bibtex"], "bibtex")
    for field in ("id", "title", "author", "URL", "DOI"):
        assert back[field] == item[field], field
    # BibTeX has a year and a month, no day.
    assert back["issued"]["date-parts"][0] == item["issued"]["date-parts"][0][:2]
    # @misc has no field for the venue but howpublished, which pandoc reads as publisher.
    assert back["publisher"] == f"{item['container-title']}; {item['publisher']}"


def test_bibtex_without_doi_or_venue_is_a_plain_entry_that_reads_back(
    unpublished: CiteThisWork,
) -> None:
    record = bibtex_record(unpublished.item)
    assert record.lstrip().startswith("@")
    # nothing invented: a work with no DOI or venue gets no such fields
    assert "doi" not in record.lower() and "howpublished" not in record.lower()
    back = json.loads(run_pandoc(["--from", "bibtex", "--to", "csljson"], record.encode()))[0]
    assert (back["id"], back["title"]) == (unpublished.item["id"], TITLE)
    assert back.get("author") == unpublished.item.get("author")


def test_ris_reads_back_to_the_same_item(online: CiteThisWork, written: dict[str, Path]) -> None:
    item, back = online.item, read_back(written["ris"], "ris")
    for field in ("id", "title", "container-title", "publisher", "URL", "DOI"):
        assert back[field] == item[field], field
    assert back["author"] == [
        {"dropping-particle": "van der", "family": "Doe", "given": "Jane Q."},
        {"family": "World Health Organization"},  # the trailing comma kept it whole
    ]
    assert back["issued"]["date-parts"][0][0] == 2026  # pandoc reads PY, not DA


def test_ris_record_is_well_formed(online: CiteThisWork, unpublished: CiteThisWork) -> None:
    record = ris_record(online.item)
    lines = record.split("\r\n")
    assert lines[0] == "TY  - ELEC" and lines[-2] == "ER  - " and lines[-1] == ""
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines[:-1])
    assert "DA  - 2026/11/29/" in lines and "PY  - 2026" in lines
    assert "AU  - van der Doe, Jane Q." in lines
    assert ris_record(unpublished.item).startswith("TY  - UNPB\r\n")


def test_csl_json_record_is_the_item(online: CiteThisWork, written: dict[str, Path]) -> None:
    assert json.loads(written["csl-json"].read_text(encoding="utf-8")) == [online.item]


# --- the files -------------------------------------------------------------------------------


def test_five_files_are_written_and_no_temporaries_left(written: dict[str, Path]) -> None:
    folder = written["html"].parent
    assert sorted(path.name for path in folder.iterdir()) == [
        "essay-cite.html",
        "essay-cite.txt",
        "essay.bib",
        "essay.json",
        "essay.ris",
    ]


def test_text_file_lists_every_style_with_its_reference(
    online: CiteThisWork, written: dict[str, Path]
) -> None:
    text = written["text"].read_text(encoding="utf-8")
    assert text.startswith(f"How to cite: {TITLE}\n")
    for reference in online.references:
        assert f"{reference.label} ({reference.style.name})\n{reference.reference_text}\n" in text


def test_a_failed_write_leaves_earlier_files_as_they_were(
    online: CiteThisWork, tmp_path: Path
) -> None:
    write_cite_this_work(online, tmp_path, "essay", PROJECT)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    broken_project = tmp_path / "project"
    (broken_project / "styles").mkdir(parents=True)
    # The project's own page template, with a placeholder no page fills: rendering fails.
    (broken_project / "styles" / "citethis.html").write_text("{{ no_such_value }}\n")
    changed = dataclasses.replace(online, item={**online.item, "title": "Changed"})
    with pytest.raises(OutputError, match="unknown placeholder"):
        write_cite_this_work(changed, tmp_path, "essay", broken_project)
    after = {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()}
    assert after == before


# --- the page in Chromium --------------------------------------------------------------------


def test_cite_page_runs_in_chromium_and_every_copy_button_copies_its_reference(
    online: CiteThisWork, written: dict[str, Path], chromium_profile: Path
) -> None:
    dom, console = browser_dom(written["html"], chromium_profile)
    assert console == []
    report = selftest_report(dom)
    assert report["errors"] == []
    expected = {ref.style.name: ref.reference_text for ref in online.references}
    expected |= {
        "BibTeX": bibtex_record(online.item),
        "RIS": ris_record(online.item).replace("\r\n", "\n"),
        "CSL-JSON": written["csl-json"].read_text(encoding="utf-8"),
    }
    copies = {copy["label"]: copy for copy in report["copies"]}
    assert list(copies) == list(expected)
    for label, text in expected.items():
        # Headless pages may not use the Clipboard API: the textarea fallback ran, holding
        # exactly the text, all of it selected when execCommand("copy") was called.
        assert copies[label]["text"] == text, label
        assert copies[label]["method"] == "execCommand", label
        assert copies[label]["selected"] == text, label
    for reference in online.references:
        assert reference.label.replace("&", "&amp;") in dom


@pytest.mark.parametrize("hide_clipboard_api", [False, True], ids=["clipboard-api", "fallback"])
def test_real_clicks_put_each_reference_on_the_clipboard(
    written: dict[str, Path], chromium_profile: Path, hide_clipboard_api: bool
) -> None:
    results, errors = copy_buttons_with_real_clicks(
        written["html"], chromium_profile, hide_clipboard_api=hide_clipboard_api
    )
    assert errors == []
    assert len(results) == len(DEFAULT_CITE_STYLES) + 3
    method = "execCommand" if hide_clipboard_api else "clipboard"
    for result in results:
        assert result["result"] == f"{method}:copied"
        assert result["clipboard"] == result["expected"]


def test_cite_page_screenshot(written: dict[str, Path], chromium_profile: Path) -> None:
    png = ARTIFACTS / "cite-this-work.png"
    browser_screenshot(written["html"], png, chromium_profile)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the back-matter section -----------------------------------------------------------------


def test_section_blocks_are_a_heading_and_each_reference(online: CiteThisWork) -> None:
    blocks = cite_this_work_blocks(online)
    header = blocks[0]
    assert header["t"] == "Header" and header["c"][0] == 2
    assert header["c"][1] == ["cite-this-work", ["unnumbered"], []]
    (text,) = render_fragments([blocks], "plain")
    assert text.startswith("How to cite this essay\n")
    for reference in online.references:
        assert f"{reference.label}\n\n{reference.reference_text}" in text
    assert not any(
        node["t"] == "Div" and node["c"][0][0].startswith("ref-") for node in ast.walk(blocks)
    ), "no second #ref-KEY anchor beside the bibliography's"


def test_section_appended_to_the_essay_appears_in_the_epub(
    online: CiteThisWork, tmp_path: Path
) -> None:
    config = load_config(
        PROJECT / "typeset.yaml", project_dir=PROJECT, overrides={"output_dir": str(tmp_path)}
    )
    manuscript = read_manuscript(config.manuscript, ONLINE_METADATA)
    with tempfile.TemporaryDirectory() as workdir:
        resolved = engine_named("pandoc").resolve(
            manuscript,
            read_bibliographies(config.bibliography),
            resolve_style("apa", PROJECT),
            Path(workdir),
        )
    document = without_processing_fields(resolved.document)
    document["blocks"] += cite_this_work_blocks(online)
    epub = tmp_path / "essay.epub"
    writer_for("epub").write(dataclasses.replace(resolved, document=document), epub, config)
    text = " ".join(epub_text(epub).split())
    assert "How to cite this essay" in text
    apa = next(ref for ref in online.references if ref.style.name == "apa")
    assert apa.reference_text in text
