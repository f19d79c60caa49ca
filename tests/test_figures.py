"""Figures as tools write them (issue 26 items 1-3) and every SVG trick closed (issue 27
item 3): the one SVG allow-list, PDF and EPS figures, a figure used many times stored once,
the reference DOCX without external relationships.

tests/data/figures/ holds SVGs and PDFs as the tools wrote them: matplotlib 3.11 (`savefig`
to .svg and .pdf, a line plot, an `imshow` heat map with its embedded PNG, a two-page
`PdfPages`), the heat map's PDF converted by pdftocairo (cairo's SVG, as R's svg() device
writes it), and SVGs in the exact shape of R's svglite and of Inkscape 1.2 (prologue,
metadata, styles, clip paths, gradients, markers, embedded PNG/JPEG, sodipodi and
inkscape namespaces), plus a hand-written EPS.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import DATA, PROJECT, build_arguments, docx_part, epub_xhtml
from typeset.cli import main
from typeset.images import ImageRefused, checked_svg, media_type_of

FIGURES = DATA / "figures"
TOOL_SVGS = sorted(FIGURES.glob("*.svg"))
BIB = "@book{doe2001, title={A Book}, author={Doe, Jane}, year=2001}\n"
HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def _png(width: int = 4, height: int = 4, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), 0).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def _svg(body: str, attributes: str = "") -> str:
    return f'{HEAD} width="10" height="10"{attributes}>{body}</svg>'


SCRIPTED = _svg("<script>alert(1)</script>").encode()
CLEAN = _svg('<rect width="5" height="5" fill="red"/>').encode()

# Each a class of the security issue: what must be refused, and a word of the reason.
HOSTILE_SVGS: dict[str, tuple[str, str]] = {
    "doctype-internal-subset": (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [<!ENTITY x "y">]>\n'
        + _svg("<text>&x;</text>"),
        "DOCTYPE",
    ),
    "doctype-entity-file": (
        '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + _svg("<text>&x;</text>"),
        "DOCTYPE",
    ),
    "doctype-other-dtd": (
        '<!DOCTYPE svg SYSTEM "http://127.0.0.1/evil.dtd">' + _svg(""),
        "DOCTYPE",
    ),
    "script": (_svg("<script>alert(1)</script>"), "script"),
    "foreign-object": (
        _svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'),
        "foreignObject",
    ),
    "xhtml-element": (_svg('<iframe xmlns="http://www.w3.org/1999/xhtml" src="x"/>'), "iframe"),
    "unknown-svg-element": (_svg("<iframe/>"), "iframe"),
    "font-face-uri": (
        _svg(
            '<font-face><font-face-src><font-face-uri xlink:href="#a"/></font-face-src></font-face>'
        ),
        "font-face-uri",
    ),
    "onload": (_svg("<rect/>", ' onload="alert(1)"'), "handler"),
    "onclick-nested": (_svg('<g><rect onclick="alert(1)"/></g>'), "handler"),
    "image-http": (_svg('<image xlink:href="http://127.0.0.1/p.png"/>'), "refers"),
    "image-file": (_svg('<image href="file:///etc/passwd"/>'), "refers"),
    "use-other-file": (_svg('<use href="other.svg#a"/>'), "refers"),
    "a-javascript": (_svg('<a xlink:href="javascript:alert(1)"><text>x</text></a>'), "refers"),
    "a-spaced-javascript": (_svg('<a href=" java\tscript:alert(1)"><text>x</text></a>'), "refers"),
    "feimage-http": (
        _svg('<filter id="f"><feImage href="http://127.0.0.1/x"/></filter>'),
        "refers",
    ),
    "smil-set-href": (
        _svg('<a href="#x"><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a>'),
        "href",
    ),
    "smil-animate-xlink-href": (
        _svg('<a><animate attributeName="xlink:href" values="javascript:alert(1)"/></a>'),
        "href",
    ),
    "smil-set-handler": (
        _svg('<rect><set attributeName="onclick" to="alert(1)"/></rect>'),
        "onclick",
    ),
    "smil-fill-remote": (
        _svg('<rect><animate attributeName="fill" to="url(http://127.0.0.1/p#g)"/></rect>'),
        "loads",
    ),
    "fill-remote": (_svg('<rect fill="url(http://127.0.0.1/x.svg#g)"/>'), "loads"),
    "stroke-remote": (_svg('<rect stroke="url(https://127.0.0.1/x.svg#g)"/>'), "loads"),
    "filter-file": (_svg('<rect filter="url(file:///etc/passwd#f)"/>'), "loads"),
    "clip-path-remote": (_svg("<rect clip-path=\"url('http://127.0.0.1/c#c')\"/>"), "loads"),
    "mask-remote": (_svg('<rect mask="url(http://127.0.0.1/m#m)"/>'), "loads"),
    "marker-end-remote": (_svg('<path d="M0 0" marker-end="url(http://127.0.0.1/m#m)"/>'), "loads"),
    "marker-start-file": (_svg('<path d="M0 0" marker-start="url(file:/etc/m#m)"/>'), "loads"),
    "cursor-remote": (_svg('<rect cursor="url(http://127.0.0.1/c.cur), auto"/>'), "loads"),
    "style-property-remote": (_svg('<rect style="fill: url(http://127.0.0.1/g#g)"/>'), "loads"),
    "style-escape": (_svg('<rect style="fill: u\\72l(http://127.0.0.1/g#g)"/>'), "loads"),
    "style-image-set": (_svg("<rect style=\"fill: image-set('http://x/a.png' 1x)\"/>"), "loads"),
    "stylesheet-import": (_svg("<style>@import 'http://127.0.0.1/a.css';</style>"), "loads"),
    "stylesheet-url": (_svg("<style>rect { fill: url(http://127.0.0.1/g#g) }</style>"), "loads"),
    "stylesheet-font": (
        _svg("<style>@font-face { font-family: a; src: url(file:///etc/passwd) }</style>"),
        "loads",
    ),
    "xml-stylesheet": (
        '<?xml version="1.0"?>\n<?xml-stylesheet href="http://127.0.0.1/a.css"?>\n' + _svg(""),
        "xml-stylesheet",
    ),
    "embedded-png-that-is-a-scripted-svg": (
        _svg(f'<image href="{_uri("image/png", SCRIPTED)}"/>'),
        "script",
    ),
    "embedded-jpeg-that-is-a-png": (
        _svg(f'<image href="{_uri("image/jpeg", _png())}"/>'),
        "declared",
    ),
    "embedded-png-that-is-html": (
        _svg(f'<image href="{_uri("image/png", b"<html><script>1</script></html>")}"/>'),
        "not an image",
    ),
    "embedded-gif": (
        _svg(f'<image href="{_uri("image/gif", b"GIF89a" + bytes(20))}"/>'),
        "only PNG",
    ),
    "embedded-pixel-bomb": (
        _svg(f'<image href="{_uri("image/png", _png(20000, 20000, "1"))}"/>'),
        "pixels",
    ),
    "embedded-svg-nesting": (
        _svg(
            '<image href="'
            + _uri(
                "image/svg+xml",
                _svg(
                    '<image href="'
                    + _uri(
                        "image/svg+xml",
                        _svg(f'<image href="{_uri("image/svg+xml", CLEAN)}"/>').encode(),
                    )
                    + '"/>'
                ).encode(),
            )
            + '"/>'
        ),
        "nested",
    ),
    "not-svg-root": ('<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>', "root"),
}


@pytest.mark.parametrize("path", TOOL_SVGS, ids=[path.name for path in TOOL_SVGS])
def test_svg_as_a_tool_writes_it_is_accepted(path: Path) -> None:
    data = path.read_bytes()
    checked = checked_svg(data)
    assert b"<!DOCTYPE" not in checked  # matplotlib's standard DOCTYPE is removed
    assert checked.replace(b"\n", b"").strip() != b""
    if b"<!DOCTYPE" not in data:
        assert checked == data  # nothing else is rewritten


def test_the_tool_svgs_carry_what_the_issue_names() -> None:
    """The fixtures stay realistic: a DOCTYPE, embedded PNG and JPEG, editors' namespaces."""
    every = b"".join(path.read_bytes() for path in TOOL_SVGS)
    assert b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"' in every
    for needle in (b"data:image/png;base64", b"data:image/jpeg;base64", b"sodipodi:namedview"):
        assert needle in every
    assert b"<rdf:RDF" in every and b"clip-path" in every and b"<style" in every


@pytest.mark.parametrize("name", sorted(HOSTILE_SVGS))
def test_hostile_svg_is_refused(name: str) -> None:
    text, reason = HOSTILE_SVGS[name]
    with pytest.raises(ImageRefused, match=reason):
        checked_svg(text.encode())


def test_an_svg_inside_a_data_png_in_an_svg_is_checked_as_svg() -> None:
    checked_svg(_svg(f'<image href="{_uri("image/png", CLEAN)}"/>').encode())
    with pytest.raises(ImageRefused, match="script"):
        checked_svg(_svg(f'<image href="{_uri("image/png", SCRIPTED)}"/>').encode())


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.0//EN" '
        '"http://www.w3.org/TR/2001/REC-SVG-20010904/DTD/svg10.dtd">',
        "<!DOCTYPE svg PUBLIC '-//W3C//DTD SVG 1.1 Tiny//EN' "
        "'http://www.w3.org/Graphics/SVG/1.1/DTD/svg11-tiny.dtd'>",
        "<!DOCTYPE svg>",
    ],
)
def test_a_doctype_naming_only_the_svg_dtd_is_removed(doctype: str) -> None:
    checked = checked_svg(f'<?xml version="1.0"?>\n{doctype}\n{CLEAN.decode()}'.encode())
    assert b"DOCTYPE" not in checked and b"<rect" in checked


def test_local_references_stay_allowed() -> None:
    checked_svg(
        _svg(
            '<defs><linearGradient id="g"/><clipPath id="c"><rect/></clipPath></defs>'
            '<rect fill="url(#g)" clip-path="url(#c)" style="stroke: url( \'#g\' )"/>'
            '<use xlink:href="#c"/><animate attributeName="opacity" to="0.5"/>'
        ).encode()
    )


def test_type_is_read_from_bytes_not_name() -> None:
    assert media_type_of(_png()) == "image/png"
    assert media_type_of(CLEAN) == "image/svg+xml"
    assert media_type_of(b"\xef\xbb\xbf<?xml version='1.0'?>\n" + CLEAN) == "image/svg+xml"
    assert media_type_of((FIGURES / "matplotlib-line.pdf").read_bytes()) == "application/pdf"
    assert media_type_of((FIGURES / "growth.eps").read_bytes()) == "application/postscript"
    assert media_type_of(b"<html><body>x</body></html>") is None


# --- the reference DOCX ---------------------------------------------------------------------

SETTINGS_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/attachedTemplate" Target="http://127.0.0.1:9/template.dotm" '
    'TargetMode="External"/></Relationships>'
)


def hostile_reference(folder: Path) -> Path:
    """The project's reference DOCX with an attachedTemplate on a server and an external
    image relationship in the document part."""
    source = PROJECT / "styles" / "reference-finished.docx"
    target = folder / "reference.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "word/settings.xml":
                data = data.replace(
                    b"<w:zoom ",
                    b'<w:attachedTemplate r:id="rIdT" '
                    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships"/><w:zoom ',
                    1,
                )
                assert b"attachedTemplate" in data
            if member.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/image" '
                    b'Target="file:///etc/hostname" TargetMode="External"/></Relationships>',
                )
            copy.writestr(member, data)
        copy.writestr("word/_rels/settings.xml.rels", SETTINGS_RELS)
    return target


def test_reference_docx_loses_its_external_relationships(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from typeset.formats.docx.reference import sealed_reference

    reference = hostile_reference(tmp_path)
    workdir = tmp_path / "work"
    workdir.mkdir()
    with caplog.at_level(logging.WARNING):
        sealed = sealed_reference(reference, workdir)
    assert sealed != reference
    with zipfile.ZipFile(sealed) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    assert not any(b'TargetMode="External"' in data for data in parts.values())
    assert b"attachedTemplate" not in parts["word/settings.xml"]
    assert b"<w:zoom" in parts["word/settings.xml"]  # the rest of the settings kept
    assert "template.dotm" in caplog.text and "/etc/hostname" in caplog.text
    assert "example.com" not in caplog.text  # the sample web link: removed silently


# --- builds -------------------------------------------------------------------------------------


def project(folder: Path, text: str, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "paper.md").write_text(text)
    (folder / "refs.bib").write_text(BIB)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def build(folder: Path, *args: str) -> int:
    return main([*build_arguments(folder / "paper.md", folder / "out"), *args])


def figure_files(*names: str) -> dict[str, bytes]:
    return {name: (FIGURES / name).read_bytes() for name in names}


@pytest.mark.slow
def test_tool_svgs_build_into_every_format(tmp_path: Path) -> None:
    names = [path.name for path in TOOL_SVGS]
    body = "".join(f"![Figure from {name}]({name})\n\n" for name in names)
    folder = project(tmp_path, f"---\ntitle: Plots\nlang: en\n---\n\n{body}", figure_files(*names))
    assert build(folder) == 0
    with zipfile.ZipFile(folder / "out" / "paper.epub") as epub:
        svgs = [name for name in epub.namelist() if name.endswith(".svg")]
        assert len(svgs) == len(names)
        assert not any(b"<!DOCTYPE" in epub.read(name) for name in svgs)
    with zipfile.ZipFile(folder / "out" / "paper.docx") as docx:
        media = [n for n in docx.namelist() if n.startswith("word/media/")]
        # every Word shows a PNG (SVG only since 2016): drawn at 300 dpi, sized as drawn
        assert len(media) == len(names) and all(n.endswith(".png") for n in media)
        with Image.open(io.BytesIO(docx.read(media[0]))) as picture:
            assert round(picture.info["dpi"][0]) == 300
    extents = re.findall(r'<wp:extent cx="(\d+)"', docx_part(folder / "out" / "paper.docx"))
    # matplotlib's line plot is 3 inches wide (914,400 EMU an inch)
    assert any(abs(int(cx) - 3 * 914_400) < 20_000 for cx in extents), extents


def test_the_docx_shows_an_svg_as_its_png_drawn_by_the_docx_writer_alone(tmp_path: Path) -> None:
    """Word shows SVG only since 2016: the DOCX gets the SVG drawn as a 300-dpi PNG. The
    DOCX writer draws it in its own process, so a build without the DOCX draws nothing."""
    from typeset.figures import raster_rendition
    from typeset.media import media_folder

    # Bytes of this test's own: no other build of the session stored this SVG.
    chart = f'{HEAD} width="96" height="48"><title>{tmp_path.name}</title><rect width="8"/></svg>'
    text = "---\ntitle: Chart\nlang: en\n---\n\n![A chart](chart.svg)\n"
    folder = project(tmp_path, text, {"chart.svg": chart.encode()})
    stored = media_folder(folder) / f"{hashlib.sha256(checked_svg(chart.encode())).hexdigest()}.svg"
    assert build(folder, "--to", "epub") == 0
    assert stored.is_file() and not Path(f"{stored}.png").exists()
    # Two formats written (none from the cache): each writer in a process of its own, as
    # in a full build.
    assert build(folder, "--to", "epub,docx", "--force") == 0
    with zipfile.ZipFile(folder / "out" / "paper.docx") as docx:
        (medium,) = [n for n in docx.namelist() if n.startswith("word/media/")]
        png = docx.read(medium)
    assert medium.endswith(".png")
    assert png == raster_rendition(checked_svg(chart.encode()))  # the SVG as rsvg draws it
    with Image.open(io.BytesIO(png)) as picture:
        assert round(picture.info["dpi"][0]) == 300 and picture.size == (300, 150)  # an inch
    with zipfile.ZipFile(folder / "out" / "paper.epub") as epub:
        assert [n for n in epub.namelist() if n.endswith(".svg")]


@pytest.mark.slow
def test_the_docx_shows_a_pdf_figure_as_its_page_drawn_by_pdftocairo(tmp_path: Path) -> None:
    """A figure converted from PDF: the PDF and the EPUB show its SVG, the DOCX the page
    drawn by pdftocairo at print resolution (by the DOCX writer, from the source the seal
    stored beside the SVG), not the SVG drawn again."""
    from typeset.figures import converted_raster

    data = (FIGURES / "matplotlib-two-pages.pdf").read_bytes()
    text = "---\ntitle: Heat\nlang: en\n---\n\n![A heat map](heat.pdf){page=2}\n"
    folder = project(tmp_path, text, {"heat.pdf": data})
    assert build(folder, "--to", "epub,docx", "--force") == 0
    with zipfile.ZipFile(folder / "out" / "paper.docx") as docx:
        (medium,) = [n for n in docx.namelist() if n.startswith("word/media/")]
        assert docx.read(medium) == converted_raster(data, "application/pdf", page=2)


def test_a_stored_svg_changed_after_the_seal_is_not_drawn_for_word(tmp_path: Path) -> None:
    """The DOCX writer reads the SVG back from the media folder: only bytes that still
    match the digest they were checked and named under are drawn."""
    from typeset.media import with_raster_renditions

    def image(path: Path) -> dict[str, object]:
        return {"t": "Image", "c": [["", [], []], [], [str(path), ""]]}

    good = tmp_path / f"{hashlib.sha256(CLEAN).hexdigest()}.svg"
    good.write_bytes(CLEAN)
    swapped = tmp_path / f"{hashlib.sha256(CLEAN).hexdigest()[::-1]}.svg"
    swapped.write_bytes(CLEAN)
    document = {"blocks": [{"t": "Para", "c": [image(good), image(swapped)]}]}
    shown = with_raster_renditions(document, tmp_path)
    good_shown, swapped_shown = (node["c"][2][0] for node in shown["blocks"][0]["c"])
    assert good_shown == f"{good}.png" and Path(good_shown).read_bytes().startswith(b"\x89PNG")
    assert swapped_shown == str(swapped) and not Path(f"{swapped}.png").exists()


@pytest.mark.slow
def test_pdf_and_eps_figures_are_vector_in_the_pdf_and_shown_in_epub_and_docx(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import pdfplumber

    text = (
        "---\ntitle: Converted figures\nlang: en\n---\n\n"
        "# Results\n\nSee [@doe2001].\n\n"
        "![A line plot](matplotlib-line.pdf){#fig-line}\n\n"
        "![Growth](growth.eps){#fig-growth}\n\n"
        "![The second page](matplotlib-two-pages.pdf){page=2}\n\n"
        "![The first page](matplotlib-two-pages.pdf)\n"
    )
    files = figure_files("matplotlib-line.pdf", "growth.eps", "matplotlib-two-pages.pdf")
    folder = project(tmp_path, text, files)
    with caplog.at_level(logging.WARNING):
        assert build(folder) == 0
    # the two-page PDF without page=: the first page, and a warning naming its line
    assert "paper.md:16" in caplog.text and "has 2 pages" in caplog.text
    out = folder / "out"
    with pdfplumber.open(out / "paper.pdf") as pdf:
        images = [image for page in pdf.pages for image in page.images]
        paths = sum(len(page.curves) + len(page.lines) + len(page.rects) for page in pdf.pages)
    with pdfplumber.open(FIGURES / "matplotlib-two-pages.pdf") as source:
        heat_map = [tuple(image["srcsize"]) for image in source.pages[1].images]
    # No raster stands in for a figure: the one image is the heat map's cells, a bitmap
    # in the source PDF too, at its own size; the rest is drawn as paths.
    assert [tuple(image["srcsize"]) for image in images] == heat_map
    assert paths > 50
    assert (
        "Growth"
        in subprocess.run(
            ["pdftotext", str(out / "paper.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    xhtml = epub_xhtml(out / "paper.epub")
    with zipfile.ZipFile(out / "paper.epub") as epub:
        svgs = [name for name in epub.namelist() if name.endswith(".svg")]
        # line, growth, page 2, page 1 of the two-page PDF: page 1 is the line plot again
        assert len(svgs) == 3
        for name in svgs:
            assert Path(name).name in xhtml
            checked_svg(epub.read(name))
    document = docx_part(out / "paper.docx")
    with zipfile.ZipFile(out / "paper.docx") as docx:
        media = [name for name in docx.namelist() if name.startswith("word/media/")]
        assert media and all(name.endswith(".png") for name in media)  # what any Word shows
        with Image.open(io.BytesIO(docx.read(media[0]))) as picture:
            assert picture.width >= 600  # print resolution, not screen
    assert document.count("<pic:pic") == 4
    # No path of the author's machine in the package (pandoc writes an image's path there).
    assert 'descr="/' not in document and str(tmp_path) not in document


@pytest.mark.slow
def test_a_damaged_pdf_figure_is_a_clean_error_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project(
        tmp_path, "Text.\n\n![Plot](plot.pdf)\n", {"plot.pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\n"}
    )
    assert build(folder) == 1
    error = capsys.readouterr().err
    assert "paper.md:3" in error and "plot.pdf" in error and "Traceback" not in error
    assert not (folder / "out").exists() or not list((folder / "out").iterdir())


@pytest.mark.slow
def test_a_page_the_pdf_figure_lacks_is_a_clean_error_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "Text.\n\n![A](panels.pdf)\n\n![B](panels.pdf){page=5}\n"
    panels = (FIGURES / "matplotlib-two-pages.pdf").read_bytes()
    folder = project(tmp_path, text, {"panels.pdf": panels})
    assert build(folder) == 1
    error = capsys.readouterr().err
    assert "paper.md:5" in error and "no page 5" in error and "Traceback" not in error


@pytest.mark.slow
def test_a_data_png_holding_a_scripted_svg_is_removed_and_a_clean_one_kept_as_svg(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        "---\ntitle: Inline\nlang: en\n---\n\n"
        f"![bad]({_uri('image/png', SCRIPTED)})\n\n"
        f"![good]({_uri('image/png', CLEAN)})\n\n"
        f'<img alt="raw" src="{_uri("image/png", SCRIPTED)}">\n'
    )
    folder = project(tmp_path, text, {})
    with caplog.at_level(logging.WARNING):
        assert build(folder, "--to", "epub") == 0
    assert "script" in caplog.text
    with zipfile.ZipFile(folder / "out" / "paper.epub") as epub:
        media = [name for name in epub.namelist() if "/media/" in name]
        svgs = [name for name in media if name.endswith(".svg")]
        assert len(svgs) == 1 and b"<script" not in epub.read(svgs[0])
        assert not any(b"<script" in epub.read(name) for name in epub.namelist())


@pytest.mark.slow
def test_an_svg_cover_image_passes_the_allow_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project(tmp_path, "---\ntitle: T\nlang: en\n---\n\nText.\n", {"cover.png": SCRIPTED})
    config = folder / "typeset.yaml"
    config.write_text(f"cover_image: {folder / 'cover.png'}\n")
    assert build(folder, "--config", str(config), "--to", "epub") == 1
    error = capsys.readouterr().err
    assert "cover.png" in error and "script" in error


@pytest.mark.slow
def test_the_docx_built_with_a_hostile_reference_has_no_external_relationship(
    tmp_path: Path,
) -> None:
    folder = project(tmp_path, "---\ntitle: T\nlang: en\n---\n\nText [@doe2001].\n", {})
    reference = hostile_reference(folder)
    config = folder / "typeset.yaml"
    config.write_text(f"docx_reference: {reference}\n")
    assert build(folder, "--config", str(config), "--to", "docx") == 0
    with zipfile.ZipFile(folder / "out" / "paper.docx") as docx:
        rels = b"".join(docx.read(n) for n in docx.namelist() if n.endswith(".rels"))
        settings = docx.read("word/settings.xml")
    assert b"127.0.0.1" not in rels and b"/etc/hostname" not in rels
    assert b"attachedTemplate" not in settings


def _noise_png(side: int) -> bytes:
    """A PNG that does not compress: `side` x `side` RGB noise (about 3 bytes a pixel)."""
    generator = random.Random(26)
    pixels = bytes(generator.getrandbits(8) for _ in range(side * side * 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG")
    return buffer.getvalue()


REFERENCES = 300
# Measured: 0.45 GB for the largest process; each reference a data: URI took
# over 6 GB before.
PEAK_MEMORY_BYTES = 1_200 * 1024 * 1024


@pytest.mark.slow
def test_a_figure_used_300_times_is_stored_once_in_bounded_memory(tmp_path: Path) -> None:
    big = _noise_png(820)
    assert len(big) > 2_000_000
    body = "".join(f"Panel {index}.\n\n![Sample]({'big.png'})\n\n" for index in range(REFERENCES))
    folder = project(tmp_path, f"---\ntitle: Repeated\nlang: en\n---\n\n{body}", {"big.png": big})
    # A child process, so that its peak memory (and its writers') is its own.
    script = (
        "import resource, sys\n"
        "from typeset.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(max(own, children) * 1024)\n"
        "sys.exit(code)\n"
    )
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            *build_arguments(folder / "paper.md", folder / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=False,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    peak = int(completed.stdout.strip().splitlines()[-1])
    assert peak < PEAK_MEMORY_BYTES, f"peak memory {peak / 1e6:.0f} MB"
    out = folder / "out"
    with zipfile.ZipFile(out / "paper.epub") as epub:
        copies = [n for n in epub.namelist() if "/media/" in n and epub.getinfo(n).file_size > 1e6]
        assert len(copies) == 1
        assert epub_xhtml(out / "paper.epub").count(Path(copies[0]).name) == REFERENCES
    with zipfile.ZipFile(out / "paper.docx") as docx:
        media = [n for n in docx.namelist() if n.startswith("word/media/")]
        assert len(media) == 1
    assert docx_part(out / "paper.docx").count("<pic:pic") == REFERENCES
    listing = subprocess.run(
        ["pdfimages", "-list", str(out / "paper.pdf")], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(listing) == REFERENCES  # drawn 300 times...
    assert len({line.split()[10] for line in listing}) == 1  # ...from one image object
    assert (out / "paper.pdf").stat().st_size < 3 * len(big)


@pytest.mark.slow
def test_a_book_laid_out_in_parts_keeps_one_copy_of_a_figure(tmp_path: Path) -> None:
    """pdf_parallel lays a book out in parts, each with its own copy of a figure the
    parts share; the joined book keeps one."""
    import pikepdf
    import weasyprint

    from typeset.formats.pdf.parallel import share_identical_images

    figure = tmp_path / "figure.png"
    figure.write_bytes(_noise_png(64))
    parts = []
    for index in range(3):
        part = tmp_path / f"part{index}.pdf"
        html = f'<p>Part {index}</p><img src="{figure.name}"><img src="{figure.name}">'
        weasyprint.HTML(string=html, base_url=str(tmp_path) + "/").write_pdf(part)
        parts.append(part)
    joined = pikepdf.open(parts[0])
    for part in parts[1:]:
        joined.pages.extend(pikepdf.open(part).pages)
    share_identical_images(joined)
    joined.save(tmp_path / "book.pdf")
    listing = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "book.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    assert len(listing) == 6
    assert len({line.split()[10] for line in listing}) == 1


@pytest.mark.slow
def test_a_converted_figure_is_cached_by_content_and_a_tampered_entry_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typeset import figures
    from typeset.cache import BuildCache

    cache = BuildCache(tmp_path / "cache", read=True)
    data = (FIGURES / "growth.eps").read_bytes()
    converted = figures.converted_figure(data, "application/postscript", cache=cache)
    png = figures.converted_raster(data, "application/postscript", cache=cache)
    assert b"<path" in converted.svg and png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as picture:  # 200 x 100 pt at 300 dpi
        assert abs(picture.width - 833) <= 1 and abs(picture.height - 417) <= 1

    def no_tool(*args: object) -> None:
        raise AssertionError("converted again")

    with monkeypatch.context() as patch:
        patch.setattr(figures, "_converted", no_tool)
        assert figures.converted_figure(data, "application/postscript", cache=cache) == converted
        assert figures.converted_raster(data, "application/postscript", cache=cache) == png
    (entry,) = (tmp_path / "cache" / "figure").iterdir()
    seal, _, body = entry.read_text().partition("\n")  # the cache's seal line, then JSON
    tampered = json.loads(body)
    tampered["svg"] = base64.b64encode(SCRIPTED).decode()
    entry.write_text(seal + "\n" + json.dumps(tampered))
    again = figures.converted_figure(data, "application/postscript", cache=cache)
    assert again == converted  # converted anew, not served from the tampered entry


def test_a_png_declares_the_resolution_it_was_drawn_at() -> None:
    from typeset.figures import with_resolution

    marked = with_resolution(_png(30, 20), 300)
    with Image.open(io.BytesIO(marked)) as picture:
        picture.load()  # the chunk's CRC is checked
        assert picture.size == (30, 20) and round(picture.info["dpi"][0]) == 300
    assert with_resolution(marked, 300) == marked
