"""What the create form's inputs can be: an upload (probed by its content) or one of the
user's own finished clips (its video, or for an image its poster frame: a "still"); and what
the page measured of a chosen file, for the estimate."""

from __future__ import annotations

import logging
import tempfile
from pathlib import PurePath
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Exists, OuterRef, QuerySet

from ltxdash import access, media
from ltxdash.generations.models import Generation, Output, State
from ltxdash.ltx.catalog import EndpointSpec
from ltxdash.ltx.catalog import data as catalog_data
from ltxdash.ltx.catalog.data import ROLE_KINDS

logger = logging.getLogger(__name__)

# Roles whose input may be one of the user's own clips instead of an upload: its video, or for
# the first frame its poster frame (a "still"). An endpoint has at most one of them: the form's
# ``source`` field says which clip.
CLIP_ROLES = frozenset({"video_uri", "image_uri"})
STILL_ROLES = frozenset({"image_uri"})
# The page's hidden field for what it measured of a chosen file: "<role>_meta".
META_SUFFIX = "_meta"


def clip_role(spec: EndpointSpec) -> str | None:
    """The endpoint's role that one of the user's clips may fill, if any."""
    return next((role for role in spec.input_roles if role in CLIP_ROLES), None)


def meta_field(role: str) -> str:
    """The name of the hidden field the page fills with what it measured (``browser_hint``)."""
    return f"{role}{META_SUFFIX}"


# Every input is probed within the catalog's ceilings: sizes and lengths are read from the
# header before anything is decoded, and a video must decode at its start and its end.
INPUT_BOUNDS = media.Bounds(
    max_side=catalog_data.MAX_INPUT_SIDE,
    max_pixels=catalog_data.MAX_INPUT_PIXELS,
    max_seconds=catalog_data.MAX_INPUT_SECONDS,
    max_frames=catalog_data.MAX_INPUT_FRAMES,
)


def probe_upload(upload: UploadedFile[Any] | File[Any]) -> media.MediaInfo:
    """Probe an uploaded file by its content (small uploads live in memory: spill them first)."""
    if hasattr(upload, "temporary_file_path"):
        return media.probe(upload.temporary_file_path(), INPUT_BOUNDS)
    with tempfile.NamedTemporaryFile(suffix=".upload") as spill:
        for chunk in upload.chunks():
            spill.write(chunk)
        spill.flush()
        upload.seek(0)
        return media.probe(spill.name, INPUT_BOUNDS)


# What a stored clip's content type says its container is.
CONTAINERS = {"video/mp4": "mp4", "video/quicktime": "mov", "video/x-matroska": "mkv"}
MEDIA_KINDS = frozenset({"image", "video", "audio"})


def clip_info(output: Output) -> media.MediaInfo:
    """What we already measured about a stored clip, as the MediaInfo of an input: what the
    catalog checks and what ``GenerationInput.media`` stores (as its dict).

    The container comes from the content type first (what the file was stored as), then from
    the stored file's suffix, and is "mp4" when neither says; the kind is the content type's
    major part, "video" when that is not a media kind (an output is a clip).
    """
    major = output.content_type.partition("/")[0]
    suffix = PurePath(output.file.name or "").suffix.lstrip(".").lower()
    frames = round(output.duration * output.fps) if output.duration and output.fps else None
    return media.MediaInfo(
        kind=major if major in MEDIA_KINDS else "video",
        mime=output.content_type,
        container=CONTAINERS.get(output.content_type) or suffix or "mp4",
        codec=output.codec or None,
        width=output.width,
        height=output.height,
        fps=output.fps,
        duration=output.duration,
        frames=frames,
        has_audio=output.has_audio,
        audio_codec=None,
        size=output.size,
    )


def clip_input_info(output: Output, role: str) -> media.MediaInfo | None:
    """A clip as the input of ``role``: its still for an image (None without a readable one),
    otherwise the clip itself."""
    return still_info(output) if role in STILL_ROLES else clip_info(output)


def still_info(output: Output) -> media.MediaInfo | None:
    """The clip's poster frame (a JPEG stored at rehost), probed by its content like an upload;
    None when there is none or it can't be read."""
    name = output.poster.name
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as stored:
            return probe_upload(File(stored, name=name))
    except (OSError, media.MediaError):
        logger.warning("The poster of output %s can't be read", output.pk, exc_info=True)
        return None


def ready_clips(user: access.User, *, with_poster: bool = False) -> QuerySet[Generation]:
    """The finished clips ``user`` may use that have a playable video (the input picker's source), and
    a poster frame if ``with_poster`` (a still for an image input).

    EXISTS rather than a join: newest first, the scan stops after the first few matches.
    """
    videos = Output.objects.filter(generation=OuterRef("pk"), content_type__startswith="video/")
    if with_poster:
        videos = videos.exclude(poster="")
    return access.generations(user).filter(state=State.READY).filter(Exists(videos))


def browser_hint(role: str, meta: str) -> media.MediaInfo | None:
    """ "seconds:width:height" measured by the page from a chosen file (static/js/create.js).

    Only for the estimate: the server probes the file itself when the form is submitted.
    """
    parts = [_float_or_none(p) for p in meta.split(":")][:3]
    if not parts or parts[0] is None or parts[0] <= 0:
        return None
    seconds = parts[0]
    width, height = (int(p) if p else None for p in [*parts, None, None][1:3])
    kind = ROLE_KINDS[role]
    return media.MediaInfo(kind, "", "", None, width, height, None, seconds, None, False, None, 0)


def _float_or_none(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) < 1e7 else None  # no NaN, no inf
