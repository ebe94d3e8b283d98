"""What each stage of the live frame path costs, one frame at a time, 640x480.

The frames are a session clip built from the shared photos (Janu Sirsasana, left leg, then
mirrored), with camera shake and sensor noise. Per frame, in the order the live page runs them:

  decode     VP8 decoding of the camera frame (aiortc's decoder; the browser sends VP8)
  convert    the decoded frame to RGB (av `to_ndarray`)
  model      the pose model of the live preset, video mode
  analysis   session tracker (smoothing, rules, feedback) and the view to draw
  draw       the overlay drawn on the frame (`present.overlay.draw_frame`; text tiles cached)
  back       the drawn RGB frame back into a video frame (av `from_ndarray`)
  encode     VP8 encoding of the frame going back (aiortc's encoder, with its conversion
             to 4:2:0)

Every camera frame pays decode, convert, draw, back and encode; only analysed frames pay the
model and the analysis. Prints medians and 90th percentiles (ms) and the load average.

    python benchmarks/live_stages.py [--seconds 10] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()

    from aiortc.codecs import get_decoder, get_encoder
    from aiortc.codecs.vpx import vp8_depayload
    from aiortc.jitterbuffer import JitterFrame
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters

    from alignment.estimators.presets import LIVE_QUALITY, open_estimator
    from alignment.io.rule_files import load_pose
    from alignment.present.overlay import draw_frame, frame_view
    from alignment.session.tracker import SessionTracker
    from alignment.testing.clips import Shot, iter_clip_frames

    janu = args.shared / "samples" / "images" / "janu" / "y82ukr_30.jpg"
    half = args.seconds / 2
    shots = [Shot(janu, half), Shot(janu, half, mirror=True)]
    frames = [rgb for _, rgb in iter_clip_frames(shots, fps=30)]
    pose = load_pose(quality=LIVE_QUALITY)
    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    camera_encoder, decoder, encoder = get_encoder(codec), get_decoder(codec), get_encoder(codec)
    estimator = open_estimator(LIVE_QUALITY, "video", [args.shared / "models"], False)
    tracker = SessionTracker(pose)
    costs: dict[str, list[float]] = {}

    def timed(stage: str, fn, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        started = time.perf_counter()
        out = fn(*a, **kw)
        costs.setdefault(stage, []).append((time.perf_counter() - started) * 1000)
        return out

    load = os.getloadavg()[0]
    try:
        for i, rgb in enumerate(frames):
            camera = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            camera.pts, camera.time_base = i * 3000, Fraction(1, 90000)
            payloads, stamp = camera_encoder.encode(camera, i == 0)  # the browser's part
            data = b"".join(vp8_depayload(p) for p in payloads)
            decoded = timed("decode", decoder.decode, JitterFrame(data=data, timestamp=stamp))[0]
            frame = timed("convert", decoded.to_ndarray, format="rgb24")
            skeleton = timed("model", estimator.detect, frame, i / 30)
            live = timed("analysis", tracker.update, i / 30, skeleton)
            view = frame_view(live.verdict, live.feedback, live.skeleton, pose, live.hold_s)
            drawn = timed("draw", draw_frame, frame, view)
            out = timed("back", av.VideoFrame.from_ndarray, drawn, format="rgb24")
            out.pts, out.time_base = camera.pts, camera.time_base
            timed("encode", encoder.encode, out, i == 0)
    finally:
        estimator.close()
    print(f"{len(frames)} frames, 640x480; load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"model: {estimator.name}")
    print("| stage | median (ms) | p90 (ms) |")
    print("|---|---|---|")
    for stage, values in costs.items():
        values = values[10:]  # warm-up
        p90 = sorted(values)[int(len(values) * 0.9)]
        print(f"| {stage} | {statistics.median(values):.2f} | {p90:.2f} |")


if __name__ == "__main__":
    main()
