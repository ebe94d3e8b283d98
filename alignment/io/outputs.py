"""Writing result files so that nothing is ever half-written: each output is written to a
temporary file in its own folder and renamed over the destination only once complete. The
destinations are checked before any analysis starts (`check_output`), so a typo in a path
costs seconds, not the analysis."""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


class OutputError(Exception):
    """An output cannot be written; the message is meant for the user."""


def check_output(
    path: str | os.PathLike, what: str, suffixes: Sequence[str] = (), folder: bool = False
) -> Path:
    """Fail now, with a message, if `path` cannot receive this output: a missing parent
    folder, a folder where a file is wanted (or the reverse), an unknown suffix, a place
    this user cannot write to."""
    path = Path(path)
    if folder:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{what} {path}: is a file, not a folder")
        parent = path if path.exists() else path.parent
    else:
        if path.is_dir():
            raise OutputError(f"{what} {path}: is a folder; give a file name")
        if suffixes and path.suffix.lower() not in suffixes:
            raise OutputError(
                f"{what} {path}: unsupported file type {path.suffix or '(none)'}; "
                f"use {' or '.join(suffixes)}"
            )
        parent = path.parent
    parent = parent if str(parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{what} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {path}: cannot write into {parent} (permission denied)")
    return path


def new_file_mode() -> int:
    """The mode a new file gets from this user's umask (0644 under umask 022), as any other
    tool's files do: a temporary file from `mkstemp` is 0600, and renaming keeps that."""
    try:  # Linux: read it without changing it (os.umask sets it, for every thread)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def publish(tmp: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Give a finished temporary file the umask's mode and rename it over `dest`."""
    os.chmod(tmp, new_file_mode())
    os.replace(tmp, dest)


class AtomicOutput:
    """A temporary file beside `dest` (same suffix, hidden) to write to; on leaving the block
    it is renamed over `dest` if all went well, removed if not (or if `discard()` was called).

        with AtomicOutput("out.png") as target:
            save(target.path)
    """

    def __init__(self, dest: str | os.PathLike) -> None:
        self.dest = Path(dest)
        folder = self.dest.parent if str(self.dest.parent) else Path(".")
        fd, name = tempfile.mkstemp(
            prefix=f".{self.dest.stem}.", suffix=f".part{self.dest.suffix}", dir=folder
        )
        os.close(fd)
        self.path = Path(name)
        self._keep = True

    def discard(self) -> None:
        self._keep = False
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None and self._keep:
            publish(self.path, self.dest)
        else:
            self.path.unlink(missing_ok=True)


def write_bytes(dest: str | os.PathLike, data: bytes) -> None:
    with AtomicOutput(dest) as target, open(target.path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_text(dest: str | os.PathLike, text: str) -> None:
    write_bytes(dest, text.encode("utf-8"))


def write_json(dest: str | os.PathLike, data: Any) -> None:
    write_text(dest, json.dumps(data, indent=2, allow_nan=False) + "\n")


def mirrored_names(
    files: Sequence[str], below: Mapping[str, tuple[str, str]], single_folder: bool
) -> dict[str, str]:
    """Where each input's output goes, as a path relative to the output folder: each given
    folder's tree mirrored under the folder's name (directly, when one folder is all that was
    given), each given file by its name; a name already taken gets "-2", "-3", ... So no two
    inputs share an output. `below` maps a file found in a given folder to (that folder's
    name, the file's path below it, with "/")."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for name in files:
        if name in below:
            folder, rel = below[name]
            dest = rel if single_folder else posixpath.join(folder, rel)
        else:
            dest = posixpath.basename(name.rstrip("/"))
        stem, suffix = posixpath.splitext(dest)
        n = 2
        while dest in used:
            dest = f"{stem}-{n}{suffix}"
            n += 1
        used.add(dest)
        names[name] = dest
    return names


def write_each(jobs: Iterable[tuple[str | os.PathLike | None, Callable[[Any], None]]]) -> list[str]:
    """Run each (destination, write) whose destination is given; one that fails does not stop
    the others. Returns what failed, in words."""
    failed = []
    for dest, write in jobs:
        if not dest:
            continue
        try:
            write(dest)
        except OSError as exc:
            failed.append(f"cannot write {dest}: {exc.strerror or exc}")
    return failed
