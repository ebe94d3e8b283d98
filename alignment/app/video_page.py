"""Video page: upload a recorded session; get the annotated video, the plot, the summary and
the downloads. The analysis is `alignment.pipeline.video.analyse_video`; results are kept in
st.session_state so reruns (a click on a download button, say) do not recompute."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import streamlit as st

from alignment.app import common
from alignment.core.rules import PoseRules
from alignment.estimators.presets import PRESETS, open_estimator
from alignment.pipeline.video import MIN_RATE_HZ, VideoError, analyse_video, save_outputs
from alignment.settings import DEFAULT_RATE_HZ

VIDEO_TYPES = ("mp4", "mov", "webm", "mkv", "avi")
RESULT_KEY = "video_result"
UPLOAD_KEY = "video_upload"


@dataclass
class VideoPageResult:
    """One analysed upload, as shown and offered for download."""

    key: tuple
    name: str
    summary: dict[str, Any] | None = None
    video: bytes | None = None  # annotated H.264 mp4
    plot: bytes | None = None  # png
    csv: bytes | None = None
    json: bytes | None = None
    error: str | None = None


def _stem(name: str) -> str:
    return Path(name).stem or "session"


class _ProgressFeed:
    """Feeds st.progress from analyse_video's on_progress (the frames read, of the number
    expected), at most ~5 updates a second."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text="Reading the video...")
        self.last = 0.0

    def __call__(self, done: int, total: int | None, fps: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and not (total and done >= total):
            return
        self.last = now
        if total:
            self.bar.progress(
                min(done / total, 1.0),
                text=f"Analysing: frame {done} of {total} ({fps:.0f} frames/s read)",
            )
        else:
            self.bar.progress(
                (done % 100) / 100, text=f"Analysing: frame {done} ({fps:.0f} frames/s read)"
            )


def analyse_upload(
    name: str, upload: BinaryIO, key: tuple, ready: common.Ready, level: str, rate: float
) -> VideoPageResult:
    """Run the video pipeline on an upload, in a temporary folder removed afterwards. The
    upload is copied there a megabyte at a time (never a second whole copy in memory) and
    analysed from disk."""
    result = VideoPageResult(key=key, name=name)
    pose = ready.video_pose or ready.pose
    workdir = Path(tempfile.mkdtemp(prefix="alignment-video-"))
    try:
        src = workdir / f"upload{Path(name).suffix.lower()}"
        upload.seek(0)
        with open(src, "wb") as copy:
            shutil.copyfileobj(upload, copy, 1 << 20)
        out = workdir / "annotated.mp4"
        feed = _ProgressFeed()
        try:
            with open_estimator(
                ready.video_quality, "video", ready.video_models, allow_download=False
            ) as estimator:
                analysed = analyse_video(
                    src, pose, estimator, level, rate, out=out, on_progress=feed
                )
        except VideoError as exc:
            reason = str(exc).replace(f"{src}: ", "").replace(str(src), name)
            result.error = (
                f"{name}: this is not a video I can read ({reason}). Upload an "
                f"{', '.join(VIDEO_TYPES[:-1])} or {VIDEO_TYPES[-1]} file."
            )
            return result
        finally:
            feed.bar.empty()
        summary = analysed.summary
        summary["video"]["path"] = name
        result.summary = summary
        result.video = out.read_bytes() if analysed.video_written else None
        files = {kind: workdir / f"{kind}.{kind}" for kind in ("json", "csv", "png")}
        problems = save_outputs(analysed, pose, level, files["json"], files["csv"], files["png"])
        result.error = "; ".join(problems) or None
        result.json, result.csv, result.plot = (
            files[k].read_bytes() if files[k].exists() else None for k in ("json", "csv", "png")
        )
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        common.release_memory()  # the decoder's and encoder's buffers, hundreds of MB


def upload_limit_text() -> str:
    """The upload limit in force (server.maxUploadSize), e.g. "2 GB" or "200 MB"."""
    megabytes = int(st.get_option("server.maxUploadSize"))
    return f"{megabytes / 1024:g} GB" if megabytes % 1024 == 0 else f"{megabytes} MB"


def show_result(result: VideoPageResult, pose: PoseRules) -> None:
    """The annotated video and the plot, the summary, then the downloads."""
    summary = result.summary
    if summary is None:
        st.error(result.error or "The video could not be analysed.")
        return
    if result.error:
        st.warning(result.error)
    left, right = st.columns(2)
    if result.video:
        left.markdown("**Annotated video**")
        left.video(result.video, format="video/mp4")
    if result.plot:
        right.markdown("**Measurements over time**")
        right.image(
            result.plot,
            caption="Measurements while in the pose (dotted and faint where no rule could "
            "judge them); dashed lines are the rule bounds at this level; shading marks the "
            "segments.",
        )
    st.subheader("Session summary")
    common.render_summary(summary, pose)
    stem = _stem(result.name)
    downloads = [
        ("Download the summary (JSON)", result.json, "summary.json", "application/json"),
        ("Download the per-frame timeline (CSV)", result.csv, "timeline.csv", "text/csv"),
        ("Download the annotated video (MP4)", result.video, "annotated.mp4", "video/mp4"),
    ]
    for col, (label, data, name, mime) in zip(st.columns(3), downloads, strict=True):
        if data:
            col.download_button(
                label, data, file_name=f"{stem}_{name}", mime=mime, on_click="ignore"
            )


def render() -> None:
    """The Video page."""
    started = common.page_start("Video")
    if started is None:
        return
    ready, level = started
    st.caption(
        f"Analyse a recorded practice session of {ready.pose.name} (level: {level}; models: "
        f"{ready.video_quality}, {PRESETS[ready.video_quality].description}). "
        "Film side-on, with the whole body in the picture."
    )
    pick, speed = st.columns([4, 1])
    limit = upload_limit_text()
    upload = pick.file_uploader(
        f"A video ({', '.join(VIDEO_TYPES)}), up to {limit}",
        key=UPLOAD_KEY,
        help=f"Analysed on the computer running the app. Files up to {limit} are taken (a "
        "10-minute 1080p phone video is about 1.3 GB); a bigger one is refused: shorten it, "
        "or analyse it with `alignment video`, which has no limit.",
    )
    rate = float(
        speed.number_input(
            "Analyses a second",
            min_value=MIN_RATE_HZ,
            max_value=120.0,
            value=DEFAULT_RATE_HZ,
            step=1.0,
            format="%g",
            help="Whatever the video's frame rate. The annotated video keeps every frame and "
            "shows the last analysis in between; at or above the video's frame rate, every "
            "frame is analysed (slower, and hardly different for a pose held for seconds).",
        )
    )
    if upload is None:
        st.info(f"Upload a video to analyse it (up to {limit}).")
        return
    key = (
        upload.file_id,
        upload.name,
        upload.size,
        level,
        rate,
        ready.video_quality,
        ready.pose.id,
    )
    result: VideoPageResult | None = st.session_state.get(RESULT_KEY)
    if result is None or result.key != key:
        st.session_state.pop(RESULT_KEY, None)  # free the previous video first
        result = analyse_upload(upload.name, upload, key, ready, level, rate)
        st.session_state[RESULT_KEY] = result
    show_result(result, ready.video_pose or ready.pose)
