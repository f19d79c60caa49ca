"""Bounds on what a build reads, so that no input can hang it or exhaust the machine.

Every input file is read through `read_input` (typeset/confine.py: inside the allowed
roots, checked on the open file): regular files only (a FIFO would block
forever, /dev/zero would fill memory), and no more than a size fit for its kind. Text a
parser would recurse into is measured first: `refuse_deep_markdown` (pandoc backtracks
exponentially on thousands of nested brackets, and its JSON is too deep to load) and
`bounded_yaml` (alias bombs expand to gigabytes; deep nesting overflows the stack).
"""

from __future__ import annotations

import contextlib
import functools
import re
import resource
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from typeset.confine import MEGABYTE, Roots, read_confined
from typeset.errors import TypesetError

# Far above any real input of each kind (a 200,000-word manuscript is ~1.5 MB).
MAX_MANUSCRIPT_BYTES = 32 * MEGABYTE
MAX_BIBLIOGRAPHY_BYTES = 64 * MEGABYTE
MAX_CONFIG_BYTES = 1 * MEGABYTE
MAX_STYLE_BYTES = 8 * MEGABYTE
MAX_IMAGE_BYTES = 64 * MEGABYTE
# A reference DOCX may carry its fonts.
MAX_REFERENCE_DOC_BYTES = 64 * MEGABYTE
MAX_FETCHED_BYTES = 16 * MEGABYTE
# Decoded size of a raster image: 100 megapixels is a 10,000 x 10,000 scan (400 MB RGBA).
MAX_IMAGE_PIXELS = 100_000_000

# A BCP 47 language tag (`lang`, `lang=` attributes), and the longest one a build takes.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
MAX_LANGUAGE_TAG = 64
# Control characters other than tab, newline and carriage return: fatal to XML (EPUB,
# DOCX) and to the environment and arguments of a tool.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_language_tag(value: str) -> bool:
    return len(value) <= MAX_LANGUAGE_TAG and LANGUAGE_TAG.match(value) is not None


def first_control_character(value: Any) -> str | None:
    """The first control character in any string inside `value` (JSON-like), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = CONTROL_CHARACTER.search(item)
            if found:
                return found.group()
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


# CSS numbers an author may write (style attributes, width/height, margins), by unit in
# CSS pixels: a page is about 800 px wide, so 20,000 px (about 5 m) is far beyond any
# use, and below what breaks a layout engine (WeasyPrint divides by zero at 1e20 px).
MAX_CSS_PIXELS = 20_000
CSS_PIXELS_PER_UNIT = {
    "px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4,
    "q": 96 / 101.6, "em": 16.0, "rem": 16.0, "ex": 8.0, "ch": 8.0, "%": 1.0,
    "vw": 8.0, "vh": 8.0, "vmin": 8.0, "vmax": 8.0, "": 1.0,
}  # fmt: skip
_CSS_NUMBER = re.compile(r"(?<![#\w.])([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z%]*)")


def absurd_css_length(value: str) -> str | None:
    """The first number in CSS `value` too large for any page (or in an unknown unit),
    or None. Colours (#ffffff) and names are not numbers."""
    for found in _CSS_NUMBER.finditer(value):
        number, unit = found.groups()
        scale = CSS_PIXELS_PER_UNIT.get(unit.lower())
        if scale is None:
            continue  # not a length (a name such as "x2", checked by its own rule)
        try:
            pixels = abs(float(number)) * scale
        except OverflowError:
            return found.group()
        if not pixels <= MAX_CSS_PIXELS:  # also catches inf and nan
            return found.group()
    return None


# Headings: each is a PDF outline entry, a contents line, often a page, and an EPUB nav
# entry (pandoc's EPUB writer is superlinear in them); 20,000 ran for many minutes. Real
# books have thousands (a reference work's 2,000-entry contents, the benchmark's `contents`
# make-up: 4,400 at 100k words), so the bound is well above them.
MAX_HEADINGS = 10_000

# Markdown structure: a real manuscript nests a handful of levels deep.
MAX_BRACKET_DEPTH = 32  # [ ... [ ... ] ... ] within one paragraph
MAX_BLOCK_DEPTH = 64  # block quotes and list items opened on one line
# YAML (front matter and config): nodes after expanding aliases, and nesting depth.
MAX_YAML_NODES = 100_000
MAX_YAML_DEPTH = 50


def read_input(
    path: Path,
    *,
    what: str,
    error: type[TypesetError],
    max_bytes: int,
    hint: str,
    roots: Roots | None = None,
) -> bytes:
    """The bytes of input `path`: a regular file of at most `max_bytes` inside `roots`
    (None: anywhere, for files the command line names), or `error`."""
    return read_confined(path, roots, what=what, error=error, max_bytes=max_bytes, hint=hint)


def utf8_text(
    raw: bytes,
    path: Path,
    *,
    what: str,
    error: type[TypesetError],
    hint: str = "re-save the file as UTF-8",
    encoding: str = "utf-8-sig",
) -> str:
    """`raw` decoded (by default dropping a leading byte-order mark); bytes that are not
    UTF-8 are an `error` naming the line they are on."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as problem:
        raise error(
            f"{what} is not UTF-8 text",
            path=path,
            line=raw[: problem.start].count(b"\n") + 1,
            hint=hint,
        ) from None


def yaml_syntax_error(
    problem: yaml.YAMLError, path: Path, error: type[TypesetError], *, what: str = "YAML"
) -> TypesetError:
    """`error` for YAML that does not parse, at the line where PyYAML stopped."""
    mark = getattr(problem, "problem_mark", None)
    return error(
        f"{what} syntax error: {getattr(problem, 'problem', None) or problem}",
        path=path,
        line=mark.line + 1 if mark else None,
        hint="fix the YAML at that line (check indentation and colons)",
    )


_BLOCK_MARKERS = re.compile(r"[ \t]{0,3}(?:>|[-+*][ \t]|\d{1,9}[.)][ \t])[ \t]*")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def refuse_deep_markdown(text: str, path: Path, error: type[TypesetError]) -> None:
    """Refuse Markdown nested deeper than any manuscript needs, naming its line."""
    for line_number, line in enumerate(text.split("\n"), start=1):
        depth, position = 0, 0
        while depth <= MAX_BLOCK_DEPTH:
            marker = _BLOCK_MARKERS.match(line, position)
            if marker is None or marker.end() == position:
                break
            depth, position = depth + 1, marker.end()
        if depth > MAX_BLOCK_DEPTH:
            raise error(
                f"block quotes or lists nested more than {MAX_BLOCK_DEPTH} levels deep",
                path=path,
                line=line_number,
                hint="remove the extra '>' or list markers at the start of that line",
            )
    for start, body in _paragraphs(text):
        depth = 0
        # Only brackets and backslashes matter: jump between them (a book is megabytes).
        for found in _BRACKET_OR_ESCAPE.finditer(body):
            token = found.group()
            if token == "[":
                depth += 1
                if depth > MAX_BRACKET_DEPTH:
                    raise error(
                        f"square brackets nested more than {MAX_BRACKET_DEPTH} levels deep",
                        path=path,
                        line=text.count("\n", 0, start + found.start()) + 1,
                        hint="remove the extra '[' (write \\[ for a literal bracket)",
                    )
            elif token == "]":
                depth = max(0, depth - 1)


_BRACKET_OR_ESCAPE = re.compile(r"\\.|\[|\]", re.DOTALL)


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each stretch between blank lines: a link cannot span them."""
    found, start = [], 0
    for blank in _BLANK_LINE.finditer(text):
        found.append((start, text[start : blank.start()]))
        start = blank.end()
    found.append((start, text[start:]))
    return found


def bounded_yaml(text: str, path: Path, error: type[TypesetError], *, first_line: int = 1) -> Any:
    """`yaml.safe_load(text)`, refusing alias bombs, recursive aliases and deep nesting.

    PyYAML shares an aliased node rather than copying it, so a bomb is small when loaded
    and explodes only when something walks it (a JSON dump, pandoc's own YAML reader):
    the node graph is measured as if every alias were expanded, before anything uses it.
    `first_line` is the file line where `text` starts (front matter within a manuscript).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise error(
            "YAML nested too deeply to read",
            path=path,
            line=first_line,
            hint=f"flatten the structure (at most {MAX_YAML_DEPTH} levels)",
        ) from None
    if root is not None:
        _measure(root, path, error, first_line)
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise error(
            "YAML nested too deeply to read", path=path, line=first_line, hint="flatten it"
        ) from None


def _measure(root: yaml.Node, path: Path, error: type[TypesetError], first_line: int) -> None:
    expanded: dict[int, int] = {}  # node id -> size with aliases expanded
    in_progress: set[int] = set()
    # Iterative post-order walk: (node, depth, children visited?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, visited = stack.pop()
        line = first_line + node.start_mark.line
        if depth > MAX_YAML_DEPTH:
            raise error(
                f"YAML nested more than {MAX_YAML_DEPTH} levels deep",
                path=path,
                line=line,
                hint="flatten the structure at that line",
            )
        children = _children(node)
        if visited:
            in_progress.discard(id(node))
            size = 1 + sum(expanded[id(child)] for child in children)
            if size > MAX_YAML_NODES:
                raise error(
                    f"YAML expands to more than {MAX_YAML_NODES:,} values "
                    "(aliases repeated inside aliases)",
                    path=path,
                    line=line,
                    hint="remove the nested '*alias' references (an alias bomb)",
                )
            expanded[id(node)] = size
            continue
        if id(node) in expanded:
            continue
        if id(node) in in_progress:
            raise error(
                "YAML alias refers to a value that contains it (a cycle)",
                path=path,
                line=line,
                hint="remove the '*alias' inside its own anchor",
            )
        in_progress.add(id(node))
        stack.append((node, depth, True))
        for child in children:
            if id(child) in in_progress:
                raise error(
                    "YAML alias refers to a value that contains it (a cycle)",
                    path=path,
                    line=first_line + child.start_mark.line,
                    hint="remove the '*alias' inside its own anchor",
                )
            if id(child) not in expanded:
                stack.append((child, depth + 1, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


_FRONT_MATTER_OPEN = re.compile(r"^---[ \t]*$", re.MULTILINE)
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def metadata_blocks(text: str) -> list[tuple[int, str]]:
    """(first line, YAML text) of each YAML metadata block, found as pandoc finds them.

    pandoc takes a `---` line at the top of the file, or after a blank line and followed
    by a non-blank one, as the start of a block that ends at `---` or `...`.
    """
    blocks = []
    for opening in _FRONT_MATTER_OPEN.finditer(text):
        start = opening.start()
        at_top = start == 0
        after_blank = start >= 2 and text[start - 2 : start] == "\n\n"
        body_start = opening.end() + 1
        if not (at_top or after_blank) or text[body_start : body_start + 1] in ("\n", ""):
            continue
        closing = _FRONT_MATTER_CLOSE.search(text, body_start)
        if closing is None:
            continue
        blocks.append((text.count("\n", 0, body_start) + 1, text[body_start : closing.start()]))
    return blocks


# Address space of a process writing a format (WeasyPrint above all). The largest book
# measured (200,000 words) peaks under 1 GB resident; address space runs a few hundred MB
# above that (libraries, thread arenas).
WRITER_MEMORY_BYTES = 4 * 1024**3
# CPU time of a forked writer process: the 200,000-word benchmark book takes under 100 s.
WRITER_CPU_SECONDS = 900


@contextlib.contextmanager
def memory_capped(limit: int) -> Iterator[None]:
    """Within the block this process (and what it forks) may map at most `limit` bytes:
    an allocation beyond raises MemoryError instead of exhausting the machine.

    RLIMIT_AS's soft limit, lowered for the block and put back after it (a process may
    raise its soft limit again up to the hard one), so a writer run in the build's own
    process leaves it as it was.
    """
    previous = _lowered_address_space(limit)
    try:
        yield
    finally:
        if previous is not None:
            resource.setrlimit(resource.RLIMIT_AS, previous)


def near_memory_cap(limit: int) -> bool:
    """Whether this process's address space has come within 10% of `limit` (a library's
    allocation failing under the cap may surface as any error)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024 >= limit * 0.9
    except (OSError, ValueError, IndexError):
        pass
    return False


def _lowered_address_space(limit: int) -> tuple[int, int] | None:
    """Lower RLIMIT_AS's soft limit to `limit`; the previous limits, or None if unchanged."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        capped = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        if soft != resource.RLIM_INFINITY and soft <= capped:
            return None  # already as tight
        resource.setrlimit(resource.RLIMIT_AS, (capped, hard))
    except (OSError, ValueError):  # not settable here: the other bounds still hold
        return None
    return soft, hard


@functools.cache
def capped_command_prefix(memory_bytes: int, cpu_seconds: int) -> tuple[str, ...]:
    """util-linux's `prlimit` and `setpriv`, to put before an external tool's command: they
    cap the memory and CPU of the tool they exec and let it die with us.

    Exec wrappers rather than a `preexec_fn`: with one, Python runs its fork hooks around
    each start, and a Ctrl-C landing in logging's after-fork hook was swallowed there and
    left logging's lock held, so the build hung at its next tool start instead of stopping.
    Without one, subprocess starts the tool with no Python code between fork and exec (and
    by vfork, cheaper for a large build process). The death signal matters when the build
    is killed hard (SIGKILL, OOM): otherwise an orphaned tool would keep running for
    minutes. Where the tools are missing (not Linux), the caller's timeout still holds.
    """
    prefix: list[str] = []
    prlimit = shutil.which("prlimit")
    if prlimit:
        memory, cpu = memory_bytes, cpu_seconds
        prefix += [prlimit, f"--as={memory}:{memory}", f"--cpu={cpu}:{cpu + 5}", "--"]
    setpriv = shutil.which("setpriv")
    if setpriv:
        prefix += [setpriv, "--pdeathsig", "KILL", "--"]
    return tuple(prefix)
