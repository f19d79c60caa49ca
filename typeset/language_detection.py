"""The language of a manuscript that does not declare one, told from its text.

A missing `lang` is not neutral: the EPUB says `en`, PDF/UA needs a language, hyphenation
and the generated words follow it. py3langid (a trained n-gram classifier, 97 languages,
its model inside the wheel) reads the body; the build uses its answer and says so.

The model ships LZMA-compressed: decompressing it costs about a second of CPU, which a
small paper's build (titles of its .bib entries are classified too) would pay every time.
The first load on a machine keeps it decompressed in the user's cache folder, as Python
keeps its bytecode; every later build maps that copy instead, whatever its build cache.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

# Below this much text a guess is a coin toss; above it, more text adds only time.
MIN_CHARACTERS = 200
MAX_CHARACTERS = 20_000
MIN_CONFIDENCE = 0.9


def detected_language(text: str) -> tuple[str, float] | None:
    """(ISO 639-1 code, probability) for `text`, or None when it is too short or unclear."""
    sample = " ".join(text.split())[:MAX_CHARACTERS]
    if len(sample) < MIN_CHARACTERS:
        return None
    language, probability = classified(sample)
    if probability < MIN_CONFIDENCE:
        return None
    return language, probability


def classified(text: str, languages: frozenset[str] | None = None) -> tuple[str, float]:
    """py3langid's best language for `text` (among `languages`, if given), with its
    probability: the one place the classifier is run, for manuscripts and entries alike."""
    language, probability = _identifier(languages).classify(text)
    return str(language), float(probability)


@functools.lru_cache(maxsize=4)
def _identifier(languages: frozenset[str] | None) -> Any:
    # Loaded on first use only: a manuscript and bibliography may need none.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model = Path(MODEL_DIR) / MODEL_FILE
    prepared = _prepared_folder(model)
    try:
        if prepared is None:
            raise FileNotFoundError("no cache folder")
        identifier = _from_prepared(LanguageIdentifier, prepared)
    except (OSError, ValueError, TypeError, KeyError):  # none yet, or not readable as ours
        identifier = LanguageIdentifier.from_modelpath(model, norm_probs=True)
        if prepared is not None:
            _prepare(identifier, prepared)
    if languages:
        identifier.set_languages(sorted(languages))
    return identifier


# --- the model, decompressed once per machine --------------------------------------------

# The arrays an identifier is made of, each kept as one .npy file (data only: loaded
# without pickle). Raise the version when the layout changes.
_PREPARED_LAYOUT = "1"
_ARRAYS = ("nb_ptc", "nb_pc", "tk_nextmove", "tk_row", "tk_output")


def _prepared_folder(model: Path) -> Path | None:
    """Where the decompressed copy of `model` lives: named by the model file (path, size,
    date) and the py3langid release, so an upgrade prepares a new one. None for a user
    without a home folder (nor XDG_CACHE_HOME)."""
    try:
        release = version("py3langid")
    except PackageNotFoundError:
        release = ""
    try:
        status = model.stat()
        identity = f"{model.resolve()}:{status.st_size}:{status.st_mtime_ns}"
    except OSError:
        identity = str(model)
    name = hashlib.sha256(f"{_PREPARED_LAYOUT}:{release}:{identity}".encode()).hexdigest()
    try:
        cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no home folder to be found
        return None
    return Path(cache_home) / "typeset" / f"language-model-{name[:16]}"


def _from_prepared(identifier_class: Any, folder: Path) -> Any:
    """An identifier over the memory-mapped arrays of `folder` (raises OSError when there
    are none): the same arrays, so the same answers, as the compressed model gives."""
    import numpy

    def array(name: str, **options: Any) -> Any:
        return numpy.load(folder / f"{name}.npy", allow_pickle=False, **options)

    classes = json.loads((folder / "nb_classes.json").read_text(encoding="utf-8"))
    if not isinstance(classes, list):
        raise ValueError(f"{folder}: no list of languages")
    return identifier_class(
        array("nb_ptc", mmap_mode="r"),
        array("nb_pc"),
        classes,
        # Read a byte at a time while tokenising: mapped, only the states visited are read.
        memoryview(array("tk_nextmove", mmap_mode="r")),
        array("tk_output").tolist(),
        norm_probs=True,
        tk_row=array("tk_row").tolist(),
    )


def _prepare(identifier: Any, folder: Path) -> None:
    """Keep `identifier`'s arrays decompressed in `folder` for the next build. Best effort:
    an unwritable cache folder (or an older py3langid's layout) only costs the next build
    the decompression again."""
    import numpy

    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".language-model-", dir=folder.parent))
        try:
            for name in _ARRAYS:
                numpy.save(staging / f"{name}.npy", numpy.asarray(getattr(identifier, name)))
            classes = json.dumps(list(identifier.nb_classes))
            (staging / "nb_classes.json").write_text(classes, encoding="utf-8")
            # Renamed into place whole: a build never maps a half-written copy. Another
            # build that got there first wins; this copy goes.
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
