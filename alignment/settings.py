"""Names and defaults every layer shares, written once: environment variables, the default
pose, level and the analysis rate of videos (the presets' defaults are in
alignment/estimators/presets.py). Plain constants; importing this module does nothing else."""

from __future__ import annotations

# Environment variables.
MODEL_ENV = "ALIGNMENT_MODEL"  # a model file, or a folder holding the model files
RULES_ENV = "ALIGNMENT_RULES"  # a folder of rule files (default: the ones shipped)
POSE_ENV = "ALIGNMENT_POSE"  # the app's pose
LEVEL_ENV = "ALIGNMENT_LEVEL"  # the app's level
QUALITY_ENV = "ALIGNMENT_QUALITY"  # the app's preset for photos
VIDEO_QUALITY_ENV = "ALIGNMENT_VIDEO_QUALITY"  # the app's preset for recorded videos
ICE_ENV = "ALIGNMENT_ICE_SERVERS"  # STUN/TURN servers for the live page (JSON)
NATIVE_LOGS_ENV = "ALIGNMENT_NATIVE_LOGS"  # "1": let the models' C++ logging through

DEFAULT_POSE = "janu_sirsasana"
LEVELS = ("gentle", "standard", "strict")
DEFAULT_LEVEL = "standard"
# Analyses a second of a recorded video, whatever its frame rate (the CLI's --rate, the Video
# page's default): a yoga hold lasts 30 s to minutes, and 10 a second keep its segments and hold
# times within a tenth of a second or so of an every-frame run (benchmarks/video_speed.py).
DEFAULT_RATE_HZ = 10.0

# The practice journal (alignment/journal): a path or an SQLAlchemy URL.
JOURNAL_ENV = "ALIGNMENT_JOURNAL"
JOURNAL_OFF_ENV = "ALIGNMENT_NO_JOURNAL"  # "1": the app's journal switch starts off
# The hold the sources ask for on each side (004 FAQ): 30 to 90 seconds.
HOLD_TARGET_S = (30.0, 90.0)
