"""Citation engines: one interface (base.py), one module per engine, one registry line each.

The registry names each engine's class; the class declares its name and its version
fingerprint (what the cache keys citations on). Engines are imported on first use, so
the config and the command line can list them without importing citeproc-py.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typeset.citations.base import CitationEngine

# engine name -> "module:Class"
ENGINES: dict[str, str] = {
    "pandoc": "typeset.citations.pandoc_citeproc:PandocCiteproc",
    "citeproc-py": "typeset.citations.citeproc_py:CiteprocPy",
}


def engine_names() -> tuple[str, ...]:
    return tuple(ENGINES)


def engine_named(name: str) -> CitationEngine:
    return _engine_class(ENGINES[name])()


@functools.cache
def _engine_class(target: str) -> type[CitationEngine]:
    module_name, _, class_name = target.partition(":")
    engine: type[CitationEngine] = getattr(importlib.import_module(module_name), class_name)
    return engine


__all__ = ["ENGINES", "engine_named", "engine_names"]
