"""`alignment app`: run the Streamlit app (headless) as a child process and wait for it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from alignment.model import ENV_VAR as MODEL_ENV_VAR

POSE_ENV_VAR = "ALIGNMENT_POSE"
LEVEL_ENV_VAR = "ALIGNMENT_LEVEL"
MAIN_SCRIPT = Path(__file__).resolve().with_name("main.py")


def streamlit_command(port: int, address: str) -> list[str]:
    """The `streamlit run` command line: headless, no telemetry, no file watching."""
    return [
        sys.executable, "-m", "streamlit", "run", str(MAIN_SCRIPT),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", address,
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--logger.level", "warning",
    ]


def app_environment(model: Path, pose: str, level: str) -> dict[str, str]:
    """The environment of the app process: the resolved model, the pose and the level."""
    env = dict(os.environ)
    env[MODEL_ENV_VAR] = str(model)
    env[POSE_ENV_VAR] = pose
    env[LEVEL_ENV_VAR] = level
    env.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def launch(port: int, address: str, model: Path, pose: str, level: str) -> int:
    """Start the app on address:port and return its exit code. SIGTERM and Ctrl-C are passed
    on to the app, so stopping this process stops the server too."""
    scheme = "https" if os.environ.get("STREAMLIT_SERVER_SSL_CERT_FILE") else "http"
    print(f"Starting the app on {scheme}://{address}:{port} (Ctrl-C to stop)", file=sys.stderr)
    proc = subprocess.Popen(streamlit_command(port, address),
                            env=app_environment(model, pose, level))

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
