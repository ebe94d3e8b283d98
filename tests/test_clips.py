"""Tests for alignment.testing.clips: session clips built from still photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from shared_paths import SHARED

from alignment.io.video import FrameReader
from alignment.testing.clips import (
    ClipError,
    Shot,
    build_clip,
    clip_frame_count,
    clip_timeline,
    iter_clip_frames,
    letterbox,
)

SHARED_IMAGES = SHARED / "samples" / "images"
SIZE = (160, 120)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A 200x100 (w x h) grey photo with a white square left of centre."""
    bgr = np.full((100, 200, 3), 128, np.uint8)
    bgr[40:60, 40:60] = 255
    path = tmp_path / "photo.jpg"
    assert cv2.imwrite(str(path), bgr)
    return path


def white_centroid(rgb: np.ndarray) -> np.ndarray:
    """Sub-pixel (x, y) centre of the bright square."""
    weight = np.clip(rgb.astype(float).mean(axis=2) - 160.0, 0, None)
    ys, xs = np.indices(weight.shape)
    return np.array([(xs * weight).sum(), (ys * weight).sum()]) / weight.sum()


def test_letterbox_keeps_aspect_ratio() -> None:
    img = np.full((100, 200, 3), 200, np.uint8)
    out = letterbox(img, (640, 480))
    assert out.shape == (480, 640, 3)
    assert out[:79].max() == 0 and out[401:].max() == 0  # black bars top and bottom
    assert out[81:399].min() == 200
    tall = letterbox(np.full((300, 100, 3), 50, np.uint8), (640, 480))
    assert tall[:, :239].max() == 0 and tall[:, 401:].max() == 0


def test_timeline_and_frame_count(photo: Path) -> None:
    shots = [Shot(photo, 1.0, label="a"), Shot(photo, 0.5, mirror=True, label="b")]
    timeline = clip_timeline(shots, fps=30)
    assert timeline == [
        {"start": 0.0, "end": 1.0, "label": "a", "mirror": False, "image": str(photo)},
        {"start": 1.0, "end": 1.5, "label": "b", "mirror": True, "image": str(photo)},
    ]
    assert clip_frame_count(shots, 30) == 45
    frames = list(iter_clip_frames(shots, fps=30, size=SIZE))
    assert len(frames) == 45
    assert [t for t, _ in frames] == pytest.approx([i / 30 for i in range(45)])
    assert all(rgb.shape == (120, 160, 3) and rgb.dtype == np.uint8 for _, rgb in frames)


def test_mirror_flips_left_right(photo: Path) -> None:
    shots = [Shot(photo, 0.1), Shot(photo, 0.1, mirror=True)]
    frames = [rgb for _, rgb in iter_clip_frames(shots, 30, SIZE, jitter_px=0, noise_sigma=0)]
    assert np.array_equal(frames[-1], frames[0][:, ::-1])
    assert white_centroid(frames[0])[0] < 80 < white_centroid(frames[-1])[0]


def test_jitter_is_small_smooth_and_present(photo: Path) -> None:
    shots = [Shot(photo, 3.0)]
    frames = [rgb for _, rgb in iter_clip_frames(shots, 30, SIZE, jitter_px=3.0, noise_sigma=0)]
    still = letterbox(cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB), SIZE)
    home = white_centroid(still)
    offsets = np.array([white_centroid(f) - home for f in frames])
    assert np.abs(offsets).max() <= 3.0 + 0.3
    assert np.abs(offsets).max() > 0.5  # the camera does move
    assert np.abs(np.diff(offsets, axis=0)).max() < 1.2  # smoothly


def test_noise_level(photo: Path) -> None:
    shots = [Shot(photo, 0.2)]
    frames = [rgb for _, rgb in iter_clip_frames(shots, 30, SIZE, jitter_px=0, noise_sigma=3.0)]
    grey = frames[3][50:70, 10:30].astype(float)  # plain grey area of the photo
    assert grey.std() == pytest.approx(3.0, abs=1.0)
    assert abs(grey.mean() - 128) < 2
    assert not np.array_equal(frames[3], frames[4])  # noise changes between frames


def test_same_seed_same_frames(photo: Path) -> None:
    shots = [Shot(photo, 0.3)]

    def frames(seed: int) -> list[np.ndarray]:
        return [rgb for _, rgb in iter_clip_frames(shots, 30, SIZE, seed=seed)]

    a, b, c = frames(0), frames(0), frames(1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


@pytest.mark.parametrize("ext", [".mp4", ".webm", ".y4m"])
def test_build_clip_writes_readable_video(tmp_path: Path, photo: Path, ext: str) -> None:
    shots = [Shot(photo, 0.5, label="left"), Shot(photo, 0.5, mirror=True, label="right")]
    calls: list[tuple[int, int]] = []
    out = tmp_path / f"session{ext}"
    timeline = build_clip(shots, out, fps=30, size=SIZE, progress=lambda d, t: calls.append((d, t)))
    assert [seg["label"] for seg in timeline] == ["left", "right"]
    assert timeline[-1]["end"] == pytest.approx(1.0)
    assert calls[-1] == (30, 30) and len(calls) == 30
    with FrameReader(out) as reader:
        frames = list(reader)
    assert reader.damage is None
    assert len(frames) == 30
    assert (reader.info.width, reader.info.height) == SIZE
    assert white_centroid(frames[5].rgb)[0] < 80 < white_centroid(frames[25].rgb)[0]


def test_bad_images_raise_before_writing(tmp_path: Path, photo: Path) -> None:
    out = tmp_path / "out.mp4"
    with pytest.raises(ClipError, match="file not found"):
        build_clip([Shot(photo, 1), Shot(tmp_path / "missing.jpg", 1)], out, size=SIZE)
    broken = tmp_path / "broken.jpg"
    broken.write_text("not an image")
    with pytest.raises(ClipError, match="not a readable image") as err:
        build_clip([Shot(broken, 1)], out, size=SIZE)
    assert str(broken) in str(err.value)
    assert not out.exists()
    with pytest.raises(ClipError):
        build_clip([], out)
    with pytest.raises(ClipError):
        build_clip([Shot(photo, 0)], out)


@pytest.mark.shared
def test_clip_from_shared_photos(tmp_path: Path) -> None:
    janu = sorted((SHARED_IMAGES / "janu").glob("*.jpg"))
    other = sorted((SHARED_IMAGES / "other").glob("*.jpg"))
    if not janu or not other:
        pytest.skip(f"shared photos not found under {SHARED_IMAGES}")
    shots = [
        Shot(janu[0], 1.0, label="janu"),
        Shot(janu[0], 1.0, mirror=True, label="janu"),
        Shot(other[0], 0.5, label="other"),
    ]
    out = tmp_path / "session.mp4"
    timeline = build_clip(shots, out, size=(320, 240))
    assert [(s["start"], s["end"], s["mirror"]) for s in timeline] == [
        (0.0, 1.0, False),
        (1.0, 2.0, True),
        (2.0, 2.5, False),
    ]
    with FrameReader(out) as reader:
        frames = list(reader)
    assert len(frames) == 75 and frames[0].rgb.shape == (240, 320, 3)
    assert frames[0].rgb.mean() > 20  # the photo is there, not a black frame
