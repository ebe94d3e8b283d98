"""Where the journal lives: `--journal PATH|URL`, else $ALIGNMENT_JOURNAL, else the user's
data folder ($XDG_DATA_HOME or ~/.local/share)/janu-alignment/journal.sqlite."""

from __future__ import annotations

import os
from pathlib import Path

from alignment.settings import JOURNAL_ENV

FILE_NAME = "journal.sqlite"


def default_path() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "janu-alignment" / FILE_NAME


def journal_place(explicit: str | None = None) -> str:
    """The journal's SQLAlchemy URL: a URL as given (e.g. postgresql+psycopg://...), a path
    as an SQLite file."""
    where = explicit or os.environ.get(JOURNAL_ENV) or str(default_path())
    if "://" in where:
        return where
    return f"sqlite:///{Path(where).expanduser().resolve()}"


def shown(url: str) -> str:
    """The place said to a person: the file for SQLite, the URL without its password."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
