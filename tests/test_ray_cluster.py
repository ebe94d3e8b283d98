"""`--ray` as a real cluster is (issue 19): several nodes, one of which goes away mid-run, and a
real S3 API (moto's server on 127.0.0.1, reached through AWS_ENDPOINT_URL_S3 as the README
says). Each test starts and stops its own Ray; slow (a minute or so each), run them one at a
time. The workers use the stand-in estimator (`fakes.StillFactory`)."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fakes import Slow, StillEstimator, StillFactory, recorded
from PIL import Image
from shared_paths import ROOT

from alignment.io import storage
from alignment.io.images import decode_photo
from alignment.io.record_log import PARTS
from alignment.io.rule_files import load_pose
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


@pytest.fixture(autouse=True)
def stalls_fail_soon() -> Iterator[None]:
    """A run that moves nothing for 4 minutes counts as failed (Ray's default: 30), so that a
    stall is run again, as a lost node is, or fails the test within minutes, not half an hour
    (once in CI a pool of actors never started)."""
    import ray.data

    context = ray.data.DataContext.get_current()
    before = context.execution_no_progress_timeout_s
    context.execution_no_progress_timeout_s = 240
    yield
    context.execution_no_progress_timeout_s = before


def _wait_for_cpus(address: str, cpus: int, timeout: float = 60.0) -> None:
    """Join the cluster and wait until it shows all its CPUs: nodes registered a moment ago
    may not be in the resource view yet, and a pool sized for them would wait."""
    import ray

    cluster.connect(address)
    deadline = time.monotonic() + timeout
    while ray.cluster_resources().get("CPU", 0) < cpus:
        assert time.monotonic() < deadline, ray.cluster_resources()
        time.sleep(0.5)


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
        _wait_for_cpus(nodes.address, 3)
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


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, worker_path):
    """moto's S3 server on 127.0.0.1 (stopped after), reached as the README says: the usual
    AWS_* variables and AWS_ENDPOINT_URL_S3. Yields a boto3 client on bucket "bucket"."""
    import socket

    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="bucket")
    try:
        yield client
    finally:
        server.stop()


def keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="bucket", Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def body(client, key: str) -> bytes:
    return client.get_object(Bucket="bucket", Key=key)["Body"].read()


def test_photos_and_videos_on_a_real_s3_api_with_resume(tmp_path, s3) -> None:
    """Photos read from s3://bucket/photos, records and annotated photos written to
    s3://bucket/run; a run stopped half-way is finished by --resume there, each photo once;
    a video's side files and annotated copy land in s3://bucket/run-videos."""
    from alignment.testing.clips import Shot, build_clip

    paths = make_photos(tmp_path / "photos", 12)
    for path in paths:
        s3.upload_file(str(path), "bucket", f"photos/{path.name}")
    source = "s3://bucket/photos"
    listing = storage.list_inputs([source], cluster.SUFFIXES["photos"])
    assert listing.files == [f"{source}/{p.name}" for p in sorted(paths)]
    options = {**OPTIONS, "annotate": "s3://bucket/run/annotated", "single_folder": True,
               "files_per_task": 2, "flush_seconds": 0.0}  # fmt: skip

    class Stop(Exception):
        pass

    def stop_after_4(stats: cluster.RunStats) -> None:
        if stats.done == 4:
            raise Stop

    cluster.connect(num_cpus=2)
    try:
        with pytest.raises(Stop):
            cluster.run_photos(listing, "s3://bucket/run", **options, on_commit=stop_after_4)
        first = [k for k in keys(s3, "run/_parts/") if k.endswith(".jsonl")]
        assert first  # committed to S3 before the stop
        stats = cluster.run_photos(listing, "s3://bucket/run", **options, resume=True)

        clip = tmp_path / "s.mp4"
        build_clip([Shot(paths[1], 2.0)], clip, fps=15, size=(320, 180))
        s3.upload_file(str(clip), "bucket", "videos/s.mp4")
        videos = storage.list_inputs(["s3://bucket/videos"], cluster.SUFFIXES["videos"])
        video_stats = cluster.run_videos(
            videos, "s3://bucket/run-videos", **OPTIONS, single_folder=True, rate=5.0,
            annotate="s3://bucket/run-videos/annotated",
        )  # fmt: skip
    finally:
        cluster.disconnect()
    assert 4 <= stats.skipped < 12 and stats.skipped + stats.done == 12
    seen = Counter(
        json.loads(line)["path"]
        for key in keys(s3, "run/_parts/")
        if key.endswith(".jsonl")
        for line in body(s3, key).decode().splitlines()
    )
    assert set(seen) == set(listing.files) and max(seen.values()) == 1
    want = expected(paths, lambda p: f"{source}/{p.name}")
    assert {r["path"]: r for r in stats.records()} == want
    lines = body(s3, "run/records.jsonl").decode().splitlines()
    assert [json.loads(line)["path"] for line in lines] == listing.files
    drawn = keys(s3, "run/annotated/")
    assert drawn == [f"run/annotated/{p.name}" for p in sorted(paths)]
    for key in drawn:
        decode_photo(body(s3, key), key)  # whole pictures

    (record,) = video_stats.records()
    assert record["path"] == "s3://bucket/videos/s.mp4" and record["error"] is None
    assert record["summary"]["frames_analysed"] >= 9  # 5 a second over 2 s
    assert keys(s3, "run-videos/videos/") == [
        "run-videos/videos/s.plot.png", "run-videos/videos/s.summary.json",
        "run-videos/videos/s.timeline.csv",
    ]  # fmt: skip
    summary = json.loads(body(s3, "run-videos/videos/s.summary.json"))
    assert summary == record["summary"]
    annotated = tmp_path / "annotated.mp4"
    annotated.write_bytes(body(s3, "run-videos/annotated/s.mp4"))
    from alignment.io.video import FrameReader

    with FrameReader(annotated) as reader:
        assert sum(1 for _ in reader) == 30  # every frame of the 2 s at 15 fps
