"""Memory of the Video page across uploads: does the server return to its size after each?

Runs the Video page in this process through Streamlit's AppTest (the page's own code, as the
server runs it, without a browser), uploads a generated session clip `--uploads` times (each
a new file, as a user uploading another video), and reports this process's RSS (/proc) after
the page first shows, after each analysis, and after the session is closed (its state
dropped). The clip is built from the shared photos in a temporary folder, never the
repository. With --no-trim the memory is not given back after a video (`release_memory` only
collects garbage), for comparison.

    python benchmarks/upload_memory.py [--uploads 3] [--seconds 30] [--size 1280x720]
                                       [--no-trim] [--json FILE] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def video_script() -> None:
    from alignment.app.video_page import render

    render()


def measure(clip: Path, uploads: int, trim: bool) -> dict[str, object]:
    from streamlit.testing.v1 import AppTest

    from alignment.app import common
    from alignment.app.video_page import RESULT_KEY

    if not trim:
        common.release_memory = gc.collect  # type: ignore[assignment]
    data = clip.read_bytes()
    at = AppTest.from_function(video_script, default_timeout=600).run()
    baseline = rss_mb()
    after: list[float] = []
    for i in range(uploads):
        at.file_uploader[0].set_value((f"session{i}.mp4", data, "video/mp4"))
        at.run()
        if at.exception or RESULT_KEY not in at.session_state:
            raise SystemExit(f"upload {i + 1} was not analysed: {at.exception}")
        after.append(rss_mb())
    del at
    gc.collect()
    common.release_memory()
    closed = rss_mb()
    return {
        "upload_mb": len(data) / 2**20,
        "baseline_mb": baseline,
        "after_each_mb": after,
        "closed_mb": closed,
        "trim": trim,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--uploads", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--no-trim", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args()
    os.environ.setdefault("ALIGNMENT_MODEL", str(args.shared / "models"))
    width, height = (int(v) for v in args.size.split("x"))

    from alignment.testing.clips import Shot, build_clip

    images = args.shared / "samples" / "images"
    with tempfile.TemporaryDirectory(prefix="upload_memory_") as tmp:
        clip = Path(tmp) / "session.mp4"
        third = args.seconds / 3
        build_clip(
            [
                Shot(images / "other" / "y82ukr_dandasana_1.jpg", third),
                Shot(images / "janu" / "y82ukr_30.jpg", 2 * third),
            ],
            clip,
            fps=30,
            size=(width, height),
        )
        figures = measure(clip, args.uploads, trim=not args.no_trim)
    after = figures["after_each_mb"]
    line = (
        f"{args.seconds} s {args.size} clip ({figures['upload_mb']:.1f} MB), "
        f"{'with' if figures['trim'] else 'without'} malloc_trim: RSS page shown "
        f"{figures['baseline_mb']:.0f} MiB, after each upload "
        + " / ".join(f"{v:.0f}" for v in after)  # type: ignore[union-attr]
        + f", session closed {figures['closed_mb']:.0f} MiB\n"
    )
    print(line, end="")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
