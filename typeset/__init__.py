"""typeset: one Markdown manuscript and one BibTeX file in; PDF, EPUB and DOCX out.

The public API is `build(load_config(...))`. Names are imported on first use so that the
command line's up-to-date check does not pay for pandoc's and WeasyPrint's imports.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "build": "typeset.commands.build",
    "BuildResult": "typeset.commands.build",
    "Config": "typeset.config",
    "load_config": "typeset.config",
    "TypesetError": "typeset.errors",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'typeset' has no attribute {name!r}")
