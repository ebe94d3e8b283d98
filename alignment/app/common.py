"""What the pages share: settings from the environment, cached resources, the summary view.

No streamlit-webrtc here: the Video and Photos pages must run without it.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from alignment.app.lifecycle import close_at_exit
from alignment.detector import PoseDetector
from alignment.model import ENV_VAR as MODEL_ENV_VAR
from alignment.model import ModelNotFoundError, resolve_model
from alignment.rules import DEFAULT_LEVEL, LEVELS, PoseRules, RuleFileError, load_pose
from alignment.video_cli import summary_text

POSE_ENV_VAR = "ALIGNMENT_POSE"
LEVEL_ENV_VAR = "ALIGNMENT_LEVEL"
ICE_ENV_VAR = "ALIGNMENT_ICE_SERVERS"
DEFAULT_POSE = "janu_sirsasana"
LEVEL_KEY = "level"  # st.session_state key of the level chosen in the sidebar
LEVEL_HELP = ("How strict the bounds are: gentle for beginners or stiff days, strict for "
              "experienced practitioners.")


@dataclass(frozen=True)
class Settings:
    """What the app was started with (see `alignment app`)."""

    model: Path | None
    pose: PoseRules | None
    level: str
    ice_servers: list[dict[str, Any]]
    error: str | None = None  # why the app cannot analyse anything, for the user


@dataclass(frozen=True)
class Ready:
    """Usable settings: a model file and a pose."""

    model: Path
    pose: PoseRules
    ice_servers: list[dict[str, Any]]


def parse_ice_servers(raw: str | None) -> list[dict[str, Any]]:
    """ICE servers (STUN/TURN) for WebRTC from JSON: a list of RTCIceServer objects, e.g.
    `[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]`.
    Empty or unset: none (fine on the same machine or the same network)."""
    if not raw or not raw.strip():
        return []
    value = json.loads(raw)
    if isinstance(value, dict):
        value = value.get("iceServers", [value])
    if not isinstance(value, list) or not all(
            isinstance(s, dict) and "urls" in s for s in value):
        raise ValueError(f"${ICE_ENV_VAR} must be a JSON list of objects with 'urls'")
    return value


@st.cache_resource(show_spinner=False)
def _load_settings(model_env: str, pose_name: str, level: str, ice_env: str) -> Settings:
    problems = []
    level = level if level in LEVELS else DEFAULT_LEVEL
    try:
        pose: PoseRules | None = load_pose(pose_name)
    except RuleFileError as exc:
        pose = None
        problems.append(str(exc))
    try:
        model: Path | None = resolve_model(model_env or None, allow_download=False)
    except (ModelNotFoundError, ValueError) as exc:
        model = None
        problems.append(str(exc))
    try:
        ice_servers = parse_ice_servers(ice_env)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        ice_servers = []
        problems.append(f"${ICE_ENV_VAR}: {exc}")
    return Settings(model, pose, level, ice_servers, "; ".join(problems) or None)


def settings() -> Settings:
    """The settings from the environment (set by `alignment app`)."""
    return _load_settings(os.environ.get(MODEL_ENV_VAR, ""),
                          os.environ.get(POSE_ENV_VAR, "") or DEFAULT_POSE,
                          os.environ.get(LEVEL_ENV_VAR, "") or DEFAULT_LEVEL,
                          os.environ.get(ICE_ENV_VAR, ""))


def current_level() -> str:
    """The level chosen in the sidebar, else the one the app was started with."""
    level = st.session_state.get(LEVEL_KEY)
    return level if level in LEVELS else settings().level


def ready() -> Ready | None:
    """The model and the pose when both are usable; otherwise shows why and returns None."""
    current = settings()
    if current.model is None or current.pose is None:
        st.error(f"The app cannot analyse anything: {current.error}")
        return None
    if current.error:  # e.g. a bad $ALIGNMENT_ICE_SERVERS: say so, go on
        st.warning(current.error)
    return Ready(current.model, current.pose, current.ice_servers)


def page_start(title: str) -> tuple[Ready, str] | None:
    """Every page's opening: its title, then the model, pose and level it works with (None,
    with the reason shown, when the app cannot analyse anything)."""
    st.title(title)
    current = ready()
    return None if current is None else (current, current_level())


class ImageDetector:
    """One image-mode PoseDetector shared by all sessions; `lock` serialises its use."""

    def __init__(self, model: Path) -> None:
        self.detector = PoseDetector(model, mode="image")
        self.lock = threading.Lock()
        close_at_exit(self)

    def close(self) -> None:
        if self.lock.acquire(timeout=5):
            try:
                self.detector.close()
            finally:
                self.lock.release()


@st.cache_resource(show_spinner="Loading the pose model...")
def image_detector(model: str) -> ImageDetector:
    """The shared photo detector for this model file (closed at exit)."""
    return ImageDetector(Path(model))


def side_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One table row per side: hold time, fold, knee, score and faults."""
    rows = []
    for side, stats in summary["sides"].items():
        knee = stats.get("extended_knee_angle")
        rows.append({
            "extended leg": side,
            "hold (s)": stats["hold_seconds"],
            "in pose (s)": stats["in_pose_seconds"],
            "typical fold, hip angle (deg)": stats["typical_fold_hip_flexion"],
            "best fold (deg)": stats["best_fold_hip_flexion"],
            "straight knee (deg)": knee["typical"] if knee else None,
            "typical score": stats["typical_score"],
            "faults (s)": ", ".join(f"{k} {v:.1f}" for k, v in stats["faults"].items()) or "-",
        })
    return rows


def fault_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"fault": f["rule"], "seconds": f["seconds"], "first seen (s)": f["first_seen_s"],
             "by side": ", ".join(f"{k} {v:.1f}s" for k, v in f["by_side"].items()),
             "cue": f["cue"], "correction": f["correction"]}
            for f in summary["faults"]]


def render_summary(summary: dict[str, Any]) -> None:
    """The session summary: warnings, hold time per side, asymmetry, faults, full text."""
    for warning in summary.get("warnings", []):
        st.warning(f"Warning: {warning}.")
    sides = summary["sides"]
    cols = st.columns(3)
    cols[0].metric("Left leg extended: held", f"{sides['left']['hold_seconds']:.1f} s")
    cols[1].metric("Right leg extended: held", f"{sides['right']['hold_seconds']:.1f} s")
    cols[2].metric("Frames analysed", summary["frames_analysed"])
    st.dataframe(side_rows(summary), hide_index=True)
    asym = summary.get("asymmetry")
    if asym:
        st.info(f"**Asymmetry:** {asym['note']}")
    if summary["faults"]:
        st.markdown("**Faults, longest first**")
        st.dataframe(fault_rows(summary), hide_index=True)
    else:
        st.success("No lasting faults seen.")
    with st.expander("Full summary (text)"):
        st.code(summary_text(summary), language=None)
