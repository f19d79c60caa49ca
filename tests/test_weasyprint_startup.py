"""WeasyPrint's start with its declarations and library lookups done once
(typeset/formats/pdf/weasyprint/startup.py) gives the WeasyPrint of a plain import.

Each import runs in a fresh interpreter (a process imports WeasyPrint once), with the
startup file in a temporary folder: the first start writes it, the second is served from it
without a parse by pycparser or a library lookup, and both have the same declarations as a
plain `import weasyprint` and set the same page.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

START = """
import ctypes.util, json, sys
from cffi import cparser
sys.path.insert(0, {project!r})
parses, lookups = [], []
internal_parse = cparser.Parser._internal_parse
cparser.Parser._internal_parse = lambda self, s: (parses.append(1), internal_parse(self, s))[1]
find_library = ctypes.util.find_library
ctypes.util.find_library = lambda name: (lookups.append(name), find_library(name))[1]
if {quick!r}:
    from typeset.formats.pdf.weasyprint import startup as weasyprint_startup
    from pathlib import Path
    weasyprint_startup._startup_file = lambda: Path({file!r})
    weasyprint = weasyprint_startup.imported_weasyprint()
else:
    import weasyprint
from weasyprint.text.ffi import ffi
declarations = {{name: str(tp) for name, (tp, _) in ffi._parser._declarations.items()}}
pdf = weasyprint.HTML(string="<p lang=en>Fine <b>type</b>, well set.</p>").write_pdf()
print(json.dumps({{"parses": len(parses), "lookups": len(lookups),
                  "declarations": declarations, "pdf": len(pdf) > 1000}}))
"""


def _start(quick: bool, file: Path) -> dict[str, object]:
    code = START.format(project=str(PROJECT), quick=quick, file=str(file))
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=file.parent
    )
    result: dict[str, object] = json.loads(completed.stdout.splitlines()[-1])
    return result


@pytest.mark.slow
def test_weasyprint_starts_from_its_startup_file_with_the_same_declarations(
    tmp_path: Path,
) -> None:
    file = tmp_path / "startup.pickle"
    plain = _start(quick=False, file=file)
    first = _start(quick=True, file=file)
    assert file.is_file()  # written by the first start
    second = _start(quick=True, file=file)
    assert plain["parses"] and plain["lookups"]  # what a plain start does
    assert first["parses"] == plain["parses"] and first["lookups"] == plain["lookups"]
    assert second["parses"] == 0 and second["lookups"] == 0  # served from the file
    assert plain["declarations"] == first["declarations"] == second["declarations"]
    assert len(plain["declarations"]) > 100  # type: ignore[arg-type]
    assert plain["pdf"] and first["pdf"] and second["pdf"]


def test_an_unreadable_startup_file_is_ignored(tmp_path: Path) -> None:
    from typeset.formats.pdf.weasyprint import startup as weasyprint_startup

    broken = tmp_path / "startup.pickle"
    broken.write_bytes(b"not a pickle")
    assert weasyprint_startup._read(broken) is None
    assert weasyprint_startup._read(tmp_path / "missing.pickle") is None
