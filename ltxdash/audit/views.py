"""The audit page: a workspace's log, for its admins, filtered and paged (``forms``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ltxdash import access
from ltxdash.audit.forms import AuditFilterForm
from ltxdash.core.http import AuthedHttpRequest


@require_safe
def log(request: AuthedHttpRequest) -> HttpResponse:
    workspace = access.audit_workspace(request.user)
    form = AuditFilterForm(request.GET, workspace=workspace)
    if not form.is_valid():
        context = {"workspace": workspace, "form": form, "entries": [], "older": None}
        return render(request, "audit/log.html", context, status=422)
    entries, older = form.page()
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/log.html",
        {
            "workspace": workspace,
            "form": form,
            "entries": entries,
            "older": older,
            "filters": query.urlencode(),
            "paged": form.cleaned_data.get("before") is not None,
        },
    )
