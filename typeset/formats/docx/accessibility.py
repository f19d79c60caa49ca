"""What Word's accessibility checker reports on a DOCX, checked from the package's XML.

pandoc already writes most of it: headings in the built-in Heading 1..9 styles, each
image's description as `wp:docPr/@descr`, `w:tblHeader` on a table's header row, the
document language as `w:lang` in the default run properties of styles.xml, and the title
in the core properties. What it leaves out is a title when the front matter has none;
`complete_core_properties` gives the document its file name then, as the EPUB writer does.
`audit_docx` is the `--check` validator.
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

from typeset.findings import Finding

CHECK = "docx-accessibility"
NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
}
W = f"{{{NS['w']}}}"
CORE = "docProps/core.xml"
# Word marks an image decorative (no description needed) with this extension element.
DECORATIVE = "{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative"
HEADING_STYLE = re.compile(r"^Heading([1-9])$")


def complete_core_properties(path: Path, fallback_title: str, creators: list[str]) -> None:
    """Give the DOCX a title in its core properties when pandoc wrote none, and the
    authors' plain names as dc:creator (pandoc writes the author lines stringified, with
    their affiliation marks)."""
    with zipfile.ZipFile(path) as package:
        core = package.read(CORE).decode("utf-8") if CORE in package.namelist() else ""
    if not core:
        return
    completed = core
    if not re.search(r"<dc:title>\s*[^<\s]", completed):
        completed = _with_element(completed, "dc:title", fallback_title)
    if creators:
        completed = _with_element(completed, "dc:creator", "; ".join(creators))
    if completed != core:
        _replace_part(path, CORE, completed.encode("utf-8"))


def _with_element(core: str, name: str, text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    element = f"<{name}>{escaped}</{name}>"
    existing = re.compile(rf"<{name}\s*/>|<{name}>[^<]*</{name}>")
    if existing.search(core):
        return existing.sub(lambda _: element, core, count=1)
    return core.replace("</cp:coreProperties>", f"{element}</cp:coreProperties>")


def audit_docx(path: Path) -> list[Finding]:
    """Word's accessibility checks: alt text, table headers, language, title, headings."""
    try:
        with zipfile.ZipFile(path) as package:
            parts = {
                name: ElementTree.fromstring(package.read(name))
                for name in ("word/document.xml", "word/styles.xml", CORE)
                if name in package.namelist()
            }
    except (zipfile.BadZipFile, ElementTree.ParseError) as error:
        return [Finding("error", CHECK, f"cannot be read: {error}", str(path))]
    return [Finding(level, CHECK, message, str(path)) for level, message in _audit(parts)]


def _audit(parts: dict[str, ElementTree.Element]) -> Iterator[tuple[str, str]]:
    document = parts.get("word/document.xml")
    if document is not None:
        for number, picture in enumerate(document.iter(f"{{{NS['wp']}}}docPr"), start=1):
            decorative = any(element.tag == DECORATIVE for element in picture.iter())
            if not picture.get("descr", "").strip() and not decorative:
                yield "error", f"image {number} ({picture.get('name', '')}) has no alt text"
        for number, table in enumerate(document.iter(f"{W}tbl"), start=1):
            first_row = table.find(f"{W}tr")
            if first_row is not None and first_row.find(f"{W}trPr/{W}tblHeader") is None:
                yield "warning", f"table {number} has no header row (w:tblHeader)"
        yield from _heading_findings(document)
    styles = parts.get("word/styles.xml")
    language = None
    if styles is not None:
        language = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    if language is None or not language.get(f"{W}val", "").strip():
        yield "error", "no document language (w:lang in styles.xml): set lang"
    core = parts.get(CORE)
    title = core.find("dc:title", NS) if core is not None else None
    if title is None or not (title.text or "").strip():
        yield "error", "no document title in the core properties: set title"


def _heading_findings(document: ElementTree.Element) -> Iterator[tuple[str, str]]:
    levels = []
    for style in document.iter(f"{W}pStyle"):
        match = HEADING_STYLE.match(style.get(f"{W}val", ""))
        if match:
            levels.append(int(match.group(1)))
    for previous, level in itertools.pairwise(levels):
        if level > previous + 1:
            yield "warning", f"heading levels skip from Heading {previous} to Heading {level}"


def _replace_part(path: Path, name: str, data: bytes) -> None:
    """Rewrite one part of the package, keeping every other entry and its order."""
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".docx", delete=False) as handle:
        temporary = Path(handle.name)
    try:
        with (
            zipfile.ZipFile(path) as source,
            zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            for info in source.infolist():
                target.writestr(info, data if info.filename == name else source.read(info))
        shutil.move(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
