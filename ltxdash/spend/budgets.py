"""Whether a request may be queued now, needs an admin's approval first, or is refused: the
workspace's monthly budget, the member's monthly cap, the per-request cap and the approval
threshold (``Budget``), counted per calendar month in the workspace's time zone.

Race-free: ``decide`` and ``approvals.approve`` lock the workspace's row and then sum the month's
entries in the same transaction that inserts the new ones, so two requests cannot both take the
last dollars:

- PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the workspace row (it excludes the other
  requests' locks but not the foreign-key checks of rows that point at the workspace, so an
  approval, a key change or a budget edit never deadlocks with a create). A second request of the same
  workspace waits for the first to commit; its sum is a new statement, so under READ COMMITTED it
  sees the entries the first inserted.
- SQLite: every transaction begins ``IMMEDIATE`` (settings), holding the database's one write
  lock from ``BEGIN``.

Entries leave the sum without the lock (released by the dispatcher); that only lowers it.

The workspace budget binds everyone, admins too. Admins are not held by the member caps, the
per-request cap or the approval threshold: they are the ones who approve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from ltxdash.ltx.catalog import usd
from ltxdash.spend.ledger import Price, local_day
from ltxdash.spend.models import COMMITTED, Budget, LedgerEntry, MemberCap
from ltxdash.workspaces.models import Workspace

WARN_AT = Decimal("0.8")  # the share of a budget or cap at which the banner appears


class OverBudget(ValueError):
    """A request that would go over a limit; the message says what is left, what the request
    costs and what to do. ``may_ask``: the member may send it to the admins for approval."""

    def __init__(self, message: str, *, may_ask: bool = False) -> None:
        super().__init__(message)
        self.may_ask = may_ask


@dataclass(frozen=True)
class Decision:
    """Queue now (``approval`` empty), or wait for an admin, for the reasons given."""

    approval: str = ""


def month_of(workspace: Workspace) -> date:
    return local_day(workspace).replace(day=1)


def committed(workspace_id: int, month: date, member_id: int | None = None) -> Decimal:
    """What is held or spent in a month: the whole workspace's, or one member's."""
    rows = LedgerEntry.objects.filter(workspace_id=workspace_id, month=month, status__in=COMMITTED)
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    return rows.aggregate(total=Sum("amount"))["total"] or Decimal("0")


def committed_by_member(workspace_id: int, month: date) -> dict[int, Decimal]:
    """What each member holds or spent in a month (one grouped query)."""
    rows = (
        LedgerEntry.objects.filter(workspace_id=workspace_id, month=month, status__in=COMMITTED)
        .values("member_id")
        .annotate(total=Sum("amount"))
        .values_list("member_id", "total")
    )
    return {member: total for member, total in rows if member is not None}


def budget_of(workspace_id: int) -> Budget | None:
    return Budget.objects.filter(workspace_id=workspace_id).first()


def loaded_budget(workspace: Workspace) -> Budget | None:
    """The workspace's budget as the request loaded it (``current`` selects it with the
    membership: no query); to decide, ``decide`` reads it again under the lock."""
    try:
        return workspace.budget
    except Budget.DoesNotExist:
        return None


def cap_of(budget: Budget | None, workspace_id: int, member_id: int) -> Decimal | None:
    own = (
        MemberCap.objects.filter(workspace_id=workspace_id, user_id=member_id)
        .values_list("monthly_cap", flat=True)
        .first()
    )
    if own is not None:
        return own
    return budget.member_cap if budget else None


def _cost_words(each: Decimal, count: int) -> str:
    total = usd(each * count)
    return f"{total} ({count} takes × {usd(each)})" if count > 1 else total  # noqa: RUF001


def lock(workspace_id: int) -> None:
    """Hold the workspace's row until the transaction ends (see the module)."""
    Workspace.objects.select_for_update(no_key=True).filter(pk=workspace_id).values_list(
        "pk"
    ).first()


def _limits_anything(budget: Budget) -> bool:
    return any(
        value is not None
        for value in (
            budget.monthly_limit,
            budget.member_cap,
            budget.request_cap,
            budget.approval_above,
        )
    )


def check_workspace(workspace: Workspace, budget: Budget | None, total: Decimal, cost: str) -> None:
    """The hard limit: the workspace's monthly budget (call it with the workspace row locked)."""
    if budget is None or budget.monthly_limit is None:
        return
    used = committed(workspace.pk, month_of(workspace))
    left = max(budget.monthly_limit - used, Decimal("0"))
    if total <= left:
        return
    raise OverBudget(
        f"This month's budget has {usd(left)} left and this request costs {cost}. Make fewer "
        "takes or shorter clips, or ask an admin to raise the budget."
    )


def decide(
    workspace: Workspace,
    member_id: int,
    each: Price,
    count: int,
    *,
    is_admin: bool,
    ask: bool = False,
) -> Decision:
    """May ``count`` clips priced ``each`` be queued for the member now? Call it inside the
    transaction that then inserts them. OverBudget when they may not."""
    lock(workspace.pk)
    budget = budget_of(workspace.pk)
    if budget is None:
        return Decision()
    total = each.amount * count
    cost = _cost_words(each.amount, count)
    may_ask = budget.members_may_ask and not is_admin
    ask_words = "ask an admin to approve it" if may_ask else "ask an admin to raise it"
    reasons: list[str] = []
    binding = budget.monthly_limit is not None if is_admin else _limits_anything(budget)
    own_cap = None if is_admin else cap_of(budget, workspace.pk, member_id)
    if not each.known and (binding or own_cap is not None):
        # Nothing to check a budget against (no price for these settings, or an input whose
        # length could not be read): never waved through as free.
        if not (ask and may_ask):
            raise OverBudget(
                "The cost of this request can't be estimated (no price is known for these "
                "settings, or the length of an input could not be read), so it can't be "
                f"checked against the budget. Change the settings or the input, or {ask_words}.",
                may_ask=may_ask,
            )
        reasons.append("its cost can't be estimated")
    check_workspace(workspace, budget, total, cost)
    if is_admin:
        return Decision()
    if budget.request_cap is not None and total > budget.request_cap:
        if not (ask and may_ask):
            raise OverBudget(
                f"One request may cost at most {usd(budget.request_cap)} and this one costs "
                f"{cost}. Make fewer takes or shorter clips, or {ask_words}.",
                may_ask=may_ask,
            )
        reasons.append(f"over the {usd(budget.request_cap)} cap per request")
    cap = cap_of(budget, workspace.pk, member_id)
    if cap is not None:
        left = max(cap - committed(workspace.pk, month_of(workspace), member_id), Decimal("0"))
        if total > left:
            if not (ask and may_ask):
                raise OverBudget(
                    f"Your monthly cap of {usd(cap)} has {usd(left)} left and this request "
                    f"costs {cost}. Make fewer takes or shorter clips, or {ask_words}.",
                    may_ask=may_ask,
                )
            reasons.append(f"over the member's monthly cap ({usd(left)} of {usd(cap)} left)")
    if budget.approval_above is not None and total > budget.approval_above:
        reasons.append(f"costs more than {usd(budget.approval_above)}")
    if reasons:
        return Decision(approval=f"{cost}: " + "; ".join(reasons) + ".")
    return Decision()


# --- what a member sees: the month so far ------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """A limit and what of it the month has used."""

    label: str
    limit: Decimal
    used: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.limit - self.used, Decimal("0"))

    @property
    def share(self) -> float:
        return float(self.used / self.limit) if self.limit > 0 else 1.0

    @property
    def percent(self) -> int:
        return min(int(self.share * 100), 999)

    @property
    def warn(self) -> bool:
        return self.limit == 0 or self.used >= self.limit * WARN_AT


def standings(workspace: Workspace, member_id: int, *, is_admin: bool) -> list[Standing]:
    """The month's budget and the member's own cap (not an admin's: it doesn't hold them),
    where they are set."""
    budget = loaded_budget(workspace)
    if budget is None:
        return []
    month = month_of(workspace)
    found: list[Standing] = []
    if budget.monthly_limit is not None:
        used = committed(workspace.pk, month)
        found.append(Standing("The workspace's budget this month", budget.monthly_limit, used))
    cap = cap_of(budget, workspace.pk, member_id)
    if cap is not None and not is_admin:
        used = committed(workspace.pk, month, member_id)
        found.append(Standing("Your monthly cap", cap, used))
    return found


def left_for(user: Any) -> Standing | None:
    """The tightest limit on what the user may still spend this month (the create form shows
    what is left beside the estimate); None when no limit applies."""
    from ltxdash.workspaces import current
    from ltxdash.workspaces.models import Role

    membership = current.membership(user) if user is not None else None
    if membership is None:
        return None
    found = standings(membership.workspace, user.pk, is_admin=membership.role == Role.ADMIN)
    return min(found, key=lambda s: s.left) if found else None


def warnings(workspace: Workspace, member_id: int, *, is_admin: bool) -> list[Standing]:
    """What the 80 % banner names: the budget for admins, the member's own cap for them (and the
    budget for everyone once it is used up: nobody can generate then)."""
    return [
        s
        for s in standings(workspace, member_id, is_admin=is_admin)
        if s.warn and (is_admin or s.label != "The workspace's budget this month" or s.left == 0)
    ]


def changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What an edit changed, in words: "monthly limit $100.00 → $150.00; time zone UTC → ..."."""

    def words(value: Any) -> str:
        if value is None or value == "":
            return "none"
        if isinstance(value, Decimal):
            return usd(value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    return "; ".join(
        f"{key.replace('_', ' ')} {words(before.get(key))} → {words(value)}"
        for key, value in after.items()
        if words(before.get(key)) != words(value)
    )


def describe(budget: Budget | None) -> dict[str, Any]:
    return {
        "monthly_limit": budget.monthly_limit if budget else None,
        "member_cap": budget.member_cap if budget else None,
        "request_cap": budget.request_cap if budget else None,
        "approval_above": budget.approval_above if budget else None,
        "members_may_ask": budget.members_may_ask if budget else True,
    }
