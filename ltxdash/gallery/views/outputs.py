"""A clip's stored files, for its owner. Share links serve theirs from views/share.py."""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.gallery.details import download_name
from ltxdash.gallery.ranges import serve_file
from ltxdash.generations.models import Output


def poster_type(output: Output) -> str:
    """A poster is always the JPEG we made from the video (``media.make_poster``)."""
    return "image/jpeg"


@require_safe
def output_file(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The file itself, inline: what <video src> plays (with Range) and previews load."""
    output = access.output(request.user, pk)
    return serve_file(
        request, output.file, content_type=output.content_type, filename=download_name(output)
    )


@require_safe
def download(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    output = access.output(request.user, pk)
    return serve_file(
        request,
        output.file,
        content_type=output.content_type,
        filename=download_name(output),
        attachment=True,
    )


@require_safe
def poster(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    output = access.output(request.user, pk)
    return serve_file(request, output.poster, content_type=poster_type(output))
