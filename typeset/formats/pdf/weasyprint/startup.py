"""WeasyPrint imported in about half the time: two slow steps of its start done once.

Every process that imports WeasyPrint 70 pays about 0.4 s before the first page, and the
PDF of a short paper waits on it. Two steps are the same on every start:
- cffi parses WeasyPrint's C declarations of Pango, HarfBuzz and fontconfig with
  pycparser (about 0.1 s);
- WeasyPrint looks each library up under several names, and every name the loader does not
  know sends `ctypes.util.find_library` to run `ldconfig -p` (and a compiler, where one is
  installed): 22 lookups, about 0.17 s.

`imported_weasyprint()` imports WeasyPrint with both answered from a file beside the
interpreter (`<sys.prefix>/share/typeset/`, the .venv that setup.sh makes), written by the
first import that finds none: cffi's own parse result for the exact declaration text, and
`find_library`'s answer for each name. The file is keyed by the versions of Python, cffi and
WeasyPrint and by the loader's cache (`/etc/ld.so.cache`), so an upgrade or a newly
installed library starts afresh; an unreadable file is ignored. Nothing else changes: the
FFI object, its declarations and the libraries are cffi's and WeasyPrint's own. Like a
.pyc, it is installed state, not a build result, so `--force` does not touch it.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

# The parser state cffi's `Parser.parse` leaves, all a later cdef or type lookup reads
# (`_structnode2type` maps pycparser's syntax nodes, which only a further parse needs).
_PARSER_STATE = (
    "_declarations",
    "_included_declarations",
    "_anonymous_counter",
    "_int_constants",
    "_recomplete",
    "_uses_new_feature",
)
_LOADER_CACHE = Path("/etc/ld.so.cache")


def imported_weasyprint() -> ModuleType:
    """`import weasyprint`, with its declarations and library lookups from the startup file
    when there is one (and the file written when there is none)."""
    if "weasyprint" in sys.modules:
        return _weasyprint()
    path = _startup_file()
    known = _read(path) if path is not None else None
    answers: dict[str, dict[str, Any]] = known or {"declarations": {}, "libraries": {}}
    before = [len(found) for found in answers.values()]
    with _declarations_from(answers["declarations"]), _libraries_from(answers["libraries"]):
        import weasyprint  # noqa: F401
    if path is not None and [len(found) for found in answers.values()] != before:
        _write(path, answers)  # answers are only ever added
    return _weasyprint()


def install() -> bool:
    """The `startup` patch's installer (weasyprint/__init__.py): WeasyPrint imported."""
    imported_weasyprint()
    return True


def _weasyprint() -> ModuleType:
    module: ModuleType = sys.modules["weasyprint"]
    return module


def _startup_file() -> Path | None:
    try:
        versions = [sys.version, metadata.version("cffi"), metadata.version("weasyprint")]
        loader = _LOADER_CACHE.stat()
        versions += [str(loader.st_mtime_ns), str(loader.st_size)]
    except (metadata.PackageNotFoundError, OSError):
        return None
    key = hashlib.sha256("\n".join(versions).encode()).hexdigest()[:16]
    return Path(sys.prefix) / "share" / "typeset" / f"weasyprint-startup-{key}.pickle"


def _read(path: Path) -> dict[str, dict[str, Any]] | None:
    try:
        # Beside the interpreter, written by this module: trusted as the code is.
        answers = pickle.loads(path.read_bytes())
    except Exception:  # missing, unreadable, from another version: start afresh
        return None
    ok = isinstance(answers, dict) and set(answers) == {"declarations", "libraries"}
    return answers if ok else None


def _write(path: Path, answers: dict[str, dict[str, Any]]) -> None:
    """Atomically, and quietly not at all where the interpreter's folder is read-only."""
    with contextlib.suppress(OSError, pickle.PicklingError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
            pickle.dump(answers, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(file.name, path)


@contextlib.contextmanager
def _declarations_from(parsed: dict[str, dict[str, Any]]) -> Iterator[None]:
    """cffi's parse of each declaration text, from `parsed` or made and added to it."""
    from cffi import cparser

    parse = cparser.Parser.parse

    def parse_once(parser: Any, csource: str, *args: Any, **options: Any) -> None:
        key = hashlib.sha256(repr((csource, args, sorted(options.items()))).encode()).hexdigest()
        if parser._declarations or parser._included_declarations:
            parse(parser, csource, *args, **options)  # a later cdef: builds on earlier ones
        elif key in parsed:
            for name, value in pickle.loads(parsed[key]["state"]).items():
                setattr(parser, name, value)
        else:
            parse(parser, csource, *args, **options)
            state = {name: getattr(parser, name) for name in _PARSER_STATE}
            parsed[key] = {"state": pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)}

    cparser.Parser.parse = parse_once
    try:
        yield
    finally:
        cparser.Parser.parse = parse


@contextlib.contextmanager
def _libraries_from(found: dict[str, str | None]) -> Iterator[None]:
    """`ctypes.util.find_library`'s answer for each name, from `found` or looked up."""
    find_library = ctypes.util.find_library

    def find_once(name: str) -> str | None:
        if name not in found:
            found[name] = find_library(name)
        return found[name]

    ctypes.util.find_library = find_once
    try:
        yield
    finally:
        ctypes.util.find_library = find_library
