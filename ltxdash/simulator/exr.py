"""Minimal OpenEXR writer for the simulated HDR endpoint.

Writes single-part scanline files, uncompressed, with three HALF channels (B, G, R: EXR stores
channels in alphabetical order). That is the smallest file every EXR reader accepts: the magic
number and version, the eight required header attributes, a line offset table, then one chunk per
scanline (y, byte count, the line's pixels channel by channel).
"""

from __future__ import annotations

import math
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAGIC = b"\x76\x2f\x31\x01"
_HALF = 1  # EXR pixel type: 0 UINT, 1 HALF, 2 FLOAT


def _attribute(name: str, kind: str, value: bytes) -> bytes:
    return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(value)) + value


def _header(width: int, height: int) -> bytes:
    channels = b"".join(
        # name, pixel type, pLinear + 3 reserved bytes, x sampling, y sampling
        name + b"\0" + struct.pack("<iB3xii", _HALF, 0, 1, 1)
        for name in (b"B", b"G", b"R")
    )
    box = struct.pack("<iiii", 0, 0, width - 1, height - 1)
    return (
        MAGIC
        + struct.pack("<i", 2)  # version 2, single-part scanline, no flags
        + _attribute("channels", "chlist", channels + b"\0")
        + _attribute("compression", "compression", b"\0")  # NO_COMPRESSION
        + _attribute("dataWindow", "box2i", box)
        + _attribute("displayWindow", "box2i", box)
        + _attribute("lineOrder", "lineOrder", b"\0")  # INCREASING_Y
        + _attribute("pixelAspectRatio", "float", struct.pack("<f", 1.0))
        + _attribute("screenWindowCenter", "v2f", struct.pack("<ff", 0.0, 0.0))
        + _attribute("screenWindowWidth", "float", struct.pack("<f", 1.0))
        + b"\0"
    )


def encode(
    width: int, height: int, pixel: Callable[[int, int], tuple[float, float, float]]
) -> bytes:
    """An EXR image whose pixel (x, y) is ``pixel(x, y)`` as linear (r, g, b)."""
    header = _header(width, height)
    line_bytes = width * 3 * 2
    chunk_size = 8 + line_bytes
    table_start = len(header)
    first_chunk = table_start + 8 * height
    offsets = struct.pack(f"<{height}Q", *(first_chunk + y * chunk_size for y in range(height)))
    chunks = []
    row_format = f"<ii{width * 3}e"
    for y in range(height):
        row = [pixel(x, y) for x in range(width)]
        values = [p[2] for p in row] + [p[1] for p in row] + [p[0] for p in row]  # B, G, R
        chunks.append(struct.pack(row_format, y, line_bytes, *values))
    return header + offsets + b"".join(chunks)


def write_frames_zip(path: Path, spec: dict[str, Any]) -> None:
    """A ZIP of ``spec["frames"]`` EXR frames: a gradient with a bright (> 1.0) band moving across."""
    width, height, frames = spec["width"], spec["height"], spec["frames"]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for index in range(frames):
            centre = (index + 0.5) / frames * width

            def pixel(x: int, y: int, centre: float = centre) -> tuple[float, float, float]:
                glow = 4.0 * math.exp(-(((x - centre) / (width / 12)) ** 2))  # HDR highlight
                return (
                    0.1 + glow + x / width * 0.5,
                    0.1 + glow * 0.8 + y / height * 0.5,
                    0.3 + glow * 0.5,
                )

            archive.writestr(f"frame_{index:05d}.exr", encode(width, height, pixel))
