"""The exception family every stage raises and only the CLI catches.

Each error carries where it happened (file and, where there is one, line) and what the
user should do about it, so the CLI can print one self-contained paragraph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _rebuild(
    kind: type[TypesetError], message: str, path: Path | None, line: int | None, hint: str | None
) -> TypesetError:
    error = TypesetError.__new__(kind)
    TypesetError.__init__(error, message, path=path, line=line, hint=hint)
    return error


class TypesetError(Exception):
    """Root of the family: an input or environment problem the user can fix."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (formats are written in worker processes);
        # the default pickling would drop the keyword-only fields.
        return (_rebuild, (type(self), self.message, self.path, self.line, self.hint))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  {self.hint}"
        return text


class ConfigError(TypesetError):
    """The YAML config or a command-line value is invalid."""


class ManuscriptError(TypesetError):
    """The Markdown manuscript cannot be read or parsed."""


class BibliographyError(TypesetError):
    """The BibTeX (or CSL-JSON) bibliography cannot be read."""


class CitationError(TypesetError):
    """Citations do not match the bibliography (for example, an unknown key)."""


class StyleError(TypesetError):
    """A CSL style cannot be found or read."""


class ToolError(TypesetError):
    """An external tool (pandoc, WeasyPrint) failed in a way the input did not explain."""


class OutputError(TypesetError):
    """An output file cannot be written."""


class UsageError(TypesetError):
    """Flags or profiles that contradict each other: exit code 2, like argparse's errors."""


def from_os_error(error: OSError, *, manuscript: Path | str | None = None) -> TypesetError:
    """An operating-system failure no stage turned into its own error (a full temporary
    disk, a permission), as one paragraph naming the file it happened on."""
    import errno
    import os
    import tempfile

    where = error.filename if isinstance(error.filename, str) else manuscript
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        folder = tempfile.gettempdir()
        return TypesetError(
            "no space left on the disk" + (f" (temporary files go to {folder})" if folder else ""),
            path=where,
            hint="free some space, or set TMPDIR to a folder on a disk with room",
        )
    text = os.strerror(error.errno) if error.errno else str(error)
    return TypesetError(
        f"the build failed: {text}",
        path=where,
        hint="check that file or folder (permissions, free space), then run again",
    )
