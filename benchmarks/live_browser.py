"""The Live page in a real browser: does it keep up with the camera, and for how many people?

`alignment app` serves on the loopback address; each user is a headless Chromium whose fake
camera plays a session clip built from the shared photos (Janu Sirsasana, the left leg
extended, then the same mirrored), 640x480 at the chosen frame rate, looping. Every camera
frame carries its index as a strip of black and white blocks at its left edge (the marker).

In the browser, a probe (an init script, in every frame of the page):
- reads the marker of each camera frame as the page's own camera track delivers it (a clone
  of the track the Live page gets from getUserMedia) and notes when;
- reads the marker of each frame the page shows (the processed video coming back), when it is
  presented (requestVideoFrameCallback);
so the camera-to-screen lag of a shown frame is the time it is shown minus the time the same
camera frame was delivered on the page. Both clocks are the page's own.

The analysed frames/s comes from the page's counter of analysed frames (its change over the
run), the stage costs from its "Speed" details. For each run it prints the median and 95th
percentile of the lag, its trend (the slope of a straight line through lag against time: a
growing lag shows as a positive slope), and the shown frames/s.

    python benchmarks/live_browser.py [--fps 15 30] [--users 1 2] [--seconds 120]
                                      [--shared ../shared] [--json out.json]

Timings depend on the machine and on what else runs on it: the script prints the load
average before and after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SIZE = (640, 480)
MARK_BITS = 12  # frame index modulo 4096, in binary
MARK_X, MARK_W = 4, 16  # the strip's left edge and width (pixels)
MARK_Y, MARK_H = 176, 10  # its top, and the height of one bit (pixels); clear of the banner
# The clips loop every 10 s, so a marker repeats: when the probe missed a camera frame, the
# shown frame would be matched with its twin of the loop before (a lag of ~10 s). Longer lags
# than this are counted as unread.
MAX_LAG_S = 4.0

QUIET_CHROMIUM = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]

PROBE = (
    """
(() => {
  if (window.__probe) return;
  const BITS = __BITS__, X = __X__, W = __W__, Y = __Y__, H = __H__;
  const probe = window.__probe = {camera: new Map(), lags: [], shown: 0, unread: 0,
                                  cameraFrames: 0, errors: [], sizes: {}};
  const canvas = new OffscreenCanvas(W, BITS * H);
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  function marker(source, width, height) {
    // The strip where the camera drew it, scaled if the picture was sent smaller (a browser
    // short of CPU lowers the resolution it sends).
    const sx = width / 640, sy = height / 480;
    ctx.clearRect(0, 0, W, BITS * H);
    ctx.drawImage(source, X * sx, Y * sy, W * sx, BITS * H * sy, 0, 0, W, BITS * H);
    const data = ctx.getImageData(0, 0, W, BITS * H).data;
    let index = 0;
    for (let bit = 0; bit < BITS; bit++) {
      const at = ((bit * H + (H >> 1)) * W + (W >> 1)) * 4;
      const luma = 0.299 * data[at] + 0.587 * data[at + 1] + 0.114 * data[at + 2];
      index = (index << 1) | (luma > 128 ? 1 : 0);
    }
    return index;
  }
  async function watchCamera(track) {
    const reader = new MediaStreamTrackProcessor({track}).readable.getReader();
    while (true) {
      const {value: frame, done} = await reader.read();
      if (done) return;
      try {
        probe.camera.set(marker(frame, frame.displayWidth, frame.displayHeight), performance.now());
        probe.cameraFrames++;
      }
      catch (e) { probe.errors.push(String(e)); }
      finally { frame.close(); }
    }
  }
  function watchShown(video) {
    if (video.__probed) return;
    video.__probed = true;
    const onFrame = (now, meta) => {
      try {
        const index = marker(video, video.videoWidth, video.videoHeight);
        probe.sizes[video.videoWidth + "x" + video.videoHeight] =
          (probe.sizes[video.videoWidth + "x" + video.videoHeight] || 0) + 1;
        const sent = probe.camera.get(index);
        const shownAt = meta.expectedDisplayTime || now;
        if (sent !== undefined && shownAt - sent >= -50 && shownAt - sent < __MAXLAG__) {
          probe.lags.push([performance.timeOrigin + shownAt, (shownAt - sent) / 1000, index]);
          probe.shown++;
        } else { probe.unread++; }
      } catch (e) { probe.errors.push(String(e)); }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  const media = navigator.mediaDevices;
  if (media && media.getUserMedia) {
    const original = media.getUserMedia.bind(media);
    media.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      const track = stream.getVideoTracks()[0];
      if (track) watchCamera(track.clone()).catch((e) => probe.errors.push(String(e)));
      return stream;
    };
  }
  setInterval(() => document.querySelectorAll('video').forEach(watchShown), 200);
})();
""".replace("__BITS__", str(MARK_BITS))
    .replace("__X__", str(MARK_X))
    .replace("__W__", str(MARK_W))
)
PROBE = PROBE.replace("__Y__", str(MARK_Y)).replace("__H__", str(MARK_H))
PROBE = PROBE.replace("__MAXLAG__", str(round(MAX_LAG_S * 1000)))


def mark(rgb: np.ndarray, index: int) -> np.ndarray:
    """The frame with `index` (mod 2**MARK_BITS) drawn as the marker strip, top bit first."""
    out = rgb.copy()
    for bit in range(MARK_BITS):
        on = (index >> (MARK_BITS - 1 - bit)) & 1
        y = MARK_Y + bit * MARK_H
        out[y : y + MARK_H, MARK_X : MARK_X + MARK_W] = 255 if on else 0
    return out


def build_marked_clip(
    path: Path, fps: float, shared: Path, seconds_per_side: float, sides: str = "left right"
) -> None:
    """The session clip with the marker: the photo (left leg extended) and/or its mirror image
    (right leg), `seconds_per_side` each."""
    from alignment.io.video import VideoWriter
    from alignment.testing.clips import Shot, iter_clip_frames

    janu = shared / "samples" / "images" / "janu" / "y82ukr_30.jpg"
    shots = [Shot(janu, seconds_per_side, mirror=side == "right") for side in sides.split()]
    with VideoWriter(path, fps, *SIZE) as writer:
        for i, (_, rgb) in enumerate(iter_clip_frames(shots, fps=fps, size=SIZE)):
            writer.write(mark(rgb, i))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(shared: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "ALIGNMENT_MODEL": str(shared / "models"), "GLOG_minloglevel": "2"}
    env.pop("ALIGNMENT_ICE_SERVERS", None)
    cmd = [sys.executable, "-m", "alignment.cli.main", "app", "--port", str(port)]
    cmd += ["--address", "127.0.0.1"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    stop_app(proc)
    raise SystemExit(f"the app did not start:\n{log.read_text()}")


def stop_app(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def frames_analysed(text: str) -> int | None:
    found = re.findall(r"Analysed (\d+) frames?", text)
    return int(found[-1]) if found else None


def stage_costs(text: str) -> dict[str, float]:
    """The page's "Speed per frame" line: `stage 1.2 ms` pairs."""
    line = next((x for x in text.splitlines() if x.startswith("Speed per frame")), "")
    return {k: float(v) for k, v in re.findall(r"\b([a-z]+) ([\d.]+) ms\b", line)}


def holds(text: str) -> dict[str, int]:
    return {
        side: int(m.group(1))
        for side in ("Left", "Right")
        if (m := re.search(rf"{side} leg extended: hold(?: \(target \d+ s\))?\s+(\d+) s", text))
    }


class User:
    """One Chromium with its own fake camera, on the Live page."""

    def __init__(self, pw, url: str, clip: Path) -> None:  # noqa: ANN001 - playwright
        self.browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={clip}",
                *QUIET_CHROMIUM,
            ],
        )
        self.page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.add_init_script(PROBE)
        self.page.goto(url, wait_until="domcontentloaded")
        self.page.get_by_role("heading", name="Live").wait_for(timeout=60_000)
        self.webrtc = self.page.frame_locator("iframe[title*='webrtc_streamer']")
        self.webrtc.get_by_role("button", name=re.compile(r"^start$", re.I)).wait_for(
            timeout=60_000
        )
        self.frames0: int | None = None
        self.t0 = 0.0

    def start(self) -> None:
        self.webrtc.get_by_role("button", name=re.compile(r"^start$", re.I)).click()

    def text(self) -> str:
        return self.page.inner_text("body")

    def probe(self) -> dict:
        for frame in self.page.frames:
            try:
                found = frame.evaluate(
                    "() => window.__probe && window.__probe.cameraFrames ? {lags: window.__probe"
                    ".lags, shown: window.__probe.shown, unread: window.__probe.unread, camera:"
                    " window.__probe.cameraFrames, errors: window.__probe.errors, sizes: "
                    "window.__probe.sizes} : null"
                )
            except Exception:  # noqa: BLE001 - a frame navigating away
                continue
            if found:
                return found
        return {"lags": [], "shown": 0, "unread": 0, "camera": 0, "errors": [], "sizes": {}}

    def close(self) -> None:
        self.browser.close()


def trend(points: list[tuple[float, float]]) -> float:
    """Slope (s of lag per minute) of a least-squares line through (time, lag)."""
    if len(points) < 10:
        return float("nan")
    t = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    slope = np.polyfit(t - t[0], y, 1)[0]
    return float(slope * 60)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def run(url: str, clips: list[Path], seconds: float, warmup: float) -> list[dict]:
    """One Chromium per clip, all on the Live page at once, streaming for `seconds` after
    `warmup`; one result per user."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        people = [User(pw, url, clip) for clip in clips]
        try:
            for person in people:
                person.start()
            deadline = time.monotonic() + 90
            while any(not frames_analysed(p.text()) for p in people):
                if time.monotonic() > deadline:
                    raise SystemExit("the stream did not start:\n" + people[0].text())
                time.sleep(0.5)
            time.sleep(warmup)
            for person in people:
                person.frames0, person.t0 = frames_analysed(person.text()), time.monotonic()
                person.lag_from = time.time() * 1000
            rates: list[list[float]] = [[] for _ in people]
            costs: list[list[dict]] = [[] for _ in people]
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                time.sleep(5)
                for i, person in enumerate(people):
                    text = person.text()
                    rate = re.search(r"(\d+) of (\d+) frames/s", text)
                    if rate:
                        rates[i].append(float(rate.group(1)))
                    costs[i].append(stage_costs(text))
            for i, person in enumerate(people):
                text = person.text()
                frames = frames_analysed(text) or 0
                elapsed = time.monotonic() - person.t0
                probe = person.probe()
                lags = [(t / 1000, lag) for t, lag, _ in probe["lags"] if t >= person.lag_from]
                values = [lag for _, lag in lags]
                span = (lags[-1][0] - lags[0][0]) if len(lags) > 1 else 0.0
                stage = {}
                for key in {k for c in costs[i] for k in c}:
                    stage[key] = statistics.median(c[key] for c in costs[i] if key in c)
                results.append(
                    {
                        "user": i + 1,
                        "clip": clips[i].stem,
                        "analysed_fps": (frames - (person.frames0 or 0)) / elapsed,
                        "shown_fps": len(lags) / span if span else 0.0,
                        "lag_median_s": _median(values),
                        "lag_p95_s": float(np.percentile(values, 95)) if values else None,
                        "lag_max_s": max(values) if values else None,
                        "lag_trend_s_per_min": trend(lags),
                        "lag_first_20s": _median([v for t, v in lags if t - lags[0][0] < 20]),
                        "lag_last_20s": _median([v for t, v in lags if lags[-1][0] - t < 20]),
                        "page_rate_median": _median(rates[i]),
                        "holds": holds(text),
                        "stage_ms": stage,
                        "unread_markers": probe["unread"],
                        "shown_sizes": probe["sizes"],
                        "probe_errors": probe["errors"][:3],
                    }
                )
        finally:
            for person in people:
                person.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fps", type=float, nargs="+", default=[15, 30])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_app(args.shared, Path(tmp) / "app.log")
        try:
            for fps in args.fps:
                # One user: both sides in turn. Two users: one holds the left side only, the
                # other the right side only, so that crosstalk would show in the hold timers.
                clips = {}
                for name, sides, seconds in (
                    ("both", "left right", 5),
                    ("left", "left", 10),
                    ("right", "right", 10),
                ):
                    clips[name] = Path(tmp) / f"{name}_{fps:g}fps.y4m"
                    build_marked_clip(clips[name], fps, args.shared, seconds, sides)
                for users in args.users:
                    chosen = [clips["both"]] if users == 1 else [clips["left"], clips["right"]]
                    chosen = (chosen * users)[:users]
                    load_before = os.getloadavg()[0]
                    what = f"camera {fps:g} fps, {users} user(s), {args.seconds:g} s"
                    print(what + f" (load {load_before:.1f}) ...", flush=True)
                    for result in run(url, chosen, args.seconds, args.warmup):
                        result.update(
                            camera_fps=fps,
                            users=users,
                            load_before=load_before,
                            load_after=os.getloadavg()[0],
                        )
                        rows.append(result)
                        print(json.dumps(result), flush=True)
        finally:
            stop_app(proc)
    print()
    print(
        "| camera | users | user (clip) | analysed frames/s | shown frames/s | lag median "
        "| lag p95 | lag first / last 20 s | trend | load before / after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    nan = float("nan")
    for r in rows:
        print(
            f"| {r['camera_fps']:g} fps | {r['users']} | {r['user']} ({r['clip']}) "
            f"| {r['analysed_fps']:.1f} | {r['shown_fps']:.1f} "
            f"| {r['lag_median_s'] or nan:.2f} s | {r['lag_p95_s'] or nan:.2f} s "
            f"| {r['lag_first_20s'] or nan:.2f} / {r['lag_last_20s'] or nan:.2f} s "
            f"| {r['lag_trend_s_per_min']:+.3f} s/min "
            f"| {r['load_before']:.1f} / {r['load_after']:.1f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
