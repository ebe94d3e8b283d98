"""Thin PyAV adapter: probe, stream-decode and write video files.

Reading streams the file frame by frame (memory stays flat on long videos), applies the
container's rotation metadata, and gives each frame its real presentation time, so variable
frame rate phone videos are handled. A file that breaks part way (truncated upload, corrupt
data) is read up to the damage; ``FrameReader.damage`` then says where and why.

Writing produces browser-playable files: H.264 (yuv420p, main profile, ``+faststart``) for
``.mp4``, VP9 for ``.webm``, and raw YUV4MPEG2 (4:2:0, ``C420``) for ``.y4m``, the format
Chromium's ``--use-file-for-fake-video-capture`` reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import av
import cv2
import numpy as np
from av.sidedata.sidedata import Type as SideDataType

__all__ = [
    "Frame",
    "FrameReader",
    "VIDEO_SUFFIXES",
    "VideoError",
    "VideoInfo",
    "VideoWriter",
    "apply_display_matrix",
    "probe",
]

# Demuxers that read a single still image: a photo renamed to .mp4 opens "successfully" as a
# one-frame mjpeg/png stream; we reject it as "not a video file".
_IMAGE_FORMAT_SUFFIX = "_pipe"
_IMAGE_FORMATS = {"image2", "image2pipe"}
_FALLBACK_FPS = 30.0
MAX_BAD_PACKETS = 300  # this many damaged packets in a row: the rest is not worth trying
_TICK = Fraction(1, 90000)  # the MPEG clock: whole ticks for 24, 25, 29.97, 30 and 60 fps


VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"}  # found in folders


class VideoError(Exception):
    """A video file cannot be read or written; the message is meant for the user."""


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds (dimensions are as displayed, i.e. after rotation)."""

    path: str
    width: int  # after rotation
    height: int  # after rotation
    fps: float  # average
    frame_count: int | None  # as declared by the container; may count edit-list frames
    duration_s: float | None
    rotation_deg: int  # counter-clockwise display rotation (FFmpeg/PyAV convention)
    codec: str


class Frame:
    """One decoded frame. Its picture is converted to RGB (and turned as a player shows it)
    only when `rgb` is first read: a frame that is neither analysed nor drawn costs the
    decoding alone."""

    def __init__(
        self,
        index: int,
        time_s: float,
        decoded: av.VideoFrame,
        matrix: Sequence[int] | None = None,
        rotation_deg: int = 0,
    ) -> None:
        self.index = index  # index in the decoded stream
        self.time_s = time_s  # presentation time from pts*time_base, from the first frame
        self._decoded: av.VideoFrame | None = decoded
        self._turn = (matrix, rotation_deg)
        self._rgb: np.ndarray | None = None

    @property
    def rgb(self) -> np.ndarray:
        """HxWx3 uint8, RGB, rotation metadata applied."""
        if self._rgb is None:
            assert self._decoded is not None
            self._rgb = apply_display_matrix(self._decoded.to_ndarray(format="rgb24"), *self._turn)
            self._decoded = None  # the decoder's buffer is not held any longer
        return self._rgb


# --------------------------------------------------------------------------- rotation


def apply_display_matrix(
    rgb: np.ndarray, matrix: Sequence[int] | None = None, rotation_deg: int = 0
) -> np.ndarray:
    """Return ``rgb`` turned/mirrored the way a player shows it.

    ``matrix`` is FFmpeg's 3x3 display matrix (9 ints, row-major, 16.16 fixed point), mapping a
    stored pixel (x, y) to ``(x*m0 + y*m3, x*m1 + y*m4)`` (y pointing down). It expresses
    rotations by multiples of 90 degrees and mirroring. Without a matrix, ``rotation_deg``
    (counter-clockwise, as ``av.VideoFrame.rotation`` reports it) is used. Other angles are
    rounded to the nearest multiple of 90 degrees.
    """
    if matrix is None or len(matrix) < 5:
        k = round(rotation_deg / 90.0) % 4
        out = np.rot90(rgb, k=k) if k else rgb
        return np.ascontiguousarray(out)
    m0, m1, m3, m4 = matrix[0], matrix[1], matrix[3], matrix[4]
    if abs(m1) + abs(m3) > abs(m0) + abs(m4):  # axes swapped: a quarter turn
        out = rgb.swapaxes(0, 1)
        if m1 < 0:
            out = out[::-1]
        if m3 < 0:
            out = out[:, ::-1]
    else:
        out = rgb
        if m0 < 0:
            out = out[:, ::-1]
        if m4 < 0:
            out = out[::-1]
    return np.ascontiguousarray(out)


def _frame_display_matrix(frame: av.VideoFrame) -> list[int] | None:
    """The frame's DISPLAYMATRIX side data as 9 ints, or None."""
    try:
        side = frame.side_data.get(SideDataType.DISPLAYMATRIX)
    except Exception:  # side data access is best effort
        return None
    if side is None:
        return None
    raw = bytes(side)
    if len(raw) < 36:
        return None
    return np.frombuffer(raw[:36], dtype="<i4").tolist()


def _frame_rotation(frame: av.VideoFrame) -> int:
    try:
        return int(frame.rotation)
    except Exception:
        return 0


def _quarter_turn(matrix: Sequence[int] | None, rotation_deg: int) -> bool:
    if matrix is not None and len(matrix) >= 5:
        return abs(matrix[1]) + abs(matrix[3]) > abs(matrix[0]) + abs(matrix[4])
    return round(rotation_deg / 90.0) % 2 == 1


# --------------------------------------------------------------------------- reading


def _open_input(path: str | os.PathLike[str]) -> tuple[Any, Any]:
    """Open ``path`` and return (container, video stream), raising VideoError."""
    p = Path(path)
    if not p.exists():
        raise VideoError(f"{p}: file not found")
    if p.is_dir():
        raise VideoError(f"{p}: is a folder, not a video file")
    if p.stat().st_size == 0:
        raise VideoError(f"{p}: cannot be opened as video: the file is empty (0 bytes)")
    try:
        container = av.open(str(p), mode="r")
    except av.FFmpegError as exc:
        reason = _mp4_cut_short(p) or getattr(exc, "strerror", None) or str(exc)
        raise VideoError(f"{p}: cannot be opened as video: {reason}") from exc
    except OSError as exc:
        raise VideoError(f"{p}: cannot be opened as video: {exc}") from exc
    fmt = container.format.name if container.format else ""
    if fmt in _IMAGE_FORMATS or fmt.endswith(_IMAGE_FORMAT_SUFFIX):
        container.close()
        kind = fmt.removesuffix(_IMAGE_FORMAT_SUFFIX)
        raise VideoError(f"{p}: not a video file (it is a still image: {kind})")
    streams = [
        s
        for s in container.streams.video
        if not (s.disposition & av.stream.Disposition.attached_pic)
    ]
    if not streams:
        container.close()
        raise VideoError(f"{p}: not a video file (no video stream)")
    return container, streams[0]


def _mp4_cut_short(path: Path) -> str | None:
    """Why an MP4/MOV file cannot be opened, when the reason is that it was cut short before
    its index (the 'moov' box, which phones write at the end): its top-level boxes run past
    the end of the file and no 'moov' was found. None if that is not the case."""
    size = path.stat().st_size
    boxes: list[bytes] = []
    with open(path, "rb") as fh:
        at = 0
        while at + 8 <= size:
            fh.seek(at)
            head = fh.read(16)
            length, kind = int.from_bytes(head[:4], "big"), head[4:8]
            if length == 1 and len(head) == 16:
                length = int.from_bytes(head[8:16], "big")
            elif length == 0:
                length = size - at
            if length < 8:
                return None
            boxes.append(kind)
            at += length
    if not boxes or boxes[0] != b"ftyp" or b"moov" in boxes or at <= size:
        return None
    return (
        "the file is incomplete: it was cut short before its index (the 'moov' box that phones "
        "write last), as when a recording or an upload is interrupted; no frame can be read "
        "without it. Use the complete file."
    )


def _stream_fps(stream: Any) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            fps = float(rate)
            if 0.0 < fps < 1000.0:
                return fps
    return _FALLBACK_FPS


def _expected_span(container: Any, stream: Any) -> tuple[float | None, float | None]:
    """(start, end) of the video stream in seconds as the container declares it."""
    tb = stream.time_base
    if stream.duration and tb:
        start = float(stream.start_time * tb) if stream.start_time is not None else 0.0
        return start, start + float(stream.duration * tb)
    if container.duration:
        start = container.start_time / av.time_base if container.start_time else 0.0
        return start, start + container.duration / av.time_base
    return None, None


def _make_info(
    path: str, container: Any, stream: Any, matrix: list[int] | None, rotation: int
) -> VideoInfo:
    width, height = stream.codec_context.width, stream.codec_context.height
    if _quarter_turn(matrix, rotation):
        width, height = height, width
    start, end = _expected_span(container, stream)
    duration = None if end is None or start is None else max(0.0, end - start)
    return VideoInfo(
        path=path,
        width=int(width),
        height=int(height),
        fps=_stream_fps(stream),
        frame_count=int(stream.frames) or None,
        duration_s=duration,
        rotation_deg=int(rotation),
        codec=stream.codec_context.name,
    )


class FrameReader:
    """Stream frames from a video file, every one of them (which to analyse is the caller's
    choice: a frame whose `rgb` is never read is only decoded).

    ``with FrameReader(path) as reader: for frame in reader: ...``

    Opening raises :class:`VideoError` when the file is missing, cannot be opened or has no
    video stream. Damaged data inside the file is skipped (each stretch lost is in
    :attr:`gaps`); damage that ends the file stops the iteration quietly and sets
    :attr:`damage`; a file that decodes to nothing leaves :attr:`frames_read` at 0.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.frames_read = 0  # frames yielded
        self.damage: str | None = None
        self.gaps: list[tuple[float, float]] = []  # (from, to) s: damaged stretches skipped
        self._gap_open: float | None = None  # a gap seen, waiting for the next good frame
        self._last_time: float | None = None  # time of the last decoded frame (for damage)
        self._container, self._stream = _open_input(path)
        self._stream.thread_type = "AUTO"
        self._fps = _stream_fps(self._stream)
        self._span = _expected_span(self._container, self._stream)
        self._decoded = self._decode()
        try:
            # Peek at the first frame: rotation metadata arrives as frame side data.
            # It is read once: the display matrix is a stream property, and touching
            # frame.side_data in PyAV 18 creates a reference cycle per frame that keeps
            # decoded frames alive until the cyclic GC runs (hundreds of MB on HD video).
            self._first: av.VideoFrame | None = next(self._decoded, None)
            first = self._first
            self._matrix = _frame_display_matrix(first) if first is not None else None
            self._rotation = _frame_rotation(first) if first is not None else 0
            self.info = _make_info(
                self.path, self._container, self._stream, self._matrix, self._rotation
            )
        except BaseException:
            self.close()
            raise

    # -- context manager / iteration

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the file (also done by the context manager)."""
        self._first = None
        if getattr(self, "_container", None) is not None:
            self._decoded.close()
            self._container.close()
            self._container = None

    def __iter__(self) -> Iterator[Frame]:
        if self._container is None:
            raise VideoError(f"{self.path}: reader is closed")
        first, self._first = self._first, None
        frames = self._decoded if first is None else _chain(first, self._decoded)
        prev_pts_time: float | None = None
        origin: float | None = None
        index = -1
        for av_frame in frames:
            index += 1
            pts_time = self._pts_time(av_frame)
            if pts_time is None or (prev_pts_time is not None and pts_time <= prev_pts_time):
                # Missing or non-monotonic pts: estimate from the previous frame.
                pts_time = (prev_pts_time + 1.0 / self._fps) if prev_pts_time is not None else 0.0
            prev_pts_time = pts_time
            if origin is None:
                origin = pts_time
            self._last_time = pts_time - origin
            if self._gap_open is not None:
                self.gaps.append((self._gap_open, self._last_time))
                self._gap_open = None
            self.frames_read += 1
            yield Frame(index, self._last_time, av_frame, self._matrix, self._rotation)
        if self.damage is None and prev_pts_time is not None:
            self._check_complete(prev_pts_time)

    # -- internals

    def _pts_time(self, frame: av.VideoFrame) -> float | None:
        tb = frame.time_base or self._stream.time_base
        if frame.pts is None or tb is None:
            return None
        return float(frame.pts * tb)

    def _decode(self) -> Iterator[av.VideoFrame]:
        """Decoded frames. A packet that fails to decode is skipped and the decoding goes on
        (recorded in :attr:`gaps`); an error of the file itself stops it (:attr:`damage`)."""
        failures = 0  # packets failed in a row
        gap_from: float | None = None
        try:
            for packet in self._container.demux(self._stream):
                try:
                    frames = packet.decode()
                except (av.FFmpegError, ValueError) as exc:
                    failures += 1
                    if gap_from is None:
                        gap_from = self._last_time or 0.0
                    if failures > MAX_BAD_PACKETS:
                        why = f"{failures} damaged packets in a row"
                        raise av.InvalidDataError(0, why) from exc
                    continue
                if frames:
                    failures = 0
                    if gap_from is not None:
                        self._gap_open = gap_from
                        gap_from = None
                yield from frames
        except (av.FFmpegError, OSError, ValueError, EOFError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            self._set_damage(f"decoding failed: {reason}")

    def _set_damage(self, reason: str) -> None:
        at = self._last_time or 0.0
        self.damage = f"stopped at {at:.1f} s: {reason}"

    def _check_complete(self, last_pts_time: float) -> None:
        """Flag a file that ends well before its declared duration (e.g. truncated)."""
        start, end = self._span
        if end is None or start is None:
            return
        duration = end - start
        missing = end - (last_pts_time + 1.0 / self._fps)
        if missing > max(0.5, 3.0 / self._fps, 0.05 * duration):
            self._set_damage(
                f"the file ends early (it should last {duration:.1f} s); "
                "it is probably truncated or incompletely uploaded"
            )


def _chain(first: av.VideoFrame, rest: Iterator[av.VideoFrame]) -> Iterator[av.VideoFrame]:
    yield first
    yield from rest


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe a video file; raises :class:`VideoError` if it cannot be read as video."""
    with FrameReader(path) as reader:
        if reader._first is None:
            if reader.damage:
                raise VideoError(f"{reader.path}: cannot be decoded: {reader.damage}")
            raise VideoError(f"{reader.path}: contains no frames")
        return reader.info


# --------------------------------------------------------------------------- writing


class VideoWriter:
    """Write RGB frames to ``.mp4`` (H.264), ``.webm`` (VP9) or ``.y4m`` (raw 4:2:0).

    ``with VideoWriter(path, fps, width, height) as w: w.write(rgb)``. Odd sizes are padded
    by one black pixel (4:2:0 needs even sizes); :attr:`width`/:attr:`height` hold the
    written size. If no frame is written, no file is produced for ``.mp4``/``.webm``.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, width: int, height: int) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        if width < 1 or height < 1:
            raise ValueError(f"invalid frame size {width}x{height}")
        self.path = str(path)
        self.fps = float(fps)
        self.in_width, self.in_height = int(width), int(height)
        self.width, self.height = (
            self.in_width + self.in_width % 2,
            self.in_height + self.in_height % 2,
        )
        self.frames_written = 0
        self._rate = Fraction(self.fps).limit_denominator(1001)
        self._last_pts = -1  # in _TICKs
        self._y4m: IO[bytes] | None = None
        self._container: Any = None
        self._stream: Any = None
        ext = Path(path).suffix.lower()
        if not Path(path).parent.is_dir():
            raise VideoError(f"{path}: cannot write video: folder {Path(path).parent} not found")
        try:
            if ext == ".y4m":
                self._open_y4m()
            elif ext == ".mp4":
                self._open_av(
                    "libx264",
                    {"movflags": "+faststart"},
                    {"preset": "veryfast", "crf": "23", "profile": "main"},
                )
            elif ext == ".webm":
                self._open_av(
                    "libvpx-vp9",
                    {},
                    {"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0", "row-mt": "1"},
                )
            else:
                raise VideoError(
                    f"{path}: cannot write video: unsupported extension "
                    f"{ext or '(none)'} (use .mp4, .webm or .y4m)"
                )
        except (av.FFmpegError, OSError) as exc:
            raise VideoError(f"{path}: cannot write video: {exc}") from exc

    def _open_av(
        self, codec: str, container_opts: dict[str, str], codec_opts: dict[str, str]
    ) -> None:
        self._container = av.open(self.path, mode="w", options=container_opts)
        stream = self._container.add_stream(codec, rate=self._rate, options=codec_opts)
        stream.width, stream.height = self.width, self.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = _TICK  # frames keep their real times (variable frame rates)
        stream.codec_context.time_base = _TICK
        stream.thread_type = "AUTO"
        self._stream = stream

    def _open_y4m(self) -> None:
        self._y4m = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        # Chromium's fake capture: header < 200 bytes ending in "\n", integer F num:den,
        # colour space C420 (plain 4:2:0), each frame introduced by exactly "FRAME\n".
        header = (
            f"YUV4MPEG2 W{self.width} H{self.height} "
            f"F{self._rate.numerator}:{self._rate.denominator} Ip A1:1 C420\n"
        )
        self._y4m.write(header.encode("ascii"))

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def write(self, rgb: np.ndarray, time_s: float | None = None) -> None:
        """Append one HxWx3 uint8 RGB frame (H, W as given to the constructor). `time_s`: when
        it is shown, from the start (a source's real timestamps keep a variable frame rate);
        by default one frame period after the previous one. (.y4m has a fixed rate.)"""
        if rgb.shape != (self.in_height, self.in_width, 3):
            raise ValueError(
                f"frame shape {rgb.shape} does not match {(self.in_height, self.in_width, 3)}"
            )
        if rgb.dtype != np.uint8:
            raise ValueError(f"frame dtype must be uint8, got {rgb.dtype}")
        if (self.width, self.height) != (self.in_width, self.in_height):
            rgb = cv2.copyMakeBorder(
                rgb,
                0,
                self.height - self.in_height,
                0,
                self.width - self.in_width,
                cv2.BORDER_CONSTANT,
                value=0,
            )
        rgb = np.ascontiguousarray(rgb)
        if self._y4m is not None:
            self._y4m.write(b"FRAME\n")
            self._y4m.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
        elif self._container is not None:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if time_s is None:
                time_s = self.frames_written / self.fps
            pts = max(round(time_s / _TICK), self._last_pts + 1)
            self._last_pts = pts
            frame.pts = pts
            frame.time_base = _TICK
            try:
                self._container.mux(self._stream.encode(frame))
            except av.FFmpegError as exc:
                raise VideoError(f"{self.path}: cannot write video: {exc}") from exc
        else:
            raise VideoError(f"{self.path}: writer is closed")
        self.frames_written += 1

    def abort(self) -> None:
        """Close without finishing the file (after a write failed); never raises."""
        try:
            if self._y4m is not None:
                self._y4m.close()
            if self._container is not None:
                self._container.close()
        except Exception:  # the file is being given up anyway
            pass
        self._y4m = self._container = None

    def close(self) -> None:
        """Flush and close the file (also done by the context manager)."""
        if self._y4m is not None:
            self._y4m.close()
            self._y4m = None
        if self._container is not None:
            container, self._container = self._container, None
            try:
                if self.frames_written:
                    container.mux(self._stream.encode(None))
            except av.FFmpegError as exc:
                raise VideoError(f"{self.path}: cannot finish the video: {exc}") from exc
            finally:
                container.close()
