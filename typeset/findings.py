"""What a release-gate check reports: one finding per problem, and the whole report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# "info" findings say where a tool left its own report (DAISY Ace's); they never fail the
# gate.
LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    level: str  # one of LEVELS
    check: str
    message: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{self.level}: {where}{self.message} [{self.check}]"


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    fail_on_warnings: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level == "warning"]

    @property
    def passed(self) -> bool:
        return not self.errors and not (self.fail_on_warnings and self.warnings)

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "checked": self.checked,
            "findings": [asdict(finding) for finding in self.findings],
        }

    def as_text(self) -> str:
        lines = [str(finding) for finding in self.findings]
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(
            f"{verdict}: {len(self.errors)} error(s), {len(self.warnings)} warning(s); "
            f"checked {', '.join(self.checked)}"
        )
        return "\n".join(lines)
