"""Shared test fixtures: where ../shared is, and skipping cleanly without it."""

from __future__ import annotations

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
