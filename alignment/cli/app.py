"""`alignment app`: run the Streamlit app (headless) as a child process and wait for it."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from alignment.cli.native_logs import QUIET_NATIVE_ENV, without_native_logs
from alignment.core.rules import PoseRules
from alignment.estimators.presets import model_files
from alignment.settings import (
    JOURNAL_ENV,
    JOURNAL_OFF_ENV,
    LEVEL_ENV,
    MAX_UPLOAD_MB,
    MODEL_ENV,
    POSE_ENV,
    QUALITY_ENV,
    VIDEO_QUALITY_ENV,
)

MAIN_SCRIPT = Path(__file__).resolve().parents[1] / "app" / "main.py"


def streamlit_command(port: int, address: str) -> list[str]:
    """The `streamlit run` command line: headless, no telemetry, no file watching, uploads up
    to MAX_UPLOAD_MB (a long phone video)."""
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
        "--server.maxUploadSize",
        str(MAX_UPLOAD_MB),
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--logger.level",
        "warning",
    ]


def app_environment(
    models: list[Path],
    pose: str,
    level: str,
    quality: str,
    video_quality: str,
    verbose: bool = False,
) -> dict[str, str]:
    """The environment of the app process: the resolved model files, the pose, the level and
    the presets for photos and for videos."""
    env = dict(os.environ)
    env[MODEL_ENV] = os.pathsep.join(str(m) for m in models)
    env[POSE_ENV] = pose
    env[LEVEL_ENV] = level
    env[QUALITY_ENV] = quality
    env[VIDEO_QUALITY_ENV] = video_quality
    if not verbose:
        for name, value in QUIET_NATIVE_ENV.items():
            env.setdefault(name, value)
    return env


def launch(args: argparse.Namespace, pose: PoseRules) -> int:
    """Start the app on --address:--port and return its exit code. Every model the app needs
    is found (or downloaded) first. SIGTERM and Ctrl-C are passed on to the app, and SIGHUP
    (the terminal closed) as SIGTERM, so stopping this process stops the server too."""
    models = [
        path
        for quality in (args.quality, args.live_quality, args.video_quality)
        for path in model_files(quality, args.model)
    ]
    port, address = args.port, args.address
    scheme = "https" if os.environ.get("STREAMLIT_SERVER_SSL_CERT_FILE") else "http"
    print(f"Starting the app on {scheme}://{address}:{port} (Ctrl-C to stop)", file=sys.stderr)
    env = app_environment(
        list(dict.fromkeys(models)),
        args.pose,
        args.level,
        args.quality,
        args.video_quality,
        args.verbose,
    )
    if args.journal:
        env[JOURNAL_ENV] = args.journal
    if args.no_journal:
        env[JOURNAL_OFF_ENV] = "1"
    # The app's log, without the pose libraries' own lines (unless --verbose).
    proc = subprocess.Popen(
        streamlit_command(port, address),
        env=env,
        stderr=sys.stderr if args.verbose else subprocess.PIPE,
        text=True,
        errors="backslashreplace",
    )
    if proc.stderr is not None:
        threading.Thread(
            target=without_native_logs, args=(proc.stderr, sys.stderr), daemon=True
        ).start()

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM if signum == signal.SIGHUP else signum)

    # SIGHUP (the terminal closed) stops the app as SIGTERM does.
    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGHUP)}
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
        for signum, handler in previous.items():
            signal.signal(signum, handler)
