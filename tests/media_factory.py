"""Real, small media files for tests, made in-process with PyAV and Pillow.

    from tests.media_factory import make_video, make_audio, make_image
    clip = make_video(tmp_path / "clip.mp4", seconds=3, audio=True)

Frames are never black (a coloured, moving picture) unless `black_frames` asks for a fade-in.
The container follows the file's suffix (.mp4, .mov, .mkv) unless `fmt` says otherwise.
"""

from __future__ import annotations

import array
import math
import struct
import zlib
from pathlib import Path

import av
from PIL import Image, ImageDraw

_VIDEO_FORMATS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
_AUDIO_SETUPS = {  # fmt -> (container format, codec, sample rate)
    "wav": ("wav", "pcm_s16le", 48000),
    "m4a": ("mp4", "aac", 48000),
    "mp3": ("mp3", "libmp3lame", 44100),
    "ogg": ("ogg", "libopus", 48000),
    "flac": ("flac", "flac", 48000),
}


def make_video(
    path: str | Path,
    seconds: float = 3,
    width: int = 320,
    height: int = 180,
    fps: int = 24,
    audio: bool = False,
    faststart: bool = False,
    *,
    codec: str = "libx264",
    fmt: str | None = None,
    black_frames: int = 0,
    rotation: int = 0,
) -> Path:
    """Encode a clip; `black_frames` black frames first; `rotation` sets the display matrix."""
    path = Path(path)
    fmt = fmt or _VIDEO_FORMATS.get(path.suffix.lower(), "mp4")
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format=fmt, container_options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if codec in ("libx264", "libx265"):
            stream.options = {"preset": "ultrafast"}
            if codec == "libx265":
                stream.options["x265-params"] = "log-level=error"
        if rotation:
            stream.set_display_rotation(rotation)
        sound = _add_audio_stream(container, "aac", 48000) if audio else None
        total = round(seconds * fps)
        for index in range(total):
            picture = _picture(index, total, width, height, black=index < black_frames)
            frame = av.VideoFrame.from_image(picture)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if sound is not None:
            _write_tone(container, sound, seconds)
    return path


def make_audio(path: str | Path, seconds: float = 3, fmt: str = "wav") -> Path:
    """A sine tone in "wav", "m4a" (AAC-LC), "mp3", "ogg" (Opus) or "flac" (unsupported by LTX)."""
    path = Path(path)
    container_format, codec, rate = _AUDIO_SETUPS[fmt]
    with av.open(str(path), "w", format=container_format) as container:
        stream = _add_audio_stream(container, codec, rate)
        _write_tone(container, stream, seconds)
    return path


def make_image(path: str | Path, width: int = 320, height: int = 180, fmt: str = "PNG") -> Path:
    path = Path(path)
    _picture(1, 2, width, height).save(path, fmt)
    return path


def make_huge_png(path: str | Path, width: int, height: int) -> Path:
    """A real, valid, all-black greyscale PNG of any size, a few hundred kB on disk: the rows are
    compressed as they are made, so neither this nor its maker holds the pixels (a
    decompression bomb: Pillow would need width x height bytes to decode it)."""
    path = Path(path)
    row = b"\0" * (width + 1)  # filter byte 0, then one byte per pixel
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def _picture(
    index: int, total: int, width: int, height: int, *, black: bool = False
) -> Image.Image:
    if black:
        return Image.new("RGB", (width, height))
    shade = 60 + int(150 * index / max(total - 1, 1))
    image = Image.new("RGB", (width, height), (shade, 90, 200 - shade // 2))
    draw = ImageDraw.Draw(image)
    box = max(width, height) // 8
    x = int((width - box) * index / max(total - 1, 1))
    draw.rectangle((x, height // 3, x + box, height // 3 + box), fill=(255, 255, 255))
    draw.text((4, 4), f"frame {index}", fill=(0, 0, 0))
    return image


def _add_audio_stream(container: av.container.OutputContainer, codec: str, rate: int):
    stream = container.add_stream(codec, rate=rate)
    stream.layout = "mono"
    return stream


def _write_tone(container: av.container.OutputContainer, stream, seconds: float) -> None:
    rate = stream.rate
    chunk = stream.codec_context.frame_size or 1024
    total = round(seconds * rate)
    for start in range(0, total, chunk):
        count = min(chunk, total - start)
        samples = array.array(
            "h",
            (int(8000 * math.sin(2 * math.pi * 440 * (start + i) / rate)) for i in range(count)),
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(samples.tobytes().ljust(frame.planes[0].buffer_size, b"\0"))
        frame.sample_rate = rate
        frame.pts = start
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
