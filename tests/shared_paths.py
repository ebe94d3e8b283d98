"""Where the project and ../shared are, for every test file (one place)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def require(path: Path) -> Path:
    """The path under ../shared, or skip the test saying what is missing."""
    if not path.exists():
        pytest.skip(f"needs the shared material: {path} not found")
    return path
