"""How much the video analysis costs on top of the pose model itself.

On the same frames (a 640x480, 30 fps session clip built from the shared photos, decoded into
memory first so that decoding does not blur the comparison) it times:

  (a) the preset's models alone (video mode), fusion included, on every frame;
  (b) the analysis without writing video: (a) + SessionTracker.update + the summary;
  (c) with the annotated video: (b) + the overlay + VideoWriter (H.264 .mp4);

and, on the .mp4 file itself, decoding alone (FrameReader) and `analyse_video` end to end
(decode + (b), and decode + (c) with `out=`), whose speed over the clip's 30 fps is the
real-time factor (every frame analysed: `benchmarks/video_rate.py` times the default
rate). Each is run `--repeat` times, interleaved; the fastest run counts. Prints a
markdown table; nothing is written into the repository.

    python benchmarks/video_speed.py [--quality fast balanced] [--seconds 20] [--repeat 2]
                                     [--shared ../shared] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from alignment.estimators.base import PoseEstimator
from alignment.estimators.presets import QUALITIES, open_estimator
from alignment.io.rule_files import load_pose
from alignment.io.video import FrameReader, VideoWriter
from alignment.pipeline.video import analyse_video
from alignment.present.overlay import draw_frame, frame_view
from alignment.session.tracker import SessionTracker
from alignment.testing.clips import Shot, build_clip

ROOT = Path(__file__).resolve().parents[1]
FPS = 30.0
SIZE = (640, 480)
TARGETS = {"b/a": 1.10, "c/a": 1.5}


def session_shots(images: Path, seconds: float) -> list[Shot]:
    """Dandasana, Janu (left leg), Dandasana mirrored, Janu mirrored (right leg): 3:7:3:7."""
    dandasana = images / "other" / "y82ukr_dandasana_1.jpg"
    janu = images / "janu" / "y82ukr_30.jpg"
    unit = seconds / 20.0
    return [
        Shot(dandasana, 3 * unit),
        Shot(janu, 7 * unit),
        Shot(dandasana, 3 * unit, mirror=True),
        Shot(janu, 7 * unit, mirror=True),
    ]


def decode_all(path: Path) -> list[tuple[float, np.ndarray]]:
    with FrameReader(path) as reader:
        return [(frame.time_s, frame.rgb) for frame in reader]


# --------------------------------------------------------------------------- the stages


# Each stage returns a function that does the work once and returns the perf_counter() time
# at which its timing starts (after loading the model, for the in-memory stages).
Stage = Callable[[], float]


def stage_decode(path: Path) -> Stage:
    def run() -> float:
        started = time.perf_counter()
        with FrameReader(path) as reader:
            for frame in reader:
                frame.rgb  # noqa: B018 - converted to RGB, as an analysed frame is
        return started

    return run


def open_preset(quality: str, models: Path) -> PoseEstimator:
    return open_estimator(quality, "video", [models], allow_download=False)


def stage_models(frames: list, quality: str, models: Path) -> Stage:
    def run() -> float:
        with open_preset(quality, models) as estimator:
            started = time.perf_counter()
            for time_s, rgb in frames:
                estimator.detect(rgb, time_s)
        return started

    return run


def stage_analysis(frames: list, quality: str, models: Path) -> Stage:
    pose = load_pose("janu_sirsasana", quality)

    def run() -> float:
        tracker = SessionTracker(pose)
        with open_preset(quality, models) as estimator:
            started = time.perf_counter()
            for time_s, rgb in frames:
                tracker.update(time_s, estimator.detect(rgb, time_s))
            tracker.finish()
            tracker.summary()
        return started

    return run


def stage_annotated(frames: list, quality: str, models: Path, out: Path) -> Stage:
    pose = load_pose("janu_sirsasana", quality)

    def run() -> float:
        tracker = SessionTracker(pose)
        with (
            open_preset(quality, models) as estimator,
            VideoWriter(out, FPS, SIZE[0], SIZE[1]) as writer,
        ):
            started = time.perf_counter()
            for time_s, rgb in frames:
                live = tracker.update(time_s, estimator.detect(rgb, time_s))
                view = frame_view(live.verdict, live.feedback, live.skeleton, pose, live.hold_s)
                writer.write(draw_frame(rgb, view), time_s)
            tracker.finish()
            tracker.summary()
        return started  # closing the writer (flushing the encoder) is counted

    return run


def stage_end_to_end(path: Path, quality: str, models: Path, out: Path | None) -> Stage:
    pose = load_pose("janu_sirsasana", quality)

    def run() -> float:
        started = time.perf_counter()
        with open_preset(quality, models) as estimator:  # model load included: what users wait
            analyse_video(path, pose, estimator, rate=None, out=out)  # every frame
        return started

    return run


def timed(run: Stage) -> float:
    started = run()
    return time.perf_counter() - started


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--quality", nargs="+", default=["fast", "balanced"], choices=QUALITIES)
    parser.add_argument("--seconds", type=float, default=20.0, help="clip length (default 20)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile stage (c) once and print the top functions",
    )
    args = parser.parse_args()
    os.environ.setdefault("GLOG_minloglevel", "2")

    with tempfile.TemporaryDirectory(prefix="video_speed_") as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "session.mp4"
        build_clip(
            session_shots(args.shared / "samples" / "images", args.seconds),
            clip,
            fps=FPS,
            size=SIZE,
        )
        frames = decode_all(clip)
        n = len(frames)
        print(
            f"clip: {n} frames, {SIZE[0]}x{SIZE[1]}, {FPS:g} fps, {n / FPS:.1f} s; "
            f"{os.cpu_count()} CPUs; best of {args.repeat}",
            file=sys.stderr,
        )
        rows = []
        models = args.shared / "models"
        for variant in args.quality:
            stages = {
                "decode only (FrameReader)": stage_decode(clip),
                "(a) the models alone": stage_models(frames, variant, models),
                "(b) + session analysis": stage_analysis(frames, variant, models),
                "(c) + annotated H.264 video": stage_annotated(
                    frames, variant, models, tmp / "out.mp4"
                ),
                "analyse_video end to end (decode + b)": stage_end_to_end(
                    clip, variant, models, None
                ),
                "analyse_video with --out (decode + c)": stage_end_to_end(
                    clip, variant, models, tmp / "out2.mp4"
                ),
            }
            best: dict[str, float] = {}
            for _ in range(args.repeat):
                for name, run in stages.items():
                    seconds = timed(run)
                    best[name] = min(best.get(name, float("inf")), seconds)
                    print(f"  {variant:4s} {name:40s} {n / seconds:7.1f} frames/s", file=sys.stderr)
            base = best["(a) the models alone"]
            for name, seconds in best.items():
                ratio = f"{seconds / base:.2f}" if name[:3] in ("(a)", "(b)", "(c)") else ""
                rows.append(
                    (variant, name, n / seconds, 1000 * seconds / n, ratio, n / seconds / FPS)
                )
            ratios = {
                "b/a": best["(b) + session analysis"] / base,
                "c/a": best["(c) + annotated H.264 video"] / base,
            }
            e2e = n / best["analyse_video end to end (decode + b)"] / FPS
            checks = [
                f"{k} = {v:.2f} (target <= {TARGETS[k]})" + ("" if v <= TARGETS[k] else "  MISSED")
                for k, v in ratios.items()
            ]
            checks.append(
                f"end to end {e2e:.2f}x real time (target > 1)" + ("" if e2e > 1 else "  MISSED")
            )
            print(f"{variant}: " + "; ".join(checks), file=sys.stderr)
            if args.profile:
                profile(stages["(c) + annotated H.264 video"])

    print()
    print("| preset | stage | frames/s | ms/frame | vs (a) | x real time (30 fps) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for variant, name, fps, ms, ratio, rt in rows:
        print(f"| {variant} | {name} | {fps:.1f} | {ms:.1f} | {ratio} | {rt:.2f} |")


def profile(run: Stage) -> None:
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(18)
    print(out.getvalue(), file=sys.stderr)


if __name__ == "__main__":
    main()
