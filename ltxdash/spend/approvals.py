"""Requests that wait for an admin: asked for (over a member's cap or the per-request cap) or
required (above the workspace's approval threshold).

Approving queues the clip, with the budget checked again at that moment: the budget is the one
limit an approval does not lift. Declining ends it as ``declined`` with the admin's note. Both
are conditional moves of the clip's state, so a second approval (two admins, a double click) is
a no-op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from ltxdash.audit import log as audit
from ltxdash.ltx.catalog import usd
from ltxdash.spend import budgets, ledger
from ltxdash.spend.models import Approval

if TYPE_CHECKING:
    from ltxdash.generations.models import Generation

NOTE_MAX = 500


def request(generations: list[Generation], each: ledger.Price, reason: str) -> None:
    """Approvals for clips just created awaiting approval (inside their transaction)."""
    Approval.objects.bulk_create(
        [
            Approval(
                generation=generation,
                workspace_id=generation.workspace_id,
                reason=reason[:300],
                amount=each.amount,
                price=each.as_json(),
            )
            for generation in generations
        ]
    )


def _name(user: Any) -> str:
    return str(user.get_username()) if user is not None else "an admin"


def approve(approval: Approval, by: Any, note: str = "") -> bool:
    """Queue the clip (False: it was already decided). OverBudget when the budget no longer
    has room for it."""
    from ltxdash.generations.models import State
    from ltxdash.generations.pipeline.taskqueue import nudge_dispatcher

    note = note.strip()[:NOTE_MAX]
    generation = approval.generation
    workspace = generation.workspace
    each = ledger.Price.from_json(approval.price)
    with transaction.atomic():
        budgets.lock(workspace.pk)
        if not Approval.objects.filter(pk=approval.pk, outcome=Approval.Outcome.PENDING).exists():
            return False
        budgets.check_workspace(
            workspace, budgets.budget_of(workspace.pk), each.amount, usd(each.amount)
        )
        detail = f"Approved by {_name(by)}" + (f": {note}" if note else ".")
        if not generation.transition(State.QUEUED, expected=State.AWAITING_APPROVAL, detail=detail):
            return False
        _decide(approval, Approval.Outcome.APPROVED, by, note)
        ledger.reserve([generation], each, workspace)
        cost = f"{usd(each.amount)} reserved." if each.known else "No estimate."
        audit.record(by, workspace, audit.Action.APPROVED, generation, _noted(cost, note))
        nudge_dispatcher()
    return True


def decline(approval: Approval, by: Any, note: str = "") -> bool:
    """End the clip as declined, with the admin's note (False: it was already decided)."""
    from ltxdash.generations.models import State

    note = note.strip()[:NOTE_MAX]
    reason = f"Declined by {_name(by)}" + (f": {note}" if note else ".")
    with transaction.atomic():
        if not approval.generation.transition(
            State.DECLINED,
            expected=State.AWAITING_APPROVAL,
            detail=reason,
            error_type="declined",
            error_message=reason,
        ):
            return False
        _decide(approval, Approval.Outcome.DECLINED, by, note)
        generation = approval.generation
        audit.record(
            by, generation.workspace_id, audit.Action.DECLINED, generation, _noted("", note)
        )
    return True


def _noted(detail: str, note: str) -> str:
    """An audit entry's detail with the admin's note."""
    return " ".join(part for part in (detail, f"Note: {note}" if note else "") if part)


def withdrawn(generation_id: int) -> None:
    """The requester canceled the clip while it waited."""
    Approval.objects.filter(generation_id=generation_id, outcome=Approval.Outcome.PENDING).update(
        outcome=Approval.Outcome.WITHDRAWN, decided_at=timezone.now()
    )


def _decide(approval: Approval, outcome: str, by: Any, note: str) -> None:
    now = timezone.now()
    Approval.objects.filter(pk=approval.pk).update(
        outcome=outcome, decided_at=now, decided_by=by, note=note
    )
    approval.outcome, approval.decided_at, approval.decided_by, approval.note = (
        outcome,
        now,
        by,
        note,
    )
