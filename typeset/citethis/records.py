"""The records reference managers import: BibTeX, RIS, CSL-JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from typeset.citethis.fragments import _json
from typeset.citethis.item import OFFLINE_TYPE, ONLINE_TYPE, CslItem, csl_markup_to_text
from typeset.errors import OutputError
from typeset.pandoc import run_pandoc


def bibtex_record(item: CslItem) -> str:
    """The item as BibTeX, written by pandoc, with the fields its writer leaves out.

    pandoc's BibTeX writer drops the DOI and a webpage's container-title; `doi` is read
    by biblatex and most .bst styles, `howpublished` is @misc's field for the venue.
    """
    record = run_pandoc(["--from", "csljson", "--to", "bibtex"], _json([item])).decode()
    extra = {}
    if item.get("DOI") and not re.search(r"^\s*doi\s*=", record, re.M):
        extra["doi"] = str(item["DOI"])
    venue = csl_markup_to_text(str(item.get("container-title", "")))
    if venue and not re.search(r"^\s*(howpublished|journal|booktitle)\s*=", record, re.M):
        extra["howpublished"] = latex_escaped(venue)
    if not extra:
        return record
    body = record.rstrip()
    if not body.endswith("}"):
        raise OutputError("pandoc wrote an unexpected BibTeX record", hint=record[:200])
    fields = "".join(f",\n  {name} = {{{value}}}" for name, value in extra.items())
    return body[:-1].rstrip() + fields + "\n}\n"


def latex_escaped(text: str) -> str:
    replacements = {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\^{}",
    }
    return "".join(replacements.get(character, character) for character in text)


# RIS type codes (RIS specification; EndNote, Zotero and Mendeley use ELEC for web pages).
_RIS_TYPES = {ONLINE_TYPE: "ELEC", OFFLINE_TYPE: "UNPB"}


def ris_record(item: CslItem) -> str:
    """The item as one RIS record: TY first, ER last, CRLF line ends, UTF-8."""
    lines = [("TY", _RIS_TYPES.get(str(item.get("type")), "GEN"))]
    for name in item.get("author", []):
        lines.append(("AU", _ris_name(name)))
    lines.append(("TI", csl_markup_to_text(str(item.get("title", "")))))
    if item.get("container-title"):
        lines.append(("T2", csl_markup_to_text(str(item["container-title"]))))
    date_parts = (item.get("issued") or {}).get("date-parts") or [[]]
    if date_parts[0]:
        year, *rest = date_parts[0]
        lines.append(("PY", f"{year:04d}"))
        # DA is YYYY/MM/DD/other-info; missing parts stay empty between the slashes.
        month_day = [f"{part:02d}" for part in rest] + ["", ""]
        lines.append(("DA", f"{year:04d}/{month_day[0]}/{month_day[1]}/"))
    if item.get("publisher"):
        lines.append(("PB", csl_markup_to_text(str(item["publisher"]))))
    if item.get("URL"):
        lines.append(("UR", str(item["URL"])))
    if item.get("DOI"):
        lines.append(("DO", str(item["DOI"])))
    lines.append(("ID", str(item["id"])))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {' '.join(value.split())}\r\n" for tag, value in lines)


def _ris_name(name: Mapping[str, str]) -> str:
    if name.get("literal"):
        # A trailing comma marks a corporate author (EndNote's convention; pandoc reads it
        # as a family name alone).
        return f"{name['literal']},"
    particles = " ".join(
        name[part] for part in ("dropping-particle", "non-dropping-particle") if name.get(part)
    )
    family = f"{particles} {name.get('family', '')}".strip()
    parts = [family, name.get("given", ""), name.get("suffix", "")]
    while parts and not parts[-1]:
        parts.pop()
    return ", ".join(parts)


def csl_json_record(item: CslItem) -> str:
    """CSL-JSON is a list of items, even for one."""
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


def work_records(item: CslItem) -> dict[str, str]:
    """The records reference managers import, by kind: bibtex, ris, csl-json."""
    return {
        "bibtex": bibtex_record(item),
        "ris": ris_record(item),
        "csl-json": csl_json_record(item),
    }
