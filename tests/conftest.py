"""Shared test fixtures: where ../shared is, and skipping cleanly without it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from shared_paths import SHARED


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "samples" / "labels.csv").exists():
        pytest.skip(f"needs the shared photos and models at {SHARED} (not present)")
    return SHARED


@pytest.fixture(scope="session")
def model_file(shared_dir: Path) -> Path:
    path = shared_dir / "models" / "pose_landmarker_full.task"
    if not path.exists():
        pytest.skip(f"needs the pose model at {path}")
    return path


@pytest.fixture(scope="session", autouse=True)
def journal_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every `alignment video` a test runs records into a journal under the test's temporary
    folder, never into the real home folder (also for module-scoped fixtures, hence the
    session scope and os.environ)."""
    path = tmp_path_factory.mktemp("journal") / "journal.sqlite"
    before = os.environ.get("ALIGNMENT_JOURNAL")
    os.environ["ALIGNMENT_JOURNAL"] = str(path)
    yield path
    if before is None:
        os.environ.pop("ALIGNMENT_JOURNAL", None)
    else:
        os.environ["ALIGNMENT_JOURNAL"] = before


@pytest.fixture
def still(monkeypatch: pytest.MonkeyPatch):
    """The CLI's pose model: a stand-in that sees y82ukr_30's skeleton in every picture."""
    from fakes import StillEstimator, recorded

    estimator = StillEstimator(recorded("janu/y82ukr_30.jpg"))
    for module in ("alignment.cli.image", "alignment.cli.video"):
        monkeypatch.setattr(f"{module}.open_estimator", lambda *a, **k: estimator)
    return estimator
