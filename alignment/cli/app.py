"""`alignment app`: run the Streamlit app (headless) as a child process and wait for it."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from alignment.core.rules import PoseRules
from alignment.estimators.presets import model_files
from alignment.settings import (
    JOURNAL_ENV,
    JOURNAL_OFF_ENV,
    LEVEL_ENV,
    MODEL_ENV,
    POSE_ENV,
    QUALITY_ENV,
    VIDEO_QUALITY_ENV,
)

MAIN_SCRIPT = Path(__file__).resolve().parents[1] / "app" / "main.py"


def streamlit_command(port: int, address: str) -> list[str]:
    """The `streamlit run` command line: headless, no telemetry, no file watching."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(MAIN_SCRIPT),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--logger.level",
        "warning",
    ]


def app_environment(
    models: list[Path], pose: str, level: str, quality: str, video_quality: str
) -> dict[str, str]:
    """The environment of the app process: the resolved model files, the pose, the level and
    the presets for photos and for videos."""
    env = dict(os.environ)
    env[MODEL_ENV] = os.pathsep.join(str(m) for m in models)
    env[POSE_ENV] = pose
    env[LEVEL_ENV] = level
    env[QUALITY_ENV] = quality
    env[VIDEO_QUALITY_ENV] = video_quality
    env.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def launch(args: argparse.Namespace, pose: PoseRules) -> int:
    """Start the app on --address:--port and return its exit code. Every model the app needs
    is found (or downloaded) first. SIGTERM and Ctrl-C are passed on to the app, so stopping
    this process stops the server too."""
    models = [
        path
        for quality in (args.quality, args.live_quality, args.video_quality)
        for path in model_files(quality, args.model)
    ]
    port, address = args.port, args.address
    scheme = "https" if os.environ.get("STREAMLIT_SERVER_SSL_CERT_FILE") else "http"
    print(f"Starting the app on {scheme}://{address}:{port} (Ctrl-C to stop)", file=sys.stderr)
    env = app_environment(
        list(dict.fromkeys(models)), args.pose, args.level, args.quality, args.video_quality
    )
    if args.journal:
        env[JOURNAL_ENV] = args.journal
    if args.no_journal:
        env[JOURNAL_OFF_ENV] = "1"
    proc = subprocess.Popen(streamlit_command(port, address), env=env)

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                # The terminal sent SIGINT to the whole group; the app is shutting down too.
                forward(signal.SIGINT, None)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
