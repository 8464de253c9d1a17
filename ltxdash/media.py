"""Media files: what they are (probe), a poster frame, and a faststart remux for the browser.

Everything runs in-process through PyAV (FFmpeg inside the wheel) and Pillow; there is no
ffmpeg binary to call. Files are identified by their content, never by their name: PyAV is
given an open file object, so FFmpeg's probe cannot lean on the extension.

Untrusted files are probed with ``Bounds``: dimensions, duration and frame count are read from
the header and checked before anything is decoded (a 641 kB PNG can declare 13000x13000
pixels), and a video's first and last frames are decoded within a time limit, so a file cut
short is refused instead of failing at LTX.
"""

from __future__ import annotations

import os
import struct
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from av.stream import Disposition
from PIL import Image, ImageStat, UnidentifiedImageError

StrPath = str | os.PathLike[str]

_NOT_VIDEO = "This file is not a video we can use"
_NOT_AUDIO = "This file is not an audio file we can use"
_NOT_IMAGE = "This file is not an image we can use"

_IMAGE_MIMES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# Recognised so the message can name them, then refused.
_OTHER_IMAGES = ("GIF", "BMP", "TIFF")
_VIDEO_CODECS = {"h264", "hevc"}
_AUDIO_CODECS = {  # container -> codecs the LTX input-formats page lists for it
    "wav": {"aac", "mp3", "opus", "vorbis", "flac"},  # plus PCM, which is what WAV usually holds
    "mp3": {"mp3"},
    "m4a": {"aac"},
    "ogg": {"opus", "vorbis"},
}
_AUDIO_MIMES = {"wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg"}
_FFMPEG_ERRORS = (av.FFmpegError, OSError, ValueError, EOFError)
# A backstop for every image this process opens (posters, stills, the simulator's renders):
# Pillow warns above this many pixels and refuses twice as many. Uploaded inputs meet their
# tighter ``Bounds`` on the header first.
Image.MAX_IMAGE_PIXELS = 64_000_000


@dataclass(frozen=True)
class Bounds:
    """Ceilings checked on a file's header before it is decoded (the catalog's MAX_INPUT_*)."""

    max_side: int  # pixels, either side (images and video frames)
    max_pixels: int  # width x height
    max_seconds: float  # video and audio
    max_frames: int  # video
    check_seconds: float = 20.0  # time allowed to decode a video's first and last frames

    def size_problem(self, width: int, height: int) -> str | None:
        if max(width, height) <= self.max_side and width * height <= self.max_pixels:
            return None
        return (
            f"it is {width}x{height}; the largest we take is {self.max_side} px a side and "
            f"{self.max_pixels / 1_000_000:g} megapixels. Scale it down first."
        )


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "image" | "video" | "audio"
    mime: str
    container: str  # "png", "jpeg", "webp", "mp4", "mov", "mkv", "wav", "mp3", "m4a", "ogg"
    codec: str | None
    width: int | None  # as displayed (rotation applied)
    height: int | None
    fps: float | None
    duration: float | None  # seconds
    frames: int | None
    has_audio: bool
    audio_codec: str | None
    size: int  # bytes

    @property
    def resolution(self) -> str | None:
        return f"{self.width}x{self.height}" if self.width and self.height else None


class MediaError(ValueError):
    """A file we cannot use; the message is written for the person who supplied it."""


class NotMedia(MediaError):
    """Not an image, a video or audio at all (empty, unreadable, an unknown format): the caller
    knows which of them it wanted, so it names that (``about``)."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem  # "its format wasn't recognised"

    def about(self, kind: str) -> str:
        """The message for an input that should have been ``kind`` (image, video, audio)."""
        wanted = {"image": _NOT_IMAGE, "audio": _NOT_AUDIO}.get(kind, _NOT_VIDEO)
        return f"{wanted}: {self.problem}."


class OutOfBounds(MediaError):
    """Larger or longer than the ``Bounds`` it was probed within, by its header (nothing was
    decoded): not damage, so trying again cannot help."""


def _not_media(problem: str) -> NotMedia:
    return NotMedia(f"{_NOT_VIDEO}: {problem}.", problem)


def probe(path: StrPath, bounds: Bounds | None = None) -> MediaInfo:
    """Describe an image, video or audio file, or raise MediaError.

    With ``bounds`` (an untrusted input), sizes and lengths are checked on the header before
    any decoding, and a video must decode at its start and at its end."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _not_media("it could not be read") from exc
    if size == 0:
        raise _not_media("the file is empty")
    return _probe_image(path, size, bounds) or _probe_av(path, size, bounds)


def _probe_image(path: Path, size: int, bounds: Bounds | None) -> MediaInfo | None:
    try:
        # open() reads only the header; nothing is decoded before load().
        with Image.open(path, formats=(*_IMAGE_MIMES, *_OTHER_IMAGES)) as image:
            fmt, (width, height) = image.format or "", image.size
            if fmt not in _IMAGE_MIMES:
                raise MediaError(
                    f"{_NOT_IMAGE}: {fmt} images aren't supported; use PNG, JPEG or WEBP."
                )
            problem = bounds.size_problem(width, height) if bounds else None
            if problem:
                raise OutOfBounds(f"{_NOT_IMAGE}: {problem}")
            if fmt == "JPEG":
                image.draft("RGB", (256, 256))  # decode at reduced scale: enough to find damage
            image.load()
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError as exc:  # refused by Pillow's backstop, at open()
        raise MediaError(
            f"{_NOT_IMAGE}: it is far too large to open. Scale it down first."
        ) from exc
    except (OSError, SyntaxError) as exc:
        raise MediaError(f"{_NOT_IMAGE}: it is damaged or too large to open.") from exc
    return MediaInfo("image", _IMAGE_MIMES[fmt], fmt.lower(), fmt.lower(), width, height,
                     None, None, None, False, None, size)  # fmt: skip


def _probe_av(path: Path, size: int, bounds: Bounds | None) -> MediaInfo:
    with path.open("rb") as handle:
        try:
            container = av.open(handle, mode="r")
        except _FFMPEG_ERRORS as exc:
            raise _not_media("its format wasn't recognised") from exc
        with container:
            try:
                return _describe(container, _leading_bytes(path), size, bounds)
            except MediaError:
                raise
            except _FFMPEG_ERRORS as exc:
                raise MediaError(f"{_NOT_VIDEO}: it is damaged and could not be decoded.") from exc


def _describe(container: Any, head: bytes, size: int, bounds: Bounds | None) -> MediaInfo:
    fmt = container.format.name
    video = next(
        (
            s
            for s in container.streams.video
            if not s.disposition & Disposition.attached_pic  # cover art in MP3/M4A is not video
        ),
        None,
    )
    audio = next(iter(container.streams.audio), None)
    audio_codec = _codec_name(audio) if audio is not None else None
    if video is not None:
        return _describe_video(container, video, fmt, head, size, audio_codec, bounds)
    if audio is not None:
        return _describe_audio(container, audio, fmt, head, size, bounds)
    raise _not_media("it has no picture, video or audio in it")


def _describe_video(
    container: Any,
    stream: Any,
    fmt: str,
    head: bytes,
    size: int,
    audio_codec: str | None,
    bounds: Bounds | None,
) -> MediaInfo:
    if fmt.startswith("mov,mp4"):
        name, mime = ("mov", "video/quicktime") if _is_quicktime(head) else ("mp4", "video/mp4")
    elif fmt.startswith("matroska"):
        name, mime = "mkv", "video/x-matroska"
    else:
        raise MediaError(
            f"{_NOT_VIDEO}: {_format_label(fmt)} files aren't supported; use MP4, MOV or MKV."
        )
    codec = _codec_name(stream)
    if codec not in _VIDEO_CODECS:
        raise MediaError(f"{_NOT_VIDEO}: it uses {codec} video; use H.264 or H.265.")
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else None
    duration = _seconds(stream, container)
    if not duration or duration <= 0:
        raise MediaError(f"{_NOT_VIDEO}: it has no length.")
    width, height = stream.codec_context.width, stream.codec_context.height
    if bounds is not None:
        _check_header(bounds, width, height, duration, stream.frames or None, fps)
    first = next(container.decode(stream), None)  # proves the data decodes, and gives rotation
    if first is None:
        raise MediaError(f"{_NOT_VIDEO}: no frame in it could be decoded.")
    if abs(first.rotation) == 90:
        width, height = height, width
    if bounds is not None:
        _check_last_frame(container, stream, duration, fps, bounds)
    frames = stream.frames or _count_packets(container, stream)
    return MediaInfo("video", mime, name, codec, width, height, fps, duration, frames,
                     audio_codec is not None, audio_codec, size)  # fmt: skip


def _describe_audio(
    container: Any, stream: Any, fmt: str, head: bytes, size: int, bounds: Bounds | None
) -> MediaInfo:
    if fmt == "wav":
        name = "wav"
    elif fmt == "mp3":
        name = "mp3"
    elif fmt == "ogg":
        name = "ogg"
    elif fmt.startswith("mov,mp4") and not _is_quicktime(head):
        name = "m4a"
    else:
        raise MediaError(
            f"{_NOT_AUDIO}: {_format_label(fmt)} files aren't supported; use WAV, MP3, M4A or OGG."
        )
    codec = _codec_name(stream)
    pcm_wav = name == "wav" and codec.startswith("pcm_")
    if codec not in _AUDIO_CODECS[name] and not pcm_wav:
        raise MediaError(f"{_NOT_AUDIO}: {name.upper()} with {codec} audio isn't supported.")
    if codec == "aac" and (stream.profile or "LC") != "LC":
        raise MediaError(
            f"{_NOT_AUDIO}: AAC audio must use the AAC-LC profile (this is {stream.profile})."
        )
    duration = _seconds(stream, container)
    if not duration or duration <= 0:
        raise MediaError(f"{_NOT_AUDIO}: it has no length.")
    if bounds is not None and duration > bounds.max_seconds:
        raise OutOfBounds(
            f"{_NOT_AUDIO}: it is {duration:.0f} s long; the longest we take is "
            f"{bounds.max_seconds:.0f} s."
        )
    if next(container.decode(stream), None) is None:
        raise MediaError(f"{_NOT_AUDIO}: no sound in it could be decoded.")
    return MediaInfo("audio", _AUDIO_MIMES[name], name, codec, None, None, None, duration, None,
                     True, codec, size)  # fmt: skip


def _check_header(
    bounds: Bounds, width: int, height: int, duration: float, frames: int | None, fps: float | None
) -> None:
    """What the container says, against ``bounds``, before a frame is decoded."""
    problem = bounds.size_problem(width, height) if width and height else None
    if problem:
        raise OutOfBounds(f"{_NOT_VIDEO}: {problem}")
    if duration > bounds.max_seconds:
        raise OutOfBounds(
            f"{_NOT_VIDEO}: it is {duration:.0f} s long; the longest we take is "
            f"{bounds.max_seconds:.0f} s."
        )
    estimated = frames or (round(duration * fps) if fps else None)
    if estimated is not None and estimated > bounds.max_frames:
        raise OutOfBounds(
            f"{_NOT_VIDEO}: it has {estimated} frames; the most we take is {bounds.max_frames}."
        )


def _check_last_frame(
    container: Any, stream: Any, duration: float, fps: float | None, bounds: Bounds
) -> None:
    """Decode the video's last frames (from the keyframe before them): a file cut short, whose
    index promises frames its data no longer holds, decodes nothing there or stops early."""
    deadline = time.monotonic() + bounds.check_seconds
    frame_time = 1 / fps if fps else 0.1
    target = max(0.0, duration - 2 * frame_time)
    last: float | None = None
    try:
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.time is not None:
                last = frame.time
            if time.monotonic() > deadline:
                raise MediaError(f"{_NOT_VIDEO}: it took too long to check. Try a shorter file.")
    except MediaError:
        raise
    except _FFMPEG_ERRORS as exc:
        raise MediaError(f"{_NOT_VIDEO}: its end is damaged or missing (is it complete?).") from exc
    start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
    # The last frame starts a frame before the end; allow a few frames (or 1/4 s) of rounding.
    if last is None or last - start < duration - max(4 * frame_time, 0.25):
        raise MediaError(f"{_NOT_VIDEO}: it ends early, as if cut short (is the upload complete?).")


def _codec_name(stream: Any) -> str:
    # The descriptor name ("mp3"), not the decoder's ("mp3float").
    return stream.codec_context.codec.name.removesuffix("float")


def _seconds(stream: Any, container: Any) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _count_packets(container: Any, stream: Any) -> int | None:
    """Frame count where the container has no index (MKV): one H.264/H.265 packet per frame."""
    container.seek(0)
    count = sum(1 for packet in container.demux(stream) if packet.size)
    return count or None


def _leading_bytes(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(12)


def _is_quicktime(head: bytes) -> bool:
    # MP4 and MOV share a demuxer; QuickTime files declare the "qt  " brand (or have no ftyp).
    return head[4:8] != b"ftyp" or head[8:12] == b"qt  "


def _format_label(fmt: str) -> str:
    return fmt.split(",")[0].upper()


# --- What a file is, by its first bytes ----------------------------------------------------------

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def sniff(path: StrPath) -> str | None:
    """The media type of a file an API answer pointed us at, read from its content only:
    ``video/mp4`` (an ISO-BMFF ``ftyp`` box with an MP4 brand; probe() then checks the
    streams), ``video/quicktime``, ``application/zip`` (a ZIP the zipfile module can read), or
    None for anything else (HTML, SVG, a PNG ...). Never from a name or a Content-Type header."""
    head = _leading_bytes(Path(path))
    if head[4:8] == b"ftyp":
        return "video/quicktime" if _is_quicktime(head) else "video/mp4"
    if head[:4] in _ZIP_MAGIC and zipfile.is_zipfile(path):
        return "application/zip"
    return None


# --- Poster frames -----------------------------------------------------------------------------

_BLACK_MEAN = 16  # mean luma (0-255) under which a frame counts as black: fades, slates
_POSTER_LOOKAHEAD = 48  # frames tried after the target when it is black


def make_poster(
    video_path: StrPath,
    dest_path: StrPath,
    *,
    at_seconds: float | None = None,
    max_width: int = 640,
) -> tuple[int, int]:
    """Write a JPEG frame from about 10% into the video (or `at_seconds`); return its size.

    A black frame at the target (fade-in) is skipped for the next non-black one.
    """
    try:
        with av.open(str(video_path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            target = at_seconds
            if target is None:
                duration = _seconds(stream, container) or 0.0
                target = duration * 0.1
            frame = _frame_near(container, stream, max(target, 0.0))
            image = frame.to_image(**_scaled(frame.width, frame.height, max_width))
            rotation = frame.rotation
    except (IndexError, *_FFMPEG_ERRORS) as exc:
        raise MediaError(f"{_NOT_VIDEO}: no poster frame could be made.") from exc
    if rotation:
        image = image.rotate(rotation, expand=True)  # counterclockwise, as the display matrix says
    image.save(dest_path, "JPEG", quality=85, optimize=True)
    return image.size


def _frame_near(container: Any, stream: Any, target: float) -> Any:
    if target > 0 and stream.time_base:
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
    # Seeking lands on the keyframe before the target: decode forward to the target.
    half_frame = 0.5 / float(stream.average_rate or 24)
    before, best, best_mean, looked = None, None, -1.0, 0
    for frame in container.decode(stream):
        if frame.time is not None and frame.time < target - half_frame:
            before = frame  # kept in case the target lies past the last frame
            continue
        mean = _luma(frame)
        if mean > best_mean:
            best, best_mean = frame, mean
        looked += 1
        if mean >= _BLACK_MEAN or looked >= _POSTER_LOOKAHEAD:
            break
    if best is None and before is None:
        raise MediaError(f"{_NOT_VIDEO}: no frame in it could be decoded.")
    return best or before


def _luma(frame: Any) -> float:
    small = frame.to_image(width=32, height=18).convert("L")
    return ImageStat.Stat(small).mean[0]


def _scaled(width: int, height: int, max_width: int) -> dict[str, int]:
    if width <= max_width:
        return {}
    new_height = max(2, round(height * max_width / width / 2) * 2)
    return {"width": max_width, "height": new_height}


# --- Faststart remux ----------------------------------------------------------------------------


def remux_faststart(src: StrPath, dst: StrPath) -> None:
    """Copy the video and audio streams, without re-encoding, into an MP4 whose index ('moov')
    comes before the media data, so browsers can start playing before the download ends.

    On failure `dst` is removed and MediaError raised."""
    try:
        with av.open(str(src)) as source:
            streams = [
                s
                for s in source.streams
                if s.type in ("video", "audio") and not s.disposition & Disposition.attached_pic
            ]
            if not streams:
                raise MediaError(f"{_NOT_VIDEO}: it has no video or audio in it.")
            options = {"movflags": "+faststart"}
            with av.open(str(dst), "w", format="mp4", container_options=options) as target:
                outputs = {s.index: target.add_stream_from_template(s) for s in streams}
                for packet in source.demux(*streams):
                    if packet.dts is None:
                        continue  # the demuxer's end-of-stream marker carries no data
                    packet.stream = outputs[packet.stream.index]
                    target.mux(packet)
    except MediaError:
        Path(dst).unlink(missing_ok=True)
        raise
    except _FFMPEG_ERRORS as exc:
        Path(dst).unlink(missing_ok=True)
        raise MediaError(f"{_NOT_VIDEO}: it could not be rewritten for streaming.") from exc


def is_faststart(path: StrPath) -> bool:
    """True when the top-level 'moov' box comes before 'mdat' (an MP4 a browser can stream)."""
    with open(path, "rb") as handle:
        while header := handle.read(8):
            if len(header) < 8:
                return False
            size, kind = struct.unpack(">I4s", header)
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            header_length = 8
            if size == 1:  # 64-bit size follows the type
                (size,) = struct.unpack(">Q", handle.read(8))
                header_length = 16
            if size < header_length:  # 0 = "to the end of the file", or a damaged box
                return False
            handle.seek(size - header_length, os.SEEK_CUR)
    return False


__all__ = [
    "Bounds",
    "MediaError",
    "MediaInfo",
    "NotMedia",
    "is_faststart",
    "make_poster",
    "probe",
    "remux_faststart",
    "sniff",
]
