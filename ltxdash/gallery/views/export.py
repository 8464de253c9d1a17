"""Downloading many clips: the gallery's metadata as CSV, and a ZIP of chosen clips. Which clips
is asked of ``ltxdash.access`` and the gallery's filter form; the files are made by
``gallery/export.py``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.gallery import export
from ltxdash.gallery.forms import GalleryFilterForm
from ltxdash.gallery.selection import in_order, refusal, selected_ids
from ltxdash.generations.models import Generation


def _filtered(request: AuthedHttpRequest, data: QueryDict) -> QuerySet[Generation]:
    """The clips the gallery shows for these filter params, all of them, newest first."""
    form = GalleryFilterForm(data, me=request.user, members=access.members(request.user))
    return form.filter(access.generations(request.user)).order_by("-created_at", "-id")


def _attachment(response: HttpResponseBase, suffix: str) -> HttpResponseBase:
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ltxdash-clips-{day}.{suffix}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def export_csv(request: AuthedHttpRequest) -> HttpResponseBase:
    """Every clip matching the gallery's filters (the query string), as CSV, streamed."""
    rows = export.csv_stream(_filtered(request, request.GET))
    return _attachment(StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8"), "csv")


def _refuse(request: AuthedHttpRequest, message: str, status: int) -> HttpResponse:
    """Nothing is sent: a page saying why (and the words for HTMX, beside the control)."""
    response = render(request, "403.html", {"exception": message}, status=status)
    response["X-Ltxdash-Message"] = message
    return response


@require_POST
def export_zip(request: AuthedHttpRequest) -> HttpResponseBase:
    """A ZIP of the clips ticked (``ids``), or with ``all=1`` of every clip the filters match
    (on a board, the board's, in its order). One clip the user may not see refuses the whole
    request, and nothing is sent."""
    ids = selected_ids(request, cap=export.MAX_ZIP_CLIPS)
    if isinstance(ids, str):
        return _refuse(request, ids, 422)
    refused = refusal(request, ids, access.Action.VIEW)
    if refused:
        return _refuse(
            request, refused.replace("nothing was changed", "nothing was downloaded"), 404
        )
    clips = in_order(access.generations(request.user), ids)
    response = StreamingHttpResponse(export.zip_stream(clips), content_type="application/zip")
    return _attachment(response, "zip")
