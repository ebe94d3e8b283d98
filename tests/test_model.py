"""Finding the model: flag, environment variable, cache, download (atomic, checked), errors."""

from __future__ import annotations

import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from alignment.io import models as model_mod
from alignment.io.models import ModelNotFoundError, resolve_model


def fake_task(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pose_detector.tflite", b"x" * 100)
    return path


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    monkeypatch.delenv("ALIGNMENT_MODEL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def fake_onnx(path: Path) -> Path:
    path.write_bytes(b"\x08\x07" + b"\x00" * 100)  # starts like an ONNX ModelProto
    return path


def test_flag_wins_over_environment(clean_env, monkeypatch):
    flag = fake_task(clean_env / "a.task")
    monkeypatch.setenv("ALIGNMENT_MODEL", str(fake_task(clean_env / "b.task")))
    assert resolve_model("mediapipe_full", [flag]) == flag


def test_environment_variable_files_or_folders(clean_env, monkeypatch):
    folder = clean_env / "models"
    folder.mkdir()
    lite = fake_task(folder / "pose_landmarker_lite.task")
    thunder = fake_onnx(folder / "movenet_singlepose_thunder.onnx")
    monkeypatch.setenv("ALIGNMENT_MODEL", str(folder))
    assert resolve_model("mediapipe_lite") == lite
    assert resolve_model("movenet_thunder") == thunder
    # A file serves the model of its kind; a list serves several.
    other = fake_onnx(clean_env / "mine.onnx")
    monkeypatch.setenv("ALIGNMENT_MODEL", f"{lite}:{other}")
    assert resolve_model("mediapipe_full") == lite
    assert resolve_model("movenet_lightning") == other


def test_among_several_files_the_models_own_is_taken(clean_env, monkeypatch):
    """The files of two presets in one list (as `alignment app` passes them): each MediaPipe
    model gets its own file, whatever the order; the flag still comes first."""
    heavy = fake_task(clean_env / "pose_landmarker_heavy.task")
    full = fake_task(clean_env / "pose_landmarker_full.task")
    monkeypatch.setenv("ALIGNMENT_MODEL", f"{heavy}:{full}")
    assert resolve_model("mediapipe_full") == full
    assert resolve_model("mediapipe_heavy") == heavy
    assert resolve_model("mediapipe_lite") == heavy  # no lite given: the first of its kind
    assert resolve_model("mediapipe_full", [heavy]) == heavy  # the flag wins


def test_a_folder_without_the_model_falls_through_to_the_cache(clean_env, monkeypatch):
    empty = clean_env / "empty"
    empty.mkdir()
    monkeypatch.setenv("ALIGNMENT_MODEL", str(empty))
    cached = model_mod.cache_dir() / "movenet_singlepose_thunder.onnx"
    cached.parent.mkdir(parents=True)
    fake_onnx(cached)
    assert resolve_model("movenet_thunder", allow_download=False) == cached


def test_environment_pointing_nowhere_is_an_error(clean_env, monkeypatch):
    monkeypatch.setenv("ALIGNMENT_MODEL", str(clean_env / "nope.task"))
    with pytest.raises(ModelNotFoundError, match=r"\$ALIGNMENT_MODEL points at .*does not exist"):
        resolve_model("mediapipe_full")


def test_a_file_that_is_not_a_model_is_refused(clean_env):
    junk = clean_env / "junk.task"
    junk.write_text("not a model")
    with pytest.raises(ModelNotFoundError, match="not a MediaPipe .task bundle"):
        resolve_model("mediapipe_full", [junk])
    page = clean_env / "page.onnx"
    page.write_text("<html>captive portal</html>")
    with pytest.raises(ModelNotFoundError, match="not an ONNX model"):
        resolve_model("movenet_thunder", [page])


def test_cache_is_used(clean_env):
    cached = model_mod.cache_dir() / "pose_landmarker_full.task"
    cached.parent.mkdir(parents=True)
    fake_task(cached)
    assert resolve_model("mediapipe_full", allow_download=False) == cached


def test_no_file_and_no_network_gives_one_clear_error(clean_env):
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model("movenet_thunder", url="http://127.0.0.1:9/model.onnx")
    message = str(err.value)
    assert "download failed" in message
    assert "--model" in message and "ALIGNMENT_MODEL" in message
    assert "huggingface.co" in message  # where to get it by hand
    assert not list(model_mod.cache_dir().glob("*.part"))  # nothing half-written left behind


class _Server:
    def __init__(self, body: bytes, length: int | None = None):
        body_, length_ = body, length

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                self.send_response(200)
                self.send_header("Content-Length", str(length_ or len(body_)))
                self.end_headers()
                self.wfile.write(body_)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/pose_landmarker_full.task"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def test_download_is_atomic_checked_and_cached(clean_env):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("model.tflite", b"y" * 5000)
    server = _Server(buffer.getvalue())
    try:
        path = resolve_model("mediapipe_full", url=server.url)
    finally:
        server.close()
    assert path == model_mod.cache_dir() / "pose_landmarker_full.task"
    assert zipfile.is_zipfile(path)
    assert resolve_model("mediapipe_full", allow_download=False) == path  # cached next time


def test_download_of_garbage_is_not_kept(clean_env):
    server = _Server(b"<html>captive portal</html>")
    try:
        with pytest.raises(ModelNotFoundError, match="not a MediaPipe .task bundle"):
            resolve_model("mediapipe_full", url=server.url)
    finally:
        server.close()
    assert not any(model_mod.cache_dir().iterdir())


def test_unknown_model():
    with pytest.raises(ValueError, match="unknown model 'huge'"):
        resolve_model("huge")
