"""CSL styles: which file a style name means, whether it is fit to run, and the catalogs.

resolve.py (a name or a path -> the CslStyle an engine runs: the project's styles/, then
the catalogs; a journal's style -> its parent), catalog.py (the installed catalogs and the
cached index `--list-styles` searches and suggestions come from), validation.py (a style
parsed safely and refused when citeproc could not run it well).

The rest of typeset uses the names below.
"""

from __future__ import annotations

from typeset.styles.catalog import list_styles
from typeset.styles.resolve import CslStyle, bibliography_heading, resolve_style
from typeset.styles.validation import CSL_NAMESPACE

__all__ = ["CSL_NAMESPACE", "CslStyle", "bibliography_heading", "list_styles", "resolve_style"]
