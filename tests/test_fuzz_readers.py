"""Property-based tests of the input readers (issue 7): whatever bytes a user hands over,
a reader either returns or raises a TypesetError (which the CLI turns into a message).
Any other exception would reach the user as a traceback.

The readers: typeset.references.read_bibliography, typeset.manuscript.read_manuscript,
typeset.config.load_config and typeset.styles.resolve_style. Each property writes its
input into a fresh temporary folder inside the test body (hypothesis runs the body many
times; pytest's function-scoped tmp_path would be shared between examples).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from typeset.config import load_config
from typeset.errors import TypesetError
from typeset.manuscript import read_manuscript
from typeset.options import OPTIONS
from typeset.references import read_bibliography
from typeset.styles import resolve_style

T = TypeVar("T")

# Readers that run pandoc take ~20-50 ms an example; the pure-Python ones ~1 ms.
PANDOC = settings(
    max_examples=120,
    deadline=None,
    database=None,  # leave no .hypothesis/ folder in the project
    derandomize=True,  # the same examples every run: a failure is never a fluke of the seed
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PYTHON = settings(PANDOC, max_examples=400)


def tolerated(read: Callable[[], T]) -> T | None:
    """Run `read`; a TypesetError is the one acceptable failure, anything else propagates."""
    try:
        return read()
    except TypesetError as error:
        # The CLI prints str(error); that must work too.
        assert str(error)
        return None


def written(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    return path


# --- text that is hard on parsers -------------------------------------------------------
# Fragments a person (or a broken editor, or a truncated download) plausibly produces,
# plus the few that stress a parser's limits: deep nesting (hypothesis raises the recursion
# limit while a test runs, so nest deeper than the CLI would need), a 4,400-digit number
# (Python refuses to convert integers of more than 4,300 digits).
NASTY = [
    "\x00",
    "\ufeff",
    "\r\n",
    "\r",
    "\t",
    "\u2028",
    "\ud7ff",
    "\U0001f600",
    "é",
    "\u0301",
    "9" * 4400,
    "[" * 5000,
    "{" * 5000,
    "- " * 3000,
    "&a ",
    "*a ",
    "<<: ",
    "? ",
    "!!binary ",
    "!!python/object:os.system ",
    "2001-02-30",
    "2001-13-45T25:61:00",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "'",
    '"',
    "\\",
    "#",
    "%",
    "@",
    "~",
    "`",
]


def fragmented_text(pieces: list[str], *, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.lists(
        st.one_of(st.sampled_from(pieces), st.text(max_size=12)), max_size=max_size
    ).map("".join)


# --- (a) random bytes, to every reader -------------------------------------------------------
@PANDOC
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".bib", ".json", ".biblatex"]))
def test_bibliography_reader_survives_random_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "refs" + suffix, data)
        bibliography = tolerated(lambda: read_bibliography(path))
        if bibliography is not None:
            assert isinstance(bibliography.keys, frozenset)
            bibliography.to_csl_json()


@PANDOC
@given(data=st.binary(max_size=2000))
def test_manuscript_reader_survives_random_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "essay.md", data)
        exercise_manuscript(tolerated(lambda: read_manuscript(path)))


@PYTHON
@given(data=st.binary(max_size=2000))
def test_config_reader_survives_random_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "typeset.yaml", data)
        tolerated(lambda: load_config(path, project_dir=Path(folder)))


@PYTHON
@given(data=st.binary(max_size=2000))
def test_style_reader_survives_random_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "styles/house.csl", data)
        tolerated(lambda: resolve_style(str(path), Path(folder)))


def exercise_manuscript(manuscript: Any) -> None:
    """What the pipeline asks of a manuscript right after reading it."""
    if manuscript is None:
        return
    keys = manuscript.cited_keys() + manuscript.nocite_keys()
    manuscript.local_resources()
    for key in keys:
        manuscript.line_of_key(key)


# --- (b) BibTeX that looks right, and sometimes is not ---------------------------------------
ENTRY_TYPES = [
    "article",
    "book",
    "incollection",
    "inproceedings",
    "misc",
    "phdthesis",
    "online",
    "report",
    "foobar",
    "ARTICLE",
    "string",
    "comment",
    "preamble",
]
FIELDS = [
    "author",
    "title",
    "journal",
    "year",
    "volume",
    "number",
    "pages",
    "publisher",
    "editor",
    "booktitle",
    "doi",
    "url",
    "note",
    "date",
    "month",
    "crossref",
    "translator",
    "address",
    "urldate",
    "langid",
    "keywords",
    "abstract",
]
LATEX = [
    '{\\"u}',
    "\\'e",
    "\\`a",
    "\\^o",
    "\\~n",
    "\\c{c}",
    "\\ss{}",
    "\\o",
    "\\aa",
    "{\\L}",
    "\\emph{x}",
    "\\textit{y}",
    "\\textsc{z}",
    "\\url{http://x.y}",
    "$x^2$",
    "$\\alpha$",
    "--",
    "---",
    "~",
    "\\&",
    "\\%",
    "\\#",
    "\\_",
    "\\\\",
    "{",
    "}",
    "{Caps}",
    "and",
    " and ",
    "von ",
    "de la ",
    ", Jr.",
    "\\foo{bar}",
    "\\begin{weird}",
    "\\end{weird}",
    "\\def\\x{y}",
    "\\iffalse",
    "\\fi",
    "\\relax",
    "\\ding{51}",
    "\\mkbibemph{e}",
    "%",
    "#",
    "@",
    '"',
    ",",
    "=",
    "\n",
    "é",
    "Müller",
    "Ørsted",
    "Łódź",
    "中文",
    "\u0301",
]
KEY_CHARS = st.characters(
    codec="utf-8", categories=("Ll", "Lu", "Nd"), include_characters="-_:./+&?<>~!$*'"
)


@st.composite
def bibtex_entry(draw: st.DrawFn, keys: list[str]) -> str:
    kind = draw(st.sampled_from(ENTRY_TYPES))
    key = draw(st.one_of(st.sampled_from(keys), st.text(KEY_CHARS, min_size=1, max_size=12)))
    fields = []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.one_of(st.sampled_from(FIELDS), st.text(KEY_CHARS, max_size=6)))
        value = "".join(
            draw(st.lists(st.one_of(st.sampled_from(LATEX), st.text(max_size=8)), max_size=8))
        )
        opener, closer = draw(
            st.sampled_from([("{", "}"), ('"', '"'), ("", ""), ("{", ""), ("", "}")])
        )
        concatenated = draw(st.sampled_from(["", " # {x}", ' # "y"', " # abbrev"]))
        fields.append(f"  {name} = {opener}{value}{closer}{concatenated}")
    separator = draw(st.sampled_from([",\n", ",\n", ",\n", "\n", ", ", ",,\n"]))
    brace_open, brace_close = draw(st.sampled_from([("{", "}"), ("{", "}"), ("(", ")"), ("{", "")]))
    return f"@{kind}{brace_open}{key},\n" + separator.join(fields) + f"\n{brace_close}\n"


@st.composite
def bibtex_file(draw: st.DrawFn) -> str:
    keys = draw(st.lists(st.text(KEY_CHARS, min_size=1, max_size=10), min_size=1, max_size=3))
    parts = draw(
        st.lists(
            st.one_of(
                bibtex_entry(keys),
                st.sampled_from(
                    [
                        '@string{abbrev = "Journal"}\n',
                        '@preamble{"\\newcommand{\\x}{y}"}\n',
                        "@comment{a note}\n",
                        "garbage between entries\n",
                        "}\n",
                        "@\n",
                    ]
                ),
            ),
            max_size=6,
        )
    )
    text = "\n".join(parts)
    if draw(st.booleans()):  # truncated somewhere, as a failed download would be
        text = text[: draw(st.integers(0, len(text)))]
    return text


@PANDOC
@given(text=bibtex_file())
def test_bibliography_reader_survives_random_bibtex(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "refs.bib", text)
        bibliography = tolerated(lambda: read_bibliography(path))
        if bibliography is not None:
            assert all("id" in item for item in bibliography.items)
            bibliography.to_csl_json()


# CSL-JSON is the other bibliography format: JSON-shaped text, valid and not.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
csl_items = st.lists(
    st.dictionaries(
        st.sampled_from(["id", "type", "title", "author", "issued"]), json_values, max_size=5
    ),
    max_size=4,
)


@PYTHON
@given(
    text=st.one_of(
        csl_items.map(json.dumps),
        json_values.map(json.dumps),
        fragmented_text(["[", "]", "{", "}", '"id"', ":", ",", '"x"', "1e999", "NaN", *NASTY]),
    )
)
def test_bibliography_reader_survives_random_csl_json(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "refs.json", text)
        bibliography = tolerated(lambda: read_bibliography(path))
        if bibliography is not None:
            assert isinstance(bibliography.keys, frozenset)


# --- (c) YAML: random structures and random text -------------------------------------------
yaml_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.dates()
    | st.datetimes()
    | st.sampled_from(
        [
            "pdf",
            "epub",
            "docx",
            "a4",
            "letter",
            "apa",
            "pandoc",
            "25mm",
            "",
            "https://example.org/",
            "yes",
            "no",
            "on",
            "off",
            "~",
        ]
    )
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4)
    ),
    max_leaves=15,
)
OPTION_NAMES = [*OPTIONS, "profiles"]
option_mappings = st.dictionaries(
    st.sampled_from(OPTION_NAMES) | st.text(max_size=8), yaml_values, max_size=6
)
config_documents = st.one_of(
    yaml_values,
    option_mappings,
    st.builds(
        lambda top, profiles: {**top, "profiles": profiles},
        option_mappings,
        st.dictionaries(
            st.sampled_from(["journal", "review"]) | st.text(max_size=5),
            option_mappings | yaml_values,
            max_size=3,
        ),
    ),
)
YAML_PIECES = [
    *(f"{name}: " for name in OPTION_NAMES),
    "\n",
    "  ",
    "    ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "journal:",
    "review:",
    "profiles:\n  journal:\n    ",
    *NASTY,
]
yaml_texts = fragmented_text(YAML_PIECES)


def dumped(document: Any, unicode: bool) -> str:
    return yaml.safe_dump(document, allow_unicode=unicode, default_flow_style=None)


@PYTHON
@given(
    document=config_documents,
    unicode=st.booleans(),
    profile=st.none() | st.sampled_from(["journal", "review"]) | st.text(max_size=5),
)
def test_config_reader_survives_random_yaml_structures(
    document: Any, unicode: bool, profile: str | None
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "typeset.yaml", dumped(document, unicode))
        tolerated(lambda: load_config(path, profile=profile, project_dir=Path(folder)))


@PYTHON
@given(
    text=yaml_texts,
    profile=st.none() | st.sampled_from(["journal", "review"]),
)
def test_config_reader_survives_random_yaml_text(text: str, profile: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "typeset.yaml", text)
        tolerated(lambda: load_config(path, profile=profile, project_dir=Path(folder)))


@PANDOC
@given(
    front_matter=st.one_of(config_documents.map(lambda d: dumped(d, True)), yaml_texts),
    metadata=st.none() | st.dictionaries(st.text(max_size=6), yaml_values, max_size=3),
    anonymous=st.booleans(),
)
def test_manuscript_reader_survives_random_front_matter(
    front_matter: str, metadata: dict[str, Any] | None, anonymous: bool
) -> None:
    text = f"---\n{front_matter}\n---\n\nBody text [@key2001; @{{odd:key}}] and ![fig](a b.png).\n"
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "essay.md", text)
        exercise_manuscript(tolerated(lambda: read_manuscript(path, metadata, anonymous=anonymous)))


# --- CSL styles: XML-shaped text, valid and not ----------------------------------------------
CSL_NS = "http://purl.org/net/xbiblio/csl"
XML_ENCODINGS = [
    "utf-8",
    "UTF-8",
    "us-ascii",
    "iso-8859-1",
    "utf-16",
    "utf-7",
    "rot13",
    "base64",
    "idna",
    "bogus",
    "",
]
CSL_TAGS = [
    "style",
    "info",
    "title",
    "link",
    "citation",
    "bibliography",
    "layout",
    "text",
    "macro",
    "names",
    "choose",
    "if",
]


@st.composite
def csl_element(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(CSL_TAGS))
    attributes = draw(
        st.dictionaries(
            st.sampled_from(["rel", "href", "class", "macro", "variable", "version", "name"]),
            st.sampled_from(
                [
                    "independent-parent",
                    "self",
                    "note",
                    "in-text",
                    "1.0",
                    "title",
                    "http://www.zotero.org/styles/apa",
                    "http://x/house",
                    "http://x/",
                    "",
                    "&amp;",
                    "&lt;",
                ]
            )
            | st.text(KEY_CHARS, max_size=6),
            max_size=3,
        )
    )
    text = " ".join(f'{name}="{value}"' for name, value in attributes.items())
    children = ""
    if depth < 3:
        children = "".join(draw(st.lists(csl_element(depth + 1), max_size=3)))
    return f"<{tag} {text}>{children}</{tag}>"


@st.composite
def csl_document(draw: st.DrawFn) -> bytes:
    encoding = draw(st.sampled_from(XML_ENCODINGS))
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else ""
    body = "".join(draw(st.lists(csl_element(), max_size=3)))
    root_class = draw(st.sampled_from(["in-text", "note", ""]))
    document = f'{declaration}<style xmlns="{CSL_NS}" class="{root_class}">{body}</style>'
    if draw(st.booleans()):
        document = document[: draw(st.integers(0, len(document)))]
    return document.encode("utf-8")


# No shrinking: a dependent style that loops recurses ~1,000 file reads deep, and shrinking
# several such failures took a minute; the generated documents are small as they are.
@settings(PYTHON, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(document=csl_document())
def test_style_reader_survives_random_csl(document: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), "styles/house.csl", document)
        tolerated(lambda: resolve_style(str(path), Path(folder)))


@PYTHON
@given(name=st.text(max_size=20))
def test_style_lookup_by_random_name(name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tolerated(lambda: resolve_style(name, Path(folder)))


# --- inputs the properties above found, or that random generation rarely reaches ----------
# Plain parametrised cases, so a failure is reported by name rather than by a 10 kB repr.
CSL_SELF_PARENT = (  # a dependent style whose parent is itself (the file is styles/house.csl)
    f'<style xmlns="{CSL_NS}"><info><link rel="independent-parent" href="http://x/house"/>'
    "</info></style>"
)
HARD_INPUTS = [
    ("config-4400-digit-int", "typeset.yaml", "paper: " + "9" * 4400 + "\n"),
    ("config-impossible-date", "typeset.yaml", "metadata:\n  date: 2001-02-30\n"),
    ("config-deep-nesting", "typeset.yaml", "formats: " + "[" * 5000 + "]" * 5000 + "\n"),
    (
        "config-deep-block-nesting",
        "typeset.yaml",
        "".join("  " * depth + f"k{depth}:\n" for depth in range(3000)),
    ),
    ("csl-json-deep-nesting", "refs.json", "[" * 100_000 + "]" * 100_000),
    ("csl-json-4400-digit-id", "refs.json", '[{"id": ' + "9" * 4400 + "}]"),
    ("bibtex-deep-braces", "refs.bib", "@article{a, title = {" + "{" * 5000 + "}\n"),
    ("bibtex-duplicate-key", "refs.bib", "@article{a,\n title={x}\n}\n\n@book{a,\n title={y}\n}\n"),
    ("manuscript-front-matter-bad-indent", "essay.md", "---\ntitle: x\n  lang: en\n---\n\nText.\n"),
    ("manuscript-front-matter-impossible-date", "essay.md", "---\ndate: 2001-02-30\n---\n\nX.\n"),
    *(
        (
            f"csl-{encoding}-encoding",
            "styles/house.csl",
            f'<?xml version="1.0" encoding="{encoding}"?><style/>',
        )
        for encoding in ("bogus", "rot13", "utf-7", "idna")
    ),
    ("csl-dependent-on-itself", "styles/house.csl", CSL_SELF_PARENT),
]
READERS: dict[str, Callable[[Path, Path], Any]] = {
    ".yaml": lambda path, folder: load_config(path, project_dir=folder),
    ".json": lambda path, folder: read_bibliography(path),
    ".bib": lambda path, folder: read_bibliography(path),
    ".md": lambda path, folder: exercise_manuscript(read_manuscript(path)),
    ".csl": lambda path, folder: resolve_style(str(path), folder),
}


@pytest.mark.parametrize(
    ("name", "text"),
    [(name, text) for _, name, text in HARD_INPUTS],
    ids=[case for case, _, _ in HARD_INPUTS],
)
def test_readers_survive_hard_inputs(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), name, text)
        tolerated(lambda: READERS[path.suffix](path, Path(folder)))
