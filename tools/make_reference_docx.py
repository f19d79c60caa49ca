#!/usr/bin/env python3
"""Write the DOCX reference documents that pandoc styles Word output with.

Regenerate all three files (from the project root, with the venv active)::

    python tools/make_reference_docx.py

Each file starts from pandoc's own default reference.docx, so every style pandoc emits
keeps its definition; only the formatting changes. Pandoc takes from a reference
document its styles, its page setup (size, margins, line numbering), its footer and its
settings, which is everything configured here.

styles/reference-manuscript.docx -- a submission as journals ask for it.
    US Letter, 1-inch margins. Times New Roman 12 pt in every text style (LibreOffice
    substitutes the metric-compatible Liberation Serif). Body text, first paragraphs,
    block quotations, headings, title block, captions, definition lists, tight lists
    and table cells are double-spaced ("auto" 480, i.e. 2.0) with no space between
    paragraphs, left-aligned, with a 0.5-inch first-line indent on Body Text only;
    figures, code blocks and footnotes are single-spaced.
    Headings are bold 12 pt and set apart only by position: level 1 centred, level 2
    flush left, level 3 bold italic, levels 4-6 indented like a paragraph.
    Footnotes are 12 pt but single-spaced with 6 pt between notes: most journals accept
    that and it keeps the notes readable; for a journal that wants notes double-spaced
    too, set Footnote Text's leading to 2.0 below. Code stays monospaced (Courier New,
    which LibreOffice maps to Liberation Mono) at 12 pt. The page number is a PAGE field
    at the right of the footer.
    Line numbering is off. To switch it on in a copy of this file, add
    <w:lnNumType w:countBy="1" w:restart="continuous"/> to the body's w:sectPr, after
    w:pgMar; that is the only difference in the file below.

styles/reference-manuscript-lines.docx -- the same, with continuous line numbers, which
    many journals ask for in manuscripts sent out for review.

styles/reference-finished.docx -- reads like a well-set PDF.
    A4, 25 mm margins, Charis SIL 11 pt on a 14 pt leading, justified with automatic
    hyphenation (never more than two hyphens running), paragraphs after the first
    indented 1.5 em. The leading is exact rather than a multiple because Charis's own
    line height is 1.64 em (room for stacked diacritics), so "1.25 lines" would be
    double spacing in effect; an exact pitch also holds when another face stands in.
    Title 20 pt bold, subtitle italic, author in small capitals, date, abstract 10 pt
    indented both sides; bold headings without colour; block quotations 10 pt indented
    both sides; footnotes 9 pt; bibliography 10 pt with a 0.5-inch hanging indent;
    captions italic 9 pt; tables ruled only above, below and under the header row; a
    centred page number in the footer. The font table gives Charis SIL a serif family
    and Cambria as an alternative name, so Word without Charis picks a similar serif.

All three have empty core properties (title, author, ...) so nothing of the reference
leaks into built documents, and are written with fixed zip timestamps so regenerating
them unchanged gives identical bytes.
"""

from __future__ import annotations

import argparse
import copy
import io
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import docx
import pypandoc
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Inches, Length, Mm, Pt
from docx.styles.style import BaseStyle, CharacterStyle, ParagraphStyle
from docx.text.paragraph import Paragraph
from lxml import etree

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT_DIR = PROJECT_DIR / "styles"

LEFT = WD_ALIGN_PARAGRAPH.LEFT
CENTER = WD_ALIGN_PARAGRAPH.CENTER
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY

NO_INDENT = Pt(0)
SINGLE = 1.0
DOUBLE = 2.0

DRAWINGML = "http://schemas.openxmlformats.org/drawingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
FIXED_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class StyleSpec:
    """Formatting for one style. None keeps whatever the style has or inherits.

    `leading` is a float for a multiple of the face's own line height (Word's "auto"
    rule: 2.0 is double spacing) or a Length for an exact line pitch. Sizes and
    paragraph spacing are in points; a negative `first_line` is a hanging indent.
    """

    size: float | None = None
    face: str | None = None
    bold: bool | None = None
    italic: bool | None = None
    small_caps: bool | None = None
    align: WD_ALIGN_PARAGRAPH | None = None
    leading: float | Length | None = None
    space_before: float | None = None
    space_after: float | None = None
    first_line: Length | None = None
    left: Length | None = None
    right: Length | None = None
    keep_with_next: bool | None = None


@dataclass(frozen=True)
class PageSetup:
    width: Length
    height: Length
    margin: Length
    header_footer_distance: Length


@dataclass(frozen=True)
class FontTableEntry:
    """What Word needs to pick a substitute when the face itself is not installed."""

    name: str
    panose: str
    family: str
    alternative_name: str | None = None


@dataclass(frozen=True)
class ReferenceDesign:
    filename: str
    body_face: str
    body_size: float
    page: PageSetup
    styles: Mapping[str, StyleSpec]
    font_table_entries: Sequence[FontTableEntry] = ()
    number_lines: bool = False
    hyphenate: bool = False


CODE_FACE = "Courier New"

# Styles pandoc can emit that its default reference lacks, with the id pandoc (or Word,
# for the built-ins) looks them up by. Pandoc adds its own Source Code when the
# reference has none, which would ignore the design's leading and size.
MISSING_FROM_PANDOC_DEFAULT: tuple[tuple[str, WD_STYLE_TYPE, str, str, bool], ...] = (
    ("Source Code", WD_STYLE_TYPE.PARAGRAPH, "SourceCode", "Normal", False),
    ("footer", WD_STYLE_TYPE.PARAGRAPH, "Footer", "Normal", True),
    ("line number", WD_STYLE_TYPE.CHARACTER, "LineNumber", "Default Paragraph Font", True),
)


# Body Text takes its size from Normal rather than setting one: its linked Body Text
# Char is the base of pandoc's Verbatim Char, Hyperlink and Footnote Reference, which
# must keep the size of the paragraph they sit in (a footnote, a caption).


def manuscript_styles() -> dict[str, StyleSpec]:
    double = StyleSpec(size=12, leading=DOUBLE, space_before=0, space_after=0)
    flush = replace(double, first_line=NO_INDENT, align=LEFT)
    centred = replace(double, first_line=NO_INDENT, align=CENTER)
    heading = replace(flush, bold=True, italic=False, keep_with_next=True)
    single = StyleSpec(size=12, leading=SINGLE, space_before=0, space_after=0)
    return {
        "Normal": replace(single, align=LEFT),
        "Body Text": replace(double, size=None, first_line=Inches(0.5), align=LEFT),
        "First Paragraph": StyleSpec(first_line=NO_INDENT),
        "Compact": flush,
        "Title": replace(centred, bold=True, keep_with_next=True),
        "Subtitle": replace(centred, bold=False, italic=False),
        "Author": replace(centred, bold=False),
        "Date": replace(centred, bold=False, space_after=24),
        "Abstract Title": replace(centred, bold=True),
        "Abstract": replace(flush, bold=False, space_after=24),
        "Heading 1": replace(heading, align=CENTER),
        "Heading 2": heading,
        "Heading 3": replace(heading, italic=True),
        "Heading 4": replace(heading, first_line=Inches(0.5)),
        "Heading 5": replace(heading, italic=True, first_line=Inches(0.5)),
        "Heading 6": replace(heading, italic=True, first_line=Inches(0.5)),
        "TOC Heading": replace(heading, align=CENTER),
        "Block Text": replace(flush, left=Inches(0.5), right=NO_INDENT),
        "Footnote Text": replace(single, space_after=6, first_line=NO_INDENT),
        "Footnote Block Text": replace(
            single, space_after=6, first_line=NO_INDENT, left=Inches(0.5), right=NO_INDENT
        ),
        "Bibliography": replace(flush, left=Inches(0.5), first_line=Inches(-0.5)),
        "Caption": replace(flush, italic=False),
        # Flush left like the captions under them.
        "Figure": replace(single, align=LEFT, space_before=12),
        "Definition Term": replace(flush, bold=True, keep_with_next=True),
        "Definition": replace(flush, left=Inches(0.5)),
        # Single-spaced code needs the gap that double spacing gives everything else.
        "Source Code": replace(single, face=CODE_FACE, align=LEFT, space_before=12, space_after=12),
        "Verbatim Char": StyleSpec(face=CODE_FACE),
        "Footer": replace(single, align=RIGHT),
    }


def finished_styles() -> dict[str, StyleSpec]:
    body = StyleSpec(size=11, leading=Pt(14), space_before=0, space_after=0)
    indented_both_sides = Cm(1)
    return {
        "Normal": StyleSpec(size=11, leading=SINGLE, space_before=0, space_after=0, align=LEFT),
        "Body Text": replace(body, size=None, align=JUSTIFY, first_line=Pt(16.5)),
        "First Paragraph": StyleSpec(first_line=NO_INDENT),
        "Compact": replace(body, space_before=1, space_after=1, align=LEFT, first_line=NO_INDENT),
        "Title": StyleSpec(
            size=20,
            bold=True,
            align=CENTER,
            leading=Pt(24),
            space_before=0,
            space_after=6,
            keep_with_next=True,
        ),
        "Subtitle": StyleSpec(
            size=14,
            bold=False,
            italic=True,
            align=CENTER,
            leading=Pt(17),
            space_before=0,
            space_after=6,
        ),
        "Author": StyleSpec(
            size=12,
            bold=False,
            small_caps=True,
            align=CENTER,
            leading=Pt(15),
            space_before=6,
            space_after=0,
        ),
        "Date": StyleSpec(
            size=11, bold=False, align=CENTER, leading=Pt(14), space_before=3, space_after=24
        ),
        "Abstract Title": StyleSpec(
            size=10, bold=True, align=CENTER, leading=Pt(13), space_before=0, space_after=3
        ),
        "Abstract": StyleSpec(
            size=10,
            align=JUSTIFY,
            leading=Pt(13),
            left=indented_both_sides,
            right=indented_both_sides,
            first_line=NO_INDENT,
            space_before=0,
            space_after=24,
        ),
        "Heading 1": _finished_heading(14, leading=17, before=18, after=6),
        "Heading 2": _finished_heading(12, leading=15, before=14, after=4),
        "Heading 3": _finished_heading(11, leading=14, before=12, after=2, italic=True),
        "Heading 4": _finished_heading(11, leading=14, before=10, after=0),
        "Heading 5": _finished_heading(11, leading=14, before=10, after=0, italic=True),
        "Heading 6": _finished_heading(10, leading=13, before=8, after=0, italic=True),
        "Block Text": StyleSpec(
            size=10,
            align=JUSTIFY,
            leading=Pt(13),
            left=indented_both_sides,
            right=indented_both_sides,
            first_line=NO_INDENT,
            space_before=6,
            space_after=6,
        ),
        "Footnote Text": StyleSpec(
            size=9,
            align=JUSTIFY,
            leading=Pt(11),
            first_line=NO_INDENT,
            space_before=0,
            space_after=2,
        ),
        "Footnote Block Text": StyleSpec(
            left=Cm(0.5), right=Cm(0.5), space_before=2, space_after=2
        ),
        "Bibliography": StyleSpec(
            size=10,
            align=LEFT,
            leading=Pt(13),
            left=Inches(0.5),
            first_line=Inches(-0.5),
            space_before=0,
            space_after=4,
        ),
        "Caption": StyleSpec(
            size=9, italic=True, align=CENTER, leading=Pt(11), space_before=4, space_after=10
        ),
        "Table Caption": StyleSpec(space_before=10, space_after=4, keep_with_next=True),
        # Images sit on a line of their own; an exact leading would crop them.
        "Figure": StyleSpec(align=CENTER, leading=SINGLE, space_before=10, space_after=10),
        "Captioned Figure": StyleSpec(space_after=0, keep_with_next=True),
        "Definition Term": replace(body, bold=True, space_before=6, keep_with_next=True),
        "Definition": replace(body, align=JUSTIFY, left=indented_both_sides, space_after=6),
        "Source Code": StyleSpec(
            face=CODE_FACE,
            size=9,
            align=LEFT,
            leading=Pt(11.5),
            left=Cm(0.5),
            space_before=6,
            space_after=6,
        ),
        "Verbatim Char": StyleSpec(face=CODE_FACE),
        "Footer": StyleSpec(size=9, align=CENTER, leading=Pt(11)),
    }


def _finished_heading(
    size: float, *, leading: float, before: float, after: float, italic: bool = False
) -> StyleSpec:
    return StyleSpec(
        size=size,
        bold=True,
        italic=italic,
        align=LEFT,
        leading=Pt(leading),
        space_before=before,
        space_after=after,
        first_line=NO_INDENT,
        keep_with_next=True,
    )


US_LETTER_ONE_INCH = PageSetup(
    width=Inches(8.5), height=Inches(11), margin=Inches(1), header_footer_distance=Inches(0.5)
)
A4_25_MM = PageSetup(width=Mm(210), height=Mm(297), margin=Mm(25), header_footer_distance=Mm(12))

CHARIS_SIL = FontTableEntry(
    name="Charis SIL", panose="02000500060000020004", family="roman", alternative_name="Cambria"
)


def designs() -> list[ReferenceDesign]:
    manuscript = ReferenceDesign(
        filename="reference-manuscript.docx",
        body_face="Times New Roman",
        body_size=12,
        page=US_LETTER_ONE_INCH,
        styles=manuscript_styles(),
    )
    return [
        manuscript,
        replace(manuscript, filename="reference-manuscript-lines.docx", number_lines=True),
        ReferenceDesign(
            filename="reference-finished.docx",
            body_face="Charis SIL",
            body_size=11,
            page=A4_25_MM,
            styles=finished_styles(),
            font_table_entries=(CHARIS_SIL,),
            hyphenate=True,
        ),
    ]


def pandoc_default_reference() -> bytes:
    """The reference.docx bundled with the pandoc that pypandoc runs."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "reference.docx"
        subprocess.run(
            [
                pypandoc.get_pandoc_path(),
                "-o",
                str(target),
                "--print-default-data-file",
                "reference.docx",
            ],
            check=True,
        )
        return target.read_bytes()


def build_reference(design: ReferenceDesign, pandoc_default: bytes) -> bytes:
    document = docx.Document(io.BytesIO(pandoc_default))
    _add_missing_styles(document)
    _reset_fonts_and_colours(document, design)
    _tidy_pandoc_default_quirks(document)
    for name, spec in design.styles.items():
        _apply(spec, _style_named(document, name))
    _match_linked_character_styles(document)
    _rule_tables_horizontally(document)
    _set_up_page(document, design)
    if design.hyphenate:
        _turn_on_automatic_hyphenation(document)
    _clear_core_properties(document)
    saved = io.BytesIO()
    document.save(saved)
    return _finish_package(saved.getvalue(), design)


def _style_named(document: Document, name: str) -> BaseStyle:
    """The style Word shows as `name`.

    `document.styles[name]` misses pandoc's "Caption", which is not spelled like Word's
    built-in "caption" that python-docx expects.
    """
    matches: list[BaseStyle] = [style for style in document.styles if style.name == name]
    if matches:
        return matches[0]
    raise KeyError(f"no style named {name!r}")


def _add_missing_styles(document: Document) -> None:
    for name, style_type, style_id, base, builtin in MISSING_FROM_PANDOC_DEFAULT:
        style = document.styles.add_style(name, style_type, builtin=builtin)
        style.style_id = style_id
        style.base_style = document.styles[base]


def _reset_fonts_and_colours(document: Document, design: ReferenceDesign) -> None:
    """One face everywhere, named outright, and no colour in any style.

    Word lets a theme reference (asciiTheme, ...) override an explicit name, and
    LibreOffice resolves theme references its own way, so every rFonts names the face
    outright for each script.
    """
    styles = document.styles.element
    for colour in list(styles.iter(qn("w:color"))):
        colour.getparent().remove(colour)
    for fonts in styles.iter(qn("w:rFonts")):
        _name_face(fonts, design.body_face)

    defaults = styles.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _name_face(run_defaults.get_or_add_rFonts(), design.body_face)
    _set_size(run_defaults, design.body_size)
    paragraph_defaults = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    paragraph_defaults.get_or_add_spacing().after = Pt(0)

    normal = document.styles["Normal"]
    _name_face(normal.element.get_or_add_rPr().get_or_add_rFonts(), design.body_face)
    normal.paragraph_format.widow_control = True


def _tidy_pandoc_default_quirks(document: Document) -> None:
    styles = document.styles.element
    # Subtitle carries a list level without a list; Word shows it as numbered.
    subtitle = document.styles["Subtitle"].element
    subtitle_pPr = subtitle.find(qn("w:pPr"))
    if subtitle_pPr is not None:
        for numbering in subtitle_pPr.findall(qn("w:numPr")):
            subtitle_pPr.remove(numbering)
    # ...and letterspaces its text, which suits neither italic nor a plain manuscript.
    subtitle_rPr = subtitle.find(qn("w:rPr"))
    if subtitle_rPr is not None:
        for letterspacing in subtitle_rPr.findall(qn("w:spacing")):
            subtitle_rPr.remove(letterspacing)
    # Caption links to Body Text Char, which links back to Body Text: a one-way link
    # that Word follows when restyling runs, so drop links that are not mutual.
    links = {
        style.get(qn("w:styleId")): style.find(qn("w:link"))
        for style in styles.iterchildren(qn("w:style"))
    }
    for style_id, link in links.items():
        if link is None:
            continue
        partner_link = links.get(link.get(qn("w:val")))
        if partner_link is None or partner_link.get(qn("w:val")) != style_id:
            link.getparent().remove(link)
    # Code runs should follow the size of the paragraph they sit in (body, footnote,
    # table cell) rather than pandoc's fixed 11 pt.
    verbatim_rPr = document.styles["Verbatim Char"].element.rPr
    for size_tag in ("w:sz", "w:szCs"):
        for size in verbatim_rPr.findall(qn(size_tag)):
            verbatim_rPr.remove(size)


def _apply(spec: StyleSpec, style: BaseStyle) -> None:
    if spec.face is not None:
        _name_face(style.element.get_or_add_rPr().get_or_add_rFonts(), spec.face)
    if spec.size is not None:
        _set_size(style.element.get_or_add_rPr(), spec.size)
    if isinstance(style, CharacterStyle):
        if spec.bold is not None:
            style.font.bold = spec.bold
        if spec.italic is not None:
            style.font.italic = spec.italic
        if spec.small_caps is not None:
            style.font.small_caps = spec.small_caps
    if not isinstance(style, ParagraphStyle):
        return
    paragraph = style.paragraph_format
    if spec.align is not None:
        paragraph.alignment = spec.align
    if spec.leading is not None:
        paragraph.line_spacing = spec.leading
    if spec.space_before is not None:
        paragraph.space_before = Pt(spec.space_before)
    if spec.space_after is not None:
        paragraph.space_after = Pt(spec.space_after)
    if spec.left is not None:
        paragraph.left_indent = spec.left
    if spec.right is not None:
        paragraph.right_indent = spec.right
    if spec.first_line is not None:
        paragraph.first_line_indent = spec.first_line
    if spec.keep_with_next is not None:
        paragraph.keep_with_next = spec.keep_with_next


def _name_face(fonts: etree._Element, face: str) -> None:
    fonts.attrib.clear()
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), face)


def _set_size(run_properties: etree._Element, points: float) -> None:
    """Set the size for Latin and complex-script text alike."""
    half_points = str(round(points * 2))
    run_properties.get_or_add_sz().set(qn("w:val"), half_points)
    for stale in run_properties.findall(qn("w:szCs")):
        run_properties.remove(stale)
    run_properties.find(qn("w:sz")).addnext(OxmlElement("w:szCs", {qn("w:val"): half_points}))


def _match_linked_character_styles(document: Document) -> None:
    """Give "Heading 1 Char" and the like the run formatting of their paragraph style.

    Word applies the linked character style when a paragraph style is applied to part
    of a paragraph; pandoc's defaults there still carry the old faces and colours.
    """
    by_id = {style.style_id: style for style in document.styles}
    for style in document.styles:
        if style.type != WD_STYLE_TYPE.PARAGRAPH:
            continue
        link = style.element.find(qn("w:link"))
        if link is None:
            continue
        character_style = by_id[link.get(qn("w:val"))].element
        for stale in character_style.findall(qn("w:rPr")):
            character_style.remove(stale)
        paragraph_run_properties = style.element.find(qn("w:rPr"))
        if paragraph_run_properties is not None:
            character_style.append(copy.deepcopy(paragraph_run_properties))


def _rule_tables_horizontally(document: Document) -> None:
    """Rules above and below the table and under the header row; no vertical lines."""
    table_style = document.styles["Table"].element
    table_properties = table_style.find(qn("w:tblPr"))
    borders = OxmlElement("w:tblBorders")
    for edge, eighths_of_a_point in (("top", "8"), ("bottom", "8")):
        borders.append(
            OxmlElement(
                f"w:{edge}",
                {qn("w:val"): "single", qn("w:sz"): eighths_of_a_point, qn("w:space"): "0"},
            )
        )
    _insert_in_schema_order(
        table_properties,
        borders,
        after=(
            "w:tblStyle",
            "w:tblpPr",
            "w:tblOverlap",
            "w:bidiVisual",
            "w:tblStyleRowBandSize",
            "w:tblStyleColBandSize",
            "w:tblW",
            "w:jc",
            "w:tblCellSpacing",
            "w:tblInd",
        ),
    )
    for header_rule in table_style.iterfind(
        "w:tblStylePr[@w:type='firstRow']/w:tcPr/w:tcBorders/w:bottom", table_style.nsmap
    ):
        header_rule.set(qn("w:sz"), "4")
        header_rule.set(qn("w:space"), "0")


def _set_up_page(document: Document, design: ReferenceDesign) -> None:
    section = document.sections[0]
    page = design.page
    section.page_width = page.width
    section.page_height = page.height
    section.top_margin = section.bottom_margin = page.margin
    section.left_margin = section.right_margin = page.margin
    section.header_distance = section.footer_distance = page.header_footer_distance
    section.gutter = Pt(0)

    footer = section.footer
    footer.is_linked_to_previous = False
    page_number = footer.paragraphs[0]
    page_number.style = _style_named(document, "Footer")
    _append_page_field(page_number)

    if design.number_lines:
        line_numbering = OxmlElement(
            "w:lnNumType", {qn("w:countBy"): "1", qn("w:restart"): "continuous"}
        )
        _insert_in_schema_order(
            document.element.body.sectPr,
            line_numbering,
            after=(
                "w:headerReference",
                "w:footerReference",
                "w:footnotePr",
                "w:endnotePr",
                "w:type",
                "w:pgSz",
                "w:pgMar",
                "w:paperSrc",
                "w:pgBorders",
            ),
        )


def _append_page_field(paragraph: Paragraph) -> None:
    """A PAGE field with a placeholder result, which Word and LibreOffice recompute."""
    instruction = OxmlElement("w:instrText", {XML_SPACE: "preserve"})
    instruction.text = " PAGE "
    paragraph.add_run().element.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): "begin"}))
    paragraph.add_run().element.append(instruction)
    paragraph.add_run().element.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): "separate"}))
    paragraph.add_run("1")
    paragraph.add_run().element.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): "end"}))


def _turn_on_automatic_hyphenation(document: Document) -> None:
    """Hyphenate, but never more than two lines running, as a careful compositor would."""
    settings = document.settings.element
    automatic = OxmlElement("w:autoHyphenation")
    _insert_in_schema_order(
        settings,
        automatic,
        after=(
            "w:writeProtection",
            "w:view",
            "w:zoom",
            "w:removePersonalInformation",
            "w:removeDateAndTime",
            "w:doNotDisplayPageBoundaries",
            "w:displayBackgroundShape",
            "w:printPostScriptOverText",
            "w:printFractionalCharacterWidth",
            "w:printFormsData",
            "w:embedTrueTypeFonts",
            "w:embedSystemFonts",
            "w:saveSubsetFonts",
            "w:saveFormsData",
            "w:mirrorMargins",
            "w:alignBordersAndEdges",
            "w:bordersDoNotSurroundHeader",
            "w:bordersDoNotSurroundFooter",
            "w:gutterAtTop",
            "w:hideSpellingErrors",
            "w:hideGrammaticalErrors",
            "w:activeWritingStyle",
            "w:proofState",
            "w:formsDesign",
            "w:attachedTemplate",
            "w:linkStyles",
            "w:stylePaneFormatFilter",
            "w:stylePaneSortMethod",
            "w:documentType",
            "w:mailMerge",
            "w:revisionView",
            "w:trackRevisions",
            "w:doNotTrackMoves",
            "w:doNotTrackFormatting",
            "w:documentProtection",
            "w:autoFormatOverride",
            "w:styleLockTheme",
            "w:styleLockQFSet",
            "w:defaultTabStop",
        ),
    )
    automatic.addnext(OxmlElement("w:consecutiveHyphenLimit", {qn("w:val"): "2"}))


def _insert_in_schema_order(
    parent: etree._Element, child: etree._Element, *, after: Sequence[str]
) -> None:
    """Insert `child` behind the last sibling the schema puts before it.

    Word rejects a file whose elements are out of schema order; `after` lists, in order,
    the tags that may precede `child`.
    """
    preceding_tags = {qn(tag) for tag in after}
    preceding = [element for element in parent if element.tag in preceding_tags]
    if preceding:
        preceding[-1].addnext(child)
    else:
        parent.insert(0, child)


def _clear_core_properties(document: Document) -> None:
    properties = document.core_properties
    properties.title = ""
    properties.subject = ""
    properties.author = ""
    properties.last_modified_by = ""
    properties.keywords = ""
    properties.comments = ""
    properties.category = ""


def _finish_package(package: bytes, design: ReferenceDesign) -> bytes:
    """Edit the parts python-docx does not model, and zip with fixed timestamps."""
    finished = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(package)) as source,
        zipfile.ZipFile(finished, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            content = source.read(name)
            if name == "word/theme/theme1.xml":
                content = _theme_with_face(content, design.body_face)
            elif name == "word/fontTable.xml":
                content = _font_table_with(content, design.font_table_entries)
            entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return finished.getvalue()


def _theme_with_face(theme_xml: bytes, face: str) -> bytes:
    """Point the theme's heading and body fonts at the face, for Word's font menus."""
    theme = etree.fromstring(theme_xml)
    for role in ("majorFont", "minorFont"):
        for latin in theme.iterfind(f".//{{{DRAWINGML}}}{role}/{{{DRAWINGML}}}latin"):
            latin.attrib.clear()
            latin.set("typeface", face)
    return _serialise(theme)


def _font_table_with(font_table_xml: bytes, entries: Sequence[FontTableEntry]) -> bytes:
    fonts = etree.fromstring(font_table_xml)
    known = {font.get(qn("w:name")) for font in fonts.iterchildren(qn("w:font"))}
    for entry in entries:
        if entry.name in known:
            continue
        font = etree.SubElement(fonts, qn("w:font"), {qn("w:name"): entry.name})
        if entry.alternative_name is not None:
            etree.SubElement(font, qn("w:altName"), {qn("w:val"): entry.alternative_name})
        etree.SubElement(font, qn("w:panose1"), {qn("w:val"): entry.panose})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "00"})
        etree.SubElement(font, qn("w:family"), {qn("w:val"): entry.family})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    return _serialise(fonts)


def _serialise(root: etree._Element) -> bytes:
    serialised: bytes = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    return serialised


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help=f"where to write the reference documents (default: {DEFAULT_OUTPUT_DIR})",
    )
    arguments = parser.parse_args(argv)
    output_dir: Path = arguments.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    pandoc_default = pandoc_default_reference()
    for design in designs():
        target = output_dir / design.filename
        target.write_bytes(build_reference(design, pandoc_default))
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
