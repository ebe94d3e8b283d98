"""Finding the model: flag, environment variable, cache, download (atomic, checked), errors."""

from __future__ import annotations

import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from alignment import model as model_mod
from alignment.model import ModelNotFoundError, resolve_model


def fake_task(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pose_detector.tflite", b"x" * 100)
    return path


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    monkeypatch.delenv("ALIGNMENT_MODEL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_flag_wins_over_environment(clean_env, monkeypatch):
    flag = fake_task(clean_env / "a.task")
    monkeypatch.setenv("ALIGNMENT_MODEL", str(fake_task(clean_env / "b.task")))
    assert resolve_model(flag) == flag


def test_environment_variable_file_or_folder(clean_env, monkeypatch):
    folder = clean_env / "models"
    folder.mkdir()
    lite = fake_task(folder / "pose_landmarker_lite.task")
    monkeypatch.setenv("ALIGNMENT_MODEL", str(folder))
    assert resolve_model(variant="lite") == lite
    monkeypatch.setenv("ALIGNMENT_MODEL", str(lite))
    assert resolve_model() == lite


def test_environment_pointing_nowhere_is_an_error(clean_env, monkeypatch):
    monkeypatch.setenv("ALIGNMENT_MODEL", str(clean_env / "nope.task"))
    with pytest.raises(ModelNotFoundError, match=r"\$ALIGNMENT_MODEL points at .*does not exist"):
        resolve_model()


def test_a_file_that_is_not_a_task_bundle_is_refused(clean_env):
    junk = clean_env / "junk.task"
    junk.write_text("not a model")
    with pytest.raises(ModelNotFoundError, match="not a MediaPipe .task bundle"):
        resolve_model(junk)


def test_cache_is_used(clean_env):
    cached = model_mod.cache_dir() / "pose_landmarker_full.task"
    cached.parent.mkdir(parents=True)
    fake_task(cached)
    assert resolve_model(allow_download=False) == cached


def test_no_file_and_no_network_gives_one_clear_error(clean_env):
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model(url="http://127.0.0.1:9/pose_landmarker_full.task")
    message = str(err.value)
    assert "download failed" in message
    assert "--model" in message and "ALIGNMENT_MODEL" in message
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
        path = resolve_model(url=server.url)
    finally:
        server.close()
    assert path == model_mod.cache_dir() / "pose_landmarker_full.task"
    assert zipfile.is_zipfile(path)
    assert resolve_model(allow_download=False) == path  # found in the cache next time


def test_download_of_garbage_is_not_kept(clean_env):
    server = _Server(b"<html>captive portal</html>")
    try:
        with pytest.raises(ModelNotFoundError, match="not a MediaPipe .task bundle"):
            resolve_model(url=server.url)
    finally:
        server.close()
    assert not any(model_mod.cache_dir().iterdir())


def test_unknown_variant():
    with pytest.raises(ValueError, match="unknown model variant"):
        resolve_model(variant="huge")
