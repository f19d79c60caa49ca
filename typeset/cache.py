"""A content-addressed cache of the build's intermediate results and outputs.

Every entry is named by the SHA-256 of everything that went into it (input bytes, the
options that matter, tool versions), so a stale entry can never be served: changed input
means a different name. Entries are written to a temporary file and renamed, so two builds
sharing the cache never see half an entry. The folder is safe to delete at any time.

Entries are data only (JSON, raw bytes), sealed with a secret the folder does not hold
and verified on every read: see "sealed entries" below.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from typeset.names import CACHE_DIR_VARIABLE, CACHE_FOLDER, CACHE_SECRET_VARIABLE

log = logging.getLogger(__name__)


def cache_folder(project_dir: Path) -> Path:
    override = os.environ.get(CACHE_DIR_VARIABLE)
    return Path(override) if override else project_dir / CACHE_FOLDER


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


@functools.cache
def fonts_fingerprint() -> str:
    """The installed fonts, by name, size and date: what a PDF or a cover is drawn with.

    Walked once per build (several formats' keys and the EPUB's cover ask; the forked
    writers inherit the answer): each build starts with `fonts_fingerprint.cache_clear()`.
    """
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


# --- sealed entries ----------------------------------------------------------------------
#
# A cache folder may be shared (a CI cache restored from another run) and so written by
# someone else. It holds data only (JSON and raw bytes: nothing that runs when loaded),
# and every entry carries an HMAC-SHA256 seal over its kind, key and bytes, made with a
# secret the cache folder does not hold: an entry that was not written by a build holding
# the secret, or was changed since, is a miss with a warning, never served.

ENTRY_MAGIC = b"typeset-cache-2 "
SECRET_BYTES = 32
_secret: bytes | None = None


def _secret_file() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "typeset" / "cache-secret"


def cache_secret() -> bytes:
    """The key entries are sealed with: the environment's, else the user's own (made
    once, private to the user), else one for this process only."""
    global _secret
    if _secret is not None:
        return _secret
    from_environment = os.environ.get(CACHE_SECRET_VARIABLE)
    if from_environment:
        _secret = from_environment.encode()
        return _secret
    path = _secret_file()
    try:
        _secret = _read_secret(path)
    except OSError as error:
        log.debug("no cache secret at %s (%s): this process's cache is its own", path, error)
        _secret = secrets.token_bytes(SECRET_BYTES)
    return _secret


def _read_secret(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        if len(data) >= SECRET_BYTES:
            return data
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(secrets.token_bytes(SECRET_BYTES))
    try:
        os.link(temporary, path)  # the first process to make one wins; the others read it
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_bytes()


def _seal(kind: str, key: str, payload: bytes) -> bytes:
    message = f"{kind}\0{key}\0".encode() + payload
    return hmac.new(cache_secret(), message, hashlib.sha256).hexdigest().encode()


def sealed(kind: str, key: str, payload: bytes) -> bytes:
    """An entry's bytes: the magic and the seal on one line, then the payload."""
    return ENTRY_MAGIC + _seal(kind, key, payload) + b"\n" + payload


def unsealed(kind: str, key: str, entry: bytes) -> bytes | None:
    """The payload of an entry whose seal is right, else None."""
    header, newline, payload = entry.partition(b"\n")
    if not newline or not header.startswith(ENTRY_MAGIC):
        return None
    if not hmac.compare_digest(header[len(ENTRY_MAGIC) :], _seal(kind, key, payload)):
        return None
    return payload


def seal_file(path: Path, kind: str) -> None:
    """Seal a cached file that is used in place (a PDF part is opened by pikepdf, not
    read through BuildCache): `NAME.seal` beside it holds the HMAC of its bytes."""
    try:
        seal = _seal(kind, path.name, path.read_bytes())
        temporary = path.with_name(f".{path.name}.seal.{os.getpid()}.partial")
        temporary.write_bytes(seal)
        os.replace(temporary, path.with_name(path.name + ".seal"))
    except OSError as error:
        log.warning("cache not written (%s): %s", path, error)


def file_seal_holds(path: Path, kind: str) -> bool:
    """Whether a file cached in place is the one this user's builds wrote (a cache folder
    restored from elsewhere may hold a planted one: it is then made anew)."""
    try:
        data = path.read_bytes()
        seal = path.with_name(path.name + ".seal").read_bytes()
    except OSError:
        return False
    return hmac.compare_digest(seal.strip(), _seal(kind, path.name, data))


def remove_abandoned(folder: Path, pattern: str = ".*.partial") -> None:
    """Delete temporaries (`.NAME.PID.partial`, `.NAME.RANDOM.PID.partial`) left by
    processes that were killed."""
    for leftover in folder.glob(pattern):
        pid = leftover.name.rsplit(".", 2)[-2] if leftover.name.count(".") >= 3 else ""
        if pid.isdigit() and not process_alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class BuildCache:
    """Cached JSON values and bytes, each under a kind ('parse', 'pdf'...) and a key."""

    def __init__(self, folder: Path, *, read: bool | None = None) -> None:
        self.folder = folder
        # --force: recompute everything, but refresh the entries
        self.read = _reads_allowed if read is None else read

    def _entry(self, kind: str, key: str) -> Path:
        return self.folder / kind / f"{key}.entry"

    def _load(self, kind: str, key: str) -> bytes | None:
        if not self.read:
            return None
        entry = self._entry(kind, key)
        try:
            with entry.open("rb") as stream:
                data = stream.read()
                read = os.fstat(stream.fileno())
        except OSError:
            return None
        payload = unsealed(kind, key, data)
        if payload is None:
            log.warning(
                "cache entry %s is damaged or was not written by this user's builds: ignored",
                entry,
            )
            with contextlib.suppress(OSError):
                # Only the file read: a concurrent build may have replaced it since by a
                # good entry, which must stay.
                if os.path.samestat(read, entry.stat()):
                    entry.unlink()
        return payload

    def get_json(self, kind: str, key: str) -> Any | None:
        payload = self._load(kind, key)
        if payload is None:
            return None
        try:
            return json.loads(payload)
        except ValueError:
            return None

    def put_json(self, kind: str, key: str, value: Any) -> None:
        self._store(kind, key, json.dumps(value).encode())

    def get_bytes(self, kind: str, key: str) -> bytes | None:
        return self._load(kind, key)

    def put_bytes(self, kind: str, key: str, data: bytes) -> None:
        self._store(kind, key, data)

    def put_file(self, kind: str, key: str, source: Path) -> None:
        self._store(kind, key, source.read_bytes())

    def _store(self, kind: str, key: str, data: bytes) -> None:
        # A cache that cannot be written only makes the next build slower.
        entry = self._entry(kind, key)
        temporary: Path | None = None
        try:
            # Private to the user: another account can neither read the entries nor
            # plant one (which the seal would refuse anyway).
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            entry.parent.mkdir(mode=0o700, exist_ok=True)
            # A name of its own for every write (mkstemp: created anew, 0600): two threads
            # of one build, or two builds, storing the same key at once each replace the
            # entry with a whole one of their own. The pid, last, lets a later build
            # remove what a killed one left.
            descriptor, name = tempfile.mkstemp(
                dir=entry.parent, prefix=f".{entry.name}.", suffix=f".{os.getpid()}.partial"
            )
            temporary = Path(name)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(sealed(kind, key, data))
            os.replace(temporary, entry)
        except OSError as error:
            log.warning("cache not written (%s): %s", entry, error)
            if temporary is not None:  # a full disk must not leave half an entry behind
                with contextlib.suppress(OSError):
                    temporary.unlink()

    def remove_abandoned(self) -> None:
        """Delete the temporaries of builds that were killed while writing an entry."""
        with contextlib.suppress(OSError):
            for kind in self.folder.iterdir():
                if kind.is_dir() and not kind.is_symlink():
                    remove_abandoned(kind)

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
