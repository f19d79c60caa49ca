"""How the fields of a BibTeX file are read: what pandoc's BibTeX reader leaves to us.

pandoc reads BibTeX best (typeset/references.py), but a few habits of real exported
files (Zotero, Better BibTeX, INSPIRE, JabRef) need a hand before and after it:

- **Before** (on the BibTeX text): `and` between names is case-insensitive in BibTeX
  (`A AND B` is two names; pandoc's reader splits on lower-case `and` only), and an
  entry without `langid`/`language` gets the language its title is written in, when a
  language detector is confident (see `title_language`), so pandoc does not
  sentence-case a German title as English.
- **After** (on pandoc's AST of the file): LaTeX the reader leaves raw (the `type`
  field: `Th{\\`e}se`) is converted by pandoc's LaTeX reader; every string is
  precomposed (NFC; `Garc{\\'\\i}a` is "García", not a dotless i plus an accent); math
  (`{CO$_2$}`) is kept as TeX between two private-use delimiters in a case-protected
  span, which both citation engines pass through unchanged, and `math_from_citations`
  turns it back into pandoc Math in the resolved document (CSL-JSON has no math).
- **On the CSL items**: `language` becomes a BCP 47 tag (`chinese` -> `zh`).

`and others` (et al.) stays as pandoc's reader writes it, a last name `{"literal":
"others"}`; the engines render it as the style's et-al (typeset/citations/others.py).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from typeset import ast
from typeset.language_detection import classified
from typeset.pandoc import run_pandoc

# --- the BibTeX text --------------------------------------------------------------------

# biblatex's name-list fields (BibTeX's are author and editor).
NAME_FIELDS: Final = frozenset(
    {
        "author",
        "editor",
        "editora",
        "editorb",
        "editorc",
        "translator",
        "annotator",
        "commentator",
        "introduction",
        "foreword",
        "afterword",
        "bookauthor",
        "holder",
        "shortauthor",
        "shorteditor",
    }
)
_FIELD_NAME = re.compile(r"[A-Za-z][\w:.+-]{0,63}", re.ASCII)
_ENTRY_START = re.compile(r"@[ \t]*([A-Za-z][\w-]*)\s*([{(])")
# ` and ` between two names, whatever its case (BibTeX's own rule); only at brace depth 0
# of the value, so `{Barnes AND Noble}` stays one name.
_NAME_SEPARATOR = re.compile(r"\s+(and)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class FieldSpan:
    """One `name = value` of an entry: where its value stands in the text."""

    name: str  # lower case
    start: int  # the value's first character (a brace, a quote or a bare word)
    end: int  # just past the value


@dataclass(frozen=True)
class EntrySpan:
    kind: str
    fields_start: int  # just past the comma after the key
    fields: tuple[FieldSpan, ...]

    def field(self, name: str) -> FieldSpan | None:
        return next((field for field in self.fields if field.name == name), None)


def balanced_end(text: str, start: int, closing: str) -> int:
    """The index just past the `closing` that ends a group opened before `start`."""
    depth = 0
    for index in range(start, len(text)):
        character = text[index]
        if character == "{":
            depth += 1
        elif character == "}":
            if depth == 0 and closing == "}":
                return index + 1
            depth = max(0, depth - 1)
        elif character == ")" and closing == ")" and depth == 0:
            return index + 1
    return len(text)


def entry_spans(text: str) -> Iterator[EntrySpan]:
    """The entries of a BibTeX file with where each field's value stands (best effort:
    broken syntax is pandoc's to report)."""
    position = 0
    while found := _ENTRY_START.search(text, position):
        kind = found.group(1).lower()
        body_end = balanced_end(text, found.end(), "}" if found.group(2) == "{" else ")")
        position = body_end
        if kind in ("comment", "preamble", "string"):
            continue
        comma = text.find(",", found.end(), body_end)
        if comma < 0:
            continue
        yield EntrySpan(kind, comma + 1, tuple(_fields(text, comma + 1, body_end - 1)))


def _fields(text: str, position: int, end: int) -> Iterator[FieldSpan]:
    while position < end:
        name = _FIELD_NAME.search(text, position, end)
        if name is None:
            return
        equals = name.end()
        while equals < end and text[equals].isspace():
            equals += 1
        if equals >= end or text[equals] != "=":
            position = name.end()
            continue
        start = equals + 1
        while start < end and text[start].isspace():
            start += 1
        value_end = _value_end(text, start, end)
        yield FieldSpan(name.group(0).lower(), start, value_end)
        position = value_end


def _value_end(text: str, start: int, end: int) -> int:
    """Past a value: `{...}`, `"..."` or a bare word, joined by `#`."""
    position = start
    while position < end:
        character = text[position]
        if character == "{":
            position = balanced_end(text, position + 1, "}")
        elif character == '"':
            position += 1
            depth = 0
            while position < end and not (text[position] == '"' and depth == 0):
                depth += {"{": 1, "}": -1}.get(text[position], 0)
                position += 1
            position += 1
        else:
            while position < end and text[position] not in ",#}\n" and not text[position].isspace():
                position += 1
        while position < end and text[position].isspace():
            position += 1
        if position < end and text[position] == "#":
            position += 1
            while position < end and text[position].isspace():
                position += 1
            continue
        return position
    return min(position, end)


def prepared_for_pandoc(text: str, document_lang: str) -> str:
    """The BibTeX text with names separated as BibTeX separates them and entries of
    another language than the document's marked with a `langid`."""
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    document_language = _primary(document_lang)
    for entry in entry_spans(text):
        for field in entry.fields:
            if field.name in NAME_FIELDS:
                edits.extend(_name_separator_edits(text, field))
        if entry.field("langid") or entry.field("language"):
            continue
        title = entry.field("title")
        language = title_language(text[title.start : title.end]) if title else None
        if language and language != document_language:
            edits.append((entry.fields_start, entry.fields_start, f" langid = {{{language}}},"))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _name_separator_edits(text: str, field: FieldSpan) -> Iterator[tuple[int, int, str]]:
    top = 1 if text[field.start] == "{" else 0  # the depth of the value's own text
    depth = 0
    position = field.start
    while position < field.end:
        character = text[position]
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
        elif depth == top and character.isspace():
            separator = _NAME_SEPARATOR.match(text, position, field.end)
            if separator and separator.group(1) != "and":
                # only the word: the spaces (and line breaks) stay, so pandoc's error
                # lines still match the file's
                yield separator.start(1), separator.end(1), "and"
            if separator:
                position = separator.end()
                continue
            while position < field.end and text[position].isspace():
                position += 1  # past the whole run: a run of spaces stays linear
            continue
        position += 1


# --- the entry's language ---------------------------------------------------------------

# The languages the detector may answer (a closed set is far more accurate on short
# titles than all 97 of py3langid's): the languages of most scholarly citations.
DETECTABLE_LANGUAGES: Final = (
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs",
    "ru", "tr", "el", "hu", "ro", "hr", "ca", "zh", "ja", "ko",
)  # fmt: skip
# A title is detected only when long enough and the detector sure enough: below these,
# real English titles came out as Latin or Tagalog ("Nature", "Gravitation und Raum").
MINIMUM_TITLE_WORDS: Final = 3
MINIMUM_CONFIDENCE: Final = 0.5
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}$]")


def title_language(raw_title: str) -> str | None:
    """The language (ISO 639-1) a BibTeX title is written in, or None when unsure.

    Conservative: a title of fewer than three words, or one py3langid gives less than
    even odds among `DETECTABLE_LANGUAGES`, is left to the document's language.
    """
    plain = " ".join(_LATEX_COMMAND.sub("", raw_title.strip('{}"')).split())
    if len(re.findall(r"\w{2,}", plain)) < MINIMUM_TITLE_WORDS and not _is_cjk(plain):
        return None
    language, confidence = classified(plain, frozenset(DETECTABLE_LANGUAGES))
    return language if confidence >= MINIMUM_CONFIDENCE else None


def _is_cjk(text: str) -> bool:
    return sum(1 for character in text if "\u3040" <= character <= "\u9fff") >= 4


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()


# babel and polyglossia language names (biblatex's `langid`, and `language` as Zotero
# and JabRef write it) as BCP 47 tags. pandoc's reader maps many of these itself but
# passes others through ("chinese"); one table, so every name gives the same tag.
BABEL_LANGUAGES: Final[dict[str, str]] = {
    "american": "en-US", "english": "en-US", "usenglish": "en-US", "canadian": "en-CA",
    "british": "en-GB", "ukenglish": "en-GB", "australian": "en-AU", "newzealand": "en-NZ",
    "german": "de-DE", "ngerman": "de-DE", "austrian": "de-AT", "naustrian": "de-AT",
    "swissgerman": "de-CH", "nswissgerman": "de-CH", "french": "fr-FR", "francais": "fr-FR",
    "acadian": "fr-CA", "canadien": "fr-CA", "spanish": "es-ES", "mexican": "es-MX",
    "italian": "it-IT", "portuguese": "pt-PT", "portuges": "pt-PT", "brazil": "pt-BR",
    "brazilian": "pt-BR", "dutch": "nl-NL", "flemish": "nl-BE", "swedish": "sv-SE",
    "danish": "da-DK", "norsk": "nb-NO", "norwegian": "nb-NO", "nynorsk": "nn-NO",
    "finnish": "fi-FI", "icelandic": "is-IS", "polish": "pl-PL", "czech": "cs-CZ",
    "slovak": "sk-SK", "slovene": "sl-SI", "slovenian": "sl-SI", "croatian": "hr-HR",
    "serbian": "sr-RS", "bulgarian": "bg-BG", "russian": "ru-RU", "ukrainian": "uk-UA",
    "belarusian": "be-BY", "greek": "el-GR", "polutonikogreek": "el-GR", "turkish": "tr-TR",
    "hungarian": "hu-HU", "magyar": "hu-HU", "romanian": "ro-RO", "lithuanian": "lt-LT",
    "latvian": "lv-LV", "estonian": "et-EE", "catalan": "ca-AD", "basque": "eu",
    "galician": "gl-ES", "irish": "ga-IE", "welsh": "cy-GB", "latin": "la", "hebrew": "he-IL",
    "arabic": "ar", "persian": "fa-IR", "farsi": "fa-IR", "hindi": "hi-IN", "chinese": "zh",
    "schinese": "zh-CN", "tchinese": "zh-TW", "japanese": "ja-JP", "korean": "ko-KR",
    "thai": "th-TH", "vietnamese": "vi-VN", "indonesian": "id-ID", "malay": "ms-MY",
    "afrikaans": "af-ZA",
}  # fmt: skip
_BCP47 = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def bcp47(language: str) -> str:
    """A BibTeX language name or tag as a BCP 47 tag, canonically cased (`en-GB`)."""
    name = language.strip()
    mapped = BABEL_LANGUAGES.get(name.lower())
    if mapped:
        return mapped
    if not _BCP47.fullmatch(name):
        return name
    parts = name.replace("_", "-").split("-")
    cased = [parts[0].lower()]
    for part in parts[1:]:
        cased.append(
            part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower()
        )
    return "-".join(cased)


def with_csl_conventions(items: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    """Items with BCP 47 languages, and a type for `@misc`: pandoc's reader gives it the
    empty type, which is no CSL type; biblatex's `misc` is CSL's `document`."""
    finished = []
    for item in items:
        if isinstance(item.get("language"), str):
            item = {**item, "language": bcp47(item["language"])}
        if item.get("type") == "":
            item = {**item, "type": "document"}
        item = _others_spelled_alike(item)
        finished.append(item)
    return tuple(finished)


def _others_spelled_alike(item: dict[str, Any]) -> dict[str, Any]:
    """`and Others`, `and OTHERS` are `and others` (pandoc's reader knows the last only)."""
    changed = {}
    for variable, names in item.items():
        if not (isinstance(names, list) and names and isinstance(names[-1], dict)):
            continue
        last = names[-1]
        spelled = last.get("literal") or (last.get("family") if len(last) == 1 else None)
        if isinstance(spelled, str) and spelled.lower() == "others" and last != OTHERS:
            changed[variable] = [*names[:-1], OTHERS]
    return {**item, **changed} if changed else item


# pandoc's reader's spelling of BibTeX's `and others`: et al. (typeset/citations/others.py).
OTHERS: Final = {"literal": "others"}


# --- pandoc's AST of the file -------------------------------------------------------------

# Plane 16: pandoc's csljson writer drops the BMP's private-use characters, and the
# citeproc-py engine's own markers use the BMP's and plane 15.
MATH_START: Final = "\U00100000"
MATH_END: Final = "\U00100001"
# Fields whose text is an identifier or a date, never LaTeX to interpret.
_VERBATIM_FIELDS: Final = frozenset(
    {"id", "url", "doi", "isbn", "issn", "pmid", "pmcid", "accessed", "issued", "type"}
)
_RAW_LATEX = re.compile(r"[\\{}~]|--")
# An escaped character in a DOI or URL (JabRef writes `10.1000/a\_b`).
_ESCAPED_IN_IDENTIFIER = re.compile(r"\\([_%&#$~])")
# A dotless i or j under a combining accent: `{\'\i}` as LaTeX spells "í".
_DOTLESS = re.compile("([\u0131\u0237])(?=[\u0300-\u036f])")


def converted_references(document: dict[str, Any]) -> dict[str, Any]:
    """pandoc's AST of a BibTeX file with every field's LaTeX converted (see the module)."""
    references = document["meta"].get("references")
    if not references:
        return document
    raw_strings: dict[str, list[ast.Node]] = {}
    for reference in references["c"]:
        for field, value in reference["c"].items():
            if value["t"] != "MetaString":
                continue
            if field in ("url", "doi"):
                value["c"] = _ESCAPED_IN_IDENTIFIER.sub(r"\1", value["c"])
            elif field not in _VERBATIM_FIELDS and _RAW_LATEX.search(value["c"]):
                raw_strings.setdefault(value["c"], [])
    converted = _latex_to_inlines(list(raw_strings))

    def rewrite(node: ast.Node) -> ast.Node | None:
        if node["t"] == "MetaString":
            if node["c"] in converted:
                return {"t": "MetaInlines", "c": ast.transform(converted[node["c"]], rewrite)}
            return {"t": "MetaString", "c": precomposed(node["c"])}
        if node["t"] == "Str":
            return {"t": "Str", "c": precomposed(node["c"])}
        if node["t"] == "Math":
            return math_placeholder(node["c"][1])
        return None

    meta = {**document["meta"], "references": ast.transform(references, rewrite)}
    return {**document, "meta": meta}


def precomposed(text: str) -> str:
    """`text` in NFC, a dotless i/j under an accent first made a plain i/j."""
    dotted = _DOTLESS.sub(lambda match: "i" if match.group(1) == "\u0131" else "j", text)
    return unicodedata.normalize("NFC", dotted)


def math_placeholder(tex: str) -> ast.Node:
    """TeX math as case-protected text that citation engines pass through unchanged."""
    return {
        "t": "Span",
        "c": [["", ["nocase"], []], [{"t": "Str", "c": MATH_START + tex + MATH_END}]],
    }


def _latex_to_inlines(sources: list[str]) -> dict[str, list[ast.Node]]:
    """Each LaTeX string as pandoc inlines, all in one pandoc run."""
    if not sources:
        return {}
    # One paragraph per source, in a group each so nothing leaks from one to the next.
    latex = "\n\n".join("{" + source + "}" for source in sources)
    parsed = json.loads(run_pandoc(["--from", "latex", "--to", "json"], latex.encode()))
    blocks = parsed["blocks"]
    if len(blocks) != len(sources) or any(block["t"] != "Para" for block in blocks):
        return {}  # a string that is not a paragraph of LaTeX: leave them all as they were
    return {source: _unwrapped(block["c"]) for source, block in zip(sources, blocks, strict=True)}


def _unwrapped(inlines: list[ast.Node]) -> list[ast.Node]:
    """A LaTeX group comes back as an unclassed Span: its content is what matters."""
    if len(inlines) == 1 and inlines[0]["t"] == "Span" and inlines[0]["c"][0] == ["", [], []]:
        return list(inlines[0]["c"][1])
    return inlines


# --- the resolved document --------------------------------------------------------------

_MATH_DELIMITERS = re.compile(f"[{MATH_START}{MATH_END}]")


def math_from_citations(document: dict[str, Any]) -> dict[str, Any]:
    """The resolved document with each bibliography math placeholder as pandoc Math."""

    def rebuild(inlines: list[Any]) -> list[Any] | None:
        if not any(
            isinstance(node, dict) and node.get("t") == "Str" and MATH_START in node["c"]
            for node in inlines
        ):
            return None
        result: list[Any] = []
        tex: list[str] | None = None  # the TeX being gathered, while inside math
        for node in inlines:
            kind = node.get("t") if isinstance(node, dict) else None
            if tex is not None and kind in ("Space", "SoftBreak"):
                tex.append(" ")
                continue
            if not (isinstance(node, dict) and node.get("t") == "Str"):
                if tex is not None:  # math broken by markup: keep its text, not its delimiters
                    result.append({"t": "Str", "c": "".join(tex)})
                    tex = None
                result.append(node)
                continue
            for piece in re.split(f"([{MATH_START}{MATH_END}])", node["c"]):
                if piece == MATH_START:
                    tex = []
                elif piece == MATH_END and tex is not None:
                    result.append({"t": "Math", "c": [{"t": "InlineMath"}, "".join(tex)]})
                    tex = None
                elif tex is not None:
                    tex.append(piece)
                elif piece := _MATH_DELIMITERS.sub("", piece):
                    result.append({"t": "Str", "c": piece})
        if tex is not None:
            result.append({"t": "Str", "c": "".join(tex)})
        return result

    transformed: dict[str, Any] = ast.transform(document, rewrite_list=rebuild)
    return transformed


def has_math(items: tuple[dict[str, Any], ...]) -> bool:
    return any(MATH_START in json.dumps(item, ensure_ascii=False) for item in items)
