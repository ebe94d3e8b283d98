"""The record log of a batch run, which makes it exactly-once and resumable. A results folder
(local or a URI) holds:

    _parts/part-<run>-<seq>.jsonl   the records committed so far, each file written whole
    _parts/options.json             what the records were made with (pose, level, models, ...)
    records.jsonl                   every record in input order, rebuilt at the end of a run

One process, the driver, writes records. A file is *done* once its record is in a committed
part: a worker that died before that is simply redone, and a record that arrives twice (the
work of a dead worker retried) is kept once. `--resume` reads the committed parts and skips
their files; a run without it refuses a folder that holds anything, so runs never mix. A part
that cannot be read whole (a crash mid-write where renames are not atomic) is set aside in
`_parts/damaged/`, with a warning, and its files are redone.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

from alignment.io import storage
from alignment.io.outputs import OutputError

PARTS = "_parts"
DAMAGED = "damaged"
OPTIONS = "options.json"
RECORDS = "records.jsonl"


class RecordLog:
    """Records (as JSON lines, each with a "path") committed to `folder` in parts: when
    `flush_every` records are waiting (but at most one part a second, so that a fast cluster
    writes bigger parts rather than more of them), or when `flush_if_due` finds
    `flush_seconds` gone by."""

    def __init__(
        self,
        folder: str,
        what: str = "--results",
        flush_every: int = 64,
        flush_seconds: float = 10.0,
    ) -> None:
        self.folder, self.what = folder, what
        self.parts = storage.join(folder, PARTS)
        self.run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.flush_every, self.flush_seconds = flush_every, flush_seconds
        self.committed: set[str] = set()  # paths committed (or buffered) by this run
        self.duplicates = 0  # records offered again and dropped
        self.warnings: list[str] = []  # parts set aside, in words
        self._buffer: list[str] = []
        self._seq = 0
        self._last_flush = time.monotonic()

    # ------------------------------------------------------------------ before the run

    def existing(self, set_aside: bool = False) -> dict[str, str]:
        """path -> JSON line of every record committed by earlier runs (the first one wins).
        A damaged part is left out; with `set_aside`, also moved to `_parts/damaged/` (a
        warning in `warnings`), so that its files are redone and it is never read again."""
        lines: dict[str, str] = {}
        for part in storage.files_in(self.parts, ".jsonl"):
            records = _read_part(part)
            if records is None:
                if set_aside:
                    self._set_aside(part)
                continue
            for path, line in records:
                lines.setdefault(path, line)
        return lines

    def _set_aside(self, part: str) -> None:
        name = part.rstrip("/").rsplit("/", 1)[-1]
        dest = storage.join(self.parts, DAMAGED, name)
        storage.write_location(dest, storage.read_bytes(part))
        storage.remove(part)
        self.warnings.append(
            f"{part}: damaged (cut short or not JSON lines), set aside as {dest}; "
            "its files are analysed again"
        )

    def open(self, options: dict[str, Any], resume: bool, overwrite: bool) -> dict[str, str]:
        """Make the folder ready for this run and return the records a --resume keeps. Refuses
        (OutputError) a folder that holds anything when neither `resume` nor `overwrite` is
        given, and a --resume with other options than the records were made with."""
        if overwrite:
            for name in (PARTS, RECORDS, "records.parquet"):
                storage.remove(storage.join(self.folder, name))
            previous: dict[str, str] = {}
        elif resume:
            made_with = self._options()
            previous = self.existing(set_aside=True)
            if previous and made_with is not None and made_with != options:
                changed = sorted(k for k in options if made_with.get(k) != options[k])
                raise OutputError(
                    f"{self.what} {self.folder}: its records were made with other options "
                    f"({', '.join(changed)}); resume with the same ones, or pass --overwrite"
                )
        elif not storage.is_empty(self.folder):
            held = len(self.existing())
            what = f"holds {held} records of an earlier run" if held else "is not empty"
            raise OutputError(
                f"{self.what} {self.folder}: {what}; pass --resume to add to them, "
                "--overwrite to start again, or choose another folder"
            )
        else:
            previous = {}
        storage.write_location(
            storage.join(self.parts, OPTIONS), json.dumps(options, indent=2).encode()
        )
        return previous

    def _options(self) -> dict[str, Any] | None:
        """What the records were made with; None when no run wrote it."""
        location = storage.join(self.parts, OPTIONS)
        try:
            text = storage.read_text(location)
        except storage.StorageError:
            return None
        try:
            options = json.loads(text)
        except ValueError:  # cut short, not UTF-8
            options = None
        if not isinstance(options, dict):
            raise OutputError(
                f"{self.what} {self.folder}: {location} is damaged, so what its records were "
                "made with is unknown; pass --overwrite to start again, or choose another folder"
            )
        return options

    # ------------------------------------------------------------------ during the run

    def add(self, path: str, line: str) -> bool:
        """Buffer one record (its JSON text). False, and nothing written, when this path was
        already committed by this run."""
        if path in self.committed:
            self.duplicates += 1
            return False
        self.committed.add(path)
        self._buffer.append(line)
        if len(self._buffer) >= self.flush_every and time.monotonic() - self._last_flush >= 1:
            self.flush()
        return True

    def flush_if_due(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Commit the buffered records as one part."""
        if self._buffer:
            name = f"part-{self.run_id}-{self._seq:06d}.jsonl"
            text = "\n".join(self._buffer) + "\n"
            storage.write_location(storage.join(self.parts, name), text.encode("utf-8"))
            self._seq += 1
            self._buffer.clear()
        self._last_flush = time.monotonic()

    # ------------------------------------------------------------------ after the run

    def finalize(self, order: Iterable[str]) -> list[str]:
        """Commit what is buffered, then write records.jsonl from every committed part: the
        paths of `order` first, in that order, then any other committed path. Returns its
        lines."""
        self.flush()
        lines = self.existing()
        keys = [k for k in dict.fromkeys(order) if k in lines]
        keys += sorted(set(lines) - set(keys))
        ordered = [lines[k] for k in keys]
        text = "".join(line + "\n" for line in ordered)
        storage.write_location(storage.join(self.folder, RECORDS), text.encode("utf-8"))
        return ordered


def _read_part(part: str) -> list[tuple[str, str]] | None:
    """(path, line) of each record of a part; None when any line is not a whole record."""
    records = []
    try:
        text = storage.read_text(part)
    except (storage.StorageError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            return None
        if not isinstance(record, dict) or not isinstance(record.get("path"), str):
            return None
        records.append((record["path"], line))
    if text and not text.endswith("\n"):  # every part ends a line: one cut there is short
        return None
    return records
