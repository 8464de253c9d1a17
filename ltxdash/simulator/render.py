"""Real media for simulated jobs: small H.264/AAC MP4s (and EXR ZIPs, see exr.py).

A clip is a tiny frame (the long side is 320 px, in the requested aspect ratio) with the prompt
written on it, a square sliding across and a running timecode, at the requested frame rate, as
long as requested up to ``max_clip_seconds``. With audio it carries a two-pitch tone (a beep each
second). Rendering takes a fraction of a second, and each distinct clip is rendered once: files
are cached under ``<state dir>/cache`` by a hash of everything visible in them. Files nobody has
asked for in a day are removed (now and then, after a render); one asked for again is simply
rendered again, so a long-running demo does not fill the disk.

Like the real API's files, the MP4 keeps its index (moov) at the end, i.e. it is not faststart.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import struct
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import av
from PIL import Image, ImageDraw, ImageFont

from . import exr

logger = logging.getLogger(__name__)

LONG_SIDE = 320
SAMPLE_RATE = 48000
AUDIO_FRAME = 1024
# 375 Hz and 750 Hz fit a whole number of periods into one 1024-sample AAC frame at 48 kHz,
# so each tone is computed once and reused for every frame.
_TONES = (375, 750)


def spec_key(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


def small_size(width: int, height: int, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """``width`` x ``height`` scaled so the long side is ``long_side``, both even."""
    scale = long_side / max(width, height, 1)
    return max(16, round(width * scale / 2) * 2), max(16, round(height * scale / 2) * 2)


# Cached files unused for this long are removed; the cache is looked over at most this often.
KEEP_UNUSED_SECONDS = 24 * 3600.0
PRUNE_EVERY_SECONDS = 600.0


class Renderer:
    """Renders each spec once into the cache directory, whatever the number of threads."""

    def __init__(
        self,
        cache_dir: Path,
        on_render: Callable[[str], None] | None = None,
        keep_unused_seconds: float = KEEP_UNUSED_SECONDS,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.keep_unused_seconds = keep_unused_seconds
        self._pruned_at = 0.0
        self._on_render = on_render
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def path_for(self, spec: dict[str, Any]) -> Path:
        suffix = ".zip" if spec["kind"] == "exr" else ".mp4"
        return self.cache_dir / (spec_key(spec) + suffix)

    def ensure(self, spec: dict[str, Any]) -> Path:
        """The cached file for ``spec``, rendering it first if no process has yet."""
        path = self.path_for(spec)
        if _touch(path):
            return path
        with self._locks_guard:
            lock = self._locks.setdefault(path.name, threading.Lock())
        with lock:
            if path.exists():
                return path
            # Render beside the target and rename: readers (in any process) never see half a file.
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            try:
                if spec["kind"] == "exr":
                    exr.write_frames_zip(tmp, spec)
                else:
                    write_mp4(tmp, spec)
                # Counted before the file appears: whoever sees the file sees the count.
                if self._on_render is not None:
                    self._on_render(spec["kind"])
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        self.prune()
        return path

    def prune(self, force: bool = False) -> list[Path]:
        """Remove cached files unused for ``keep_unused_seconds`` (at most once every
        PRUNE_EVERY_SECONDS unless forced); returns what was removed."""
        now = time.time()
        with self._locks_guard:
            if not force and now - self._pruned_at < PRUNE_EVERY_SECONDS:
                return []
            self._pruned_at = now
        removed = []
        for entry in os.scandir(self.cache_dir):
            try:
                if entry.is_file() and entry.stat().st_mtime < now - self.keep_unused_seconds:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except FileNotFoundError:
                continue  # another process pruned or renamed it first
        return removed

    def ensure_in_background(self, spec: dict[str, Any]) -> None:
        """Start rendering now, so the file is usually ready by the time the job completes."""
        if self.path_for(spec).exists():
            return
        with self._locks_guard:
            if self._pool is None:
                # Two workers: a burst of submits must not starve the request threads of CPU.
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sim-render")
            self._pool.submit(self._quiet_ensure, spec)

    def _quiet_ensure(self, spec: dict[str, Any]) -> None:
        try:
            self.ensure(spec)
        except Exception:  # the download renders again and reports it
            logger.exception("background render failed")


def _touch(path: Path) -> bool:
    """Mark a cached file as used now; False when it is not there (yet, or any more)."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _font_height(font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> float:
    """A font's size in pixels: FreeType fonts know theirs; the bitmap fallback is measured."""
    if isinstance(font, ImageFont.FreeTypeFont):
        return font.size
    return font.getbbox("Ag")[3]


def _wrap(text: str, font: Any, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1] + " ..."]
    return lines


def _background(width: int, height: int, title: str, caption: str) -> Image.Image:
    """The still part of every frame: a gradient, the prompt and a caption."""
    top, bottom = (18, 24, 48), (52, 28, 70)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    margin = max(6, width // 32)
    title_font = _font(max(10, min(width, height) // 11))
    line_height = round(title_font.size * 1.25) if hasattr(title_font, "size") else 12
    max_lines = max(1, (height - 3 * line_height) // line_height)
    y = margin
    for line in _wrap(title or "(no prompt)", title_font, width - 2 * margin, max_lines):
        draw.text((margin, y), line, font=title_font, fill=(245, 245, 250))
        y += line_height
    small = _font(max(8, min(width, height) // 16))
    draw.text(
        (margin, height - margin - 2 * _font_height(small)),
        caption,
        font=small,
        fill=(170, 180, 210),
    )
    return image


def write_mp4(path: Path, spec: dict[str, Any]) -> None:
    width, height, fps = spec["width"], spec["height"], spec["fps"]
    frames = max(1, round(spec["seconds"] * fps))
    background = _background(width, height, spec["title"], spec["caption"])
    clock_font = _font(max(8, min(width, height) // 16))
    box = max(8, height // 8)
    margin = max(6, width // 32)

    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = (
            container.add_stream("aac", rate=SAMPLE_RATE, layout="mono") if spec["audio"] else None
        )

        for index in range(frames):
            image = background.copy()
            draw = ImageDraw.Draw(image)
            # A square sliding across the lower third and a timecode: motion a player can show.
            x = round((width - box) * (0.5 - 0.5 * math.cos(2 * math.pi * index / (2 * fps))))
            y = height - margin - box - 2 * _font_height(clock_font) - 4
            hue = (index * 7) % 255
            draw.rectangle([x, y, x + box, y + box], fill=(255, 160 + hue % 96, 40 + hue // 3))
            seconds = index / fps
            draw.text(
                (margin, height - margin - _font_height(clock_font)),
                f"{int(seconds // 60):02d}:{seconds % 60:05.2f}  #{index + 1}/{frames}",
                font=clock_font,
                fill=(230, 230, 240),
            )
            for packet in video.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)

        if audio is not None:
            tones = [_tone_bytes(hz) for hz in _TONES]
            total = round(spec["seconds"] * SAMPLE_RATE)
            for pts in range(0, total, AUDIO_FRAME):
                frame = av.AudioFrame(format="fltp", layout="mono", samples=AUDIO_FRAME)
                frame.planes[0].update(tones[(pts % SAMPLE_RATE) * 2 // SAMPLE_RATE])
                frame.sample_rate, frame.pts = SAMPLE_RATE, pts
                for packet in audio.encode(frame):
                    container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)

    if spec.get("pad_to"):
        pad_with_free_box(path, spec["pad_to"])


def _tone_bytes(hz: int) -> bytes:
    samples = [0.2 * math.sin(2 * math.pi * hz * k / SAMPLE_RATE) for k in range(AUDIO_FRAME)]
    return struct.pack(f"<{AUDIO_FRAME}f", *samples)


def pad_with_free_box(path: Path, total_size: int) -> None:
    """Grow the MP4 at ``path`` to ``total_size`` bytes with a trailing ``free`` box.

    Players skip ``free`` boxes, so the file stays valid. The zeros are a sparse hole made by
    truncate(): a 512 MiB pad costs no time and (on most file systems) no disk.
    """
    size = path.stat().st_size
    pad = total_size - size
    if pad < 16:
        return
    with path.open("r+b") as f:
        f.seek(size)
        if pad < 2**32:
            f.write(struct.pack(">I4s", pad, b"free"))
        else:  # a 64-bit box: size field 1, then the real size
            f.write(struct.pack(">I4sQ", 1, b"free", pad))
        f.truncate(total_size)
