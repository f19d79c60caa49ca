"""Quarto Markdown (typeset/quarto/): cells, frozen outputs, shortcodes, includes, callouts,
panel layouts and Quarto's front-matter habits, read as Quarto reads them.

The corpus under tests/data/quarto/ holds a Quarto project with Python cells and a crafted
frozen result (`python-cells/`), and a knitr report in Spanish without `lang` and without
frozen results (`knitr-spanish/`).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    DATA,
    config_for,
    docx_part,
    docx_text,
    epub_text,
    epub_xhtml,
    pdf_text,
)
from tests.test_epub import epubcheck_problems
from typeset.ace import AceViolation, violation_finding
from typeset.ast import plain_text
from typeset.commands.build import build
from typeset.errors import ManuscriptError
from typeset.language_detection import detected_language
from typeset.manuscript import read_manuscript
from typeset.quarto import expand_quarto
from typeset.quarto.freeze import frozen_cells
from typeset.quarto.layout import _rows
from typeset.sanitize import restrict_resources

QUARTO = DATA / "quarto"


def expanded(tmp_path: Path, text: str, name: str = "paper.qmd") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return expand_quarto(path, text, allowed_roots=[tmp_path]).text


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


# --- cells -----------------------------------------------------------------------------------


def test_a_cell_becomes_a_highlighted_listing_without_its_options(tmp_path: Path) -> None:
    text = expanded(tmp_path, "Text.\n\n```{python}\n#| echo: true\nx = 1\n```\n\nAfter.\n")
    assert "``` {.python .cell-code}\nx = 1\n```" in text
    assert "#|" not in text and "{python}" not in text


def test_echo_false_and_include_false_hide_the_code(tmp_path: Path) -> None:
    text = expanded(
        tmp_path,
        "```{r}\n#| echo: false\nsecret_a()\n```\n\n```{r setup, include=FALSE}\nsecret_b()\n```\n",
    )
    assert "secret_a" not in text and "secret_b" not in text


def test_the_document_execute_option_is_every_cells_default(tmp_path: Path) -> None:
    text = expanded(
        tmp_path,
        "---\nexecute:\n  echo: false\n---\n\n```{python}\nhidden()\n```\n\n"
        "```{python}\n#| echo: true\nshown()\n```\n",
    )
    assert "hidden()" not in text and "shown()" in text


def test_a_figure_cell_without_output_is_a_labelled_placeholder_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = expanded(
        tmp_path,
        'Intro.\n\n```{python}\n#| label: fig-plot\n#| fig-cap: "The plot."\nplot()\n```\n',
    )
    assert "::: {#fig-plot}" in text and "**fig-plot**" in text and "The plot." in text
    cell_warnings = [message for message in warnings_of(caplog) if "fig-plot" in message]
    assert len(cell_warnings) == 1 and "paper.qmd:3:" in cell_warnings[0]


def test_knitr_header_options_are_read(tmp_path: Path) -> None:
    text = expanded(
        tmp_path, '```{r fig-a, echo=FALSE, fig.cap="A caption, with a comma"}\nplot(1)\n```\n'
    )
    assert "::: {#fig-a}" in text and "A caption, with a comma" in text and "plot(1)" not in text


def test_a_displayed_cell_shows_its_fences_and_is_not_a_cell(tmp_path: Path) -> None:
    text = expanded(tmp_path, "```{{python}}\n#| echo: false\nprint(1)\n```\n")
    assert "```{python}" in text and "#| echo: false" in text and "print(1)" in text


def test_frozen_cells_are_found_with_their_outputs_and_without_hidden_code() -> None:
    markdown = json.loads(
        (QUARTO / "python-cells/_freeze/paper/execute-results/html.json").read_text()
    )
    cells = frozen_cells(markdown["result"]["markdown"])
    assert [cell.identifier for cell in cells] == ["setup", "cell-fig-decay", ""]
    assert "fig-decay" in cells[1].labels
    assert any("half-life: 4.6 days" in line for line in cells[2].outputs)
    assert not any("loadtxt" in line for cell in cells for line in cell.outputs)


# --- shortcodes and includes -----------------------------------------------------------------


def test_meta_var_kbd_and_escaped_shortcodes(tmp_path: Path) -> None:
    (tmp_path / "_variables.yml").write_text("site:\n  name: Delta Station\n")
    text = expanded(
        tmp_path,
        "---\ntitle: Tides\n---\n\n{{< meta title >}} at {{< var site.name >}}; "
        "{{< kbd Ctrl-C >}}; {{{< var site.name >}}}; `{{< meta title >}}`; {{< latex >}}.\n",
    )
    assert "Tides at Delta Station; [Ctrl-C]{.kbd}; {{< var site.name >}};" in text
    assert "; LaTeX." in text  # a journal extension's logo shortcode
    assert "`{{< meta title >}}`" in text  # inline code is code


def test_an_unknown_shortcode_is_left_out_with_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = expanded(tmp_path, "One.\n\nTwo {{< lipsum 2 >}} three.\n")
    assert "lipsum" not in text
    assert any("paper.qmd:3:" in message and "lipsum" in message for message in warnings_of(caplog))


def test_env_is_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = expanded(tmp_path, "Home is {{< env HOME >}}.\n")
    assert str(Path.home()) not in text
    assert any("refused" in message for message in warnings_of(caplog))


def test_includes_are_recursive_and_warnings_name_the_included_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts/a.qmd").write_text("Part A.\n\n{{< include b.qmd >}}\n")
    (tmp_path / "parts/b.qmd").write_text("Part B.\n\nBad {{< nope >}} here.\n")
    text = expanded(tmp_path, "Start.\n\n{{< include parts/a.qmd >}}\n")
    assert "Part A." in text and "Part B." in text
    assert any(f"{tmp_path / 'parts/b.qmd'}:3:" in message for message in warnings_of(caplog))


def test_an_include_cycle_is_an_error_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "a.qmd").write_text("A\n\n{{< include b.qmd >}}\n")
    (tmp_path / "b.qmd").write_text("B\n{{< include a.qmd >}}\n")
    with pytest.raises(ManuscriptError, match="cycle") as raised:
        expanded(tmp_path, "{{< include a.qmd >}}\n")
    assert raised.value.path == (tmp_path / "b.qmd").resolve() and raised.value.line == 2


def test_an_include_outside_the_folder_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "secret.md").write_text("secret")
    path = inner / "paper.qmd"
    text = "{{< include ../secret.md >}}\n"
    path.write_text(text)
    with pytest.raises(ManuscriptError, match="outside"):
        expand_quarto(path, text, allowed_roots=[inner])


def test_a_missing_include_names_the_including_line(tmp_path: Path) -> None:
    with pytest.raises(ManuscriptError) as raised:
        expanded(tmp_path, "Text.\n\n{{< include nowhere.qmd >}}\n")
    assert raised.value.line == 3 and "nowhere.qmd" in str(raised.value)


# --- layouts and language --------------------------------------------------------------------


def test_layout_rows_follow_ncol_nrow_and_a_layout_matrix() -> None:
    cells = [{"t": "Para", "c": []} for _ in range(5)]
    assert [len(row) for row, _ in _rows(cells, {"layout-ncol": "2"})] == [2, 2, 1]
    assert [len(row) for row, _ in _rows(cells, {"layout-nrow": "1"})] == [5]
    rows = _rows(cells[:3], {"layout": "[[2,1],[1]]"})
    assert [len(row) for row, _ in rows] == [2, 1]
    assert rows[0][1] == pytest.approx([2 / 3, 1 / 3])


def test_the_language_of_a_text_is_detected() -> None:
    german = (
        "Die Messungen an den drei Stationen zeigen, dass der Abfluss im Sommer deutlich "
        "zurückgegangen ist. Wir vergleichen die Werte mit der langen Reihe seit 1960 und "
        "beschreiben die Verfahren, mit denen die Lücken gefüllt wurden."
    )
    assert detected_language(german) is not None and detected_language(german)[0] == "de"  # type: ignore[index]
    assert detected_language("Too short.") is None


# --- whole builds ----------------------------------------------------------------------------

Outputs = dict[str, Path]


@pytest.fixture(scope="module")
def quarto_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str, str], Outputs]]:
    built: dict[str, Outputs] = {}
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("TYPESET_CACHE_DIR", str(tmp_path_factory.mktemp("quarto-cache")))

    def build_one(folder: str, manuscript: str) -> Outputs:
        if folder not in built:
            config = config_for(
                QUARTO / folder / manuscript,
                QUARTO / folder / "refs.bib",
                output_dir=tmp_path_factory.mktemp(f"quarto-{folder}"),
                formats="pdf,epub,docx",
            )
            built[folder] = dict(build(config).outputs)
        return built[folder]

    yield build_one
    monkeypatch.undo()


@pytest.fixture(scope="module")
def python_cells(quarto_build: Callable[[str, str], Outputs]) -> Outputs:
    return quarto_build("python-cells", "paper.qmd")


@pytest.fixture(scope="module")
def knitr_spanish(quarto_build: Callable[[str, str], Outputs]) -> Outputs:
    return quarto_build("knitr-spanish", "informe.qmd")


@pytest.mark.slow
def test_frozen_outputs_and_shortcodes_reach_the_pdf(python_cells: Outputs) -> None:
    text = pdf_text(python_cells["pdf"])
    assert "Salinity decay at Saltmarsh Creek" in text  # var inside the title
    assert "TX-40 logger running firmware 2.1" in text
    assert "half-life: 4.6 days" in text  # a frozen stdout output
    assert "Figure 1: Salinity after the storm" in text  # a frozen figure, numbered
    assert "Figure 3 sets Figure 3 (a) beside Figure 3 (b)" in text  # a lettered panel
    assert "Table 1: Monthly means" in text and "tbl-summary" in text  # placeholder
    assert "Keywords: estuary; salinity; sensor drift" in text
    assert "loadtxt" not in text  # echo: false
    assert "{{< var station >}}" in text and text.count("{{<") == 1  # only the escaped one
    assert "Reading the panels" in text and "Sensor drift" in text  # callout titles
    assert "The logger at Saltmarsh Creek" in text  # included file
    assert "Figure 2: The mooring site seen from the bank." in text  # embedded notebook cell
    assert "(Figure 2)" in text and "depth at mooring: 2.4 m" in text


@pytest.mark.slow
def test_a_panel_is_a_grid_and_callouts_are_titled_in_the_epub(python_cells: Outputs) -> None:
    xhtml = epub_xhtml(python_cells["epub"])
    grid = re.search(r'<div class="layout-row">.*?Figure\s*3:', xhtml, re.S)
    assert grid and grid.group(0).count('class="layout-cell"') == 2 and "(b)" in grid.group(0)
    assert re.search(r'callout-title">\s*<p><strong>Note</strong>', xhtml)
    assert not re.search(r"<h\d[^>]*>\s*(<span[^>]*>[^<]*</span>\s*)?Reading the panels", xhtml)
    assert "<kbd>Ctrl-S</kbd>" in xhtml
    assert "Keywords: estuary; salinity; sensor drift" in epub_text(python_cells["epub"])
    assert 'alt="A falling curve of salinity' in xhtml  # fig-alt is the description
    with zipfile.ZipFile(python_cells["epub"]) as archive:
        opf = archive.read("EPUB/content.opf").decode()
    assert "dc:format" not in opf  # the `format:` key does not leak
    assert epubcheck_problems(python_cells["epub"]) == []


@pytest.mark.slow
def test_the_docx_has_the_page_break_the_grid_and_the_keywords(python_cells: Outputs) -> None:
    xml = docx_part(python_cells["docx"])
    assert '<w:br w:type="page"/>' in xml
    rows = re.findall(r"<w:tr>(?:(?!<w:tr>|<w:tbl>).)*?</w:tr>", xml, re.S)
    panel = [row for row in rows if "Raw series" in row and "Residuals" in row]
    assert panel and panel[0].count("<w:tc>") == 2  # the panel: one row of two cells
    text = re.sub(r"\s+", " ", docx_text(python_cells["docx"]))
    assert "Keywords: estuary; salinity; sensor drift" in text
    assert "half-life: 4.6 days" in text and "Figure 3 (a)" in text
    assert "{{<" not in text.replace("{{< var station >}}", "")


@pytest.mark.slow
def test_a_knitr_report_without_lang_or_freeze_builds_in_its_language(
    knitr_spanish: Outputs,
) -> None:
    text = pdf_text(knitr_spanish["pdf"])
    assert "Figura 1" in text and "Tabla 1" in text  # detected Spanish, references resolve
    assert "fig-minimos" in text and "tbl-estaciones" in text  # placeholders name the cells
    assert "knitr::kable(estaciones)" in text and "read_csv" not in text  # echo, include
    assert "flowchart LR" in text  # an undrawn diagram shows its source
    assert "Video: Aforo en Río Alto" in text
    assert "lipsum" not in text and "{{<" not in text and str(Path.home()) not in text
    assert "Importante" in text and "Datos provisionales" in text  # callout titles
    assert "Palabras clave: hidrología; estiaje; series temporales" in text
    assert "summary(caudales)" in text and "```{r}" in text  # a displayed cell
    # a panel of two tables: numbered once, the tables lettered, side by side
    assert "La Tabla 3 reúne los dos periodos; la Tabla 3 (a) y la Tabla 3 (b)" in text
    assert "Tabla 3: Caudales medios mensuales" in text and "(a) Periodo húmedo." in text


@pytest.mark.slow
def test_the_detected_language_and_math_in_a_heading_keep_the_epub_valid(
    knitr_spanish: Outputs,
) -> None:
    with zipfile.ZipFile(knitr_spanish["epub"]) as archive:
        opf = archive.read("EPUB/content.opf").decode()
    assert "<dc:language>es</dc:language>" in opf and "dc:format" not in opf
    assert re.search(r'href="nav.xhtml"[^>]*properties="[^"]*mathml', opf)
    assert "Importante" in epub_text(knitr_spanish["epub"])
    assert epubcheck_problems(knitr_spanish["epub"]) == []


@pytest.mark.slow
def test_the_docx_of_the_knitr_report_has_the_column_widths(knitr_spanish: Outputs) -> None:
    xml = docx_part(knitr_spanish["docx"])
    widths = [int(width) for width in re.findall(r'<w:gridCol w:w="(\d+)"', xml)]
    assert any(
        abs(widths[index] - 2 * widths[index + 1]) <= 2 and widths[index + 1] == widths[index + 2]
        for index in range(len(widths) - 2)
    )


# --- front matter ------------------------------------------------------------------------------


def read(tmp_path: Path, text: str) -> dict[str, object]:
    path = tmp_path / "paper.qmd"
    path.write_text(text, encoding="utf-8")
    document: dict[str, object] = read_manuscript(path).document
    return document


def test_quarto_only_keys_are_consumed_and_dates_resolved(tmp_path: Path) -> None:
    document = read(
        tmp_path,
        "---\ntitle: T\nlang: en\nformat:\n  html: default\nexecute:\n  echo: false\n"
        "jupyter: python3\ndate: today\ndate-modified: last-modified\n---\n\nText.\n",
    )
    meta = document["meta"]
    assert isinstance(meta, dict)
    assert not {"format", "execute", "jupyter"} & set(meta)
    today = datetime.date.today().isoformat()
    assert plain_text(meta["date"]) == today
    modified = datetime.date.fromtimestamp((tmp_path / "paper.qmd").stat().st_mtime)
    assert plain_text(meta["date-modified"]) == modified.isoformat()


def test_keywords_without_an_abstract_open_the_text_in_its_language(tmp_path: Path) -> None:
    document = read(tmp_path, "---\nlang: de\nkeywords: [Abfluss, Pegel]\n---\n\nText.\n")
    first = document["blocks"][0]  # type: ignore[index]
    assert plain_text(first) == "Schlüsselwörter: Abfluss; Pegel"


def test_a_missing_lang_is_detected_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = (
        "Les mesures des trois stations montrent que le débit d'étiage a nettement baissé "
        "depuis les années soixante. Nous comparons les valeurs avec la longue série et "
        "décrivons la méthode employée pour combler les lacunes des enregistrements."
    )
    document = read(tmp_path, f"---\ntitle: Étiages\n---\n\n{body}\n")
    assert plain_text(document["meta"]["lang"]) == "fr"  # type: ignore[index]
    assert any("French (fr" in message for message in warnings_of(caplog))


def test_a_bare_callout_gets_no_invented_title_and_a_typed_one_its_word(tmp_path: Path) -> None:
    document = read(
        tmp_path,
        "---\nlang: it\n---\n\n::: callout\nPlain.\n:::\n\n::: {.callout-tip}\nA tip.\n:::\n",
    )
    text = plain_text(document["blocks"])
    assert text.startswith("Plain.") and "Suggerimento A tip." in text


def test_echo_fenced_shows_the_cell_as_written(tmp_path: Path) -> None:
    text = expanded(tmp_path, "```{python}\n#| echo: fenced\nx = 1\n```\n")
    assert "```{python}\n#| echo: fenced\nx = 1\n```" in text


# --- --check -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("impact", "severity"),
    [("minor", "warning"), ("moderate", "error"), ("serious", "error"), ("critical", "error")],
)
def test_only_minor_ace_violations_are_warnings(impact: str, severity: str) -> None:
    violation = AceViolation("landmark-unique", impact, "EPUB/nav.xhtml", "nav", "not unique")
    assert violation_finding(violation, Path("book.epub")).level == severity


def test_fig_align_and_tbl_colwidths_are_applied(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes((QUARTO / "python-cells/figures/raw.png").read_bytes())
    document = read(
        tmp_path,
        "---\nlang: en\n---\n\n![A plot](a.png){#fig-a fig-align=left}\n\n"
        '| a | b |\n|---|---|\n| 1 | 2 |\n\n: Sizes {#tbl-b tbl-colwidths="[25,75]"}\n',
    )
    figure, table = document["blocks"]  # type: ignore[misc]
    assert "fig-align-left" in figure["c"][0][1]
    assert [spec[1]["c"] for spec in table["c"][2]] == [0.25, 0.75]


def test_a_missing_image_in_an_included_file_names_that_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "part.qmd").write_text("Some text.\n\n![Gone](missing.png)\n")
    path = tmp_path / "paper.qmd"
    path.write_text("---\nlang: en\n---\n\n{{< include part.qmd >}}\n")
    manuscript = read_manuscript(path, allowed_roots=[tmp_path])
    with pytest.raises(ManuscriptError, match="image not found") as raised:
        restrict_resources(manuscript, [tmp_path], ())
    assert raised.value.path == (tmp_path / "part.qmd").resolve() and raised.value.line == 3


def test_a_yaml_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "part.qmd").write_text("Text.\n\n---\nkey: [unclosed\n---\n\nMore.\n")
    path = tmp_path / "paper.qmd"
    path.write_text("---\nlang: en\n---\n\nIntro.\n\n{{< include part.qmd >}}\n")
    with pytest.raises(ManuscriptError) as raised:
        read_manuscript(path, allowed_roots=[tmp_path])
    assert raised.value.path == (tmp_path / "part.qmd").resolve()
    assert raised.value.line is not None and 3 <= raised.value.line <= 5


def test_an_embedded_cell_comes_from_a_notebook_or_a_frozen_qmd(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notebook = QUARTO / "python-cells/notebooks/site.ipynb"
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb/site.ipynb").write_bytes(notebook.read_bytes())
    (tmp_path / "nb/model.qmd").write_text("```{python}\n#| label: fig-fit\nfit()\n```\n")
    frozen = tmp_path / "_freeze/nb/model/execute-results"
    frozen.mkdir(parents=True)
    markdown = (
        "::: {#cell-fig-fit .cell}\n``` {.python .cell-code}\nfit()\n```\n\n"
        "::: {.cell-output .cell-output-display}\n"
        "![The fit.](model_files/figure-html/fig-fit-output-1.png){#fig-fit}\n:::\n:::\n"
    )
    (frozen / "html.json").write_text(json.dumps({"result": {"markdown": markdown}}))
    (tmp_path / "_quarto.yml").write_text("project:\n  type: manuscript\n")
    text = expanded(
        tmp_path,
        "{{< embed nb/site.ipynb#fig-site >}}\n\n{{< embed nb/model.qmd#fig-fit >}}\n\n"
        "{{< embed nb/site.ipynb#fig-none >}}\n",
    )
    assert "::: {#fig-site}" in text and "data:image/png;base64," in text
    assert "The mooring site seen from the bank." in text
    assert "![The fit.](_freeze/nb/model/figure-html/fig-fit-output-1.png){#fig-fit}" in text
    assert "::: {#fig-none}" in text and "**fig-none**" in text
    assert any("fig-none" in message for message in warnings_of(caplog))


def test_inline_expressions_are_printed_as_code_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = expanded(
        tmp_path,
        "```{r}\nx <- 1\n```\n\nWe saw `r nrow(df)` rows and `{python} len(xs)` items.\n",
    )
    assert "We saw `nrow(df)` rows and `len(xs)` items." in text
    assert sum("not evaluated" in message for message in warnings_of(caplog)) == 2
    assert "`r code`" in expanded(tmp_path, "Plain `r code` without R cells.\n", "other.md")


@pytest.fixture(scope="module")
def julia_book(quarto_build: Callable[[str, str], Outputs]) -> Outputs:
    return quarto_build("julia-book", "skript.md")


@pytest.mark.slow
def test_a_markdown_file_with_cells_includes_and_a_layout_matrix(julia_book: Outputs) -> None:
    text = pdf_text(julia_book["pdf"])
    assert "```{julia} #| echo: fenced #| output: false using CSV" in text  # fenced echo
    assert "plot(pegel.datum" in text  # eval: false still shows the code
    assert "viewof jahr" in text and "digraph G" in text  # OJS, an undrawn diagram
    assert "Die Abbildung 1 (a) zeigt den Verlauf, Abbildung 1 (c) die Lage" in text
    assert "Abbildung 1: Übersicht der Messreihe." in text
    assert "Schlüsselwörter: Grundwasser, Küste, Julia" in text
    assert "Warnung" in text and "Datenquelle" in text  # German callout word, a title
    assert "Video (videos/messfahrt.mp4)" in text and "{{<" not in text
    assert "Alle Daten stammen vom Landesamt." in text  # an include inside an include


@pytest.mark.slow
def test_a_layout_matrix_gives_rows_of_its_widths_in_the_epub(julia_book: Outputs) -> None:
    xhtml = epub_xhtml(julia_book["epub"])
    widths = re.findall(r'class="layout-cell" style="width: ([\d.]+)%', xhtml)
    assert widths == ["50.00", "50.00", "100.00"]
    assert 'alt="Eine fallende Linie der Pegelstände."' in xhtml
    with zipfile.ZipFile(julia_book["epub"]) as archive:
        opf = archive.read("EPUB/content.opf").decode()
    assert re.search(r"<dc:date[^>]*>\d{4}-\d{2}-\d{2}<", opf)  # date: now
    assert epubcheck_problems(julia_book["epub"]) == []


def test_date_today_is_the_source_date_epoch_of_a_reproducible_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    document = read(tmp_path, "---\nlang: en\ndate: today\n---\n\nText.\n")
    assert plain_text(document["meta"]["date"]) == "2001-09-09"  # type: ignore[index]


@pytest.mark.parametrize(
    "text",
    [
        "{{< include " + "a" * 5000 + ".qmd >}}\n",
        "{{< embed " + "b" * 5000 + ".ipynb#fig-x >}}\n",
        "{{< include . >}}\n",
        "```{python}\n#| a: &a [*a]\n```\n",
    ],
)
def test_hostile_shortcodes_and_cells_are_errors_not_crashes(tmp_path: Path, text: str) -> None:
    with pytest.raises(ManuscriptError):
        expanded(tmp_path, text)
