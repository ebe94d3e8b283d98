"""Rule files on disk: where the poses live, reading one, and the bounds fitted per preset
beside it (rules/fitted/). What a file may say, and what it means, is core.rules'."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alignment.core.rules import PoseRules, RuleFileError, parse_rules, with_fitted_bounds
from alignment.settings import DEFAULT_POSE, RULES_ENV

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_toml(path: Path) -> dict:
    """A rule file's (or a fitted-bounds file's) contents; RuleFileError when unreadable."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleFileError(f"{path}: rule file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"{path}: not valid TOML: {exc}") from None


def load_rules(path: str | os.PathLike) -> PoseRules:
    """Load and validate one rule file."""
    return parse_rules(read_toml(Path(path)), str(path))


def rules_dir() -> Path:
    """$ALIGNMENT_RULES, else the copy installed with the package (a regular install), else
    the project's own rules/ folder (a source checkout or an editable install)."""
    if os.environ.get(RULES_ENV):
        return Path(os.environ[RULES_ENV])
    package = Path(__file__).resolve().parents[1]
    installed = package / "bundled_rules"
    if installed.is_dir():
        return installed
    return package.parent / "rules"


def available_poses() -> list[str]:
    return sorted(p.stem for p in rules_dir().glob("*.toml"))


def load_pose(name_or_path: str = DEFAULT_POSE, quality: str | None = None) -> PoseRules:
    """A pose by name (a file in rules_dir()) or by path to a rule file. With `quality`, the
    bounds fitted for that preset (fitted/<pose>.toml beside the rule file) replace the rule
    file's own for the requirements marked `fitted`."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        raise RuleFileError(f"{candidate}: is a folder; give a rule file (.toml) or a pose name")
    if candidate.suffix != ".toml" and not candidate.exists():
        candidate = rules_dir() / f"{name_or_path}.toml"
        if not candidate.exists():
            raise RuleFileError(
                f"{candidate}: no rule file for pose {name_or_path!r}; "
                f"known: {', '.join(available_poses())}"
            )
    pose = load_rules(candidate)
    fitted = candidate.parent / "fitted" / candidate.name
    if quality is None or not fitted.exists():
        return pose
    return with_fitted_bounds(pose, read_toml(fitted), str(fitted), quality)
