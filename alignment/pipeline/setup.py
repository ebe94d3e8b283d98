"""What a front end needs before any frame: the pose's rules, the models behind each preset,
and the errors that say what is missing. The app imports these from here, so it depends on the
pipeline alone."""

from __future__ import annotations

from alignment.core.rules import PoseRules, RuleFileError
from alignment.estimators.base import PoseEstimator
from alignment.estimators.lifecycle import close_at_exit
from alignment.estimators.presets import (
    LIVE_QUALITY,
    PHOTO_QUALITY,
    PRESETS,
    QUALITIES,
    VIDEO_QUALITY,
    model_files,
    open_estimator,
)
from alignment.io.models import ModelNotFoundError
from alignment.io.rule_files import load_pose

__all__ = [
    "LIVE_QUALITY",
    "PHOTO_QUALITY",
    "PRESETS",
    "QUALITIES",
    "VIDEO_QUALITY",
    "ModelNotFoundError",
    "PoseEstimator",
    "PoseRules",
    "RuleFileError",
    "close_at_exit",
    "load_pose",
    "model_files",
    "open_estimator",
]
