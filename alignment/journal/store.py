"""The journal's database (SQLAlchemy 2, any URL; an SQLite file by default). Each session is
written in one transaction, so a journal never holds half a session; SQLite runs in WAL mode
with a busy timeout and takes its write lock at the start of a transaction, so two processes
writing at once wait for each other instead of failing. The schema is versioned in the
`schema_version` table and migrated forward when an older journal is opened."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from alignment.journal.entries import Entry, FaultFigures, SideFigures

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 30_000


class JournalError(Exception):
    """The journal cannot be opened, read or written; the message says where and why."""


def _tables(metadata: MetaData, version: int) -> dict[str, Table]:
    """The tables as schema `version` has them (1: the first journal; 2: the fold's direction
    and unit are kept with each session)."""
    session_columns = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("started_at", DateTime(timezone=True), nullable=False, index=True),
        Column("source", String(16), nullable=False),
        Column("source_name", Text, nullable=False),
        Column("pose", String(64), nullable=False),
        Column("preset", String(32), nullable=False),
        Column("level", String(16), nullable=False),
        Column("partial", Boolean, nullable=False),
        Column("duration_s", Float, nullable=False),
        Column("movement", String(64)),
        Column("summary_path", Text),
    ]
    if version >= 2:
        session_columns += [
            Column("deeper", String(8), nullable=False, server_default="larger"),
            Column("unit", String(16), nullable=False, server_default=""),
        ]
    return {
        "sessions": Table("sessions", metadata, *session_columns),
        "sides": Table(
            "sides",
            metadata,
            Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
            Column("side", String(16), primary_key=True),
            Column("hold_seconds", Float, nullable=False),
            Column("in_pose_seconds", Float, nullable=False),
            Column("typical_fold", Float),
            Column("deepest_fold", Float),
            Column("measurements", Text, nullable=False),  # JSON: name -> typical value
        ),
        "faults": Table(
            "faults",
            metadata,
            Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
            Column("rule", String(64), primary_key=True),
            Column("cue", Text, nullable=False),
            Column("seconds", Float, nullable=False),
        ),
        "schema_version": Table(
            "schema_version",
            metadata,
            Column("version", Integer, primary_key=True),
            Column("applied_at", DateTime(timezone=True), nullable=False),
        ),
    }


CURRENT = _tables(MetaData(), SCHEMA_VERSION)
SESSIONS, SIDES, FAULTS, VERSIONS = (
    CURRENT[n] for n in ("sessions", "sides", "faults", "schema_version")
)


def _create_v1(conn: Connection) -> None:
    metadata = MetaData()
    _tables(metadata, 1)
    metadata.create_all(conn)


def _v1_to_v2(conn: Connection) -> None:
    # Journals of version 1 were all of the Janu Sirsasana rule file: its fold (the trunk's
    # angle to the extended leg) goes deeper as the angle gets smaller, in degrees.
    conn.execute(text("ALTER TABLE sessions ADD COLUMN deeper VARCHAR(8) DEFAULT 'smaller'"))
    conn.execute(text("ALTER TABLE sessions ADD COLUMN unit VARCHAR(16) DEFAULT 'deg'"))
    conn.execute(text("UPDATE sessions SET deeper = 'smaller', unit = 'deg'"))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _create_v1, 2: _v1_to_v2}


def _sqlite_setup(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys; transactions begin IMMEDIATE (the write lock is
    taken first, so two writers queue instead of one failing half-way)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Journal:
    """The sessions kept at `url` (an SQLAlchemy URL; see alignment.journal.places)."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            if url.startswith("sqlite:///"):
                Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url)
            if self.engine.dialect.name == "sqlite":
                _sqlite_setup(self.engine)
            self.version = self._migrate()
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise JournalError(f"cannot open the journal at {url}: {_reason(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _migrate(self) -> int:
        """Bring the schema up to SCHEMA_VERSION, one step per transaction."""
        with self.engine.begin() as conn:
            has_versions = inspect(conn).has_table("schema_version")
            if not has_versions and inspect(conn).has_table("sessions"):
                raise ValueError("it holds a sessions table but no schema_version")
        while True:
            with self.engine.begin() as conn:
                version = 0
                if inspect(conn).has_table("schema_version"):
                    version = conn.scalar(select(func.max(VERSIONS.c.version))) or 0
                if version > SCHEMA_VERSION:
                    raise ValueError(
                        f"it was written by a newer version (schema {version}; this one "
                        f"reads up to {SCHEMA_VERSION})"
                    )
                if version == SCHEMA_VERSION:
                    return version
                MIGRATIONS[version + 1](conn)
                conn.execute(insert(VERSIONS).values(version=version + 1, applied_at=_now()))

    # ------------------------------------------------------------------ writing

    def add(self, entry: Entry) -> int:
        """Write one session, all or nothing; its id."""
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(
                    insert(SESSIONS).values(
                        started_at=entry.when.astimezone(timezone.utc),
                        source=entry.source,
                        source_name=entry.source_name,
                        pose=entry.pose,
                        preset=entry.preset,
                        level=entry.level,
                        partial=entry.partial,
                        duration_s=entry.duration_s,
                        movement=entry.movement,
                        summary_path=entry.summary_path,
                        deeper=entry.deeper,
                        unit=entry.unit,
                    )
                ).inserted_primary_key[0]
                if entry.sides:
                    conn.execute(
                        insert(SIDES),
                        [
                            {
                                "session_id": new_id,
                                "side": s.side,
                                "hold_seconds": s.hold_seconds,
                                "in_pose_seconds": s.in_pose_seconds,
                                "typical_fold": s.typical_fold,
                                "deepest_fold": s.deepest_fold,
                                "measurements": json.dumps(s.measurements),
                            }
                            for s in entry.sides
                        ],
                    )
                if entry.faults:
                    conn.execute(
                        insert(FAULTS),
                        [
                            {
                                "session_id": new_id,
                                "rule": f.rule,
                                "cue": f.cue,
                                "seconds": f.seconds,
                            }  # fmt: skip
                            for f in entry.faults
                        ],
                    )
        except SQLAlchemyError as exc:
            raise JournalError(
                f"cannot write to the journal at {self.url}: {_reason(exc)}"
            ) from None
        return int(new_id)

    def delete(self, session_id: int) -> bool:
        """Delete a session with its sides and faults; False if there was none."""
        with self.engine.begin() as conn:
            conn.execute(delete(SIDES).where(SIDES.c.session_id == session_id))
            conn.execute(delete(FAULTS).where(FAULTS.c.session_id == session_id))
            gone = conn.execute(delete(SESSIONS).where(SESSIONS.c.id == session_id)).rowcount
        return bool(gone)

    # ------------------------------------------------------------------ reading

    def entries(self, since: datetime | None = None) -> list[Entry]:
        """The sessions, oldest first (from `since` on)."""
        try:
            with self.engine.begin() as conn:
                query = select(SESSIONS).order_by(SESSIONS.c.started_at, SESSIONS.c.id)
                if since is not None:
                    query = query.where(SESSIONS.c.started_at >= since.astimezone(timezone.utc))
                rows = conn.execute(query).mappings().all()
                sides = conn.execute(select(SIDES)).mappings().all()
                faults = conn.execute(select(FAULTS).order_by(FAULTS.c.seconds.desc()))
                faults = faults.mappings().all()
        except SQLAlchemyError as exc:
            raise JournalError(f"cannot read the journal at {self.url}: {_reason(exc)}") from None
        return list(_assemble(rows, sides, faults))

    def get(self, session_id: int) -> Entry | None:
        return next((e for e in self.entries() if e.id == session_id), None)


def _assemble(rows, sides, faults) -> Iterator[Entry]:  # noqa: ANN001 - row mappings
    by_session_sides: dict[int, list[SideFigures]] = {}
    for s in sides:
        by_session_sides.setdefault(s["session_id"], []).append(
            SideFigures(
                side=s["side"],
                hold_seconds=s["hold_seconds"],
                in_pose_seconds=s["in_pose_seconds"],
                typical_fold=s["typical_fold"],
                deepest_fold=s["deepest_fold"],
                measurements=json.loads(s["measurements"]),
            )
        )
    by_session_faults: dict[int, list[FaultFigures]] = {}
    for f in faults:
        by_session_faults.setdefault(f["session_id"], []).append(
            FaultFigures(rule=f["rule"], cue=f["cue"], seconds=f["seconds"])
        )
    for r in rows:
        when = r["started_at"]
        if when.tzinfo is None:  # SQLite keeps no time zone: the journal writes UTC
            when = when.replace(tzinfo=timezone.utc)
        yield Entry(
            when=when,
            source=r["source"],
            source_name=r["source_name"],
            pose=r["pose"],
            preset=r["preset"],
            level=r["level"],
            partial=bool(r["partial"]),
            duration_s=r["duration_s"],
            movement=r["movement"],
            deeper=r["deeper"],
            unit=r["unit"],
            sides=tuple(sorted(by_session_sides.get(r["id"], []), key=lambda s: s.side)),
            faults=tuple(by_session_faults.get(r["id"], [])),
            summary_path=r["summary_path"],
            id=r["id"],
        )


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _reason(exc: Exception) -> str:
    """The database's own words, without SQLAlchemy's statement dump."""
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0]
