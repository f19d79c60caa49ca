"""How this project changes WeasyPrint's internals: once per process, on checked versions.

Each speed-up in `weasyprint_svg` and `weasyprint_footnotes` replaces one function that
WeasyPrint looks up by name, with a wrapper that gives the same PDF. They were checked
(byte-identical output, in tests) against the versions listed here; on any other version
the replacement is not made and WeasyPrint runs as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CHECKED_VERSIONS = ("70.",)


def replaced_once(owner: Any, name: str, replacement_for: Callable[[Any], Any]) -> bool:
    """Put `replacement_for(current)` where `owner` keeps `name` (an item when `owner` is a
    dict, else an attribute), once per process; True if it is in place.

    The replacement remembers WeasyPrint's own function as `weasyprint_original`, which the
    tests call to compare the two.
    """
    import weasyprint

    current = owner[name] if isinstance(owner, dict) else getattr(owner, name)
    if getattr(current, "typeset_wrapper", False):
        return True
    if not weasyprint.__version__.startswith(CHECKED_VERSIONS):
        return False
    replacement = replacement_for(current)
    replacement.typeset_wrapper = True
    replacement.weasyprint_original = current
    if isinstance(owner, dict):
        owner[name] = replacement
    else:
        setattr(owner, name, replacement)
    return True
