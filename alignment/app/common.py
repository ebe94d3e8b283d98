"""What the pages share: settings from the environment, cached resources, the summary view.

The app uses the pipeline and the presentation layers only. No streamlit-webrtc here: the
Video and Photos pages must run without it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from alignment.core.rules import PoseRules, RuleFileError
from alignment.estimators.lifecycle import close_at_exit
from alignment.estimators.presets import (
    LIVE_QUALITY,
    PHOTO_QUALITY,
    QUALITIES,
    VIDEO_QUALITY,
    model_files,
    open_estimator,
)
from alignment.io.models import ModelNotFoundError
from alignment.io.rule_files import load_pose
from alignment.pipeline.photo import PhotoChecker
from alignment.pipeline.video import Summary
from alignment.present.style import STATUS_MARKDOWN_COLOURS
from alignment.present.text import summary_text
from alignment.present.words import (
    NOT_KNOWN,
    cell,
    measurement_name,
    measurement_value,
    rule_names,
    status_label,
)
from alignment.settings import (
    DEFAULT_LEVEL,
    DEFAULT_POSE,
    ICE_ENV,
    LEVEL_ENV,
    LEVELS,
    MODEL_ENV,
    POSE_ENV,
    QUALITY_ENV,
    VIDEO_QUALITY_ENV,
)

LEVEL_KEY = "level"  # st.session_state key of the level chosen (kept across pages)
LIVE_STREAMING_KEY = "live_streaming"  # the Live page's camera was on when last drawn
LIVE_LEFT_KEY = "live_left_while_streaming"  # its last session ended when the page was left
LEVEL_HELP = (
    "How strict the bounds are: gentle for beginners or stiff days, strict for experienced "
    "practitioners."
)


@dataclass(frozen=True)
class Settings:
    """What the app was started with (see `alignment app`)."""

    models: list[Path]  # every model file the app uses (shown in the sidebar)
    pose: PoseRules | None  # with the bounds of the photo preset
    live_pose: PoseRules | None  # with the bounds of the live preset
    level: str
    quality: str  # the preset for photos
    ice_servers: list[dict[str, Any]]
    error: str | None = None  # why the app cannot analyse anything, for the user
    # The files of each preset the app uses (each preset is opened with its own files).
    preset_models: dict[str, list[Path]] = field(default_factory=dict)
    video_quality: str = VIDEO_QUALITY  # the preset for recorded videos, as the CLI's
    video_pose: PoseRules | None = None  # with the bounds of the video preset


@dataclass(frozen=True)
class Ready:
    """Usable settings: the model files and a pose."""

    models: list[Path]  # the files of `quality` (photos and videos)
    pose: PoseRules
    live_pose: PoseRules
    quality: str
    ice_servers: list[dict[str, Any]]
    live_models: list[Path] = field(default_factory=list)  # the files of LIVE_QUALITY
    video_quality: str = VIDEO_QUALITY  # the Video page's preset
    video_models: list[Path] = field(default_factory=list)  # its files
    video_pose: PoseRules | None = None  # with its bounds


def release_memory() -> None:
    """Give freed memory back to the system. After a video, the decoder's frames and the
    encoder's buffers are freed but glibc keeps the pages, so the server stays hundreds of MB
    bigger after each upload; malloc_trim returns them. Elsewhere (not glibc) only gc runs."""
    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass


def parse_ice_servers(raw: str | None) -> list[dict[str, Any]]:
    """ICE servers (STUN/TURN) for WebRTC from JSON: a list of RTCIceServer objects, e.g.
    `[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]`.
    Empty or unset: none (fine on the same machine or the same network)."""
    if not raw or not raw.strip():
        return []
    value = json.loads(raw)
    if isinstance(value, dict):
        value = value.get("iceServers", [value])
    if not isinstance(value, list) or not all(isinstance(s, dict) and "urls" in s for s in value):
        raise ValueError(f"${ICE_ENV} must be a JSON list of objects with 'urls'")
    return value


@st.cache_resource(show_spinner=False)
def _load_settings(
    model_env: str,
    pose_name: str,
    level: str,
    quality: str,
    ice_env: str,
    video_quality: str = VIDEO_QUALITY,
) -> Settings:
    problems = []
    level = level if level in LEVELS else DEFAULT_LEVEL
    quality = quality if quality in QUALITIES else PHOTO_QUALITY
    video_quality = video_quality if video_quality in QUALITIES else VIDEO_QUALITY
    try:
        pose: PoseRules | None = load_pose(pose_name, quality)
        live_pose: PoseRules | None = load_pose(pose_name, LIVE_QUALITY)
        video_pose: PoseRules | None = load_pose(pose_name, video_quality)
    except RuleFileError as exc:
        pose = live_pose = video_pose = None
        problems.append(str(exc))
    models: list[Path] = []
    preset_models: dict[str, list[Path]] = {}
    try:
        paths = [p for p in model_env.split(os.pathsep) if p]
        for preset in dict.fromkeys((quality, LIVE_QUALITY, video_quality)):
            preset_models[preset] = model_files(preset, paths, allow_download=False)
            models += preset_models[preset]
    except (ModelNotFoundError, ValueError) as exc:
        models, preset_models = [], {}
        problems.append(str(exc))
    try:
        ice_servers = parse_ice_servers(ice_env)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        ice_servers = []
        problems.append(f"${ICE_ENV}: {exc}")
    return Settings(
        list(dict.fromkeys(models)),
        pose,
        live_pose,
        level,
        quality,
        ice_servers,
        "; ".join(problems) or None,
        preset_models,
        video_quality,
        video_pose,
    )


def settings() -> Settings:
    """The settings from the environment (set by `alignment app`)."""
    return _load_settings(
        os.environ.get(MODEL_ENV, ""),
        os.environ.get(POSE_ENV, "") or DEFAULT_POSE,
        os.environ.get(LEVEL_ENV, "") or DEFAULT_LEVEL,
        os.environ.get(QUALITY_ENV, "") or PHOTO_QUALITY,
        os.environ.get(ICE_ENV, ""),
        os.environ.get(VIDEO_QUALITY_ENV, "") or VIDEO_QUALITY,
    )


def level_selector(place: str) -> str:
    """The level, chosen on the page (under its title, or in the Live page's panel). The
    choice is kept under LEVEL_KEY: a widget's own state is dropped on a page that does not
    show it, and the selector sits elsewhere on the Live page."""
    widget = f"{LEVEL_KEY}_{place}"

    def keep() -> None:
        st.session_state[LEVEL_KEY] = st.session_state[widget]

    return st.selectbox(
        "Level",
        LEVELS,
        index=LEVELS.index(current_level()),
        key=widget,
        on_change=keep,
        help=LEVEL_HELP,
    )


def current_level() -> str:
    """The level chosen on a page, else the one the app was started with."""
    level = st.session_state.get(LEVEL_KEY)
    return level if level in LEVELS else settings().level


def ready() -> Ready | None:
    """The models and the pose when all are usable; otherwise shows why and returns None."""
    current = settings()
    if (
        not current.models
        or current.pose is None
        or current.live_pose is None
        or current.video_pose is None
    ):
        st.error(f"The app cannot analyse anything: {current.error}")
        return None
    if current.error:  # e.g. a bad $ALIGNMENT_ICE_SERVERS: say so, go on
        st.warning(current.error)
    return Ready(
        current.preset_models[current.quality],
        current.pose,
        current.live_pose,
        current.quality,
        current.ice_servers,
        current.preset_models[LIVE_QUALITY],
        current.video_quality,
        current.preset_models[current.video_quality],
        current.video_pose,
    )


def page_start(title: str, show_level: bool = True) -> tuple[Ready, str] | None:
    """Every page's opening: its title, the level (on the page itself, so that a phone's
    collapsed sidebar never hides it; the Live page places its own), then the models, pose and
    level it works with (None, with the reason shown, when the app cannot analyse anything)."""
    st.title(title)
    if show_level:
        with st.columns([1, 3])[0]:
            level_selector("page")
    current = ready()
    return None if current is None else (current, current_level())


def status_badge(status: str) -> str:
    """A status in its colour, as Streamlit markdown."""
    return f":{STATUS_MARKDOWN_COLOURS.get(status, 'gray')}[{status_label(status)}]"


class SharedPhotoEstimator:
    """One image-mode estimator shared by all viewers; `lock` serialises its use."""

    def __init__(self, quality: str, models: list[Path]) -> None:
        self.estimator = open_estimator(quality, "image", models, allow_download=False)
        self.lock = threading.Lock()
        close_at_exit(self)

    def checker(self, pose: PoseRules, level: str) -> PhotoChecker:
        return PhotoChecker(self.estimator, pose, level)

    def close(self) -> None:
        if self.lock.acquire(timeout=5):
            try:
                self.estimator.close()
            finally:
                self.lock.release()


@st.cache_resource(show_spinner="Loading the pose models...")
def photo_estimator(quality: str, models: tuple[str, ...]) -> SharedPhotoEstimator:
    """The shared photo estimator for this preset (closed at exit)."""
    return SharedPhotoEstimator(quality, [Path(m) for m in models])


def side_rows(summary: Summary, pose: PoseRules) -> list[dict[str, Any]]:
    """One table row per side: hold time, the main movement, the other measurements, score and
    faults."""
    rows = []
    for side, stats in summary["sides"].items():
        row: dict[str, Any] = {
            "side": pose.side_name(side) if pose.has_sides else "in the pose",
            "hold (s)": stats["hold_seconds"],
            "in pose (s)": stats["in_pose_seconds"],
        }
        for name, spread in stats["measurements"].items():
            typical = spread["typical"] if spread else None
            row[f"{measurement_name(name)}, typical"] = measurement_value(name, typical)
        row["typical score"] = cell(stats["typical_score"])
        row["corrections (s)"] = (
            ", ".join(
                f"{name} {seconds:.1f}"
                for name, seconds in zip(
                    rule_names(pose, stats["faults"]), stats["faults"].values(), strict=True
                )
            )
            or NOT_KNOWN
        )
        rows.append(row)
    return rows


def fault_rows(summary: Summary, pose: PoseRules) -> list[dict[str, Any]]:
    return [
        {
            "correction needed": rule_names(pose, [f["rule"]])[0],
            "seconds": f["seconds"],
            "first seen (s)": f["first_seen_s"],
            "by side": ", ".join(f"{k} {v:.1f}s" for k, v in f["by_side"].items()),
            "cue": f["cue"],
            "correction": f["correction"],
        }
        for f in summary["faults"]
    ]


def render_summary(summary: Summary, pose: PoseRules) -> None:
    """The session summary: warnings, hold time per side, asymmetry, faults, full text."""
    for warning in summary.get("warnings", []):
        st.warning(f"Warning: {warning}.")
    sides = summary["sides"]
    cols = st.columns(len(sides) + 1)
    for col, (side, stats) in zip(cols, sides.items(), strict=False):
        title = pose.side_name(side).capitalize() if pose.has_sides else "In the pose"
        col.metric(f"{title}: held", f"{stats['hold_seconds']:.1f} s")
    cols[-1].metric("Frames analysed", summary["frames_analysed"])
    st.dataframe(side_rows(summary, pose), hide_index=True)
    asym = summary.get("asymmetry")
    if asym:
        st.info(f"**Asymmetry:** {asym['note']}")
    if summary["faults"]:
        st.markdown("**Faults, longest first**")
        # A static table: the cues and corrections wrap at a phone's width.
        st.table(fault_rows(summary, pose), hide_index=True, border="horizontal")
    elif summary.get("in_pose"):
        st.success("No lasting faults seen.")
    else:
        st.info(f"Not seen in {pose.name}, so nothing was judged.")
    with st.expander("Full summary (text)"):
        st.code(summary_text(summary, pose), language=None)
