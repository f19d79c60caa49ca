"""A content-addressed cache of the build's intermediate results and outputs.

Every entry is named by the SHA-256 of everything that went into it (input bytes, the
options that matter, tool versions), so a stale entry can never be served: changed input
means a different name. Entries are written to a temporary file and renamed, so two builds
sharing the cache never see half an entry. The folder is safe to delete at any time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_FOLDER_NAME = ".typeset-cache"
# Moves the cache (and the up-to-date stamps) elsewhere: a shared CI cache, or a
# benchmark that must start cold.
CACHE_DIR_VARIABLE = "TYPESET_CACHE_DIR"


def cache_folder(project_dir: Path) -> Path:
    override = os.environ.get(CACHE_DIR_VARIABLE)
    return Path(override) if override else project_dir / CACHE_FOLDER_NAME


def fingerprint(*parts: Any) -> str:
    """SHA-256 over `parts`: bytes as they are, anything else as canonical JSON."""
    digest = hashlib.sha256()
    for part in parts:
        data = (
            part
            if isinstance(part, bytes)
            else json.dumps(part, sort_keys=True, default=str, ensure_ascii=False).encode()
        )
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def file_fingerprint(path: Path | None) -> str:
    """Fingerprint of a file's bytes ('' for None or a missing file)."""
    try:
        if path is None or not path.is_file():
            return ""
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:  # unreadable, a loop, a name too long: its reader says what is wrong
        return ""


def folder_fingerprint(folder: Path, *, skip: frozenset[Path] = frozenset()) -> str:
    """Fingerprint of every file below `folder` by name, size and modification time.

    Used for folders of resources (images beside the manuscript, the fonts a PDF embeds)
    where reading every byte would cost more than the build it might save.
    """
    entries = []
    if folder.is_dir():
        for root, directories, files in os.walk(folder):
            directories[:] = sorted(d for d in directories if not d.startswith("."))
            for name in sorted(files):
                path = Path(root) / name
                if path in skip or name.startswith("."):
                    continue
                try:
                    status = path.stat()
                except OSError:
                    continue
                entries.append((str(path.relative_to(folder)), status.st_size, status.st_mtime_ns))
    return fingerprint(entries)


FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


def fonts_fingerprint() -> str:
    """The installed fonts, by name, size and date: what a PDF or a cover is drawn with."""
    return fingerprint([folder_fingerprint(folder) for folder in FONT_FOLDERS])


# False while a `--force` build runs: every cache a stage opens is then written, never
# read (the writers open their own caches: equations, covers, the parts of a book).
# A module global rather than a parameter so forked writer processes inherit it.
_reads_allowed = True


@contextmanager
def reads_allowed(allowed: bool) -> Iterator[None]:
    """Within the block, caches opened without an explicit `read` read only if `allowed`."""
    global _reads_allowed
    saved, _reads_allowed = _reads_allowed, allowed
    try:
        yield
    finally:
        _reads_allowed = saved


def cache_reads_allowed() -> bool:
    return _reads_allowed


class BuildCache:
    """Cached JSON values and files, each under a kind ('parse', 'pdf'...) and a key."""

    def __init__(self, folder: Path, *, read: bool | None = None) -> None:
        self.folder = folder
        # --force: recompute everything, but refresh the entries
        self.read = _reads_allowed if read is None else read

    def _entry(self, kind: str, key: str, suffix: str) -> Path:
        return self.folder / kind / f"{key}{suffix}"

    def get_json(self, kind: str, key: str) -> Any | None:
        if not self.read:
            return None
        entry = self._entry(kind, key, ".json")
        try:
            return json.loads(entry.read_bytes())
        except (OSError, ValueError):
            return None

    def put_json(self, kind: str, key: str, value: Any) -> None:
        self._store(self._entry(kind, key, ".json"), json.dumps(value).encode())

    def get_file(self, kind: str, key: str) -> Path | None:
        if not self.read:
            return None
        entry = self._entry(kind, key, ".bin")
        return entry if entry.is_file() else None

    def put_file(self, kind: str, key: str, source: Path) -> None:
        self._store(self._entry(kind, key, ".bin"), source.read_bytes())

    def get_bytes(self, kind: str, key: str) -> bytes | None:
        path = self.get_file(kind, key)
        try:
            return path.read_bytes() if path else None
        except OSError:
            return None

    def put_bytes(self, kind: str, key: str, data: bytes) -> None:
        self._store(self._entry(kind, key, ".bin"), data)

    def _store(self, entry: Path, data: bytes) -> None:
        # A cache that cannot be written only makes the next build slower.
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=entry.parent, prefix=".", suffix=".partial")
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(name, entry)
        except OSError as error:
            log.warning("cache not written (%s): %s", entry, error)

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
