"""The usage page and its CSV: what was spent over a range of days. Who sees whose entries is
``access.usage_scope``'s; the figures are ``spend/usage.py``'s."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.spend import budgets, usage
from ltxdash.spend.usage_form import UsageRangeForm
from ltxdash.workspaces.models import Workspace


def _form(request: AuthedHttpRequest, workspace: Workspace) -> UsageRangeForm:
    return UsageRangeForm(request.GET, this_month=usage.this_month(workspace))


def _page(
    request: AuthedHttpRequest,
    workspace: Workspace,
    member_id: int | None,
    form: UsageRangeForm,
) -> HttpResponse:
    valid = form.is_valid()
    admin = member_id is None
    return render(
        request,
        "spend/usage.html",
        {
            "workspace": workspace,
            "admin": admin,
            "form": form,
            "usage": usage.usage(workspace.pk, member_id, form.range) if valid else None,
            "presets": usage.presets(workspace),
            "standings": budgets.standings(workspace, request.user.pk, is_admin=admin),
        },
        status=200 if valid else 422,
    )


@require_safe
def page(request: AuthedHttpRequest) -> HttpResponse:
    workspace, member_id = access.usage_scope(request.user)
    return _page(request, workspace, member_id, _form(request, workspace))


@require_safe
def ledger_csv(request: AuthedHttpRequest) -> HttpResponseBase:
    """The ledger's entries of the range, as CSV, streamed (the page, with the errors, for a
    range that is not one)."""
    workspace, member_id = access.usage_scope(request.user)
    form = _form(request, workspace)
    if not form.is_valid():
        return _page(request, workspace, member_id, form)
    period = form.range
    rows = usage.ledger_csv(workspace.pk, member_id, period, admin=member_id is None)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    name = f"ltxdash-ledger-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
