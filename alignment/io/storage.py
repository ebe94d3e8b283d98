"""Locations: a local path, or a URI of a filesystem pyarrow knows (`s3://bucket/key`,
`gs://bucket/key`, `hdfs://...`, `file:///abs/path`), for runs whose inputs and results live
where a cluster keeps them.

Local paths take the same code as the rest of the program (`expand_paths`, `AtomicOutput`),
so a local file gets the same name and the same messages as in a local run. URIs go through
`pyarrow.fs.FileSystem.from_uri` (imported only then): credentials and endpoints come from
the usual environment of each machine (AWS_* variables or an instance role for S3, Google
application credentials for GCS). An object is written whole in one stream and appears only
when the stream closes, so a writer that dies leaves nothing half-written, as the atomic
rename does for a local file. URIs with a query string are not supported.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignment.io.images import expand_paths, read_local
from alignment.io.outputs import AtomicOutput, OutputError, check_output, write_bytes


class StorageError(Exception):
    """A location cannot be read or listed; the message names it and says why."""


def is_uri(location: str) -> bool:
    return "://" in location


def _filesystem(location: str) -> tuple[Any, str]:
    """(pyarrow filesystem, path inside it) of a URI."""
    import pyarrow.fs as pafs

    try:
        return pafs.FileSystem.from_uri(location)
    except (ValueError, OSError) as exc:  # unknown scheme, no credentials, bad bucket name
        raise StorageError(f"{location}: cannot be reached ({exc})") from exc


def _kind(location: str) -> str:
    """ "file", "folder" or "missing"."""
    if not is_uri(location):
        path = Path(location)
        return "folder" if path.is_dir() else "file" if path.exists() else "missing"
    import pyarrow.fs as pafs

    fs, path = _filesystem(location)
    try:
        kind = fs.get_file_info(path).type
    except OSError as exc:
        raise StorageError(f"{location}: cannot be reached ({exc})") from exc
    return {pafs.FileType.Directory: "folder", pafs.FileType.File: "file"}.get(kind, "missing")


def join(location: str, *parts: str) -> str:
    """A location below a folder location, in the same form (path or URI)."""
    if is_uri(location):
        return posixpath.join(location.rstrip("/"), *parts)
    return str(Path(location, *parts))


@dataclass
class Listing:
    """The files to analyse, by the names their records carry, in run order."""

    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # in the given folders, other kinds
    # a file found in a given folder -> (that folder's name, its path below it with "/")
    below: dict[str, tuple[str, str]] = field(default_factory=dict)


def list_inputs(locations: Iterable[str], suffixes: Collection[str]) -> Listing:
    """Like `expand_paths`, for paths and URIs alike: a file as given (a bad or missing one
    gets an error record later), a folder searched recursively for files with one of
    `suffixes`, sorted; hidden files left out. Local names are the local run's own."""
    listing = Listing()
    for location in locations:
        if not is_uri(location):
            found = expand_paths([location], suffixes)
            listing.files += [str(p) for p in found.images]
            listing.skipped += [str(p) for p in found.skipped]
            listing.below.update(found.below())
            continue
        if _kind(location) != "folder":
            listing.files.append(location)
            continue
        root = location.rstrip("/")
        for rel in _walk(root):
            name = f"{root}/{rel}"
            if posixpath.splitext(rel)[1].lower() in suffixes:
                listing.files.append(name)
                listing.below[name] = (posixpath.basename(root.split("://", 1)[1]), rel)
            else:
                listing.skipped.append(name)
    return listing


def _walk(folder: str) -> list[str]:
    """The files below a folder URI, as sorted relative paths; hidden files left out."""
    import pyarrow.fs as pafs

    fs, path = _filesystem(folder)
    try:
        infos = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    except OSError as exc:
        raise StorageError(f"{folder}: cannot be listed ({exc})") from exc
    return sorted(
        posixpath.relpath(info.path, path)
        for info in infos
        if info.type == pafs.FileType.File and not info.base_name.startswith(".")
    )


def files_in(folder: str, suffix: str) -> list[str]:
    """The files directly in a folder whose names end with `suffix`, sorted; hidden ones
    (temporary files being written) left out; none when the folder does not exist."""
    if not is_uri(folder):
        path = Path(folder)
        if not path.is_dir():
            return []
        return sorted(
            str(p) for p in path.iterdir()
            if p.is_file() and p.name.endswith(suffix) and not p.name.startswith(".")
        )  # fmt: skip
    return [join(folder, rel) for rel in _walk(folder) if "/" not in rel and rel.endswith(suffix)]


def is_empty(folder: str) -> bool:
    """True when the folder does not exist or holds nothing."""
    if not is_uri(folder):
        path = Path(folder)
        return not path.is_dir() or next(path.iterdir(), None) is None
    import pyarrow.fs as pafs

    fs, path = _filesystem(folder)
    try:
        return not fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    except OSError as exc:
        raise StorageError(f"{folder}: cannot be listed ({exc})") from exc


def read_bytes(location: str) -> bytes:
    """The whole file, or StorageError: "file not found", "not a file", "cannot be read"."""
    if not is_uri(location):
        return read_local(location, StorageError)
    try:
        with _open_input(location) as stream:
            return stream.readall()
    except OSError as exc:
        raise StorageError(f"{location}: cannot be read ({exc})") from exc


def _open_input(location: str) -> Any:
    """A pyarrow input stream on a URI's file, or StorageError."""
    kind = _kind(location)
    if kind != "file":
        raise StorageError(f"{location}: {'file not found' if kind == 'missing' else 'not a file'}")
    fs, path = _filesystem(location)
    return fs.open_input_stream(path)


def read_text(location: str) -> str:
    return read_bytes(location).decode("utf-8")


def write_location(location: str, data: bytes) -> None:
    """`data` at `location`, all or nothing (folders made as needed)."""
    if not is_uri(location):
        Path(location).parent.mkdir(parents=True, exist_ok=True)
        write_bytes(location, data)
        return
    fs, path = _open_output(location)
    with fs.open_output_stream(path) as stream:
        stream.write(data)


def put_file(source: str | Path, location: str) -> None:
    """Copy a local file to `location`, all or nothing."""
    if not is_uri(location):
        Path(location).parent.mkdir(parents=True, exist_ok=True)
        with AtomicOutput(location) as target:
            shutil.copyfile(source, target.path)
        return
    fs, path = _open_output(location)
    with open(source, "rb") as src, fs.open_output_stream(path) as stream:
        shutil.copyfileobj(src, stream, 1 << 20)


def _open_output(location: str) -> tuple[Any, str]:
    """(filesystem, path) to write a URI's file: its folders made where folders are real
    (file://, hdfs://); object stores have none to make."""
    fs, path = _filesystem(location)
    if fs.type_name in ("local", "hdfs"):
        fs.create_dir(posixpath.dirname(path), recursive=True)
    return fs, path


def fetch(location: str, folder: str | Path) -> Path:
    """A local copy of a URI's file in `folder`, keeping its name (a decoder wants a local,
    seekable file). StorageError when it cannot be read."""
    dest = Path(folder) / posixpath.basename(location.rstrip("/"))
    try:
        with _open_input(location) as stream, open(dest, "wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
    except OSError as exc:
        raise StorageError(f"{location}: cannot be read ({exc})") from exc
    return dest


def remove(location: str) -> None:
    """Delete a file or a whole folder, if it exists."""
    if not is_uri(location):
        path = Path(location)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        return
    kind = _kind(location)
    fs, path = _filesystem(location)
    if kind == "folder":
        fs.delete_dir(path)
    elif kind == "file":
        fs.delete_file(path)


def check_folder(location: str, what: str, within: str | None = None) -> str:
    """Fail now, with a message, if `location` cannot be a results folder: a local one as
    `check_output` checks it (a folder below `within`, itself checked, may be made), a URI
    that names a file or cannot be reached."""
    if not is_uri(location):
        inside = within is not None and not is_uri(within)
        if inside and Path(within).absolute() in Path(location).absolute().parents:
            if Path(location).is_file():
                raise OutputError(f"{what} {location}: is a file, not a folder")
            return location
        check_output(location, what, folder=True)
        return location
    try:
        kind = _kind(location)
    except StorageError as exc:
        raise OutputError(f"{what} {exc}") from exc
    if kind == "file":
        raise OutputError(f"{what} {location}: is a file, not a folder")
    return location


def _canonical(location: str) -> str:
    """A location in one spelling, so that two names of one place compare equal: a local path
    (or file:// URI) absolute with its links resolved, another URI with its path normalised."""
    if location.startswith("file://"):
        location = location[len("file://") :]
    if not is_uri(location):
        return os.path.realpath(location)
    scheme, rest = location.split("://", 1)
    return f"{scheme}://{posixpath.normpath(rest)}"


def inside(location: str, folder: str) -> bool:
    """Whether `location` is `folder` or lies below it."""
    here, there = _canonical(location), _canonical(folder)
    return here == there or here.startswith(there.rstrip("/") + "/")


def check_apart(
    output: str,
    what: str,
    inputs: Iterable[str],
    targets: Iterable[str] = (),
    files: Iterable[str] = (),
) -> None:
    """Refuse (OutputError) an output that is one of the `inputs` given, or lies in a given
    folder (whose files are read as inputs: the next run would read the outputs as photos or
    videos, and --overwrite would replace the originals), or whose `targets` (the files it
    would receive) include an input or one of the `files` found. Names only: nothing is
    read."""
    inputs = list(inputs)
    for given in inputs:
        if inside(output, given):
            where = "is" if _canonical(output) == _canonical(given) else "lies inside"
            raise OutputError(
                f"{what} {output}: {where} the input {given}; what is written there would "
                "replace the originals or be read as input by the next run. Choose a folder "
                f"outside {given}"
            )
    originals = {_canonical(name) for name in [*inputs, *files]}
    for target in targets:
        if _canonical(target) in originals:
            raise OutputError(
                f"{what} {output}: would write {target} over the input of that name; "
                "choose another folder"
            )


def write_parquet(location: str, rows: list[dict[str, Any]], fields: list[str]) -> None:
    """Flat rows (the CSV's) as a Parquet file, each column's type found from all its values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: [row.get(name) for row in rows] for name in fields})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    write_location(location, sink.getvalue().to_pybytes())
