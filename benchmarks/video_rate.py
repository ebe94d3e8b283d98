"""Recorded videos at the pace of the practice: `analyse_video` end to end at the default rate
(10 analyses a second) against the every-frame run, per preset, in one run.

Videos (written to a temporary folder; nothing is written into the repository):
  clip      a 640x480, 30 fps session clip built from the shared Janu photos;
  real 30   a real 1280x720 video from ../shared/samples/videos at its own 29.97 fps;
  real 60   the same video at 60 fps (each frame shown twice, re-encoded with the project's
            writer): ../shared holds no 60 fps video, and decoding twice the frames is what a
            60 fps phone video costs.

For each preset and video it prints the real-time factor (the video's duration over the
wall time, the models' loading included: what a user waits) of the sampled run (median of
`--repeat` runs, interleaved with the other videos), of one sampled run writing the annotated
video (`--out`), and of the every-frame run (once), and how far the sampled run's summary is
from the every-frame one: the largest difference of a segment boundary and of a side's hold
time (the segments must be of the same kinds in the same order), and the share of the wall
time spent decoding every frame (measured alone, without the analysis).

    python benchmarks/video_rate.py [--quality fast balanced accurate] [--repeat 3]
                                    [--rate 10 5 4] [--shared ../shared] [--video NAME]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from video_speed import session_shots

from alignment.estimators.presets import QUALITIES, VIDEO_QUALITY, open_estimator
from alignment.io.rule_files import load_pose
from alignment.io.video import FrameReader, VideoWriter
from alignment.pipeline.video import analyse_video
from alignment.settings import DEFAULT_RATE_HZ
from alignment.testing.clips import build_clip

ROOT = Path(__file__).resolve().parents[1]
REAL = "cgusti_warrior2_correct_5.mp4"  # 3.8 s of 1280x720 at 29.93 fps (160 frames declared)
TARGET_SPEED = 1.5  # x real time, end to end, for the default preset
TARGET_AGREEMENT_S = 0.5  # hold times and segment boundaries against the every-frame run


def double_rate(source: Path, dest: Path) -> None:
    """`source` at twice its frame rate: every frame shown twice, at its time and half a frame
    period later."""
    with FrameReader(source) as reader:
        fps = reader.info.fps
        writer = None
        for frame in reader:
            if writer is None:
                height, width = frame.rgb.shape[:2]
                writer = VideoWriter(dest, 2 * fps, width, height)
            writer.write(frame.rgb, frame.time_s)
            writer.write(frame.rgb, frame.time_s + 0.5 / fps)
        assert writer is not None
        writer.close()


def decode_seconds(path: Path) -> float:
    """Decoding every frame, none converted to RGB (what a frame not analysed costs)."""
    started = time.perf_counter()
    with FrameReader(path) as reader:
        for _ in reader:
            pass
    return time.perf_counter() - started


def run(
    path: Path, quality: str, models: Path, rate: float | None, out: Path | None = None
) -> tuple[float, float, dict[str, Any]]:
    """(seconds loading the models, seconds analysing: decoding, the models, the analysis,
    the summary and any annotated video, the summary)."""
    pose = load_pose("janu_sirsasana", quality)
    started = time.perf_counter()
    with open_estimator(quality, "video", [models], allow_download=False) as estimator:
        loaded = time.perf_counter()
        result = analyse_video(path, pose, estimator, rate=rate, out=out)
        done = time.perf_counter()
    return loaded - started, done - loaded, result.summary


def segments_text(summary: dict[str, Any]) -> str:
    return ", ".join(
        f"{s['kind']}/{s['extended_leg'] or '-'} {s['start']:.2f}-{s['end']:.2f}"
        for s in summary["segments"]
    )


def agreement(sampled: dict[str, Any], every: dict[str, Any]) -> tuple[float | None, float]:
    """(largest segment boundary difference, or None when the segments are not the same kinds
    in the same order; largest hold time difference), in seconds."""
    a, b = sampled["segments"], every["segments"]
    kinds = [(s["kind"], s["extended_leg"]) for s in a]
    boundaries = None
    if kinds == [(s["kind"], s["extended_leg"]) for s in b]:
        boundaries = max(
            (abs(x[k] - y[k]) for x, y in zip(a, b, strict=True) for k in ("start", "end")),
            default=0.0,
        )
    sides = set(sampled["sides"]) | set(every["sides"])
    hold = max(
        (
            abs(
                sampled["sides"].get(s, {}).get("hold_seconds", 0.0)
                - every["sides"].get(s, {}).get("hold_seconds", 0.0)
            )
            for s in sides
        ),
        default=0.0,
    )
    return boundaries, hold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--quality", nargs="+", default=list(QUALITIES), choices=QUALITIES)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length (default 10)")
    parser.add_argument("--video", default=REAL, help=f"a file in samples/videos ({REAL})")
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[DEFAULT_RATE_HZ],
        help=f"analyses a second to compare with every frame (default {DEFAULT_RATE_HZ:g})",
    )
    args = parser.parse_args()
    os.environ.setdefault("GLOG_minloglevel", "2")
    models = args.shared / "models"
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="video_rate_") as tmp_name:
        tmp = Path(tmp_name)
        videos = {"clip 640x480 30 fps": tmp / "clip.mp4"}
        build_clip(
            session_shots(args.shared / "samples" / "images", args.seconds),
            videos["clip 640x480 30 fps"],
            fps=30.0,
            size=(640, 480),
        )
        real = args.shared / "samples" / "videos" / args.video
        videos["real 1280x720 30 fps"] = real
        videos["real 1280x720 60 fps"] = tmp / "real60.mp4"
        double_rate(real, videos["real 1280x720 60 fps"])
        durations, decoding = {}, {}
        for name, path in videos.items():
            with FrameReader(path) as reader:
                durations[name] = (reader.info.duration_s, reader.info.fps)
            decoding[name] = statistics.median(decode_seconds(path) for _ in range(3))
            print(f"{name}: {durations[name][0]:.1f} s at {durations[name][1]:.2f} fps; "
                  f"decoding every frame {decoding[name]:.2f} s", file=sys.stderr)  # fmt: skip
        print(f"{os.cpu_count()} CPUs; load average before: {load_before[0]:.1f}", file=sys.stderr)

        rows = []
        for quality in args.quality:
            sampled: dict[tuple[float, str], list[float]] = {
                (rate, name): [] for rate in args.rate for name in videos
            }
            loading: list[float] = []
            summaries: dict[tuple[float, str], dict] = {}
            for _ in range(args.repeat):  # interleaved: the load changes over minutes
                for rate in args.rate:
                    for name, path in videos.items():
                        load, seconds, summaries[rate, name] = run(path, quality, models, rate)
                        sampled[rate, name].append(seconds)
                        loading.append(load)
                        print(f"  {quality} {name} {rate:g}/s: {seconds:.1f} s "
                              f"(+ {load:.1f} s loading the models)", file=sys.stderr)  # fmt: skip
            load = statistics.median(loading)
            for name, path in videos.items():
                _, every, every_summary = run(path, quality, models, None)
                print(f"  {quality} {name}: every frame {every:.1f} s", file=sys.stderr)
                for rate in args.rate:
                    with_out = None
                    if rate == args.rate[0]:
                        _, with_out, _ = run(path, quality, models, rate, tmp / "out.mp4")
                    summary = summaries[rate, name]
                    boundaries, hold = agreement(summary, every_summary)
                    if boundaries is None or boundaries > 0.2 or hold > 0.2:
                        print(f"    {rate:g}/s:  {segments_text(summary)}", file=sys.stderr)
                        print(f"    every: {segments_text(every_summary)}", file=sys.stderr)
                    duration = durations[name][0]
                    median = statistics.median(sampled[rate, name])
                    print(f"    {rate:g}/s: x real time {duration / median:.2f} (every frame "
                          f"{duration / every:.2f}); vs every frame: boundaries {boundaries}, "
                          f"hold {hold:.2f} s", file=sys.stderr)  # fmt: skip
                    rows.append(
                        {
                            "preset": quality,
                            "rate": rate,
                            "video": name,
                            "sampled": duration / median,
                            "loaded": duration / (median + load),
                            "load": load,
                            "runs": ", ".join(f"{duration / s:.2f}" for s in sampled[rate, name]),
                            "out": duration / with_out if with_out else None,
                            "every": duration / every,
                            "decode": decoding[name] / median,
                            "boundaries": boundaries,
                            "hold": hold,
                            "segments": len(summary["segments"]),
                            "frames": (
                                summary["frames_analysed"],
                                every_summary["frames_analysed"],
                            ),
                        }
                    )
    load_after = os.getloadavg()

    print()
    print(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; x real time = "
          "video duration / wall time of analyse_video (decoding, models, analysis); median "
          f"of {args.repeat}")  # fmt: skip
    print()
    print(
        "| preset | rate | video | x real time | each run | + loading the models | with --out "
        "| every frame | decoding's share | frames analysed (sampled, every) | segments "
        "| boundaries vs every frame | hold time vs every frame |"
    )
    print(
        "| --- | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"
    )
    for r in rows:
        bounds = "differ" if r["boundaries"] is None else f"{r['boundaries']:.2f} s"
        out = "–" if r["out"] is None else f"{r['out']:.2f}"
        print(
            f"| {r['preset']} | {r['rate']:g}/s | {r['video']} | {r['sampled']:.2f} | {r['runs']} "
            f"| {r['loaded']:.2f} ({r['load']:.1f} s) | {out} "
            f"| {r['every']:.2f} | {r['decode']:.0%} | {r['frames'][0]}, {r['frames'][1]} "
            f"| {r['segments']} | {bounds} | {r['hold']:.2f} s |"
        )
    for r in rows:
        if r["preset"] != VIDEO_QUALITY or r["rate"] != DEFAULT_RATE_HZ:
            continue
        misses = []
        if r["sampled"] < TARGET_SPEED:
            misses.append(f"{r['sampled']:.2f}x real time (target {TARGET_SPEED})")
        if r["boundaries"] is None or r["boundaries"] > TARGET_AGREEMENT_S:
            misses.append("segment boundaries")
        if r["hold"] > TARGET_AGREEMENT_S:
            misses.append("hold time")
        print(f"{VIDEO_QUALITY} at {DEFAULT_RATE_HZ:g}/s (the defaults), {r['video']}: "
              + ("all targets met" if not misses else "MISSED " + "; ".join(misses)))  # fmt: skip


if __name__ == "__main__":
    main()
