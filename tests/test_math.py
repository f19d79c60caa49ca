"""Math: TeX typeset as MathJax SVGs in the PDF, MathML in the EPUB, Word equations in
the DOCX; alt text on every equation; a bad equation boxed with a warning; the cache."""

from __future__ import annotations

import collections
import json
import logging
import os
import re
import shutil
import zipfile
from pathlib import Path
from random import Random

import pdfplumber
import pikepdf
import pytest

from tests import conftest
from tests.conftest import PROJECT, epub_xhtml, pdf_printed_text, pdf_text
from typeset import ast, build
from typeset.errors import ToolError
from typeset.formats.pdf.math import prepare
from typeset.mathjax import Equation, RenderedEquation, render_equations
from typeset.pandoc import run_pandoc

MATH_DATA = PROJECT / "tests" / "data" / "math"
TORTURE = MATH_DATA / "torture.md"


def config_for(manuscript: Path, output: Path, formats: str) -> object:
    return conftest.config_for(
        manuscript, MATH_DATA / "refs.bib", output_dir=output, formats=formats
    )


def torture_equations() -> list[tuple[str, bool]]:
    document = json.loads(run_pandoc(["--from", "markdown", "--to", "json"], TORTURE.read_bytes()))
    return [
        (node["c"][1], node["c"][0]["t"] == "DisplayMath")
        for node in ast.walk(document["blocks"])
        if node["t"] == "Math"
    ]


def structure_elements(pdf_path: Path, kinds: tuple[str, ...]) -> list[pikepdf.Dictionary]:
    """Structure elements of the given kinds (/Figure, /Formula) in the tagged PDF."""
    found: list[pikepdf.Dictionary] = []
    with pikepdf.open(pdf_path) as pdf:
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            node = stack.pop()
            if not isinstance(node, pikepdf.Dictionary):
                continue
            if str(node.get("/S", "")) in kinds:
                found.append({"S": str(node.S), "Alt": str(node.get("/Alt", ""))})
            children = node.get("/K")
            if isinstance(children, pikepdf.Array):
                stack.extend(children)
            elif children is not None:
                stack.append(children)
    return found


@pytest.fixture(scope="module")
def torture_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Path], list[logging.LogRecord]]:
    """The torture file in all three formats, once for the module and with a cold cache,
    with the PDF writer's log (the PDF is built alone: writers of a multi-format build
    log from worker processes)."""
    output = tmp_path_factory.mktemp("math-torture")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("typeset")
    saved_cache = os.environ.get("TYPESET_CACHE_DIR")
    os.environ["TYPESET_CACHE_DIR"] = str(output / "cache")
    logger.addHandler(handler)
    try:
        outputs = dict(build(config_for(TORTURE, output, "pdf")).outputs)  # type: ignore[arg-type]
        outputs.update(build(config_for(TORTURE, output, "epub,docx")).outputs)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
        if saved_cache is None:
            os.environ.pop("TYPESET_CACHE_DIR", None)
        else:
            os.environ["TYPESET_CACHE_DIR"] = saved_cache
    return outputs, records


def test_torture_file_has_at_least_100_equations_of_both_kinds() -> None:
    equations = torture_equations()
    assert len(equations) >= 100
    assert sum(display for _, display in equations) >= 30
    environments = "".join(tex for tex, _ in equations)
    for needed in (
        "aligned",
        "cases",
        "pmatrix",
        "bmatrix",
        r"\text",
        r"\mathbb",
        r"\operatorname",
        r"\left",
        r"\tag",
        "multline",
    ):
        assert needed in environments


@pytest.mark.slow
def test_every_torture_equation_renders_without_a_tex_error(
    torture_build: tuple[dict[str, Path], list[logging.LogRecord]],
) -> None:
    _, records = torture_build
    assert [r.getMessage() for r in records if "TeX error" in r.getMessage()] == []


@pytest.mark.slow
def test_pdf_text_has_no_tex_source(
    torture_build: tuple[dict[str, Path], list[logging.LogRecord]],
) -> None:
    """No equation is printed as its TeX: the only TeX in the page is each equation's
    invisible search-and-copy text, an artifact (typeset/formats/pdf/weasyprint/math_text.py)."""
    text = pdf_printed_text(torture_build[0]["pdf"])
    assert "Math torture test" in text
    assert re.findall(r"\\[A-Za-z]+|\\\\|\$\$|\^\{|_\{", text) == []


@pytest.mark.slow
def test_search_and_copy_find_the_torture_equations_tex(
    torture_build: tuple[dict[str, Path], list[logging.LogRecord]],
) -> None:
    text = pdf_text(torture_build[0]["pdf"])
    assert r"\frac" in text and r"\begin{aligned}" in text


@pytest.mark.slow
def test_every_equation_is_a_tagged_figure_with_its_tex_as_alt(
    torture_build: tuple[dict[str, Path], list[logging.LogRecord]],
) -> None:
    figures = structure_elements(torture_build[0]["pdf"], ("/Figure", "/Formula"))
    assert len(figures) >= len(torture_equations())
    assert all(figure["Alt"] for figure in figures)
    alts = {figure["Alt"] for figure in figures}
    assert r"\int_{-\infty}^{\infty} e^{-x^2} \, dx = \sqrt{\pi}" in alts
    # the \tag is printed as an HTML number beside the equation, not read out twice
    assert "E = mc^2" in alts


@pytest.mark.slow
def test_epub_keeps_mathml(
    torture_build: tuple[dict[str, Path], list[logging.LogRecord]],
) -> None:
    xhtml = epub_xhtml(torture_build[0]["epub"])
    # pandoc's texmath cannot read \tag* nor a \label outside an environment: it leaves
    # those two as TeX (MathJax in the PDF reads them).
    unreadable = re.compile(r"\\tag\*|^x \\label")
    convertible = [tex for tex, _ in torture_equations() if not unreadable.search(tex.strip())]
    assert xhtml.count("<math") >= len(convertible)
    assert 'focusable="false"' not in xhtml  # no MathJax SVG: e-readers get MathML


@pytest.mark.slow
def test_docx_keeps_word_equations(
    torture_build: tuple[dict[str, Path], list[logging.LogRecord]],
) -> None:
    with zipfile.ZipFile(torture_build[0]["docx"]) as archive:
        document = archive.read("word/document.xml").decode()
    assert document.count("<m:oMath>") + document.count("<m:oMath ") >= 100


def test_a_tag_becomes_an_html_number_and_multline_a_multlined() -> None:
    tagged = prepare(r"E = mc^2 \tag{3.1}", display=True)
    assert (tagged.equation.tex, tagged.number) == ("E = mc^2", "(3.1)")
    starred = prepare(r"F = ma \tag*{(Newton)}", display=True)
    assert starred.number == "(Newton)"
    multline = prepare(r"\begin{multline} a \\ b \end{multline}", display=True)
    assert multline.equation.tex == r"\begin{multlined} a \\ b \end{multlined}"


def test_without_node_the_math_error_says_to_run_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolError) as raised:
        render_equations([Equation("x", display=False)], PROJECT)
    assert "Node.js is not installed" in raised.value.message
    assert "typeset setup" in (raised.value.hint or "")


BAD_MANUSCRIPT = """\
---
title: One bad equation
lang: en-US
---

Good math $a + b = c$ first.

Then a broken one: $\\frac{1}{2$ in the middle,
and good math again: $$ \\sum_i x_i $$
"""


@pytest.mark.slow
def test_a_bad_equation_warns_with_its_line_and_prints_boxed_source(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    manuscript = tmp_path / "bad.md"
    manuscript.write_text(BAD_MANUSCRIPT)
    caplog.set_level(logging.WARNING, logger="typeset")
    pdf = build(config_for(manuscript, tmp_path / "out", "pdf")).outputs["pdf"]  # type: ignore[arg-type]
    warnings = [r.getMessage() for r in caplog.records if "TeX error" in r.getMessage()]
    assert len(warnings) == 1
    assert f"{manuscript}:8:" in warnings[0]
    assert r"\frac{1}{2" in warnings[0]
    text = pdf_printed_text(pdf)
    assert r"\frac{1}{2" in text  # the source, in its box
    assert "a + b" not in text  # the good equations are typeset
    with pdfplumber.open(pdf) as document:
        # WeasyPrint draws a border as a filled frame: rectangles as wide as the source
        boxes = [r for r in document.pages[0].rects if r["width"] > 20 and r["height"] > 5]
    assert boxes, "the bad equation has a visible box around it"


def _built_three_equations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A manuscript of three equations, built once as PDF into a cache of its own."""
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    manuscript = tmp_path / "cached.md"
    shutil.copy(MATH_DATA / "refs.bib", tmp_path / "refs.bib")
    manuscript.write_text("---\ntitle: Cache\nlang: en\n---\n\n$x^2$ and $y^2$ and $$z$$\n")
    build(config_for(manuscript, tmp_path / "out", "pdf"))  # type: ignore[arg-type]
    return manuscript


@pytest.mark.slow
def test_a_rebuild_renders_only_the_new_equation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    manuscript = _built_three_equations(tmp_path, monkeypatch)
    manuscript.write_text(manuscript.read_text() + "\nNew: $w^3$.\n")
    caplog.set_level(logging.DEBUG, logger="typeset.formats.pdf.math")
    build(config_for(manuscript, tmp_path / "out", "pdf"))  # type: ignore[arg-type]
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("math:")]
    # rendered once, ahead of the writer (typeset/formats/pdf/math.py render_meanwhile)
    assert messages[0] == "math: 3 equations cached, 1 to render"
    assert all(message.endswith(" 0 to render") for message in messages[1:])


def test_an_amsmath_environment_in_the_markdown_is_display_math_for_the_pdf() -> None:
    from typeset.formats.pdf.math import _environment_as_math

    align = "\\begin{align}\nx &= 1, \\\\\ny &= 2.\n\\end{align}"
    assert _environment_as_math({"t": "RawInline", "c": ["tex", align]}) == {
        "t": "Math",
        "c": [{"t": "DisplayMath"}, align],
    }
    assert _environment_as_math({"t": "RawInline", "c": ["tex", "\\newpage"]}) is None
    assert _environment_as_math({"t": "RawInline", "c": ["html", align]}) is None


def _page_pixels(html: str, folder: Path) -> list[bytes]:
    """Each page of `html` as WeasyPrint draws it, rasterised at 150 dpi (grey bytes)."""
    import subprocess

    import weasyprint
    from PIL import Image

    pdf = folder / "pages.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(folder / "p")],
                   check=True)  # fmt: skip
    return [Image.open(png).tobytes() for png in sorted(folder.glob("p-*.png"))]


@pytest.mark.slow
def test_a_flattened_svg_draws_the_same_picture_with_one_path(tmp_path: Path) -> None:
    import base64

    from typeset.formats.pdf.flat_svg import flattened

    tex = [
        (r"\hat{\theta}_n \in \mathbb{R}^d", False),
        (r"\frac{1}{\sqrt{K}} \sum_{i=1}^{n} x_i^{2}", False),
        (r"f(x) = \begin{cases} x^2 & \text{if } x \ge 0, \\ -x \end{cases}", True),
        (r"A = \begin{pmatrix} \lambda & 5 \\ 1 & \lambda^2 \end{pmatrix} \overline{xy}", True),
        (r"\left[ \int_0^1 e^{-t^2/2} \, dt \right]^{1/2}", True),
    ]  # fmt: skip
    rendered = render_equations([Equation(t, d) for t, d in tex], PROJECT)
    svgs = [r.svg or "" for r in rendered]
    flat = [flattened(svg) for svg in svgs]
    for svg in flat:
        outside_windows = re.sub(r'<g transform="matrix[^"]*"><svg.*?</svg></g>', "", svg)
        # one path and the root flip, besides the clipped windows on stretched glyphs
        assert outside_windows.count("<path") == 1 and outside_windows.count("transform=") == 1

    def page(images: list[str]) -> str:
        return "".join(
            f'<p style="margin: 0 0 1cm; font-size: 20pt"><img style="height: 8ex" '
            f'src="data:image/svg+xml;base64,{base64.b64encode(s.encode()).decode()}"></p>'
            for s in images
        )

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before, after = (
        _page_pixels(page(svgs), tmp_path / "a"),
        _page_pixels(page(flat), tmp_path / "b"),
    )
    assert len(before) == len(after) == 1
    differing = sum(abs(x - y) > 64 for x, y in zip(before[0], after[0], strict=True))
    inked = sum(x < 128 for x in before[0])
    assert inked > 1000  # the equations are drawn at all
    assert differing < inked / 100  # antialiasing at the edges, at most


def test_an_svg_flattening_does_not_handle_is_left_as_it_is() -> None:
    from typeset.formats.pdf.flat_svg import flattened

    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 -500 500 600"><g stroke="currentColor"'
        ' fill="currentColor" stroke-width="0" transform="scale(1,-1)"><g fill="red">'
        '<path d="M0 0L100 0L100 100Z"/></g><use href="#x"/></g></svg>'
    )
    assert flattened(svg) == svg  # colour and <use>: drawn as MathJax made them
    relative = svg.replace('<g fill="red">', "<g>").replace('<use href="#x"/>', "")
    assert flattened(relative) != relative
    assert flattened(relative.replace("L100 0L100 100Z", "l100 0l0 100z")) == relative.replace(
        "L100 0L100 100Z", "l100 0l0 100z"
    )


@pytest.mark.slow
def test_equations_rendered_ahead_are_in_the_cache_when_the_writer_asks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typeset import ast
    from typeset.formats.pdf.math import math_rewrite, render_meanwhile
    from typeset.manuscript import read_manuscript

    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    manuscript_path = tmp_path / "ahead.md"
    manuscript_path.write_text("---\ntitle: Ahead\nlang: en\n---\n\n$a^2$, $b_1$ and $$c$$\n")
    config = config_for(manuscript_path, tmp_path / "out", "pdf")
    manuscript = read_manuscript(manuscript_path, {})
    caplog.set_level(logging.DEBUG, logger="typeset.formats.pdf.math")
    render_meanwhile(manuscript.document, config)  # type: ignore[arg-type]
    rewrite = math_rewrite(manuscript.document, manuscript, config)  # type: ignore[arg-type]
    assert rewrite is not None
    document = ast.transform(manuscript.document, rewrite)
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("math:")]
    assert messages == [
        "math: 0 equations cached, 3 to render",
        "math: 3 equations cached, 0 to render",
    ]
    html = json.dumps(document)
    assert html.count("typeset-math:") == 3


def test_the_faster_svg_length_parser_gives_weasyprints_own_results() -> None:
    import weasyprint.svg
    from weasyprint.svg import utils

    from typeset.formats.pdf.weasyprint.svg import faster_svg_lengths

    assert faster_svg_lengths()
    assert faster_svg_lengths()  # once: no wrapper around the wrapper
    faster = weasyprint.svg.size
    assert faster is not utils.size
    for value in ["12", "-3.5", "1e3", " 4 ", "", None, "2em", "3ex", "50%", "3px", "1in", "x"]:
        assert faster(value, 10, 200) == utils.size(value, 10, 200), value


def test_the_pdf_fetcher_serves_only_equations_this_build_typeset() -> None:
    from weasyprint.urls import URLFetchingError

    from typeset.formats.pdf.math import MATH_URL_SCHEME, math_html, math_image

    html = math_html(prepare("x^2", display=False), RenderedEquation(svg="<svg/>"))
    url = re.search(r'src="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert url.startswith(f"{MATH_URL_SCHEME}:")
    assert math_image(url).read() == b"<svg/>"
    with pytest.raises(URLFetchingError):
        math_image(f"{MATH_URL_SCHEME}:0000.svg")


@pytest.mark.slow
def test_a_forced_build_renders_every_equation_again_and_only_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --force ignores the cached equations, but the writer reads the ones this same build
    # rendered ahead instead of starting MathJax a second time
    manuscript = _built_three_equations(tmp_path, monkeypatch)
    caplog.set_level(logging.DEBUG, logger="typeset.formats.pdf.math")
    build(config_for(manuscript, tmp_path / "out", "pdf"), force=True)  # type: ignore[arg-type]
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("math:")]
    assert messages == [
        "math: 0 equations cached, 3 to render",
        "math: 3 equations cached, 0 to render",
    ]


class _PathNode(dict[str, str]):
    """What WeasyPrint's path drawer reads of an SVG node."""

    def __init__(self, data: str) -> None:
        super().__init__(d=data)
        self.attrib = self
        self.vertices: collections.deque[object] = collections.deque()


def _weasyprints_path_operators(data: str) -> bytes:
    import pydyf
    from weasyprint.svg.path import path
    from weasyprint.svg.utils import size

    class Drawer:
        stream = pydyf.Stream()

        def point(self, x: str, y: str, font_size: float) -> tuple[float, float]:
            return size(x, font_size, 100), size(y, font_size, 100)

    drawer = Drawer()
    path(drawer, _PathNode(data), 12)
    return b"\n".join(pydyf._to_bytes(item) for item in drawer.stream.stream)


def _random_flat_path(random: Random) -> str:
    pieces = []
    for _ in range(random.randint(1, 12)):
        letter = random.choice("MLCHVZZ")
        count = {"M": 2, "L": 2, "C": 6, "H": 1, "V": 1, "Z": 0}[letter]
        numbers = [str(random.choice([0, random.randint(-900, 900)])) for _ in range(count)]
        if count and random.random() < 0.3:  # implicit repetition: more of the same
            numbers += [str(random.randint(-50, 50)) for _ in range(count)]
        # flat_svg writes no space before a minus sign; spaces elsewhere may vary
        separated = "".join(n if n.startswith("-") else " " + n for n in numbers).lstrip()
        pieces.append(letter + random.choice(["", " "]) + separated)
    return random.choice(["", " "]).join(pieces)


def test_flat_paths_are_written_with_the_operators_weasyprint_writes() -> None:
    from typeset.formats.pdf.weasyprint.svg import flat_path_operators

    random = Random(13)
    paths = [_random_flat_path(random) for _ in range(400)] + [
        "M685 410C685 545 611 669 430 669C215 669 60 487 60 249Z",
        "M1 2 3 4 5 6Z",  # pairs after M are lines
        "M0 0L10 0H20V-30ZZ",  # a second Z closes nothing
        "L5 5Z M1 1",  # a path that does not start with M
        "M1-2L3-4ZL5 5Z",  # a line after Z starts from the closed subpath's start
        "M5 5Z",  # Z with no segment
    ]
    for data in paths:
        assert flat_path_operators(data) == _weasyprints_path_operators(data), data
    for data in ["m1 2", "M1.5 2", "M1e3 2", "M-0 1", "M01 2", "A1 1 0 0 1 2 2", "M1 2 3",
                 "M1 2Z3", "", "1 2", "M1 2,3 4"]:  # fmt: skip
        assert flat_path_operators(data) is None, data


@pytest.mark.slow
def test_equations_drawn_once_and_written_directly_print_the_same_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from weasyprint import svg as drawer
    from weasyprint.images import SVGImage

    from typeset.formats.pdf import math as math_svg
    from typeset.formats.pdf.weasyprint import svg as weasyprint_svg

    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert weasyprint_svg.equations_drawn_once(f"{math_svg.MATH_URL_SCHEME}:")
    assert weasyprint_svg.flat_paths_written_directly()
    fast = build(config_for(TORTURE, tmp_path / "fast", "pdf")).outputs["pdf"]  # type: ignore[arg-type]
    with monkeypatch.context() as own:
        own.setattr(SVGImage, "draw", SVGImage.draw.weasyprint_original)  # type: ignore[attr-defined]
        own.setitem(drawer.TAGS, "path", drawer.TAGS["path"].weasyprint_original)  # type: ignore[attr-defined]
        slow = build(config_for(TORTURE, tmp_path / "own", "pdf"), force=True).outputs["pdf"]  # type: ignore[arg-type]

    def forms(path: Path) -> tuple[int, int]:
        """Form XObjects (in the resources all pages share) and calls of them."""
        with pikepdf.open(path) as pdf:
            x_objects = pdf.pages[0].Resources.get("/XObject", {}).values()
            count = sum(1 for x_object in x_objects if x_object.get("/Subtype") == "/Form")
            calls = sum(page.Contents.read_bytes().count(b" Do") for page in pdf.pages)
            return count, calls

    (fast_forms, fast_calls), (own_forms, own_calls) = forms(fast), forms(slow)
    distinct = len(set(torture_equations()))
    # each distinct equation (a size of it) is drawn once, and called where it occurs
    assert fast_forms - own_forms >= distinct * 0.9
    assert fast_calls - own_calls >= len(torture_equations())

    def pages(path: Path, folder: Path) -> list[bytes]:
        folder.mkdir()
        subprocess.run(["pdftoppm", "-r", "100", "-gray", str(path), str(folder / "p")],
                       check=True)  # fmt: skip
        return [page.read_bytes() for page in sorted(folder.glob("p-*"))]

    assert pages(fast, tmp_path / "fast-pages") == pages(slow, tmp_path / "own-pages")


def test_mathjax_started_early_renders_the_equations_and_is_stopped_if_unused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typeset import mathjax

    mathjax.warm_up(PROJECT)
    warm, _ = mathjax._WARM[PROJECT]
    results = list(
        mathjax.stream_equations([Equation("x^2", False), Equation("\\frac", False)], PROJECT)
    )
    assert results[0].svg is not None and results[1].error  # streamed in order, errors kept
    assert PROJECT not in mathjax._WARM and warm.process.poll() == 0  # that node did them
    mathjax.warm_up(PROJECT)
    unused, _ = mathjax._WARM[PROJECT]
    mathjax.discard_warm()
    assert unused.process.poll() is not None and not mathjax._WARM
    # a node that outlives the limit is stopped, and the build says so
    monkeypatch.setattr(mathjax, "MATHJAX_TIMEOUT_SECONDS", 0.01)
    with pytest.raises(ToolError, match="did not finish 1 equations"):
        list(mathjax.stream_equations([Equation("y", False)], PROJECT))


def test_a_manuscript_with_no_dollar_starts_no_mathjax(tmp_path: Path) -> None:
    from typeset import mathjax
    from typeset.formats.pdf.math import start_mathjax_early

    prose = tmp_path / "prose.md"
    prose.write_text("---\ntitle: Prose\n---\n\nNo math here at all.\n")
    start_mathjax_early(config_for(prose, tmp_path / "out", "pdf"))  # type: ignore[arg-type]
    assert not mathjax._WARM
    maths = tmp_path / "maths.md"
    maths.write_text("---\ntitle: Maths\n---\n\nSome $x$.\n")
    start_mathjax_early(config_for(maths, tmp_path / "out", "pdf"))  # type: ignore[arg-type]
    assert mathjax._WARM
    mathjax.discard_warm()


@pytest.mark.slow
def test_math_in_the_title_and_abstract_is_typeset_beside_math_in_the_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    manuscript = tmp_path / "front.md"
    manuscript.write_text(
        '---\ntitle: "On $x^2$"\nabstract: "We show $y_1 \\\\le 2$."\nlang: en\n---\n\n'
        "The body has $z$ and $x^2$.\n"
    )
    pdf = build(config_for(manuscript, tmp_path / "out", "pdf")).outputs["pdf"]  # type: ignore[arg-type]
    alts = {element["Alt"] for element in structure_elements(pdf, ("/Formula", "/Figure"))}
    assert {"x^2", "y_1 \\le 2", "z"} <= alts
    assert "\\le" not in pdf_printed_text(pdf)


def test_mathjax_does_not_wait_for_the_end_of_a_pipe_a_forked_writer_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typeset import mathjax

    mathjax.warm_up(PROJECT)
    warm, _ = mathjax._WARM[PROJECT]
    assert warm.process.stdin is not None
    # A process forked while node is warm holds a copy of its stdin: the pipe then has no
    # end until that process ends, so the request must not be read to its end.
    held = os.dup(warm.process.stdin.fileno())
    monkeypatch.setattr(mathjax, "MATHJAX_TIMEOUT_SECONDS", 30)
    try:
        results = list(mathjax.stream_equations([Equation("a+b", False)], PROJECT))
    finally:
        os.close(held)
    assert results[0].svg is not None


NOTES_WITH_MATH = """---
title: Notes
lang: en
---

First claim.^[Where $\\lambda^2 = \\frac{1}{T}$ holds, and $x_1$ too.] Second
claim.^[A second note, plain.] Third claim.^[A third, with $$y = 2$$ shown.] Fourth
claim.^[The fourth note.]
"""


@pytest.mark.slow
def test_equations_in_notes_leave_every_note_in_its_own_footnote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An equation is an `<img ...>` without the slash: it must not swallow the notes after
    it (they were all printed inside the first note holding math)."""
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path / "cache"))
    manuscript = tmp_path / "notes.md"
    manuscript.write_text(NOTES_WITH_MATH)
    pdf = build(config_for(manuscript, tmp_path / "out", "pdf")).outputs["pdf"]  # type: ignore[arg-type]
    # The printed characters in drawing order: pdftotext's reading order puts the note
    # numbers in a column of their own once a note holds an equation's invisible text.
    text = " ".join(pdf_printed_text(pdf).split())
    notes = ["1.Where", "2.A second note, plain.", "3.A third, with", "4.The fourth note."]
    assert all(text.count(note) == 1 for note in notes), text
    assert [text.index(note) for note in notes] == sorted(text.index(note) for note in notes)
    with pikepdf.open(pdf) as document:
        assert len(document.pages) == 1
