"""Choosing the workspace to work in; the 403 page of roles."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template import loader
from django.views.decorators.http import require_POST

from ltxdash.core.http import AuthedHttpRequest
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Workspace


@require_POST
def switch(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Work in another workspace of the user's (a 404 for one they are not in)."""
    workspace = get_object_or_404(Workspace, slug=slug, memberships__user=request.user)
    current.choose(request.user, workspace)
    return redirect("generations:create")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 with the reason in words, on the page and for HTMX (shown beside the control)."""
    reason = str(exception or "") or "Your role in this workspace does not allow that."
    body = loader.render_to_string("403.html", {"exception": reason})
    response = HttpResponse(body, status=403)
    response["X-Ltxdash-Message"] = reason
    return response
