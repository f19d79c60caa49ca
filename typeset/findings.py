"""One finding of the release gate (`--check`): what every validator returns.

It lives apart from `typeset.check` so validators in their own modules (DAISY Ace, the PDF
structure audit, the DOCX accessibility checks) can return findings without importing the
gate, which imports the whole build.
"""

from __future__ import annotations

from dataclasses import dataclass

# "info" findings report where a tool left its own report; they never fail the gate.
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
