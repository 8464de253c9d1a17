"""Rows in bulk, for the scale tests and the benchmarks in bench/ (which import this after
django.setup())."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ltxdash.generations.models import Generation, Output, State

BATCH = 2000
READY_AFTER = timedelta(seconds=40)  # from created_at to ready_at / finished_at


def bulk_ready_clips(
    owner,
    count: int,
    *,
    start: datetime | None = None,
    step: timedelta = timedelta(seconds=37),
    **overrides: Any,
) -> list[int]:
    """``count`` ready clips of ``owner``'s, each with a video Output row (no file is written:
    the pages read the stored fields), in batches of bulk_create. Clip ``i`` is created at
    ``start - i * step`` (``start`` defaults to now). ``overrides`` are Generation fields, each a
    value or a function of ``i``: ``favourite=lambda i: i % 17 == 0``. Returns the new ids."""
    start = start or timezone.now()

    def fields(i: int) -> dict[str, Any]:
        created = start - i * step
        values = {
            "endpoint": "text-to-video",
            "model": "ltx-2-3-fast",
            "prompt": f"A red fox number {i} runs through fresh snow at dawn",
            "params": {"duration": 6, "resolution": "1920x1080", "fps": 24},
            "state": State.READY,
            "created_at": created,
            "ready_at": created + READY_AFTER,
            "finished_at": created + READY_AFTER,
        }
        for name, value in overrides.items():
            values[name] = value(i) if callable(value) else value
        return values

    generations = Generation.objects.bulk_create(
        (Generation(owner=owner, **fields(i)) for i in range(count)), batch_size=BATCH
    )
    Output.objects.bulk_create(
        (
            Output(
                generation=generation,
                label="video_url",
                file=f"outputs/{generation.pk}.mp4",
                poster=f"posters/{generation.pk}.jpg",
                size=1_000_000,
                sha256="0" * 64,
                content_type="video/mp4",
                duration=6.0,
                width=1920,
                height=1080,
                fps=24.0,
                codec="h264",
            )
            for generation in generations
        ),
        batch_size=BATCH,
    )
    return [generation.pk for generation in generations]
