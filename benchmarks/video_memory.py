"""Peak memory of `alignment video` on a 1-minute and a 10-minute video: does it stay flat?

Builds a 20 s 640x480, 30 fps session clip from the shared photos (Dandasana, Janu on each
side: a person in the pose for most of it), repeats it by copying the compressed packets into a
1-minute and a 10-minute .mp4 (no re-encoding, so it takes seconds), all in a temporary folder
(never the repository). Then runs the command in a child process for each file and reports the
child's peak RSS (os.wait4 rusage), its RSS sampled along the run (/proc), and the time taken.

    python benchmarks/video_memory.py [--quality fast] [--rate all] [--minutes 1 10]
                                      [--out] [--shared ../shared] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av

from alignment.session.sampling import parse_rate
from alignment.testing.clips import Shot, build_clip

ROOT = Path(__file__).resolve().parents[1]
FPS = 30
SIZE = (640, 480)
LOOP_S = 20


def session_clip(images: Path, path: Path) -> None:
    dandasana = images / "other" / "y82ukr_dandasana_1.jpg"
    janu = images / "janu" / "y82ukr_30.jpg"
    build_clip(
        [
            Shot(dandasana, 3),
            Shot(janu, 7),
            Shot(dandasana, 3, mirror=True),
            Shot(janu, 7, mirror=True),
        ],
        path,
        fps=FPS,
        size=SIZE,
    )


def repeat_video(src: Path, dst: Path, times: int) -> None:
    """`src` played `times` times in a row, by copying packets with shifted timestamps."""
    with av.open(str(src)) as probe_in:
        stream = probe_in.streams.video[0]
        tb = stream.time_base
        frames = stream.frames
    step = round(frames / FPS / tb)  # the clip's length in time-base ticks
    with av.open(str(dst), "w", options={"movflags": "+faststart"}) as out:
        out_stream = None
        for k in range(times):
            with av.open(str(src)) as inp:
                ist = inp.streams.video[0]
                if out_stream is None:
                    out_stream = out.add_stream_from_template(ist)
                for packet in inp.demux(ist):
                    if packet.dts is None:  # the demuxer's final empty packet
                        continue
                    packet.pts += k * step
                    packet.dts += k * step
                    packet.stream = out_stream
                    out.mux(packet)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_measured(argv: list[str]) -> dict:
    """Run argv; return peak RSS (MiB), RSS samples over time, seconds and exit status."""
    env = dict(os.environ, GLOG_minloglevel="2")
    started = time.monotonic()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            value = rss_mb(child.pid)
            if value is not None:
                samples.append((time.monotonic() - started, value))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert child.stderr is not None
    stderr = child.stderr.read()  # until the child closes it (exits)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    seconds = time.monotonic() - started
    if child.returncode not in (0, 1):
        sys.stderr.write(stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"{argv} failed with status {child.returncode}")
    return {
        "peak_mb": usage.ru_maxrss / 1024,
        "samples": samples,
        "seconds": seconds,
        "status": child.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--quality", default="fast")
    parser.add_argument("--rate", default="all", help="as `alignment video --rate` (all)")
    parser.add_argument("--minutes", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--out", action="store_true", help="also write the annotated video")
    parser.add_argument(
        "--keep", type=Path, help="reuse/keep the generated videos in DIR (outside the repository)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="video_memory_") as tmp_name:
        tmp = Path(tmp_name)
        videos = args.keep or tmp
        videos.mkdir(parents=True, exist_ok=True)
        if ROOT in videos.resolve().parents or videos.resolve() == ROOT:
            raise SystemExit("keep the generated videos out of the repository")
        loop = videos / "loop20s.mp4"
        if not loop.is_file():
            session_clip(args.shared / "samples" / "images", loop)
        rows = []
        for minutes in args.minutes:
            path = videos / f"session_{minutes}min.mp4"
            if not path.is_file():
                repeat_video(loop, path, minutes * 60 // LOOP_S)
            argv = [
                sys.executable,
                "-m",
                "alignment.cli.main",
                "video",
                str(path),
                "--quiet",
                "--rate",
                args.rate,
                "--quality",
                args.quality,
                "--model",
                str(args.shared / "models"),
                "--json",
                str(tmp / "s.json"),
                "--csv",
                str(tmp / "t.csv"),
                "--plot",
                str(tmp / "p.png"),
            ]
            if args.out:
                argv += ["--out", str(tmp / "annotated.mp4")]
            result = run_measured(argv)
            rate = parse_rate(args.rate)
            frames = minutes * 60 * (FPS if rate is None else min(FPS, rate))
            curve = result["samples"]
            quarter = (
                [curve[int(q * (len(curve) - 1))][1] for q in (0.25, 0.5, 0.75, 1.0)]
                if curve
                else []
            )
            rows.append((minutes, frames, result, quarter))
            print(
                f"{minutes:3d} min: peak RSS {result['peak_mb']:.0f} MiB, "
                f"{result['seconds']:.0f} s ({frames / result['seconds']:.0f} frames/s), "
                f"RSS at 25/50/75/100% of the run: " + " / ".join(f"{v:.0f}" for v in quarter),
                file=sys.stderr,
            )

    flags = f"--rate {args.rate} --quality {args.quality} --json --csv --plot" + (
        " --out" if args.out else ""
    )
    print()
    print(f"`alignment video FILE {flags}`, {os.cpu_count()} CPUs:")
    print()
    print(
        "| video (640x480, 30 fps) | frames analysed | peak RSS (MiB) | RSS at 25 / 50 / 75 "
        "/ 100 % of the run (MiB) | run time (s) |"
    )
    print("| --- | ---: | ---: | --- | ---: |")
    for minutes, frames, result, quarter in rows:
        print(
            f"| {minutes} min | {frames} | {result['peak_mb']:.0f} | "
            + " / ".join(f"{v:.0f}" for v in quarter)
            + f" | {result['seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
