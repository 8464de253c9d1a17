"""Actions on many clips at once (the gallery's and a board's select mode): favourite, unfavourite
and delete, on the checked clips or on every clip the filter matches.

Every clip is checked against the access module for the action. A selection that holds a clip
the member may not see, or may not do that to, is refused as a whole, with the count and why,
and nothing is changed: a bulk action never does half of what was asked.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.gallery.forms import MAX_ADD
from ltxdash.gallery.selection import matching_count, refusal, selected_ids
from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation

ACTIONS = {
    "favourite": access.Action.CHANGE,
    "unfavourite": access.Action.CHANGE,
    "delete": access.Action.DELETE,
}


def _back(request: AuthedHttpRequest) -> str:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}) and back.startswith("/"):
        return back
    return reverse("gallery:index")


@require_safe
def count(request: AuthedHttpRequest) -> JsonResponse:
    """How many clips "everything matching" is (the select bar asks when it is ticked)."""
    found = matching_count(request)
    return JsonResponse({"count": min(found, MAX_ADD), "more": found > MAX_ADD})


@require_POST
def bulk(request: AuthedHttpRequest) -> HttpResponse:
    if not access.may_generate(request.user):
        raise access.Refused("Viewers can watch and download clips, not change them.")
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, "Pick what to do with the selected clips.")
        return redirect(_back(request))
    ids = selected_ids(request)
    if isinstance(ids, str):
        messages.error(request, ids)
        return redirect(_back(request))
    refused = refusal(request, ids, ACTIONS[action])
    if refused:
        messages.error(request, refused)
        return redirect(_back(request))
    count = len(ids)
    plural = "s" if count != 1 else ""
    if action in ("favourite", "unfavourite"):
        value = action == "favourite"
        Generation.objects.filter(pk__in=ids).update(favourite=value, version=F("version") + 1)
        verb = "added to" if value else "taken out of"
        messages.success(request, f"{count} clip{plural} {verb} your favourites.")
        return redirect(_back(request))
    if request.POST.get("confirmed") != "1":
        return render(
            request,
            "gallery/bulk_delete.html",
            {"ids": ids, "count": count, "next": _back(request)},
        )
    for generation in Generation.objects.filter(pk__in=ids):
        # The row, its files (it leaves every board) and its audit entry.
        pipeline.delete_generation(generation, by=request.user, detail=f"One of {count} at once.")
    messages.success(request, f"{count} clip{plural} and their files were deleted.")
    return redirect(_back(request))
