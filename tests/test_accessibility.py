"""Accessibility as stores and the law check it: DAISY Ace on the EPUB, our PDF/UA structure
audit on every tagged PDF variant, Word's accessibility checks on the DOCX.

Every check has a negative control: a real output broken in one way (with pikepdf or by
rewriting the package's XML) must fail it.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from tests.conftest import PROJECT, Builder, docx_part
from typeset import build, load_config
from typeset.ace import run_ace
from typeset.formats.docx.accessibility import audit_docx
from typeset.formats.pdf.audit import audit_pdf
from typeset.formats.pdf.structure import structure_elements

STYLE = "chicago-author-date"
TAGGED_VARIANTS = ["pdf/ua-1", "pdf/a-2b", "pdf/a-3u", "tagged"]


def errors(findings: list) -> list[str]:
    return [finding.message for finding in findings if finding.level == "error"]


@pytest.fixture(scope="module")
def essay(essay_build: Builder) -> dict[str, Path]:
    return essay_build(STYLE)


# --- EPUB: DAISY Ace -------------------------------------------------------------------------


def _broken_epub(source: Path, destination: Path) -> Path:
    """The essay's EPUB without lang, accessibility metadata, alt text, link text, contrast."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(destination, "w") as broken:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith(".opf"):
                data = re.sub(rb'\s*<meta property="schema:[^"]*">[^<]*</meta>', b"", data)
            elif info.filename.endswith("ch001.xhtml"):
                data = re.sub(rb' (xml:)?lang="[^"]*"', b"", data)
                data = re.sub(
                    rb"(<body[^>]*>)",
                    rb'\1<p><img src="../media/file0.png" /><a href="#x"></a>'
                    rb'<span style="color:#ddd;background:#fff">pale</span></p>',
                    data,
                    count=1,
                )
            broken.writestr(info, data)
    return destination


@pytest.mark.slow
def test_essay_epub_passes_daisy_ace_with_no_violations(
    essay: dict[str, Path], tmp_path: Path
) -> None:
    report = run_ace(essay["epub"], tmp_path / "ace")
    assert report.violations == ()
    assert report.report_json.is_file()


@pytest.mark.slow
def test_epub_without_lang_alt_link_text_contrast_and_metadata_fails_ace(
    essay: dict[str, Path], tmp_path: Path
) -> None:
    broken = _broken_epub(essay["epub"], tmp_path / "broken.epub")
    report = run_ace(broken, tmp_path / "ace")
    rules = {violation.rule for violation in report.violations}
    assert {"html-has-lang", "image-alt", "link-name", "color-contrast"} <= rules
    assert "metadata-accessmode" in rules
    image = next(v for v in report.violations if v.rule == "image-alt")
    assert image.impact == "critical" and image.file.endswith("ch001.xhtml")


# --- PDF: the structure audit ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("variant", TAGGED_VARIANTS)
def test_essay_pdf_passes_the_structure_audit_in_every_tagged_variant(
    essay_build: Builder, variant: str
) -> None:
    options = {} if variant == "pdf/ua-1" else {"pdf_variant": variant}
    pdf = essay_build(STYLE, **options)["pdf"]
    assert errors(audit_pdf(pdf)) == []


@pytest.mark.slow
def test_running_heads_and_page_numbers_are_pagination_artifacts(essay: dict[str, Path]) -> None:
    with pikepdf.open(essay["pdf"]) as pdf:
        for page in pdf.pages[1:]:  # the first page has no running head
            artifacts = [
                instruction
                for instruction in pikepdf.parse_content_stream(page)
                if str(instruction.operator) == "BDC"
                and instruction.operands[0] == pikepdf.Name.Artifact
                and instruction.operands[1].get("/Type") == "/Pagination"
            ]
            assert len(artifacts) == 2  # running head and page number


def _broken_pdf(source: Path, tmp_path: Path, damage: Callable[[pikepdf.Pdf], None]) -> Path:
    destination = tmp_path / "broken.pdf"
    with pikepdf.open(source) as pdf:
        damage(pdf)
        pdf.save(destination)
    return destination


def _first(pdf: pikepdf.Pdf, kind: str) -> pikepdf.Dictionary:
    return next(e for e in structure_elements(pdf) if kind == e.S)


def _untagged_stroke(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0]
    page.contents_add(pdf.make_stream(b"0 0 m 10 10 l S"), prepend=False)


def _artifact_inside_tagged(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0]
    page.contents_add(pdf.make_stream(b"/P <</MCID 999>> BDC /Artifact BMC EMC EMC"), prepend=False)


def _orphan_a_paragraph(pdf: pikepdf.Pdf) -> None:
    paragraph = _first(pdf, "/P")
    parent = paragraph.P
    parent.K = pikepdf.Array([kid for kid in parent.K if kid.objgen != paragraph.objgen])


def _swap_parent_tree_entries(pdf: pikepdf.Pdf) -> None:
    owners = pdf.Root.StructTreeRoot.ParentTree.Nums[1]
    owners[0], owners[1] = owners[1], owners[0]


def _claim_a_missing_mcid(pdf: pikepdf.Pdf) -> None:
    _first(pdf, "/P").K.append(999)


def _table_header_with_data_cell(pdf: pikepdf.Pdf) -> None:
    section = _first(pdf, "/Sect")
    cell = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.TD))
    row = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.TR, K=pikepdf.Array([cell]))
    )
    head = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.THead, K=pikepdf.Array([row])
        )
    )
    table = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Table, K=pikepdf.Array([head])
        )
    )
    section.K.append(table)


def _set(path: str, value: object) -> Callable[[pikepdf.Pdf], None]:
    def damage(pdf: pikepdf.Pdf) -> None:
        *owners, key = path.split(".")
        target = pdf.Root
        for owner in owners:
            target = target["/" + owner]
        if value is None:
            del target["/" + key]
        else:
            target["/" + key] = value

    return damage


def _retype(kind: str, new_kind: str) -> Callable[[pikepdf.Pdf], None]:
    def damage(pdf: pikepdf.Pdf) -> None:
        _first(pdf, kind).S = pikepdf.Name(new_kind)

    return damage


def _without_xmp_title(pdf: pikepdf.Pdf) -> None:
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        del meta["dc:title"]


def _link_without_contents(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            del annotation["/Contents"]


def _role_map(mapping: dict[str, str], retype: tuple[str, str] | None = None):
    def damage(pdf: pikepdf.Pdf) -> None:
        pdf.Root.StructTreeRoot.RoleMap = pikepdf.Dictionary(
            {f"/{key}": pikepdf.Name(f"/{value}") for key, value in mapping.items()}
        )
        if retype:
            _retype(*retype)(pdf)

    return damage


def _no_tabs(pdf: pikepdf.Pdf) -> None:
    del pdf.pages[1].obj["/Tabs"]


NEGATIVE_CONTROLS = {
    "[UA1 7.1] the catalogue's /MarkInfo": _set("MarkInfo", None),
    "[11-006]": _set("Lang", None),
    "[07-001]": _set("ViewerPreferences", None),
    "[06-003]": _without_xmp_title,
    "[28-008] page 2": _no_tabs,
    "[01-005] page 1: 1 'S' operator": _untagged_stroke,
    "[01-003]": _artifact_inside_tagged,
    "not reachable from the structure root": _orphan_a_paragraph,
    "the ParentTree names another parent": _swap_parent_tree_entries,
    "claimed by structure elements are not in the content": _claim_a_missing_mcid,
    "[02-001] 1 element(s) of type Fancy": _retype("/Span", "/Fancy"),
    "[02-004] the standard structure type P": _role_map({"P": "Span"}),
    "[02-001/02-003] Loop": _role_map({"Loop": "Loop2", "Loop2": "Loop"}),
    "[13-004] 1 Figure": _retype("/P", "/Figure"),
    "[17-002] 1 Formula": _retype("/P", "/Formula"),
    "[14-002] the first heading is H2": _retype("/H1", "/H2"),
    "[14-003] heading levels skip from H1 to H3": _retype("/H2", "/H3"),
    "THead) holds cells that are not TH": _table_header_with_data_cell,
    "[28-004]": _link_without_contents,
    "[28-011]": _retype("/Link", "/Span"),
}


@pytest.mark.slow
@pytest.mark.parametrize("expected", list(NEGATIVE_CONTROLS))
def test_each_structure_audit_check_fails_on_a_pdf_broken_that_way(
    essay: dict[str, Path], tmp_path: Path, expected: str
) -> None:
    broken = _broken_pdf(essay["pdf"], tmp_path, NEGATIVE_CONTROLS[expected])
    found = errors(audit_pdf(broken))
    assert any(expected in message for message in found), found


@pytest.mark.slow
def test_role_mapped_types_pass_the_audit(essay: dict[str, Path], tmp_path: Path) -> None:
    broken = _broken_pdf(essay["pdf"], tmp_path, _role_map({"Fancy": "Span"}, ("/Span", "/Fancy")))
    assert errors(audit_pdf(broken)) == []


@pytest.mark.slow
def test_table_without_header_cells_is_reported(essay: dict[str, Path], tmp_path: Path) -> None:
    def headerless(pdf: pikepdf.Pdf) -> None:
        _table_header_with_data_cell(pdf)
        _first(pdf, "/THead").S = pikepdf.Name.TBody

    findings = audit_pdf(_broken_pdf(essay["pdf"], tmp_path, headerless))
    assert any("no header cells (TH)" in f.message for f in findings if f.level == "warning")


@pytest.mark.slow
def test_plain_pdf_is_reported_as_untagged_not_audited(essay_build: Builder) -> None:
    findings = audit_pdf(essay_build(STYLE, pdf_variant="plain")["pdf"])
    assert [f.level for f in findings] == ["warning"]


# --- DOCX ------------------------------------------------------------------------------------

SMALL_MANUSCRIPT = """\
---
title: Über Bilder
lang: de-DE
---

# Einleitung

![Ein Diagramm der Seite](figure.png)

## Daten

| Jahr | Wert |
|------|------|
| 1950 | 3    |

![](figure.png)
"""


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small German manuscript with a described and an undescribed image and a table."""
    folder = tmp_path_factory.mktemp("german")
    shutil.copytree(PROJECT / "styles", folder / "styles")
    (folder / "manuscript").mkdir()
    (folder / "manuscript" / "bild.md").write_text(SMALL_MANUSCRIPT, encoding="utf-8")
    shutil.copy(
        PROJECT / "docs" / "images" / "essay-page1.png", folder / "manuscript" / "figure.png"
    )
    (folder / "refs.bib").write_text("", encoding="utf-8")
    config = load_config(
        None,
        project_dir=folder,
        overrides={
            "manuscript": str(folder / "manuscript" / "bild.md"),
            "bibliography": str(folder / "refs.bib"),
            "output_dir": str(folder / "output"),
            "formats": ["docx", "epub"],
        },
    )
    return build(config).outputs


@pytest.mark.slow
def test_essay_docx_passes_the_word_accessibility_checks(essay: dict[str, Path]) -> None:
    assert audit_docx(essay["docx"]) == []
    assert 'w:pStyle w:val="Heading2"' in docx_part(essay["docx"])


@pytest.mark.slow
def test_docx_carries_alt_text_table_header_language_and_title(german: dict[str, Path]) -> None:
    document = docx_part(german["docx"])
    assert 'descr="Ein Diagramm der Seite"' in document
    assert re.search(r"<w:tr>\s*<w:trPr>\s*<w:tblHeader", document)
    assert 'w:val="de-DE"' in docx_part(german["docx"], "word/styles.xml")
    assert "<dc:title>Über Bilder</dc:title>" in docx_part(german["docx"], "docProps/core.xml")
    assert 'w:pStyle w:val="Heading1"' in document


@pytest.mark.slow
def test_docx_image_without_alt_text_is_an_error(german: dict[str, Path]) -> None:
    assert errors(audit_docx(german["docx"])) == ["image 2 (Picture) has no alt text"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("part", "pattern", "expected"),
    [
        ("docProps/core.xml", rb"<dc:title>[^<]*</dc:title>", "no document title"),
        ("word/styles.xml", rb"<w:lang [^>]*/>", "no document language"),
        ("word/document.xml", rb"<w:tblHeader[^>]*/>", "has no header row"),
    ],
)
def test_docx_checks_fail_on_a_docx_broken_that_way(
    essay: dict[str, Path],
    german: dict[str, Path],
    tmp_path: Path,
    part: str,
    pattern: bytes,
    expected: str,
) -> None:
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(german["docx"]) as original, zipfile.ZipFile(broken, "w") as target:
        for info in original.infolist():
            data = original.read(info)
            target.writestr(info, re.sub(pattern, b"", data) if info.filename == part else data)
    assert any(expected in finding.message for finding in audit_docx(broken))


# --- EPUB: words in the document's language, and the conformance claim -----------------------


@pytest.mark.slow
def test_german_epub_labels_landmarks_and_summary_in_german(german: dict[str, Path]) -> None:
    with zipfile.ZipFile(german["epub"]) as book:
        nav = book.read("EPUB/nav.xhtml").decode()
        opf = book.read("EPUB/content.opf").decode()
    assert ">Titelseite</a>" in nav and ">Umschlag</a>" in nav
    assert "Einige Bilder haben keine Textbeschreibung." in opf
    # One image has no alt text: the package must not claim WCAG AA.
    assert "dcterms:conformsTo" not in opf


@pytest.mark.slow
def test_essay_epub_claims_wcag_aa_as_its_content_backs_it(essay: dict[str, Path]) -> None:
    with zipfile.ZipFile(essay["epub"]) as book:
        opf = book.read("EPUB/content.opf").decode()
    assert (
        '<meta property="dcterms:conformsTo">EPUB Accessibility 1.1 - WCAG 2.1 Level AA</meta>'
        in opf
    )


def test_the_artifacts_pass_on_weasyprint_bytes_matches_the_full_tokeniser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The post-pass rewrites WeasyPrint's streams as bytes (pdf_artifacts._PYDYF_MARKED_CONTENT);
    # it must take that path on a real tagged PDF and give what tokenising the stream gives.
    import shutil

    import pikepdf
    import weasyprint

    from typeset.formats.pdf.weasyprint import artifacts as pdf_artifacts

    html = (
        '<html lang="en"><head><style>@page { @top-center { content: "Running head" }'
        " @bottom-center { content: counter(page) } }</style></head><body>"
        + "".join(f"<h2>Part {n}</h2><p>Text <a href='#p{n}'>link</a> {n}.</p>" for n in range(40))
        + "</body></html>"
    )
    raw = tmp_path / "raw.pdf"
    weasyprint.HTML(string=html).write_pdf(raw, pdf_variant="pdf/ua-1")
    fast, slow = tmp_path / "fast.pdf", tmp_path / "slow.pdf"
    shutil.copy(raw, fast)
    shutil.copy(raw, slow)
    taken = []
    original = pdf_artifacts._rewrite_pydyf_content
    monkeypatch.setattr(
        pdf_artifacts,
        "_rewrite_pydyf_content",
        lambda *arguments: taken.append(original(*arguments)) or taken[-1],
    )
    converted = pdf_artifacts.mark_orphaned_content_as_artifacts(fast)
    assert converted > 0 and taken and all(taken)
    monkeypatch.setattr(pdf_artifacts, "_rewrite_pydyf_content", lambda *arguments: False)
    assert pdf_artifacts.mark_orphaned_content_as_artifacts(slow) == converted

    def operators(path: Path) -> list[list[tuple[list[str], str]]]:
        with pikepdf.open(path) as pdf:
            return [
                [
                    (list(map(str, i.operands)), str(i.operator))
                    for i in pikepdf.parse_content_stream(page)
                ]
                for page in pdf.pages
            ]

    assert operators(fast) == operators(slow)
    assert any(
        "/Artifact" in operands
        for page in operators(fast)
        for operands, operator in page
        if operator == "BDC"
    )
