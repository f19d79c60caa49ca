"""DAISY Ace, the EPUB accessibility checker e-book stores run: the one wrapper around it.

Ace (`@daisy/ace-cli`, pinned in package-lock.json, installed by `setup.sh` with
`PUPPETEER_SKIP_DOWNLOAD=1 npm ci`) opens every content document in a headless Chromium,
runs axe-core's WCAG 2 rules on it and checks the package's accessibility metadata. It
writes an EARL report (`report.json`): one assertion per file, each holding the failed
tests with their rule (`dct:title`), impact (minor, moderate, serious, critical) and where
in the file (a CSS selector).

Ace drives Debian's chromium rather than a browser of its own (`PUPPETEER_EXECUTABLE_PATH`);
it passes `--no-sandbox` itself, which Chromium needs when run as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typeset import node_tools
from typeset.errors import ToolError
from typeset.findings import Finding

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Ace takes about 6 s for an essay on these machines; a book of many chapters takes
# longer, a hung browser forever.
TIME_LIMIT_SECONDS = 300
SETUP_HINT = "run `typeset setup` (in a checkout: ./setup.sh); Ace also needs chromium"
# ace-cli's exit code with -E when the publication has violations.
EXIT_VIOLATIONS = 2


@dataclass(frozen=True)
class AceViolation:
    """One failed Ace test in one file of the publication."""

    rule: str  # e.g. "image-alt", "metadata-accessmode"
    impact: str  # minor, moderate, serious or critical
    file: str  # path inside the EPUB, e.g. "EPUB/text/ch001.xhtml"
    location: str  # CSS selector(s) of the offending elements, when Ace gives them
    message: str

    def __str__(self) -> str:
        where = f"{self.file} {self.location}".strip()
        return f"{self.rule} ({self.impact}) in {where}: {self.message}"


@dataclass(frozen=True)
class AceReport:
    report_json: Path
    violations: tuple[AceViolation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations


def ace_report_dir(epub: Path) -> Path:
    """Where Ace's reports for `epub` go: beside it, `essay.epub` -> `essay-ace/`."""
    return epub.with_name(f"{epub.stem}-ace")


def run_ace(epub: Path, report_dir: Path | None = None) -> AceReport:
    """Run Ace on `epub`, writing its reports to `report_dir`; ToolError when it can't run."""
    report_dir = report_dir or ace_report_dir(epub)
    command = [str(_ace_cli()), "--exiterror2", "--force", "--silent", "--outdir", str(report_dir)]
    command += ["--timeout", str(TIME_LIMIT_SECONDS * 1000), str(epub)]
    environment = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": _browser()}
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=TIME_LIMIT_SECONDS, env=environment
        )
    except subprocess.TimeoutExpired as error:
        raise ToolError(
            f"DAISY Ace did not finish within {TIME_LIMIT_SECONDS} s", path=epub
        ) from error
    report_json = report_dir / "report.json"
    if completed.returncode not in (0, EXIT_VIOLATIONS) or not report_json.is_file():
        output = (completed.stderr.strip() or completed.stdout.strip())[-800:]
        raise ToolError(
            f"DAISY Ace failed (exit {completed.returncode}): {output}", path=epub, hint=SETUP_HINT
        )
    report = json.loads(report_json.read_text(encoding="utf-8"))
    return AceReport(report_json, tuple(violations_in(report)))


def violations_in(report: dict[str, Any]) -> list[AceViolation]:
    """Every failed test of an Ace `report.json`, in the report's order."""
    violations: list[AceViolation] = []
    for file_assertion in report.get("assertions", []):
        file = str(file_assertion.get("earl:testSubject", {}).get("url", "")).lstrip("/")
        for assertion in file_assertion.get("assertions", []):
            result = assertion.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            selectors = result.get("earl:pointer", {}).get("css", [])
            violations.append(
                AceViolation(
                    rule=str(test.get("dct:title", "?")),
                    impact=str(test.get("earl:impact", "?")),
                    file=file,
                    location=", ".join(dict.fromkeys(str(css) for css in selectors)),
                    # axe lists every way the element could have passed; the first line
                    # says what is wrong.
                    message=str(result.get("dct:description", "")).strip().split("\n")[0],
                )
            )
    return violations


# Violations of these impacts are warnings: a reader is hardly hindered (axe's "minor"),
# so they do not fail `--check` unless a profile sets `fail_on_warnings`.
WARNING_IMPACTS = frozenset({"minor"})


def ace_findings(epub: Path) -> list[Finding]:
    """The `--check` validator: each Ace violation an error (a minor one a warning), then
    where the report is."""
    try:
        report = run_ace(epub)
    except ToolError as error:
        hint = f"; {error.hint}" if error.hint else ""
        return [Finding("error", "ace", f"{error.message}{hint}", str(epub))]
    findings = [violation_finding(violation, epub) for violation in report.violations]
    summary = f"{len(report.violations)} violation(s); Ace's report: {report.report_json}"
    findings.append(Finding("info", "ace", summary, str(epub)))
    return findings


def violation_finding(violation: AceViolation, epub: Path) -> Finding:
    """An error, or a warning for a violation of minor impact."""
    severity = "warning" if violation.impact in WARNING_IMPACTS else "error"
    return Finding(severity, "ace", str(violation), str(epub))


def _ace_cli() -> Path:
    """Ace's command, from the node_modules typeset/node_tools.py finds (no install on first
    use: Ace and its puppeteer are large; `typeset setup` installs them)."""
    node_tools.node_executable("DAISY Ace")
    folder = node_tools.find_packages(Path.cwd(), node_tools.ACE_PACKAGES)
    if folder is None:
        raise ToolError("DAISY Ace is not installed", hint=SETUP_HINT)
    return folder / ".bin" / "ace-cli"


def _browser() -> str:
    configured = os.environ.get("PUPPETEER_EXECUTABLE_PATH")
    if configured and Path(configured).is_file():
        return configured
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ToolError("no Chromium for DAISY Ace to check the EPUB in", hint=SETUP_HINT)
