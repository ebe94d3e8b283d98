"""Names and defaults every layer shares, written once: environment variables, the default
pose, level and quality preset. Plain constants; importing this module does nothing else."""

from __future__ import annotations

# Environment variables.
MODEL_ENV = "ALIGNMENT_MODEL"  # a model file, or a folder holding the model files
RULES_ENV = "ALIGNMENT_RULES"  # a folder of rule files (default: the ones shipped)
POSE_ENV = "ALIGNMENT_POSE"  # the app's pose
LEVEL_ENV = "ALIGNMENT_LEVEL"  # the app's level
QUALITY_ENV = "ALIGNMENT_QUALITY"  # the app's preset for photos and videos
ICE_ENV = "ALIGNMENT_ICE_SERVERS"  # STUN/TURN servers for the live page (JSON)
NATIVE_LOGS_ENV = "ALIGNMENT_NATIVE_LOGS"  # "1": let the models' C++ logging through

DEFAULT_POSE = "janu_sirsasana"
LEVELS = ("gentle", "standard", "strict")
DEFAULT_LEVEL = "standard"
