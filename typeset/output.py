"""Write outputs so that a failed build never leaves a half-written or missing file.

Every format is written to a hidden temporary name beside its destination; only when all
of them succeed are they renamed into place (rename is atomic on POSIX). On any failure
the temporaries are removed and the previous outputs stay exactly as they were.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from typeset.errors import OutputError


@contextlib.contextmanager
def staged_outputs(destinations: Mapping[str, Path]) -> Iterator[dict[str, Path]]:
    """Yield a temporary path per destination; rename them all into place on success."""
    staged: dict[str, Path] = {}
    try:
        for name, destination in destinations.items():
            staged[name] = _temporary_beside(destination)
        yield staged
    except BaseException:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        raise
    for name, temporary in staged.items():
        if not temporary.is_file() or temporary.stat().st_size == 0:
            for leftover in staged.values():
                leftover.unlink(missing_ok=True)
            raise OutputError(f"the {name} writer produced no file", path=destinations[name])
    for name, temporary in staged.items():
        os.replace(temporary, destinations[name])


def _temporary_beside(destination: Path) -> Path:
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(folder, destination.name)
        # The pid in the name lets a later build recognise files of a build that was killed.
        handle, name = tempfile.mkstemp(
            prefix=f".{destination.name}.{os.getpid()}.", suffix=".partial", dir=folder
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


def _remove_abandoned(folder: Path, name: str) -> None:
    """Delete temporaries left by builds that were killed (their process is gone)."""
    for leftover in folder.glob(f".{name}.*.partial"):
        parts = leftover.name[len(name) + 2 :].split(".")
        if parts and parts[0].isdigit() and not _process_alive(int(parts[0])):
            leftover.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
