"""`--ray`: photos and recorded sessions on a local Ray (2 CPUs, one for the whole module).

Ray's records and files must be the local run's, order aside; a worker killed mid-run still
gives every record exactly once; `--resume` skips what is done; Ctrl-C keeps what is done.
Where the behaviour does not need a model, the workers use a stand-in estimator
(`fakes.StillFactory`: the skeleton MediaPipe saw on a real photo)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from fakes import StillEstimator, StillFactory, recorded
from PIL import Image
from shared_paths import ROOT, SHARED

from alignment.cli.main import main, normalise_ray_flag
from alignment.io import storage
from alignment.io.outputs import OutputError
from alignment.io.record_log import PARTS, RECORDS
from alignment.io.rule_files import load_pose
from alignment.pipeline import cluster
from alignment.pipeline.photo import PhotoChecker
from alignment.testing.clips import Shot, build_clip

HAVE_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAVE_RAY, reason="needs Ray: pip install '.[ray]'")
JANU = "janu/y82ukr_30.jpg"
POSE = load_pose("janu_sirsasana")
TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module. Its workers inherit this environment: they find the
    package under test and this folder (for `fakes`)."""
    with pytest.MonkeyPatch.context() as mp:
        paths = [str(ROOT), str(TESTS), os.environ.get("PYTHONPATH", "")]
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
        cluster.connect(num_cpus=2)
    yield
    cluster.disconnect()


def photos(folder: Path, n: int) -> list[str]:
    """`n` small photos in two sub-folders; their names as the listing gives them."""
    rng = np.random.default_rng(0)
    for i in range(n):
        path = folder / ("a" if i % 2 else "b") / f"p{i:02}.{'png' if i % 3 == 0 else 'jpg'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (90 + i, 160, 3), dtype=np.uint8)).save(path)
    return storage.list_inputs([str(folder)], cluster.SUFFIXES["photos"]).files


def local_records(files: list[str]) -> list[dict]:
    """The local run's records with the stand-in model (what `alignment image` does)."""
    checker = PhotoChecker(StillEstimator(recorded(JANU)), POSE)
    return [dict(checker.check_file(f).record) for f in files]


def canon(records: list[dict]) -> list[str]:
    """Order aside."""
    return sorted(json.dumps(r, sort_keys=True) for r in records)


def committed(results: Path) -> Counter[str]:
    """Every record in every committed part: what a reader or a --resume sees."""
    return Counter(
        json.loads(line)["path"]
        for part in (results / PARTS).glob("part-*.jsonl")
        for line in part.read_text().splitlines()
    )


def run_still(folder: Path, results: Path, **options) -> cluster.RunStats:
    """`run_photos` with the stand-in model."""
    listing = storage.list_inputs([str(folder)], cluster.SUFFIXES["photos"])
    defaults = {"pose": POSE, "level": "standard", "quality": "fast", "progress": False,
                "single_folder": True, "estimator_factory": StillFactory(JANU)}  # fmt: skip
    return cluster.run_photos(listing, str(results), **{**defaults, **options})


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------------------- the command line


def test_ray_flag_never_swallows_a_path() -> None:
    assert normalise_ray_flag(["image", "--ray", "photos/", "--results", "r"]) == [
        "image", "--ray=", "photos/", "--results", "r",
    ]  # fmt: skip
    assert normalise_ray_flag(["image", "x.jpg", "--ray", "10.0.0.5:6379"])[-1] == (
        "--ray=10.0.0.5:6379"
    )
    assert normalise_ray_flag(["--ray", "auto", "a"])[0] == "--ray=auto"
    assert normalise_ray_flag(["--ray", "ray://head:10001"])[0] == "--ray=ray://head:10001"
    assert normalise_ray_flag(["a", "--ray"]) == ["a", "--ray="]
    assert normalise_ray_flag(["--ray", "s3://bucket/photos"]) == ["--ray=", "s3://bucket/photos"]


def test_ray_only_options_and_many_videos_need_ray(tmp_path: Path, capsys) -> None:
    video = str(tmp_path / "a.mp4")
    for argv, says in (
        (["image", "x.jpg", "--results", "r"], "--results goes with --ray"),
        (["image", "x.jpg", "--resume"], "--resume goes with --ray"),
        (["video", video, video], "2 videos given: without --ray"),
        (["video", video, "--annotate", "d"], "--annotate and --overwrite go with --ray"),
        (["image", "x.jpg", "--ray"], "--ray needs --results"),
        (["video", video, "--ray", "--results", "r", "--out", "o.mp4"], "--out and --plot"),
    ):
        assert main(argv) == 2, argv
        assert says in capsys.readouterr().err, argv


def test_without_ray_it_says_how_to_install(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "ray.data", None)
    assert main(["image", str(tmp_path), "--ray", "--results", str(tmp_path / "r")]) == 2
    assert "pip install 'janu-alignment[ray]'" in capsys.readouterr().err


@needs_ray
def test_used_results_and_annotate_folders_are_refused(tmp_path: Path, capsys) -> None:
    """Before Ray starts: a results folder that holds anything, an annotate folder too."""
    model = tmp_path / "pose_landmarker_full.task"
    zipfile.ZipFile(model, "w").close()  # passes for a model until something loads it
    photos(tmp_path / "photos", 1)
    used, annotated = tmp_path / "used", tmp_path / "annotated"
    for folder in (used, annotated):
        folder.mkdir()
        (folder / "x.txt").write_text("mine")
    common = ["image", "--ray", str(tmp_path / "photos"), "--model", str(model)]
    common += ["--quality", "fast"]  # the one model file given
    assert main([*common, "--results", str(used)]) == 2
    assert "--results" in capsys.readouterr().err
    assert main([*common, "--results", str(tmp_path / "new"), "--annotate", str(annotated)]) == 2
    assert "--annotate" in capsys.readouterr().err and not (tmp_path / "new").exists()


# ---------------------------------------------------------------------------- on Ray


def on_ray(test):
    """A test on the module's local Ray: slow, skipped without Ray."""
    return pytest.mark.usefixtures("local_ray")(pytest.mark.slow(needs_ray(test)))


@pytest.mark.shared
@on_ray
def test_photo_records_equal_the_local_run(tmp_path: Path, shared_dir: Path) -> None:
    """The shared photos and three bad files, through the command with and without --ray:
    the same JSON, CSV and annotated photos (byte for byte)."""
    (tmp_path / "notes.jpg").write_text("not a picture")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((shared_dir / "samples/images" / JANU).read_bytes()[:300])
    inputs = [str(shared_dir / "samples/images"), str(tmp_path / "notes.jpg"), str(broken),
              str(tmp_path / "missing.png")]  # fmt: skip
    common = ["--quality", "fast", "--model", str(shared_dir / "models"), "--quiet"]
    local, ray = tmp_path / "local", tmp_path / "ray"
    assert main(["image", *inputs, "--json", str(local) + ".json", "--csv", str(local) + ".csv",
                 "--annotate", str(local), *common]) == 1  # fmt: skip
    assert main(["image", "--ray", *inputs, "--results", str(ray), "--annotate",
                 str(ray / "annotated"), "--json", str(ray) + ".json", "--csv", str(ray) + ".csv",
                 "--parquet", *common]) == 1  # fmt: skip

    want = json.loads(Path(str(local) + ".json").read_text())
    got = [json.loads(line) for line in (ray / RECORDS).read_text().splitlines()]
    photos = len(list((shared_dir / "samples/images").rglob("*.jpg")))
    assert len(want) == photos + 3 and canon(got) == canon(want)
    assert got == want  # records.jsonl is even in the local run's order
    assert json.loads(Path(str(ray) + ".json").read_text()) == want
    assert Path(str(ray) + ".csv").read_text() == Path(str(local) + ".csv").read_text()
    assert tree(ray / "annotated") == tree(local) and len(tree(local)) == photos
    assert (ray / "records.parquet").stat().st_size > 0


@pytest.mark.shared
@on_ray
def test_a_two_model_preset_gives_the_local_records(tmp_path: Path, shared_dir: Path) -> None:
    """`balanced` runs MediaPipe and MoveNet (a .task and an .onnx file): both reach the
    workers through the object store, and the fused records are the local run's."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in (JANU, "other/y82ukr_dandasana_1.jpg", "janu/y82ukr_2.jpg"):
        os.link(shared_dir / "samples/images" / name, folder / Path(name).name)
    common = [str(folder), "--quality", "balanced", "--model", str(shared_dir / "models"),
              "--quiet"]  # fmt: skip
    assert main(["image", *common, "--json", str(tmp_path / "local.json")]) == 0
    assert main(["image", "--ray", *common, "--results", str(tmp_path / "r"), "--actors", "1",
                 "--json", str(tmp_path / "ray.json")]) == 0  # fmt: skip
    want = json.loads((tmp_path / "local.json").read_text())
    assert json.loads((tmp_path / "ray.json").read_text()) == want
    assert want[0]["models"] == ["pose_landmarker_full.task", "movenet_singlepose_thunder.onnx"]


@pytest.mark.shared
@on_ray
def test_two_videos_give_the_local_summaries(tmp_path: Path, shared_dir: Path) -> None:
    """A clip of a Janu photo (held, then mirrored) and a real recorded session: the summary,
    timeline and plot of each equal the local run's files, byte for byte."""
    folder = tmp_path / "videos"
    folder.mkdir()
    janu = shared_dir / "samples/images" / JANU
    build_clip([Shot(janu, 1.5), Shot(janu, 1.5, mirror=True)], folder / "janu.mp4", fps=15,
               size=(480, 360))  # fmt: skip
    real = folder / "backbend.mp4"
    real.write_bytes((shared_dir / "samples/videos/wifi_backbend_1.mp4").read_bytes())
    common = ["--quality", "fast", "--model", str(shared_dir / "models"), "--quiet"]
    results = tmp_path / "results"
    assert main(["video", "--ray", str(folder), "--results", str(results), *common]) == 0
    lines = (results / RECORDS).read_text().splitlines()
    records = {r["path"]: r for r in map(json.loads, lines)}
    assert set(records) == {str(folder / "backbend.mp4"), str(folder / "janu.mp4")}
    for video in (real, folder / "janu.mp4"):
        local = tmp_path / video.stem
        assert main(["video", str(video), "--json", f"{local}.json", "--csv", f"{local}.csv",
                     "--plot", f"{local}.png", *common]) == 0  # fmt: skip
        summary = json.loads(Path(f"{local}.json").read_text())
        assert records[str(video)] == {"path": str(video), "error": None, "summary": summary}
        side = results / "videos" / video.stem
        for suffix, mine in ((".json", ".summary.json"), (".csv", ".timeline.csv"),
                             (".png", ".plot.png")):  # fmt: skip
            assert Path(f"{side}{mine}").read_bytes() == Path(f"{local}{suffix}").read_bytes()
    assert records[str(folder / "janu.mp4")]["summary"]["in_pose"] is True


@on_ray
def test_a_worker_killed_mid_run_gives_every_record_once(tmp_path: Path) -> None:
    from alignment.pipeline.ray_workers import CrashOnce

    files = photos(tmp_path / "photos", 30)
    marker, loads = tmp_path / "crashed", tmp_path / "loads"
    stats = run_still(
        tmp_path / "photos",
        tmp_path / "results",
        actors=2,
        estimator_factory=StillFactory(JANU, str(loads)),
        before_file=CrashOnce(files[13], str(marker)),  # mid-block: files 12-15 share one
    )
    assert marker.exists()  # the worker really died (os._exit), once
    assert len(list(loads.iterdir())) == 3  # 2 actors, 1 restarted: a model per actor
    seen = committed(tmp_path / "results")
    assert set(seen) == set(files) and max(seen.values()) == 1
    assert canon(stats.records()) == canon(local_records(files))
    assert (stats.done, stats.failed, stats.skipped) == (30, 0, 0)


@on_ray
def test_resume_skips_finished_files(tmp_path: Path) -> None:
    files = photos(tmp_path / "photos", 30)
    results = tmp_path / "results"

    class Interrupted(Exception):
        pass

    def interrupt_after_10(stats: cluster.RunStats) -> None:
        if stats.done == 10:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_still(tmp_path / "photos", results, on_commit=interrupt_after_10)
    assert len(committed(results)) == 10  # what was received is committed, nothing more
    # a part a killed driver was writing: a hidden temporary file, never read
    (results / PARTS / ".part-x.jsonl.123.tmp").write_text('{"path": "half')

    with pytest.raises(OutputError, match="holds 10 records of an earlier run; pass --resume"):
        run_still(tmp_path / "photos", results)
    with pytest.raises(OutputError, match=r"other options \(level\)"):
        run_still(tmp_path / "photos", results, resume=True, level="strict")

    stats = run_still(tmp_path / "photos", results, resume=True)
    assert (stats.skipped, stats.done) == (10, 20)
    seen = committed(results)
    assert set(seen) == set(files) and max(seen.values()) == 1
    assert canon(stats.records()) == canon(local_records(files))
    assert [r["path"] for r in stats.records()] == files  # records.jsonl in input order

    again = run_still(tmp_path / "photos", results, resume=True)
    assert (again.skipped, again.done, again.where) == (30, 0, "")  # Ray not even asked

    fresh = run_still(tmp_path / "photos", results, overwrite=True)  # starts again
    assert (fresh.skipped, fresh.done) == (0, 30)
    assert len(list((results / PARTS).glob("part-*.jsonl"))) == 1 and len(committed(results)) == 30


@on_ray
def test_a_damaged_part_is_set_aside_and_resume_redoes_its_files(tmp_path: Path) -> None:
    """A part cut short (a crash mid-write where renames are not atomic): --resume warns,
    sets it aside, and analyses its files again; every record once, no traceback."""
    files = photos(tmp_path / "photos", 12)
    results = tmp_path / "results"
    run_still(tmp_path / "photos", results)
    (part,) = (results / PARTS).glob("part-*.jsonl")
    part.write_text(part.read_text()[:-20])
    stats = run_still(tmp_path / "photos", results, resume=True)
    assert len(stats.warnings) == 1 and part.name in stats.warnings[0]
    assert (stats.skipped, stats.done) == (0, 12)
    seen = committed(results)
    assert set(seen) == set(files) and max(seen.values()) == 1
    assert canon(stats.records()) == canon(local_records(files))
    assert (results / PARTS / "damaged" / part.name).exists()


@on_ray
def test_a_file_that_kills_the_worker_every_time_becomes_an_error(tmp_path: Path) -> None:
    from alignment.pipeline.ray_workers import CrashOnce

    files = photos(tmp_path / "photos", 8)
    stats = run_still(tmp_path / "photos", tmp_path / "results", before_file=CrashOnce(files[3]))
    records = {r["path"]: r for r in stats.records()}
    assert records[files[3]]["error"] == f"{files[3]}: the worker analysing it died 2 times"
    assert stats.failed == 1 and len(records) == 8


@on_ray
def test_uri_inputs_and_results(tmp_path: Path) -> None:
    """file:// goes through pyarrow's FileSystem.from_uri as s3:// and gs:// do."""
    files = photos(tmp_path / "photos", 6)
    source, results = f"file://{tmp_path / 'photos'}", f"file://{tmp_path / 'results'}"
    listing = storage.list_inputs([source, f"{source}/nothing.jpg"], cluster.SUFFIXES["photos"])
    stats = cluster.run_photos(
        listing, results, pose=POSE, level="standard", quality="fast", progress=False,
        estimator_factory=StillFactory(JANU), annotate=f"{results}/annotated",
    )  # fmt: skip
    got = {r["path"]: r for r in stats.records()}
    assert got[f"{source}/nothing.jpg"]["error"] == f"{source}/nothing.jpg: file not found"
    for name, want in zip(files, local_records(files), strict=True):
        uri = f"{source}/{Path(name).relative_to(tmp_path / 'photos')}"
        assert got[uri] == {**want, "path": uri}
    assert len(list((tmp_path / "results" / "annotated" / "photos").rglob("*.*"))) == 6


@pytest.mark.shared
@on_ray
def test_ctrl_c_keeps_what_is_committed_and_resume_finishes(tmp_path: Path) -> None:
    """The command in its own process (with its own local Ray), interrupted once the first
    part is committed: exit 130, the parts kept. `--resume` does the rest, each photo once."""
    folder = tmp_path / "photos"
    shared = sorted((SHARED / "samples/images").rglob("*.jpg"))
    total = 3 * len(shared)  # parts are committed every 64 records or 10 s
    for copy in range(3):
        (folder / str(copy)).mkdir(parents=True)
        for image in shared:
            os.link(image, folder / str(copy) / image.name)
    results = tmp_path / "results"
    argv = ["image", "--ray", str(folder), "--results", str(results), "--quality", "fast",
            "--model", str(SHARED / "models"), "--quiet"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.Popen([sys.executable, "-m", "alignment.cli.main", *argv], cwd=ROOT,
                            env=env, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not list((results / PARTS).glob("part-*.jsonl")):
        assert proc.poll() is None and time.monotonic() < deadline, "no part committed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command with --resume to finish" in err
    done = committed(results)
    assert 0 < len(done) < total and max(done.values()) == 1

    assert main([*argv, "--resume"]) == 0  # here, on this module's Ray
    seen = committed(results)
    assert len(seen) == total and max(seen.values()) == 1
    assert len((results / RECORDS).read_text().splitlines()) == total
