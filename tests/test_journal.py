"""The practice journal on a real SQLite file: `alignment video` records its session with the
summary's figures, an interrupted run is partial, two writers lose nothing, an old journal is
migrated, and the trend and the plan follow from the sessions kept."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from test_video_rate import Scripted, grey_clip

from alignment.cli.main import main
from alignment.io.rule_files import load_pose
from alignment.journal.entries import Entry, FaultFigures, SideFigures
from alignment.journal.places import default_path, journal_place
from alignment.journal.store import SCHEMA_VERSION, Journal
from alignment.journal.trend import faults_per_week, next_session, per_day, trend_words

POSE = load_pose("janu_sirsasana")
JANU = "janu/y82ukr_30.jpg"
# Nobody, Janu (left leg out) 4 s, nobody, Janu mirrored (right leg out) 4 s.
SCRIPT = [(1.0, None, False), (5.0, JANU, False), (6.0, None, False), (99.0, JANU, True)]


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "journal.sqlite"
    monkeypatch.setenv("ALIGNMENT_JOURNAL", str(path))
    return path


def use_estimator(monkeypatch: pytest.MonkeyPatch, estimator: Scripted) -> None:
    """`alignment video` runs the scripted estimator instead of a model."""
    opened = nullcontext(estimator)
    monkeypatch.setattr("alignment.cli.video.open_estimator", lambda *a, **k: opened)


def listed(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    capsys.readouterr()
    assert main(["journal", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_video_session_is_in_the_journal_with_the_summarys_figures(
    tmp_path: Path, journal: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    clip = grey_clip(tmp_path / "clip.mp4", 10.0, 30)
    monkeypatch.setattr(
        "alignment.cli.video.open_estimator", lambda *a, **k: nullcontext(Scripted(SCRIPT))
    )
    summary_path = tmp_path / "summary.json"
    assert main(["video", str(clip), "--json", str(summary_path), "--quiet"]) == 0
    summary = json.loads(summary_path.read_text())

    [entry] = listed(capsys)
    assert journal.is_file()
    assert (entry["source"], entry["source_name"]) == ("video", str(clip.resolve()))
    assert (entry["pose"], entry["level"], entry["partial"]) == (
        "janu_sirsasana",
        "standard",
        False,
    )
    assert entry["summary_path"] == str(summary_path.resolve())
    sides = {s["side"]: s for s in entry["sides"]}
    assert set(sides) == {"left", "right"}
    for side, stats in summary["sides"].items():
        assert stats["hold_seconds"] > 3
        assert sides[side]["hold_seconds"] == stats["hold_seconds"]
        assert sides[side]["in_pose_seconds"] == stats["in_pose_seconds"]
        assert sides[side]["typical_fold"] == stats["typical_movement"]
        assert sides[side]["deepest_fold"] == stats["best_movement"]
        typical = {k: v["typical"] for k, v in stats["measurements"].items() if v}
        assert sides[side]["measurements"] == typical and typical
    assert [(f["rule"], f["seconds"]) for f in entry["faults"]] == [
        (f["rule"], f["seconds"]) for f in summary["faults"]
    ]
    # The CSV and the listing show the same session; nothing of the frames is kept.
    assert main(["journal", "--csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 2 and str(summary["sides"]["left"]["hold_seconds"]) in rows[1]
    tables = sqlite3.connect(journal).execute("SELECT name FROM sqlite_master").fetchall()
    assert {"sessions", "sides", "faults", "schema_version"} <= {t[0] for t in tables}


def test_no_journal_records_nothing(
    tmp_path: Path, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = grey_clip(tmp_path / "clip.mp4", 2.0, 30)
    monkeypatch.setattr(
        "alignment.cli.video.open_estimator", lambda *a, **k: nullcontext(Scripted(SCRIPT))
    )
    assert main(["video", str(clip), "--quiet", "--no-journal"]) == 0
    assert not journal.exists()


class Interrupting(Scripted):
    """Ctrl-C arrives 3 s into the video."""

    def detect(self, rgb: np.ndarray, time_s: float | None = None):  # noqa: ANN201
        if (time_s or 0.0) >= 3.0 and not getattr(self, "sent", False):
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)
        return super().detect(rgb, time_s)


def test_an_interrupted_run_is_recorded_as_partial(
    tmp_path: Path, journal: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    clip = grey_clip(tmp_path / "clip.mp4", 10.0, 30)
    monkeypatch.setattr(
        "alignment.cli.video.open_estimator", lambda *a, **k: nullcontext(Interrupting(SCRIPT))
    )
    assert main(["video", str(clip)]) == 130
    assert f"as session 1 (partial): {journal}" in capsys.readouterr().err
    [entry] = listed(capsys)
    assert entry["partial"] is True
    assert entry["duration_s"] < 4
    assert [s["side"] for s in entry["sides"]] == ["left", "right"]
    right = next(s for s in entry["sides"] if s["side"] == "right")
    assert right["hold_seconds"] == 0  # the right side came after the interruption


def made_up(
    day: datetime, left: float, right: float, hold: float = 40.0, faults: tuple = ()
) -> Entry:
    return Entry(
        when=day,
        source="live",
        source_name="camera",
        pose="janu_sirsasana",
        preset="live",
        level="standard",
        partial=False,
        duration_s=2 * hold,
        movement=POSE.movement.measurement if POSE.movement else None,
        deeper="smaller",
        unit="deg",
        sides=(
            SideFigures("left", hold, hold, left, left - 3, {}),
            SideFigures("right", hold, hold, right, right - 3, {}),
        ),
        faults=tuple(FaultFigures(rule, cue, seconds) for rule, cue, seconds in faults),
    )


def _write_many(url: str, who: int, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with Journal(url) as journal:
        for i in range(count):
            journal.add(made_up(start + timedelta(minutes=i), 40 + who, 50, faults=(
                ("rounded_back", "Lengthen your back", 1.0 + i),)))  # fmt: skip


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    url = journal_place(str(tmp_path / "shared.sqlite"))
    Journal(url).close()  # created once, then two processes write into it together
    # Two fresh interpreters (not multiprocessing: its "spawn" re-runs whatever __main__ is,
    # and a Streamlit test earlier in the run leaves its script there).
    code = (
        "import sys; from test_journal import _write_many; "
        "_write_many(sys.argv[1], int(sys.argv[2]), 30)"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", code, url, str(who)], cwd=Path(__file__).parent)
        for who in (1, 2)
    ]
    assert [w.wait(120) for w in writers] == [0, 0]
    with Journal(url) as journal:
        entries = journal.entries()
    assert len(entries) == 60 and len({e.id for e in entries}) == 60
    assert all(len(e.sides) == 2 and len(e.faults) == 1 for e in entries)
    assert sorted(e.side("left").typical_fold for e in entries) == [41.0] * 30 + [42.0] * 30


V1 = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at DATETIME NOT NULL,
  source VARCHAR(16) NOT NULL, source_name TEXT NOT NULL, pose VARCHAR(64) NOT NULL,
  preset VARCHAR(32) NOT NULL, level VARCHAR(16) NOT NULL, partial BOOLEAN NOT NULL,
  duration_s FLOAT NOT NULL, movement VARCHAR(64), summary_path TEXT);
CREATE TABLE sides (session_id INTEGER NOT NULL REFERENCES sessions(id), side VARCHAR(16)
  NOT NULL, hold_seconds FLOAT NOT NULL, in_pose_seconds FLOAT NOT NULL, typical_fold FLOAT,
  deepest_fold FLOAT, measurements TEXT NOT NULL, PRIMARY KEY (session_id, side));
CREATE TABLE faults (session_id INTEGER NOT NULL REFERENCES sessions(id), rule VARCHAR(64)
  NOT NULL, cue TEXT NOT NULL, seconds FLOAT NOT NULL, PRIMARY KEY (session_id, rule));
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at DATETIME NOT NULL);
INSERT INTO schema_version VALUES (1, '2026-01-01 08:00:00.000000');
INSERT INTO sessions VALUES (1, '2026-01-02 08:00:00.000000', 'video', '/videos/monday.mp4',
  'janu_sirsasana', 'accurate', 'standard', 0, 95.0, 'trunk_leg_angle', NULL);
INSERT INTO sides VALUES (1, 'left', 45.0, 44.0, 48.0, 41.0, '{"trunk_leg_angle": 48.0}');
INSERT INTO sides VALUES (1, 'right', 40.0, 39.0, 58.0, 52.0, '{}');
INSERT INTO faults VALUES (1, 'rounded_back', 'Lengthen your back', 12.5);
"""


def test_a_journal_of_the_previous_schema_is_migrated(tmp_path: Path, capsys) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(V1)
    with Journal(journal_place(str(path))) as journal:
        assert journal.version == SCHEMA_VERSION == 2
        [old] = journal.entries()
        assert (old.deeper, old.unit, old.source_name) == ("smaller", "deg", "/videos/monday.mp4")
        assert old.when == datetime(2026, 1, 2, 8, tzinfo=timezone.utc)
        assert old.side("right").typical_fold == 58.0 and old.faults[0].seconds == 12.5
        # The right side folds 10 degrees less (a larger angle is shallower).
        assert old.depth("left") - old.depth("right") == 10.0
        journal.add(made_up(datetime(2026, 1, 3, tzinfo=timezone.utc), 47, 55))
    versions = sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchall()
    assert [v[0] for v in versions] == [1, 2]
    assert len(listed(capsys, "--journal", str(path))) == 2


def test_the_trend_and_the_plan_follow_from_the_sessions() -> None:
    """A month ago the right side folded 18 degrees less than the left; over the last 5
    sessions 12 less: the gap has closed 6. The plan: 30 s more on the right, and the fault
    shown longest lately is the one to watch."""
    day0 = datetime(2026, 3, 1, 7, tzinfo=timezone.utc)
    back, knee = ("rounded_back", "Lengthen your back", 20.0), ("bent_knee", "Straighten", 5.0)
    old = [made_up(day0 + timedelta(days=d), 40, 58, 30, (knee,)) for d in range(3)]
    new = [
        made_up(day0 + timedelta(days=35 + d), 40 + d, 52 + d, 45, (back, knee)) for d in range(5)
    ]
    words = trend_words(old + new)
    assert words == (
        "Your right side folds 12 degrees less than your left over the last 5 sessions; "
        "the gap has closed 6 degrees since last month."
    )
    plan = next_session(old + new)
    assert plan.longer_side == "right" and plan.targets == {"left": 45.0, "right": 75.0}
    assert plan.watch == "Lengthen your back"
    assert plan.words[0].startswith("Hold the right side 30 s longer: 75 s on the right")
    # Without the tighter side's history, an even plan from the band's low end.
    assert next_session([]).targets == {"left": 30.0, "right": 30.0}
    even = next_session([made_up(day0, 45, 46)])
    assert even.longer_side is None and even.words == ["Hold each side 40 s."]
    days = per_day(old + new)
    assert len(days) == 8 and days[-1]["fold_right"] == 56.0 and days[0]["hold_left"] == 30.0
    weeks = faults_per_week(old + new)
    assert sum(w.get("Lengthen your back", 0) for w in weeks.values()) == 100.0


def test_the_cli_says_what_is_wrong_without_a_traceback(
    tmp_path: Path, journal: Path, capsys
) -> None:
    with Journal(journal_place(str(journal))) as j:
        first = j.add(made_up(datetime(2026, 1, 1, tzinfo=timezone.utc), 40, 50))
        j.add(made_up(datetime(2026, 2, 1, tzinfo=timezone.utc), 41, 49))
    assert [e["id"] for e in listed(capsys, "--since", "2026-01-15")] != [first]
    assert len(listed(capsys, "--since", "2026-01-15")) == 1
    assert main(["journal", "show", str(first)]) == 0
    assert "left: held 40.0 s" in capsys.readouterr().out
    assert main(["journal", "show", "999"]) == 2
    assert "no session 999" in capsys.readouterr().err
    assert main(["journal", "delete", str(first)]) == 0
    assert [e["id"] for e in listed(capsys)] == [first + 1]
    assert main(["journal", "delete", str(first)]) == 2
    assert main(["journal", "show"]) == 2
    assert "needs the session's ID" in capsys.readouterr().err
    assert main(["journal", "export"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    assert main(["journal", "--journal", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot open the journal") and "Traceback" not in err


def test_the_journal_lives_in_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIGNMENT_JOURNAL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / "janu-alignment" / "journal.sqlite"
    assert journal_place() == f"sqlite:///{default_path()}"
    assert journal_place("postgresql+psycopg://me@studio/yoga") == (
        "postgresql+psycopg://me@studio/yoga"
    )
    monkeypatch.setenv("ALIGNMENT_JOURNAL", str(tmp_path / "elsewhere.sqlite"))
    assert journal_place() == f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"


def test_photos_are_kept_only_with_journal(
    tmp_path: Path, journal: Path, still, capsys: pytest.CaptureFixture[str]
) -> None:
    """`alignment image --journal`: each photo in the pose is kept, with its side, fold and
    faults as its record says (untimed); a file that is not a picture is not; without
    --journal, nothing. The plan for the next session reads no photo as a hold."""
    from shared_paths import SHARED

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.jpg", "b.jpg"):
        (photos / name).write_bytes((SHARED / "samples" / "images" / JANU).read_bytes())
    (photos / "broken.jpg").write_bytes(b"not a picture")
    assert main(["image", str(photos), "--quiet"]) == 1  # the broken file
    assert not journal.exists()

    results = tmp_path / "results.json"
    assert main(["image", str(photos), "--json", str(results), "--journal"]) == 1
    assert "Recorded 2 of 3 photos (those in the pose) in the journal" in capsys.readouterr().err
    records = {r["path"]: r for r in json.loads(results.read_text()) if not r["error"]}
    entries = listed(capsys)
    assert sorted(e["source_name"] for e in entries) == sorted(records)
    for entry in entries:
        record = records[entry["source_name"]]
        assert (entry["source"], entry["duration_s"], entry["partial"]) == ("photo", 0.0, False)
        [side] = entry["sides"]
        assert side["side"] == record["extended_leg"] and side["hold_seconds"] == 0.0
        assert side["typical_fold"] == record["metrics"][POSE.movement.measurement]
        assert [f["rule"] for f in entry["faults"]] == record["faults"]
        assert all(f["seconds"] == 0.0 for f in entry["faults"])
    with Journal(journal_place(str(journal))) as kept:
        photo_entries = kept.entries()
    # One timed session of 60 s a side: read as holds of 0 s, the two newer photos would
    # halve the median hold (and the targets) to 30 s.
    sessions = [made_up(datetime(2026, 11, 2, 8, tzinfo=timezone.utc), 130, 130, hold=60.0)]
    assert next_session(sessions).targets == {"left": 60.0, "right": 60.0}
    assert next_session(sessions + photo_entries).targets == {"left": 60.0, "right": 60.0}

    capsys.readouterr()
    args = ["image", str(photos), "--journal", "--ray", "--results", str(tmp_path / "r")]
    assert main(args) == 2
    assert "--journal keeps the photos of a run on this machine" in capsys.readouterr().err
