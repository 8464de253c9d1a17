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


def _params(request: AuthedHttpRequest) -> QueryDict:
    """The filters of an "everything matching" download: the form's, else the query string's."""
    data = request.GET.copy()
    for key in request.POST:
        data.setlist(key, request.POST.getlist(key))
    return data


@require_POST
def export_zip(request: AuthedHttpRequest) -> HttpResponseBase:
    """A ZIP of the clips ticked (``ids``), or with ``all=1`` of every clip the gallery's
    filters match. One clip the user may not see refuses the whole request."""
    cap = export.MAX_ZIP_CLIPS
    if request.POST.get("all") == "1":
        clips = _filtered(request, _params(request))
        pks = list(clips.values_list("pk", flat=True)[: cap + 1])
        if len(pks) > cap:
            return _refuse(
                request,
                f"A ZIP holds at most {cap:,} clips and these filters match more: narrow them"
                " (a date range, a mode) and download in parts.",
                413,
            )
    else:
        raw = request.POST.getlist("ids")
        if not all(v.isascii() and v.isdigit() and len(v) <= 18 for v in raw):
            return _refuse(request, "The selection holds something that is not a clip.", 400)
        wanted = {int(v) for v in raw}
        if len(wanted) > cap:
            return _refuse(request, f"A ZIP holds at most {cap:,} clips: choose fewer.", 413)
        pks = list(
            access.generations(request.user).filter(pk__in=wanted).values_list("pk", flat=True)
        )
        refused = len(wanted) - len(pks)
        if refused:
            return _refuse(
                request,
                f"{refused} of the {len(wanted)} chosen clips {'is' if refused == 1 else 'are'}"
                " not in this workspace or no longer there: nothing was downloaded. Reload the"
                " gallery and choose again.",
                404,
            )
    if not pks:
        return _refuse(request, "Choose at least one clip to download.", 422)
    clips = access.generations(request.user).filter(pk__in=pks).order_by("-created_at", "-id")
    response = StreamingHttpResponse(export.zip_stream(clips), content_type="application/zip")
    return _attachment(response, "zip")
