"""The approvals page: requests over a spending rule, for the workspace's admins to decide."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.ltx.catalog import usd
from ltxdash.spend import approvals, budgets
from ltxdash.spend.forms import DecisionForm
from ltxdash.spend.models import Approval

RECENT = 30


@require_safe
def index(request: AuthedHttpRequest) -> HttpResponse:
    workspace = access.managed_budget(request.user)
    rows = Approval.objects.filter(workspace=workspace).select_related(
        "generation", "generation__owner", "decided_by"
    )
    return render(
        request,
        "spend/approvals.html",
        {
            "workspace": workspace,
            "pending": list(rows.filter(outcome=Approval.Outcome.PENDING).order_by("requested_at")),
            "decided": list(rows.exclude(outcome=Approval.Outcome.PENDING)[:RECENT]),
            "form": DecisionForm(),
            "standing": next(
                iter(budgets.standings(workspace, request.user.pk, is_admin=True)), None
            ),
        },
    )


@require_POST
def decide(request: AuthedHttpRequest, pk: int, verdict: str) -> HttpResponse:
    approval = access.approval(request.user, pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if not form.is_valid():
        messages.error(request, f"A note is at most {approvals.NOTE_MAX} characters.")
        return redirect("spend:approvals")
    number = f"#{approval.generation_id}"
    if verdict == "approve":
        try:
            done = approvals.approve(approval, request.user, note)
        except budgets.OverBudget as exc:
            messages.error(request, f"{number} can't be approved: {exc}")
            return redirect("spend:approvals")
        if done:
            cost = usd(approval.amount) if approval.amount is not None else "its cost"
            messages.success(request, f"{number} is approved and queued ({cost} reserved).")
    else:
        done = approvals.decline(approval, request.user, note)
        if done:
            messages.success(request, f"{number} is declined; its maker sees your note.")
    if not done:
        messages.info(request, f"{number} was already decided or canceled: nothing changed.")
    return redirect("spend:approvals")
