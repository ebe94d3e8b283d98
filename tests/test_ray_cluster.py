"""`--ray` as a real cluster is (issue 19): several nodes, one of which goes away mid-run, and a
real S3 API (moto's server on 127.0.0.1, reached through AWS_ENDPOINT_URL_S3 as the README
says). Each test starts and stops its own Ray; slow (a minute or so each), run them one at a
time. The workers use the stand-in estimator (`fakes.StillFactory`)."""

from __future__ import annotations

import importlib.util
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from fakes import Slow, StillEstimator, StillFactory, recorded
from PIL import Image
from shared_paths import ROOT

from alignment.core.rules import load_pose
from alignment.io import storage
from alignment.io.images import decode_photo
from alignment.io.record_log import PARTS
from alignment.pipeline import cluster
from alignment.pipeline.photo import PhotoChecker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray"),
]
JANU = "janu/y82ukr_30.jpg"
POSE = load_pose("janu_sirsasana")
TESTS = Path(__file__).resolve().parent
OPTIONS = {"pose": POSE, "level": "standard", "quality": "fast", "progress": False,
           "estimator_factory": StillFactory(JANU)}  # fmt: skip


@pytest.fixture
def worker_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray's processes, started from here, find the package and `fakes`."""
    paths = [str(ROOT), str(TESTS), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def make_photos(folder: Path, n: int) -> list[Path]:
    rng = np.random.default_rng(1)
    paths = []
    for i in range(n):
        path = folder / f"p{i:02}.{'png' if i % 3 == 0 else 'jpg'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (90 + i, 160, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def expected(paths: list[Path], name: callable) -> dict[str, dict]:
    """The local run's record of each photo, under the name the run gives it."""
    checker = PhotoChecker(StillEstimator(recorded(JANU)), POSE)
    return {name(p): {**checker.check_file(p).record, "path": name(p)} for p in paths}


def test_a_node_removed_mid_run_still_gives_every_record_once(tmp_path, worker_path) -> None:
    """A head and two worker nodes (each its own raylet, CPUs and object store); one worker
    node is removed once records arrive. Every record comes, each once, and every annotated
    copy is whole."""
    from ray.cluster_utils import Cluster

    paths = make_photos(tmp_path / "photos", 24)
    results, annotated = tmp_path / "results", tmp_path / "annotated"
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    warnings: list[str] = []
    try:
        workers = [nodes.add_node(num_cpus=1) for _ in range(2)]
        nodes.wait_for_nodes()
        removed: list[int] = []

        def remove_one(stats: cluster.RunStats) -> None:
            if stats.done >= 3 and not removed:
                import ray

                # A node the driver is not attached to (on a cluster, the driver is on the head).
                driver = ray.get_runtime_context().get_node_id()
                victim = next(w for w in workers if w.node_id != driver)
                removed.append(stats.done)
                nodes.remove_node(victim, allow_graceful=False)

        listing = storage.list_inputs([str(tmp_path / "photos")], cluster.SUFFIXES["photos"])
        stats = cluster.run_photos(
            listing, str(results), **OPTIONS, annotate=str(annotated), single_folder=True,
            address=nodes.address, actors=3, files_per_task=1, flush_seconds=0.0,
            before_file=Slow(0.5), on_commit=remove_one,
        )  # fmt: skip
        import ray

        alive = len([n for n in ray.nodes() if n["Alive"]])
        warnings = stats.warnings
    finally:
        cluster.disconnect()
        nodes.shutdown()
    assert removed and removed[0] < 24 and alive == 2, warnings  # went while work was left
    seen = Counter(
        json.loads(line)["path"]
        for part in (results / PARTS).glob("part-*.jsonl")
        for line in part.read_text().splitlines()
    )
    assert set(seen) == {str(p) for p in paths} and max(seen.values()) == 1
    got = {r["path"]: r for r in stats.records()}
    assert got == expected(paths, str)
    drawn = sorted(annotated.iterdir())
    assert [p.name for p in drawn] == sorted(p.name for p in paths)
    for path in drawn:  # whole files: each decodes to the photo's size
        source = tmp_path / "photos" / path.name
        assert (
            decode_photo(path.read_bytes()).rgb.shape == decode_photo(source.read_bytes()).rgb.shape
        )
