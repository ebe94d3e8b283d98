"""Photos per second: one local process (what `alignment image` does) against Ray with 1 and 2
workers (`alignment image --ray`), on the same photos, in one run.

The shared photos are linked `--copies` times under new names (200 photos by default). Each
configuration runs `--repeat` times, interleaved (local, Ray 1, Ray 2, local, ...), into fresh
results folders; the table gives medians. "wall" counts everything from the call (for Ray:
starting the workers and loading a model in each, but not starting Ray itself, timed once
apart); "steady" leaves out the time to the first record, which a long batch amortises. The
machine's load average is printed before and after: timings on a shared machine are noisy.
Ray's records are checked against the local run's. Nothing is written into the repository.

    python benchmarks/ray_throughput.py [--copies 5] [--repeat 3] [--quality fast]
                                        [--shared ../shared]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from alignment.estimators.presets import open_estimator
from alignment.io import storage
from alignment.io.rule_files import load_pose
from alignment.pipeline import cluster
from alignment.pipeline.photo import PhotoChecker

ROOT = Path(__file__).resolve().parents[1]


def photos(shared: Path, folder: Path, copies: int) -> storage.Listing:
    for copy in range(copies):
        for image in sorted((shared / "samples" / "images").rglob("*.jpg")):
            dest = folder / f"copy{copy}" / image.parent.name / image.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(image, dest)
    return storage.list_inputs([str(folder)], cluster.SUFFIXES["photos"])


def local_run(files: list[str], quality: str, models: str) -> tuple[float, float, list[dict]]:
    """(photos/s, photos/s after the first photo, records): the local command's loop, model
    loading included."""
    started = time.perf_counter()
    with open_estimator(quality, "image", [models], allow_download=False) as estimator:
        checker = PhotoChecker(estimator, load_pose())
        first = None

        def done(_result: object) -> None:
            nonlocal first
            first = first or time.perf_counter()

        records = checker.check_files([Path(f) for f in files], on_done=done)
    end = time.perf_counter()
    steady = (len(files) - 1) / (end - first) if first and end > first else 0.0
    return len(files) / (end - started), steady, [dict(r) for r in records]


def ray_run(
    listing: storage.Listing, results: Path, actors: int, quality: str, models: str
) -> tuple[float, float, cluster.RunStats]:
    """(photos/s, photos/s after the first records, stats): `alignment image --ray`'s run."""
    stats = cluster.run_photos(
        listing, str(results), pose=load_pose(), level="standard", quality=quality,
        model_paths=[models], actors=actors, progress=False,
    )  # fmt: skip
    return stats.per_second, stats.steady_per_second, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=5, help="times the 40 photos (5: 200)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quality", default="fast")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    models = str(args.shared / "models")

    tmp = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    listing = photos(args.shared, tmp / "photos", args.copies)
    n = len(listing.files)
    load_before = os.getloadavg()
    started = time.perf_counter()
    where = cluster.connect(num_cpus=os.cpu_count())
    ray_start = time.perf_counter() - started

    rows: dict[str, list[tuple[float, float]]] = {"local": [], "ray1": [], "ray2": []}
    want = None
    for i in range(args.repeat):
        wall, steady, records = local_run(listing.files, args.quality, models)
        rows["local"].append((wall, steady))
        want = want or {r["path"]: r for r in records}
        for actors in (1, 2):
            results = tmp / f"r{i}-{actors}"
            wall, steady, stats = ray_run(listing, results, actors, args.quality, models)
            rows[f"ray{actors}"].append((wall, steady))
            got = {r["path"]: r for r in stats.records()}
            assert got == want, "Ray's records differ from the local run's"
            assert stats.done == n and stats.duplicates == 0
    load_after = os.getloadavg()
    cluster.disconnect()

    print(f"{n} photos, quality {args.quality}, {os.cpu_count()} CPUs, {args.repeat} runs each "
          f"(medians); Ray started once ({where}): {ray_start:.1f} s")  # fmt: skip
    print(f"load average (1, 5, 15 min): before {load_before[0]:.1f} {load_before[1]:.1f} "
          f"{load_before[2]:.1f}, after {load_after[0]:.1f} {load_after[1]:.1f} "
          f"{load_after[2]:.1f}")  # fmt: skip
    print()
    print("| run | photos/s (wall) | photos/s (steady) | each run (wall) |")
    print("| --- | ---: | ---: | --- |")
    names = {"local": "one local process", "ray1": "Ray, 1 worker", "ray2": "Ray, 2 workers"}
    for key, runs in rows.items():
        wall = statistics.median(w for w, _ in runs)
        steady = statistics.median(s for _, s in runs)
        each = ", ".join(f"{w:.1f}" for w, _ in runs)
        print(f"| {names[key]} | {wall:.1f} | {steady:.1f} | {each} |")
    print("\nRay's records equal the local run's in every run.")


if __name__ == "__main__":
    main()
