"""Names and defaults every layer shares, written once: environment variables, the default
pose, level and the analysis rate of videos (the presets' defaults are in
alignment/estimators/presets.py). Plain constants; importing this module does nothing else."""

from __future__ import annotations

import signal

# Environment variables.
MODEL_ENV = "ALIGNMENT_MODEL"  # a model file, or a folder holding the model files
RULES_ENV = "ALIGNMENT_RULES"  # a folder of rule files (default: the ones shipped)
POSE_ENV = "ALIGNMENT_POSE"  # the app's pose
LEVEL_ENV = "ALIGNMENT_LEVEL"  # the app's level
QUALITY_ENV = "ALIGNMENT_QUALITY"  # the app's preset for photos
VIDEO_QUALITY_ENV = "ALIGNMENT_VIDEO_QUALITY"  # the app's preset for recorded videos
ICE_ENV = "ALIGNMENT_ICE_SERVERS"  # STUN/TURN servers for the live page (JSON)
NATIVE_LOGS_ENV = "ALIGNMENT_NATIVE_LOGS"  # "1": let the models' C++ logging through

# The app's upload limit, in MB (Streamlit's server.maxUploadSize; its own default, 200 MB, is
# under 2 minutes of 1080p phone video). A 10-minute 1080p phone video is about 1.3 GB. The
# upload is held in the server's memory while it arrives (Streamlit keeps it there), then
# copied to a temporary file and analysed from disk.
MAX_UPLOAD_MB = 2048

DEFAULT_POSE = "janu_sirsasana"
LEVELS = ("gentle", "standard", "strict")
DEFAULT_LEVEL = "standard"
# Analyses a second of a recorded video, whatever its frame rate (the CLI's --rate, the Video
# page's default): a yoga hold lasts 30 s to minutes. At 5 a second, `balanced` runs 2 to 2.7
# times faster than real time on 2 quiet cores, its segment boundaries within 0.15 s and its
# hold times within 0.07 s of an every-frame run; at 10 a second, 1.1 to 1.2 times
# (benchmarks/video_rate.py, README "Speed and memory").
DEFAULT_RATE_HZ = 5.0

# The signals that stop long work cleanly, keeping what was done: Ctrl-C, `kill`, the terminal
# closing (the CLI's commands, Ray batches).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# The practice journal (alignment/journal): a path or an SQLAlchemy URL.
JOURNAL_ENV = "ALIGNMENT_JOURNAL"
JOURNAL_OFF_ENV = "ALIGNMENT_NO_JOURNAL"  # "1": the app's journal switch starts off
# The hold the sources ask for on each side (004 FAQ): 30 to 90 seconds.
HOLD_TARGET_S = (30.0, 90.0)
