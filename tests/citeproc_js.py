"""The project's citation engines checked against citeproc-js, the processor Zotero uses.

Every bibliography of the test corpus (tests/data/corpus/*/refs.bib, the essay's
refs.bib and tests/data/bibtex/exported.bib) is read once into CSL items; each engine
(`pandoc`, `citeproc-py`) and citeproc-js (npm `citeproc`, locked in package.json, run
by tools/citeproc_js_render.cjs) render every entry (`nocite: @*`) in each style of
`STYLES` from those same items. Entries are compared as plain text: markup dropped,
spaces and Unicode normalised, bibliography math compared as its TeX.

A difference is allowed only when tests/data/citeproc_js_differences.yaml lists it
(engine, style, corpus, entry) with the reason it is not this project's fault;
tests/test_citeproc_js.py fails on any other. `python tools/engine_agreement.py`
prints the agreement table of docs/engines.md.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from citeproc import LOCALES_PATH

from typeset.bibtex import MATH_END, MATH_START
from typeset.citations import engine_named
from typeset.commands.crosscheck import _entries
from typeset.frontmatter import declared_language
from typeset.manuscript import read_manuscript
from typeset.references import Bibliography, read_bibliography
from typeset.styles import resolve_style

PROJECT = Path(__file__).resolve().parent.parent
DRIVER = PROJECT / "tools" / "citeproc_js_render.cjs"
KNOWN_DIFFERENCES = PROJECT / "tests" / "data" / "citeproc_js_differences.yaml"
ENGINES = ("pandoc", "citeproc-py")
# Widely used styles of each family: author-date, numeric, note, and ISO 690.
STYLES = (
    "apa",
    "chicago-author-date",
    "chicago-note-bibliography",
    "modern-language-association",
    "harvard-cite-them-right",
    "ieee",
    "nature",
    "vancouver",
    "american-medical-association",
    "american-political-science-association",
    "american-sociological-association",
    "elsevier-harvard",
    "springer-basic-author-date",
    "iso690-author-date-en",
)


@dataclass(frozen=True)
class Corpus:
    """One bibliography and the language of the manuscript that cites it."""

    name: str
    bibliography: Path
    lang: str


def corpora() -> list[Corpus]:
    found = []
    for folder in sorted((PROJECT / "tests" / "data" / "corpus").iterdir()):
        manuscripts = sorted(folder.glob("*.md"))
        if (folder / "refs.bib").is_file() and manuscripts:
            lang = declared_language(manuscripts[0])
            found.append(Corpus(folder.name, folder / "refs.bib", lang))
    found.append(
        Corpus(
            "essay", PROJECT / "refs.bib", declared_language(PROJECT / "manuscript" / "essay.md")
        )
    )
    found.append(
        Corpus("exported", PROJECT / "tests" / "data" / "bibtex" / "exported.bib", "en-US")
    )
    return found


@dataclass(frozen=True)
class Difference:
    engine: str
    style: str
    corpus: str
    entry: str
    ours: str
    citeproc_js: str


@dataclass(frozen=True)
class StyleResult:
    style: str
    engine: str
    entries: int
    differences: tuple[Difference, ...]


def node_available() -> bool:
    return shutil.which("node") is not None and (PROJECT / "node_modules" / "citeproc").is_dir()


def compare_all(styles: tuple[str, ...] = STYLES) -> list[StyleResult]:
    """Every (style, engine) with its entry count and differences from citeproc-js.

    Each corpus is rendered on its own (ids prefixed with the corpus name), as its
    manuscript would be: the same items, in the manuscript's language, for all three.
    """
    groups = _each_corpus(corpora())
    resolved = {name: resolve_style(name, PROJECT) for name in styles}
    requests = [
        {
            "style": resolved[name].path.read_text(encoding="utf-8"),
            "lang": lang,
            "locales": str(LOCALES_PATH),
            "items": list(bibliography.items),
        }
        for name in styles
        for lang, bibliography in groups
    ]
    reference = iter(_citeproc_js(requests))
    differences: dict[tuple[str, str], list[Difference]] = {}
    counts: dict[tuple[str, str], int] = {}
    for name in styles:
        for lang, bibliography in groups:
            expected = next(reference)
            for engine in ENGINES:
                ours = _engine_entries(engine, lang, bibliography, name)
                counts[(name, engine)] = counts.get((name, engine), 0) + len(expected)
                differences.setdefault((name, engine), []).extend(
                    Difference(engine, name, *key.split(":", 1), ours.get(key, ""), text)
                    for key, text in expected.items()
                    if ours.get(key, "") != text
                )
    return [
        StyleResult(name, engine, counts[(name, engine)], tuple(differences[(name, engine)]))
        for name in styles
        for engine in ENGINES
    ]


def _each_corpus(found: list[Corpus]) -> list[tuple[str, Bibliography]]:
    """(language, bibliography) per corpus, each item's id `corpus:key`."""
    groups = []
    for corpus in found:
        items = read_bibliography(corpus.bibliography, lang=corpus.lang).items
        renamed = tuple({**item, "id": f"{corpus.name}:{item['id']}"} for item in items)
        groups.append((corpus.lang, Bibliography((PROJECT / f"{corpus.name}.json",), renamed)))
    return groups


def _engine_entries(
    engine: str, lang: str, bibliography: Bibliography, style: str
) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="typeset-citeproc-js-") as workdir:
        manuscript_path = Path(workdir) / "all.md"
        manuscript_path.write_text(f'---\nlang: {lang}\nnocite: "@*"\n---\n\nText.\n')
        manuscript = read_manuscript(manuscript_path)
        document = (
            engine_named(engine)
            .resolve(manuscript, bibliography, resolve_style(style, PROJECT), Path(workdir))
            .document
        )
    return {key: normalised(text) for key, text in _entries(_spaced_margins(document))}


def _spaced_margins(document: dict[str, Any]) -> dict[str, Any]:
    """A space after a numeric style's label ("[1]"), which citeproc-js sets in a div."""
    result: dict[str, Any] = json.loads(json.dumps(document))  # a copy to change

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("t") == "Span" and "csl-left-margin" in value["c"][0][1]:
                value["c"][1] = [*value["c"][1], {"t": "Space"}]
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(result)
    return result


def _citeproc_js(requests: list[dict[str, Any]]) -> list[dict[str, str]]:
    completed = subprocess.run(
        ["node", str(DRIVER)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    results = json.loads(completed.stdout)
    entries = []
    for result in results:
        if "error" in result:
            raise RuntimeError(f"citeproc-js: {result['error'][:500]}")
        entries.append({key: normalised_html(entry) for key, entry in result["bibliography"]})
    return entries


_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"</?div[^>]*>")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f]+")


def normalised_html(entry: str) -> str:
    return normalised(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", entry))))


# A numeric style's label ("[1]", "1."), which engines set apart in different ways.
_LABEL = re.compile(r"^(\[\d+\]|\d+\.)\s*")


# Superscript letters (fr-FR's "nᵒ"), which citeproc-js writes as <sup> markup.
_SUPERSCRIPT_LETTERS = re.compile("[\u02b0-\u02ff\u1d2c-\u1dbf\u2070-\u209f]")


def normalised(text: str) -> str:
    text = text.replace(MATH_START, "").replace(MATH_END, "")
    text = _SUPERSCRIPT_LETTERS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return _LABEL.sub(r"\1 ", text)


def known_differences() -> dict[tuple[str, str, str, str], str]:
    """(engine, style, corpus, entry) -> reason, from the data file."""
    data = yaml.safe_load(KNOWN_DIFFERENCES.read_text(encoding="utf-8")) or {}
    known: dict[tuple[str, str, str, str], str] = {}
    for group in data.get("differences", []):
        for listed in group["entries"]:
            engine, style, corpus, entry = listed.split("/")
            known[(engine, style, corpus, entry)] = group["reason"]
    return known


def unexplained(results: list[StyleResult]) -> Iterator[Difference]:
    known = known_differences()
    for result in results:
        for difference in result.differences:
            key = (difference.engine, difference.style, difference.corpus, difference.entry)
            if key not in known:
                yield difference


def agreement_table(results: list[StyleResult]) -> str:
    """The Markdown table of docs/engines.md: entries agreeing with citeproc-js."""
    lines = [
        "| style | " + " | ".join(ENGINES) + " |",
        "| --- | " + " | ".join("---:" for _ in ENGINES) + " |",
    ]
    by_style: dict[str, dict[str, StyleResult]] = {}
    for result in results:
        by_style.setdefault(result.style, {})[result.engine] = result
    totals = {engine: [0, 0] for engine in ENGINES}
    for style, engines in by_style.items():
        cells = []
        for engine in ENGINES:
            result = engines[engine]
            agreeing = result.entries - len(result.differences)
            totals[engine][0] += agreeing
            totals[engine][1] += result.entries
            cells.append(f"{agreeing}/{result.entries} ({100 * agreeing / result.entries:.0f}%)")
        lines.append(f"| {style} | " + " | ".join(cells) + " |")
    total_cells = [
        f"**{agreeing}/{total} ({100 * agreeing / total:.1f}%)**"
        for agreeing, total in totals.values()
    ]
    lines.append("| **all** | " + " | ".join(total_cells) + " |")
    return "\n".join(lines)
