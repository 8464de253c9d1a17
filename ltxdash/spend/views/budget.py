"""The budget page: an admin sets the workspace's spending rules and members' own caps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ltxdash import access
from ltxdash.audit import log as audit
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.spend import budgets
from ltxdash.spend.forms import BudgetForm, MemberCapForm
from ltxdash.spend.models import Budget, MemberCap
from ltxdash.workspaces.models import Membership, Workspace


def _context(request: AuthedHttpRequest, workspace: Workspace, form: BudgetForm) -> dict[str, Any]:
    caps = dict(MemberCap.objects.filter(workspace=workspace).values_list("user_id", "monthly_cap"))
    month = budgets.month_of(workspace)
    members = list(
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__username")
    )
    used = budgets.committed_by_member(workspace.pk, month)
    return {
        "workspace": workspace,
        "form": form,
        "month": month,
        "standing": next(iter(budgets.standings(workspace, request.user.pk, is_admin=True)), None),
        "members": [
            {"membership": m, "cap": caps.get(m.user_id), "used": used.get(m.user_id)}
            for m in members
        ],
    }


def _record(request: AuthedHttpRequest, workspace: Workspace, detail: str) -> None:
    """The audit log's entry for a change of the budget (nothing when nothing changed)."""
    if detail:
        audit.record(request.user, workspace, audit.Action.BUDGET_CHANGED, detail=detail)


@require_http_methods(["GET", "POST"])
def budget(request: AuthedHttpRequest) -> HttpResponse:
    workspace = access.managed_budget(request.user)
    current = Budget.objects.filter(workspace=workspace).first()
    if request.method == "POST":
        form = BudgetForm(
            request.POST,
            instance=current or Budget(workspace=workspace),
            time_zone=workspace.time_zone,
        )
        if form.is_valid():
            with transaction.atomic():
                before = budgets.describe(current) | {"time_zone": workspace.time_zone}
                saved = form.save(commit=False)
                saved.updated_at, saved.updated_by = timezone.now(), request.user
                saved.save()
                Workspace.objects.filter(pk=workspace.pk).update(
                    time_zone=form.cleaned_data["time_zone"]
                )
                after = budgets.describe(saved) | {"time_zone": form.cleaned_data["time_zone"]}
                _record(request, workspace, budgets.changes(before, after))
            messages.success(request, "The budget is saved.")
            return redirect("spend:budget")
        return render(request, "spend/budget.html", _context(request, workspace, form), status=422)
    form = BudgetForm(instance=current, time_zone=workspace.time_zone)
    return render(request, "spend/budget.html", _context(request, workspace, form))


@require_POST
def member_cap(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    member = access.managed_member(request.user, pk)
    form = MemberCapForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A cap is an amount in dollars, 0 or more, or empty.")
        return redirect("spend:budget")
    cap = form.cleaned_data["monthly_cap"]
    name = member.user.get_username()
    with transaction.atomic():
        old = (
            MemberCap.objects.filter(workspace_id=member.workspace_id, user_id=member.user_id)
            .values_list("monthly_cap", flat=True)
            .first()
        )
        if cap is None:
            MemberCap.objects.filter(
                workspace_id=member.workspace_id, user_id=member.user_id
            ).delete()
        else:
            MemberCap.objects.update_or_create(
                workspace_id=member.workspace_id,
                user_id=member.user_id,
                defaults={"monthly_cap": cap},
            )
        _record(
            request,
            member.workspace,
            budgets.changes({f"cap of {name}": old}, {f"cap of {name}": cap}),
        )
    if cap is None:
        messages.success(request, f"{name} has no cap of their own now.")
    else:
        messages.success(request, f"{name}'s own monthly cap is saved.")
    return redirect("spend:budget")
