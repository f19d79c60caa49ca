"""Where a build may read and write: the allowed roots, checked on the opened file.

A build reads files inside the manuscript's folder and the project folder, and files the
command line names; nothing else (README, "Untrusted manuscripts"). A check on a file's
name alone is not enough: a symlink (`refs.bib -> /home/me/.ssh/id_rsa`), a `..`, or a
swap of the name between the check and the open would escape it. So every input is
opened first and the check is made on the open descriptor: its real path (the kernel's
`/proc/self/fd/N`, confirmed by device and inode) must lie inside a root.

The API, for every reader of an input:

    roots = roots_of(config)                      # or Roots.of(trusted=..., untrusted=...)
    data = read_confined(path, roots, what="bibliography", error=BibliographyError,
                         max_bytes=MAX_BIBLIOGRAPHY_BYTES, hint="...")
    with open_confined(path, roots, what=..., error=...) as (handle, real_path): ...
    folder = confined_output_folder(path, roots, named=...)  # before writing into it

Trust. The project folder (where build.py and its typeset.yaml are) is trusted; the
manuscript's folder, and the folder of a config file from outside the project, are not:
a file there with more than one hard link is refused, as its other name may be a file
outside that the author could not have read otherwise, and such a config may choose a
manuscript only beside itself. A file named on the command line is trusted by name, but
only its own name: when that name is a symlink, its target must lie inside a root like
any other file's. The front matter names no files (typeset/sanitize.py drops the fields).

Issue 24's front-matter `bibliography:`/`csl:` and folder discovery read through the same
`read_confined(path, roots_of(config), ...)`: a name from the front matter is never
`named`, so it is held to the roots like a config's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from typeset.errors import ConfigError, OutputError, TypesetError

if TYPE_CHECKING:
    from typeset.config import Config

MEGABYTE = 1024 * 1024


def real_folder(path: Path) -> Path:
    """`path` resolved (symlinks and `..`); a loop or an unreadable part leaves it as is."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))


def named_file(path: Path) -> Path:
    """The file a command-line name means: its folder resolved, its own name kept, so a
    name that is itself a symlink does not carry its target into the allowed files."""
    absolute = Path(os.path.abspath(path))
    return real_folder(absolute.parent) / absolute.name


@dataclass(frozen=True)
class Roots:
    """The folders (resolved) a build may read inside, and the files it may read anyway."""

    trusted: tuple[Path, ...]  # the project: any file inside
    untrusted: tuple[Path, ...] = ()  # the manuscript's folder: no hard-linked files
    named: frozenset[Path] = frozenset()  # files the command line names (see named_file)

    @classmethod
    def of(
        cls,
        *,
        trusted: Iterable[Path] = (),
        untrusted: Iterable[Path] = (),
        named: Iterable[Path] = (),
    ) -> Roots:
        return cls(
            trusted=tuple(real_folder(folder) for folder in trusted),
            untrusted=tuple(real_folder(folder) for folder in untrusted),
            named=frozenset(named_file(path) for path in named),
        )

    @property
    def folders(self) -> tuple[Path, ...]:
        return (*self.trusted, *self.untrusted)

    def holds(self, real_path: Path) -> bool:
        """Whether a resolved path lies inside a root (or is a named file)."""
        return real_path in self.named or any(
            real_path.is_relative_to(folder) for folder in self.folders
        )

    def problem(self, real_path: Path, status: os.stat_result) -> str | None:
        """Why the open file at `real_path` may not be read, or None."""
        if real_path in self.named or any(real_path.is_relative_to(f) for f in self.trusted):
            return None
        if not any(real_path.is_relative_to(folder) for folder in self.untrusted):
            return f"is outside the manuscript's folder and the project (it is {real_path})"
        if stat.S_ISREG(status.st_mode) and status.st_nlink > 1:
            return (
                f"has {status.st_nlink} hard links: its other names may be files outside "
                "the manuscript's folder"
            )
        return None


def roots_of(config: Config) -> Roots:
    """A build's roots: the project and the shipped styles (trusted); the manuscript's
    folder and the config
    file's folder (a config that came with a manuscript is the manuscript's, and names
    files beside itself: `refs.bib` next to `typeset.yaml`, the text in `manuscript/`);
    and the files the command line names."""
    from typeset.resources import shipped_styles_dir

    named = [
        path
        for name, value in vars(config).items()
        if config.origins.get(name) == "the command line"
        for path in (value if isinstance(value, tuple) else (value,))
        if isinstance(path, Path)
    ]
    if config.origins.get("style") == "the command line":
        named.append(Path(config.style))
    _refuse_manuscript_elsewhere(config)
    config_files = {
        Path(origin.rpartition(":")[0])
        for origin in config.origins.values()
        if ":" in origin and origin != "the command line"
    }
    config_folders = [path.parent for path in config_files if path != config.manuscript]
    # a book's folder (typeset/book.py), or the folders of a manuscript's files
    manuscript_folders = [
        config.manuscript if config.manuscript.is_dir() else config.manuscript.parent,
        *(path.parent for path in config.chapters),
    ]
    return Roots.of(
        # the project, and what the package ships (stylesheets, templates, reference DOCX
        # files) for any file the project does not override
        trusted=[config.project_dir, shipped_styles_dir()],
        untrusted=[*dict.fromkeys(manuscript_folders), *config_folders],
        named=named,
    )


def _refuse_manuscript_elsewhere(config: Config) -> None:
    """A config file outside the project (one that came with a manuscript) may choose a
    manuscript only in its own folder: the manuscript's folder becomes a root."""
    origin = config.origins.get("manuscript", "")
    if ":" not in origin or origin == "the command line":
        return
    config_file = Path(origin.rpartition(":")[0])
    config_folder = real_folder(config_file.parent)
    if config_folder.is_relative_to(real_folder(config.project_dir)):
        return  # the project's own config: trusted
    if not all(
        real_folder(path).is_relative_to(config_folder)
        for path in (config.manuscript, *config.chapters)
    ):
        raise ConfigError(
            "a config file outside the project may name a manuscript only in its own folder",
            path=config_file,
            line=int(origin.rpartition(":")[2]) if origin.rpartition(":")[2].isdigit() else None,
            hint="move the manuscript beside the config, or pass --manuscript",
        )


def _open_error(
    failure: OSError, path: Path, what: str, error: type[TypesetError], hint: str
) -> TypesetError:
    if failure.errno == errno.ENOENT:
        return error(f"{what} not found", path=path, hint=hint)
    if failure.errno == errno.ELOOP:
        return error(
            f"{what} is a symbolic link that leads in a loop",
            path=path,
            hint="replace the link with the real file or folder",
        )
    if failure.errno == errno.ENAMETOOLONG:
        return error(
            f"{what}: the file name is too long for the file system ({len(str(path))} characters)",
            path=_short(path),
            hint="use a shorter file name",
        )
    if failure.errno == errno.EISDIR:
        return error(f"{what} path is a folder, not a file", path=path, hint=hint)
    return error(f"cannot read the {what}: {failure.strerror or failure}", path=path, hint=hint)


def _short(path: Path) -> Path:
    """A path fit for an error message: an absurdly long name is cut."""
    text = str(path)
    return path if len(text) <= 160 else Path(text[:80] + "…" + text[-40:])


def _descriptor_path(descriptor: int, status: os.stat_result) -> Path | None:
    """The real path of an open file, confirmed by device and inode (None if unknown)."""
    try:
        real = Path(os.readlink(f"/proc/self/fd/{descriptor}"))
        again = os.stat(real)
    except OSError:
        return None  # no /proc, or the file was renamed or removed since the open
    if (again.st_dev, again.st_ino) != (status.st_dev, status.st_ino):
        return None
    return real


@contextlib.contextmanager
def open_confined(
    path: Path,
    roots: Roots | None,
    *,
    what: str,
    error: type[TypesetError],
    hint: str = "",
) -> Iterator[tuple[BinaryIO, Path]]:
    """Open regular file `path` for reading if it lies inside `roots` (None: anywhere).

    Yields the open file and its real path. The check is on the descriptor, so neither a
    symlink nor a swap of the name after a check can lead outside. A FIFO is never waited
    on (opened non-blocking, then refused with devices and sockets); a folder is refused.
    """
    if roots is not None and not roots.holds(real_folder(path)):
        # The common case, said before anything is opened (a device outside is not).
        kind = ""
        with contextlib.suppress(OSError, ValueError):
            if not stat.S_ISREG(os.stat(path).st_mode):
                kind = " and is not a regular file (a pipe, socket or device)"
        raise error(
            f"{what} is outside the manuscript's folder and the project{kind} "
            f"(it leads to {real_folder(path)})",
            path=_short(path),
            hint="copy the file into the manuscript's folder instead of linking to it",
        )
    flags = os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as failure:
        raise _open_error(failure, _short(path), what, error, hint) from None
    except ValueError:  # a NUL in the name
        raise error(f"{what}: the file name contains a NUL character", hint=hint) from None
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise error(f"{what} path is a folder, not a file", path=path, hint=hint)
        if not stat.S_ISREG(status.st_mode):
            raise error(
                f"{what} is not a regular file (a pipe, socket or device)",
                path=path,
                hint=f"{hint}; a build reads ordinary files only" if hint else hint,
            )
        real = _descriptor_path(descriptor, status)
        if real is None:
            real = _checked_by_name(path, status, what, error)
        if roots is not None:
            problem = roots.problem(real, status)
            if problem:
                raise error(
                    f"{what} {problem}",
                    path=_short(path),
                    hint="copy the file into the manuscript's folder instead of linking to it",
                )
        os.set_blocking(descriptor, True)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield handle, real


def _checked_by_name(
    path: Path, status: os.stat_result, what: str, error: type[TypesetError]
) -> Path:
    """Without /proc: the resolved name, if it is still the file that was opened."""
    real = real_folder(path)
    try:
        again = os.stat(real)
    except OSError:
        again = None
    if again is None or (again.st_dev, again.st_ino) != (status.st_dev, status.st_ino):
        raise error(
            f"{what} changed while it was being opened",
            path=path,
            hint="run the build again when nothing is moving the files",
        )
    return real


def read_confined(
    path: Path,
    roots: Roots | None,
    *,
    what: str,
    error: type[TypesetError],
    max_bytes: int,
    hint: str = "",
) -> bytes:
    """The bytes of regular file `path` inside `roots`, at most `max_bytes`, or `error`."""
    with open_confined(path, roots, what=what, error=error, hint=hint) as (handle, _real):
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise error(
                f"{what} is {size // MEGABYTE} MB, more than the "
                f"{max_bytes // MEGABYTE} MB a build reads",
                path=path,
                hint="check that this is the right file",
            )
        try:
            data = handle.read(max_bytes + 1)  # the file may grow after the fstat
        except OSError as failure:
            raise error(f"cannot read the {what}: {failure.strerror}", path=path) from None
    if len(data) > max_bytes:
        raise error(
            f"{what} is larger than the {max_bytes // MEGABYTE} MB a build reads",
            path=path,
            hint="check that this is the right file",
        )
    return data


def confined_output_folder(folder: Path, roots: Roots, *, named: bool) -> Path:
    """The output folder, checked before anything is written: never a symlink itself (a
    link planted in the manuscript's folder would carry the outputs elsewhere) and, unless
    the command line `named` it, inside a root once resolved."""
    absolute = Path(os.path.abspath(folder))
    try:
        is_link = stat.S_ISLNK(os.lstat(absolute).st_mode)
    except OSError as failure:
        if failure.errno in (errno.ELOOP, errno.ENAMETOOLONG):
            raise _open_error(
                failure, absolute, "output folder", OutputError, "choose another --output-dir"
            ) from None
        is_link = False  # missing, or under a file: the destination checks say which
    if is_link:
        raise OutputError(
            f"output folder is a symbolic link (to {real_folder(absolute)})",
            path=_short(folder),
            hint="name the real folder with --output-dir, or remove the link",
        )
    real = real_folder(absolute)
    if not named and not any(real.is_relative_to(root) for root in roots.folders):
        raise OutputError(
            f"output folder is outside the manuscript's folder and the project ({real})",
            path=_short(folder),
            hint="set 'output_dir' to a folder inside the project, or pass --output-dir",
        )
    return absolute


def open_output_folder(folder: Path) -> int:
    """A descriptor of the output folder, opened without following a symlink: renames go
    through it, so a folder swapped for a link after the checks is not written through."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(folder, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as failure:
        if failure.errno in (errno.ELOOP, errno.ENOTDIR):
            raise OutputError(
                "output folder became a symbolic link or a file during the build",
                path=folder,
                hint="run the build again; nothing was written",
            ) from None
        raise
