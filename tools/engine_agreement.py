"""Regenerate the citeproc-js agreement table of docs/engines.md.

    .venv/bin/python tools/engine_agreement.py          # rewrite the table in place
    .venv/bin/python tools/engine_agreement.py --print  # print it instead

Renders every corpus bibliography in every style of tests/citeproc_js.py STYLES with both
engines and with citeproc-js (npm `citeproc`, installed by setup.sh's `npm ci`) and
counts the entries whose text agrees. Takes a few minutes.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tests.citeproc_js import (  # noqa: E402
    agreement_table,
    compare_all,
    known_differences,
    node_available,
)
from typeset.pandoc import pandoc_version  # noqa: E402

DOCUMENT = PROJECT / "docs" / "engines.md"
START = "<!-- citeproc-js agreement: start (tools/engine_agreement.py) -->"
END = "<!-- citeproc-js agreement: end -->"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the table, change nothing")
    arguments = parser.parse_args()
    if not node_available():
        print("citeproc-js is not installed: run `npm ci` (setup.sh does)", file=sys.stderr)
        return 1
    results = compare_all()
    known = known_differences()
    unexplained = sum(
        1
        for result in results
        for difference in result.differences
        if (difference.engine, difference.style, difference.corpus, difference.entry) not in known
    )
    citeproc_js = json.loads((PROJECT / "node_modules" / "citeproc" / "package.json").read_text())
    section = "\n".join(
        [
            START,
            "",
            f"Bibliography entries that read exactly as citeproc-js {citeproc_js['version']} "
            f"writes them, from the same CSL items ({datetime.date.today().isoformat()}; "
            f"pandoc {pandoc_version()}, citeproc-py "
            f"{importlib.metadata.version('citeproc-py')}; every corpus bibliography under "
            "`tests/data/`):",
            "",
            agreement_table(results),
            "",
            f"Every difference is listed, with its reason, in "
            f"`tests/data/citeproc_js_differences.yaml` ({len(known)} listed; "
            f"{unexplained} not listed, which `tests/test_citeproc_js.py` fails on).",
            "",
            END,
        ]
    )
    if arguments.print:
        print(section)
        return 0
    text = DOCUMENT.read_text(encoding="utf-8")
    if START in text:
        before, _, rest = text.partition(START)
        _, _, after = rest.partition(END)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n## Agreement with citeproc-js\n\n" + section + "\n"
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote the table to {DOCUMENT.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
