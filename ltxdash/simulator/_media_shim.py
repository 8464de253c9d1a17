"""TEMPORARY stand-in for ``ltxdash.media.probe`` until that module is committed; then delete.

Returns the fields ``catalog.validate`` reads from a MediaInfo.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import av

_MIME = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "matroska": "video/x-matroska",
    "png_pipe": "image/png",
    "jpeg_pipe": "image/jpeg",
    "webp_pipe": "image/webp",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
}


def probe(path: Path) -> Any:
    with av.open(str(path)) as container:
        video = next((s for s in container.streams if s.type == "video"), None)
        audio = next((s for s in container.streams if s.type == "audio"), None)
        formats = container.format.name.split(",")
        mime = next((_MIME[f] for f in formats if f in _MIME), "application/octet-stream")
        if "mp4" in formats and video is None:
            mime = "audio/mp4"
        kind = mime.split("/")[0]
        duration = container.duration / 1e6 if container.duration else None
        return SimpleNamespace(
            kind=kind,
            mime=mime,
            codec=video.codec_context.name if video is not None else None,
            size=Path(path).stat().st_size,
            width=video.codec_context.width if video is not None else None,
            height=video.codec_context.height if video is not None else None,
            duration=duration,
            fps=float(video.average_rate) if video is not None and video.average_rate else None,
            frames=(video.frames or None) if video is not None else None,
            has_audio=audio is not None,
        )
