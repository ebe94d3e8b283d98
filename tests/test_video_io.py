"""Tests for alignment.io.video: reading (rotation, VFR, damage) and writing (mp4/webm/y4m)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from shared_paths import SHARED

from alignment.io.video import (
    Frame,
    FrameReader,
    VideoError,
    VideoInfo,
    VideoWriter,
    apply_display_matrix,
    probe,
)

SHARED_VIDEOS = SHARED / "samples" / "videos"
W, H = 96, 64


def pattern(i: int, width: int = W, height: int = H) -> np.ndarray:
    """A frame that changes over time, with a white block in the top-left corner."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    rgb[..., 1] = (i * 7) % 256
    rgb[:16, :16] = 255
    return rgb


def write_clip(path: Path, n: int = 45, fps: float = 30, size: tuple[int, int] = (W, H)) -> Path:
    with VideoWriter(path, fps, size[0], size[1]) as writer:
        for i in range(n):
            writer.write(pattern(i, *size))
    return path


def read_all(path: Path) -> tuple[FrameReader, list[Frame]]:
    with FrameReader(path) as reader:
        frames = list(reader)
    return reader, frames


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("ext, codec", [(".mp4", "h264"), (".webm", "vp9"), (".y4m", "rawvideo")])
def test_round_trip(tmp_path: Path, ext: str, codec: str) -> None:
    path = write_clip(tmp_path / f"clip{ext}", n=45)
    reader, frames = read_all(path)
    assert reader.damage is None
    assert reader.frames_read == len(frames) == 45
    assert [f.index for f in frames] == list(range(45))
    info = reader.info
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height, info.codec, info.rotation_deg) == (W, H, codec, 0)
    assert info.fps == pytest.approx(30, abs=0.01)
    assert info.duration_s == pytest.approx(1.5, abs=0.05)
    times = np.array([f.time_s for f in frames])
    assert times[0] == 0.0
    assert np.all(np.diff(times) > 0)
    assert np.median(np.diff(times)) == pytest.approx(1 / 30, abs=1e-3)
    for f in frames:
        assert f.rgb.shape == (H, W, 3) and f.rgb.dtype == np.uint8
    # Lossy, but the picture must survive (and be RGB, not BGR: red ramps left to right).
    diff = np.abs(frames[20].rgb.astype(int) - pattern(20).astype(int)).mean()
    assert diff < 8
    assert frames[20].rgb[H // 2, -1, 0] > 200 and frames[20].rgb[H // 2, 20, 0] < 60
    assert probe(path) == info


def test_mp4_is_browser_friendly(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "clip.mp4", n=10)
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "+faststart: index before the media data"
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert stream.profile in {"Main", "Constrained Baseline", "Baseline"}


def test_a_frame_is_converted_when_its_picture_is_read(tmp_path: Path) -> None:
    """Frames kept while the reading goes on, their pictures read afterwards (as a frame
    analysed at a steady rate is): each is its own frame."""
    path = write_clip(tmp_path / "clip.mp4", n=45)
    with FrameReader(path) as reader:
        kept = [f for f in reader if f.index % 3 == 0]
        assert reader.frames_read == 45
    assert [f.index for f in kept] == list(range(0, 45, 3))
    for f in kept:
        assert f.time_s == pytest.approx(f.index / 30, abs=1e-3)
        assert np.abs(f.rgb.astype(int) - pattern(f.index).astype(int)).mean() < 8


def test_variable_frame_rate_gives_real_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    pts_ms = [0, 40, 80, 300, 340, 1000, 1033, 1066, 1500]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for i, pts in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(pattern(i), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    reader, frames = read_all(path)
    assert reader.damage is None
    assert [f.time_s for f in frames] == pytest.approx([p / 1000 for p in pts_ms], abs=2e-3)


def test_missing_pts_are_estimated(tmp_path: Path) -> None:
    path = tmp_path / "raw.h264"  # an elementary stream: no container, no timestamps
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for i in range(10):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pattern(i), format="rgb24")))
        container.mux(stream.encode(None))
    reader, frames = read_all(path)
    assert [f.time_s for f in frames] == pytest.approx([i / 25 for i in range(10)])


class _StubFrame:
    """Stands in for av.VideoFrame with a chosen pts."""

    def __init__(self, pts: int | None) -> None:
        self.pts, self.time_base = pts, Fraction(1, 1000)
        self.side_data: dict = {}
        self.rotation = 0

    def to_ndarray(self, format: str) -> np.ndarray:
        return pattern(0)


def test_non_monotonic_pts_are_estimated(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "clip.mp4", n=3)
    with FrameReader(path) as reader:
        pts = [0, 100, 50, None, 300]  # backwards, then missing, then fine again
        reader._first = None
        reader._decoded = (_StubFrame(p) for p in pts)
        times = [f.time_s for f in reader]
    assert times == pytest.approx([0.0, 0.1, 0.1 + 1 / 30, 0.1 + 2 / 30, 0.3])


# --------------------------------------------------------------------------- damage


@pytest.mark.parametrize("ext", [".mp4", ".webm"])
def test_truncated_file_stops_quietly_with_damage(tmp_path: Path, ext: str) -> None:
    full = write_clip(tmp_path / f"full{ext}", n=90)
    cut = tmp_path / f"cut{ext}"
    data = full.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])
    reader, frames = read_all(cut)  # must not raise
    assert 0 < reader.frames_read == len(frames) < 90
    assert reader.damage is not None and reader.damage.startswith("stopped at ")
    assert "truncated" in reader.damage
    assert f"{frames[-1].time_s:.1f} s" in reader.damage
    assert np.all(np.diff([f.time_s for f in frames]) > 0)


def test_corrupt_middle_does_not_raise(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "clip.mp4", n=60)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(1)
    start = len(data) // 2
    data[start : start + 2000] = rng.integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    reader, frames = read_all(path)
    assert len(frames) > 0
    assert reader.damage is None or reader.damage.startswith("stopped at ")


def test_decoding_error_stops_quietly_with_damage(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "clip.y4m", n=30)
    data = bytearray(path.read_bytes())
    header_len = data.index(b"FRAME")
    frame_len = len(b"FRAME\n") + W * H * 3 // 2
    at = header_len + 10 * frame_len  # break the 11th frame marker
    data[at : at + 5] = b"XXXXX"
    path.write_bytes(bytes(data))
    reader, frames = read_all(path)
    assert len(frames) == reader.frames_read == 10
    assert reader.damage == (
        f"stopped at {frames[-1].time_s:.1f} s: decoding failed: "
        "Invalid data found when processing input"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp4"
    with pytest.raises(VideoError, match="file not found") as err:
        FrameReader(path)
    assert str(path) in str(err.value)
    with pytest.raises(VideoError, match="file not found"):
        probe(path)


def test_text_file_is_not_video(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    with pytest.raises(VideoError, match="cannot be opened as video") as err:
        FrameReader(path)
    assert str(path) in str(err.value)


def test_jpeg_renamed_mp4_is_not_video(tmp_path: Path) -> None:
    path = tmp_path / "photo.mp4"
    ok, jpeg = cv2.imencode(".jpg", pattern(0))
    assert ok
    path.write_bytes(jpeg.tobytes())
    with pytest.raises(VideoError, match="not a video file") as err:
        probe(path)
    assert str(path) in str(err.value)


def test_empty_file_and_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        FrameReader(empty)
    with pytest.raises(VideoError, match="folder"):
        FrameReader(tmp_path)


def test_zero_frames(tmp_path: Path) -> None:
    path = tmp_path / "none.y4m"
    with VideoWriter(path, 30, W, H):
        pass  # header only
    reader, frames = read_all(path)
    assert frames == [] and reader.frames_read == 0
    with pytest.raises(VideoError, match="contains no frames"):
        probe(path)


# --------------------------------------------------------------------------- y4m


def test_y4m_header_and_frame_size(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "cam.y4m", n=5, size=(95, 63))  # odd: padded to 96x64
    data = path.read_bytes()
    header = b"YUV4MPEG2 W96 H64 F30:1 Ip A1:1 C420\n"
    assert data.startswith(header)
    frame_bytes = 96 * 64 * 3 // 2
    assert len(data) == len(header) + 5 * (len(b"FRAME\n") + frame_bytes)
    assert data[len(header) : len(header) + 6] == b"FRAME\n"
    reader, frames = read_all(path)
    assert len(frames) == 5 and frames[0].rgb.shape == (64, 96, 3)

    grey = tmp_path / "grey.y4m"
    with VideoWriter(grey, 30, 95, 63) as writer:
        writer.write(np.full((63, 95, 3), 128, np.uint8))
    rgb = read_all(grey)[1][0].rgb
    assert rgb[:63, :95].min() > 110
    assert rgb[63].max() < 10 and rgb[:, 95].max() < 10  # the padding is black


def test_writer_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="unsupported extension"):
        VideoWriter(tmp_path / "clip.avi", 30, W, H)
    with pytest.raises(VideoError, match="not found"):
        VideoWriter(tmp_path / "no" / "clip.mp4", 30, W, H)
    with VideoWriter(tmp_path / "clip.y4m", 30, W, H) as writer, pytest.raises(ValueError):
        writer.write(np.zeros((H + 1, W, 3), np.uint8))


# --------------------------------------------------------------------------- rotation


def test_apply_display_matrix_on_arrays() -> None:
    a = np.zeros((2, 3, 3), np.uint8)
    a[0, 0] = 1  # top-left marker
    one = 1 << 16
    # counter-clockwise quarter turn (FFmpeg rotation +90): top-left goes to bottom-left
    out = apply_display_matrix(a, [0, -one, 0, one, 0, 0, 0, 0, 1 << 30])
    assert out.shape == (3, 2, 3) and out[2, 0, 0] == 1
    out = apply_display_matrix(a, [0, one, 0, -one, 0, 0, 0, 0, 1 << 30])  # clockwise
    assert out.shape == (3, 2, 3) and out[0, 1, 0] == 1
    out = apply_display_matrix(a, [-one, 0, 0, 0, -one, 0, 0, 0, 1 << 30])  # half turn
    assert out[1, 2, 0] == 1
    out = apply_display_matrix(a, [-one, 0, 0, 0, one, 0, 0, 0, 1 << 30])  # mirror
    assert out.shape == a.shape and out[0, 2, 0] == 1
    # without a matrix: the rotation angle alone
    assert apply_display_matrix(a, None, 90)[2, 0, 0] == 1
    assert apply_display_matrix(a, None, -90)[0, 1, 0] == 1
    assert apply_display_matrix(a, None, 0) is not None
    assert apply_display_matrix(a, None, 0).flags.c_contiguous


@pytest.mark.parametrize(
    "degrees, hflip, corner",
    [(90, False, "bl"), (-90, False, "tr"), (180, False, "br"), (0, True, "tr")],
)
def test_rotation_metadata_is_applied(
    tmp_path: Path, degrees: int, hflip: bool, corner: str
) -> None:
    path = tmp_path / "rot.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.set_display_rotation(degrees, hflip=hflip)
        for i in range(3):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pattern(i), format="rgb24")))
        container.mux(stream.encode(None))
    reader, frames = read_all(path)
    quarter = degrees % 180 != 0
    expect = (H, W) if quarter else (W, H)
    assert (reader.info.width, reader.info.height) == expect
    rgb = frames[0].rgb
    assert rgb.shape[:2] == (expect[1], expect[0])
    h, w = rgb.shape[:2]
    corners = {
        "tl": rgb[4, 4],
        "tr": rgb[4, w - 5],
        "bl": rgb[h - 5, 4],
        "br": rgb[h - 5, w - 5],
    }
    white = [name for name, px in corners.items() if px.min() > 200]
    assert white == [corner]


# --------------------------------------------------------------------------- real videos


def _shared_videos() -> list[Path]:
    if not SHARED_VIDEOS.is_dir():
        return []
    return sorted(p for p in SHARED_VIDEOS.iterdir() if p.suffix.lower() in {".mp4", ".mov"})


@pytest.mark.shared
@pytest.mark.parametrize("path", _shared_videos() or [None], ids=lambda p: p.name if p else "none")
def test_shared_videos_open_and_yield_frames(path: Path | None) -> None:
    if path is None:
        pytest.skip(f"shared videos not found at {SHARED_VIDEOS}")
    with FrameReader(path) as reader:
        frames = [f for f in reader if f.index % 10 == 0]
    info = reader.info
    assert reader.damage is None, reader.damage  # complete files are not flagged
    assert len(frames) >= 3
    assert frames[0].rgb.shape == (info.height, info.width, 3)
    assert np.all(np.diff([f.time_s for f in frames]) > 0)
    assert info.fps > 1 and info.duration_s and info.duration_s > 0.5
    assert frames[-1].time_s == pytest.approx(info.duration_s, abs=1.0)


@pytest.mark.shared
def test_shared_phone_video_rotation() -> None:
    path = SHARED_VIDEOS / "cgusti_warrior2_wrong_1.mov"
    if not path.is_file():
        pytest.skip(f"shared video not found: {path}")
    info = probe(path)
    assert info.rotation_deg == -90  # stored landscape, shown portrait
    assert (info.width, info.height) == (1080, 1920)


@pytest.mark.slow
@pytest.mark.shared
def test_memory_stays_flat_on_a_long_video() -> None:
    path = SHARED_VIDEOS / "ooibowei_warrior2_1.mp4"  # 26 s of 1280x720
    statm = Path("/proc/self/statm")
    if not path.is_file():
        pytest.skip(f"shared video not found: {path}")
    if not statm.is_file():
        pytest.skip("needs /proc/self/statm to measure memory")

    def rss_mb() -> float:
        return int(statm.read_text().split()[1]) * 4096 / 2**20

    samples = []
    with FrameReader(path) as reader:
        for frame in reader:
            if frame.index % 50 == 0:
                samples.append(rss_mb())
    assert reader.frames_read > 700
    # Each RGB frame is 2.7 MB: holding on to frames would grow by hundreds of MB.
    assert max(samples[2:]) - samples[2] < 60, samples
