"""Write outputs so that a failed build never leaves a half-written, missing or lost file.

`staged_outputs` is the one way outputs reach their destinations (formats and
cite-this-work records alike):

1. every destination is checked before anything is written: not a folder, in a folder
   that is one and is writable, not one of the build's inputs (the manuscript, the
   bibliography, a figure, the style, the config; hard links and symlinks included), and
   no two outputs at one path;
2. each output is written to a hidden temporary beside its destination;
3. only when all are written are they committed: each previous file is kept as a hard-link
   backup, then replaced by rename (atomic on POSIX). If a rename fails midway, the files
   already replaced are restored from their backups, so the outputs change all together
   or not at all.

On any failure (or Ctrl-C) the temporaries are removed and the previous outputs stay as
they were. Disk-full and permission errors become an OutputError naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from typeset.cache import process_alive
from typeset.confine import Roots, confined_output_folder, open_output_folder, real_folder
from typeset.errors import OutputError


@contextlib.contextmanager
def staged_outputs(
    destinations: Mapping[str, Path],
    *,
    protected: Iterable[Path] = (),
    roots: Roots | None = None,
    folder_named: bool = True,
) -> Iterator[dict[str, Path]]:
    """Yield a temporary path per destination; commit them all into place on success.

    `protected` are the inputs the build read: no output may replace one of them. No
    output folder may be a symlink; with `roots`, one the command line did not name
    (`folder_named`) must also lie inside them (typeset/confine.py).
    """
    for folder in dict.fromkeys(destination.parent for destination in destinations.values()):
        confined_output_folder(folder, roots or Roots(()), named=roots is None or folder_named)
    _check_destinations(destinations, protected)
    staged: dict[str, Path] = {}
    try:
        for name, destination in destinations.items():
            staged[name] = _temporary_beside(destination)
        try:
            yield staged
        except OSError as error:  # a writer hit the disk: ENOSPC, EACCES, EROFS, ...
            raise _output_error(error, _folder_of(error, destinations)) from None
        for name, temporary in staged.items():
            if not temporary.is_file() or temporary.stat().st_size == 0:
                raise OutputError(
                    f"the {name} writer produced no file",
                    path=destinations[name],
                    hint="run again with --verbose, and report it if the input looks fine",
                )
        _commit(staged, destinations)
    finally:
        for temporary in staged.values():
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


def _check_destinations(destinations: Mapping[str, Path], protected: Iterable[Path]) -> None:
    # Keyed both by resolved path and by (device, inode): a hard link is the same file.
    inputs: dict[object, Path] = {}
    for path in protected:
        with contextlib.suppress(OSError):
            identity = path.stat()
            inputs[(identity.st_dev, identity.st_ino)] = path
            inputs[real_folder(path)] = path
    seen: dict[Path, str] = {}
    for name, destination in destinations.items():
        resolved = real_folder(destination)
        if resolved in seen:
            raise OutputError(
                f"two outputs ({seen[resolved]} and {name}) would be written to one file",
                path=destination,
                hint="rename one of them (their names come from the manuscript's file name)",
            )
        seen[resolved] = name
        clash = inputs.get(resolved)
        status: os.stat_result | None
        try:
            status = destination.stat()
        except FileNotFoundError:
            status = None
        except OSError as error:
            raise _output_error(error, destination) from None
        if status is not None and clash is None:
            clash = inputs.get((status.st_dev, status.st_ino))
        if clash is not None:
            raise OutputError(
                f"the output {destination.name} would replace the input {clash}",
                path=destination,
                hint="choose another --output-dir, or rename the input",
            )
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise OutputError(
                "output path is a folder, where the output file should go",
                path=destination,
                hint="remove or rename that folder, or choose another --output-dir",
            )
        if status is not None and not stat.S_ISREG(status.st_mode):
            raise OutputError(
                "output path exists and is not a regular file",
                path=destination,
                hint="remove it, or choose another --output-dir",
            )
        _check_folder(destination.parent)


def _check_folder(folder: Path) -> None:
    """The nearest existing ancestor must be a writable folder."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputError(
            "output folder path exists and is not a folder",
            path=existing,
            hint="choose another --output-dir",
        )
    if existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            "cannot write to the output folder: permission denied",
            path=existing,
            hint="check its permissions, or choose another --output-dir",
        )


def _commit(staged: Mapping[str, Path], destinations: Mapping[str, Path]) -> None:
    """Rename every temporary into place; on a failure, put back what was replaced.

    Renames go through a descriptor of each output folder opened without following
    links, so a folder swapped for a symlink after the checks is not written through.
    """
    backups: dict[str, Path | None] = {}
    done: list[str] = []
    folders: dict[Path, int] = {}
    try:
        for name, temporary in staged.items():
            destination = destinations[name]
            if destination.parent not in folders:
                folders[destination.parent] = _opened_folder(destination.parent, temporary)
            at = folders[destination.parent]
            backups[name] = _backup(destination, at)
            os.replace(temporary.name, destination.name, src_dir_fd=at, dst_dir_fd=at)
            done.append(name)
    except OSError as error:
        for name in reversed(done):
            backup = backups.get(name)
            at = folders[destinations[name].parent]
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup.name, destinations[name].name, src_dir_fd=at, dst_dir_fd=at)
                else:
                    os.unlink(destinations[name].name, dir_fd=at)
        raise _output_error(error, destinations[name]) from None
    finally:
        for backup in backups.values():
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink(missing_ok=True)
        for descriptor in folders.values():
            os.close(descriptor)


def _opened_folder(folder: Path, temporary: Path) -> int:
    """The output folder, opened without following a link; it must still hold the
    temporary written there (the same folder as checked, not one swapped in since)."""
    descriptor = open_output_folder(folder)
    try:
        os.stat(temporary.name, dir_fd=descriptor, follow_symlinks=False)
    except OSError:
        os.close(descriptor)
        raise OutputError(
            "the output folder was replaced during the build",
            path=folder,
            hint="run the build again; nothing was written",
        ) from None
    return descriptor


def _backup(destination: Path, at: int) -> Path | None:
    """A hard link to the previous file (None when there is none): costs no space."""
    try:
        os.stat(destination.name, dir_fd=at, follow_symlinks=False)
    except FileNotFoundError:
        return None
    backup = destination.with_name(f".{destination.name}.{_owner()}.previous.partial")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(backup.name, dir_fd=at)
    try:
        os.link(destination.name, backup.name, src_dir_fd=at, dst_dir_fd=at, follow_symlinks=False)
    except OSError:
        # No hard links on this file system: copy, as a rename would leave a gap.
        backup.write_bytes(destination.read_bytes())
    return backup


def _output_error(error: OSError, path: Path) -> OutputError:
    hints = {
        errno.ENOSPC: "free some space on that disk, or choose another --output-dir",
        errno.EDQUOT: "free some space (the disk quota is reached), or choose another --output-dir",
        errno.EACCES: "check its permissions, or choose another --output-dir",
        errno.EPERM: "check its permissions, or choose another --output-dir",
        errno.EROFS: "choose an --output-dir on a writable disk",
    }
    where = Path(error.filename) if isinstance(error.filename, str) else path
    return OutputError(
        f"cannot write the output: {error.strerror or error}",
        path=where,
        hint=hints.get(error.errno or 0, "check the output folder, or choose another --output-dir"),
    )


def _folder_of(error: OSError, destinations: Mapping[str, Path]) -> Path:
    first = next(iter(destinations.values()), Path("."))
    return first.parent


def _temporary_beside(destination: Path) -> Path:
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(folder)
        # The pid in the name lets a later build recognise files of a build that was killed.
        handle, name = tempfile.mkstemp(
            prefix=f".{destination.name}.{_owner()}.", suffix=".partial", dir=folder
        )
    except FileExistsError:
        raise OutputError(
            "output folder path exists and is not a folder",
            path=folder,
            hint="choose another --output-dir",
        ) from None
    except OSError as error:
        raise OutputError(
            f"cannot write to the output folder: {error.strerror}",
            path=folder,
            hint="check its permissions, or choose another --output-dir",
        ) from None
    os.close(handle)
    # mkstemp creates the file 0600; outputs are meant to be shared like any document.
    os.chmod(name, 0o644 & ~_umask())
    return Path(name)


def _owner() -> str:
    """The mark of this process in a temporary's name: a later build recognises the files
    of a build that was killed (any output's, in the folder) by its pid."""
    return f"build{os.getpid()}"


_ABANDONED = re.compile(r"^\..*\.build(\d+)\.[^.]+\.partial$")


def _remove_abandoned(folder: Path) -> None:
    """Delete temporaries left by builds that were killed (their process is gone)."""
    for leftover in folder.glob(".*.partial"):
        owner = _ABANDONED.match(leftover.name)
        if owner and not process_alive(int(owner.group(1))):
            leftover.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
