"""Money: what each clip is expected to cost (the ledger), what a workspace allows itself to
spend (budgets and caps), and the requests an admin must approve first.

The API reports no cost: every amount here is the catalog's estimate (``catalog.estimate``), with
what it is priced on and whether that price is confirmed. The rules that move an entry live in
``spend/ledger.py``; the rules that decide whether a request may be queued, in
``spend/budgets.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

_NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


def money(verbose_name: str, *, limit: bool = False, **options: Any) -> models.DecimalField:
    """An amount in USD, to a hundredth of a cent (the catalog's per-second prices need it);
    ``limit``: an optional limit, never negative."""
    if limit:
        options |= {"null": True, "blank": True, "validators": _NOT_NEGATIVE}
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=4, **options)


class Budget(models.Model):
    """A workspace's spending rules, per calendar month in the workspace's time zone. Every
    amount is optional: empty means no limit of that kind."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="budget"
    )
    monthly_limit = money(
        "monthly budget (USD)",
        limit=True,
        help_text="What the whole workspace may spend in a calendar month. Empty: no budget.",
    )
    member_cap = money(
        "monthly cap per member (USD)",
        limit=True,
        help_text="What each member may spend in a month, unless a member has a cap of their own.",
    )
    request_cap = money(
        "cap per request (USD)",
        limit=True,
        help_text="The most one press of Generate may cost, all takes together.",
    )
    approval_above = money(
        "approval above (USD)",
        limit=True,
        help_text="A member's request that costs more than this waits for an admin's approval.",
    )
    members_may_ask = models.BooleanField(
        "members over a cap may ask for approval",
        default=True,
        help_text="A request over a member's cap or the per-request cap can be sent to the "
        "admins for approval instead of being refused.",
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "budget"

    def __str__(self) -> str:
        return f"Budget of {self.workspace}"


class MemberCap(models.Model):
    """One member's own monthly cap in a workspace (instead of the budget's ``member_cap``)."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="member_caps"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    monthly_cap = money("monthly cap (USD)", validators=_NOT_NEGATIVE)

    class Meta:
        verbose_name = "member's cap"
        verbose_name_plural = "members' caps"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_cap_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace}: {self.monthly_cap}"


class Status(models.TextChoices):
    RESERVED = "reserved", "Reserved"  # queued or being sent: held against the budget
    CHARGED = "charged", "Charged"  # LTX accepted the job
    RELEASED = "released", "Released"  # nothing was created
    WAIVED = "waived", "Waived"  # charged, then forgiven by an admin (a failed job)


# What counts against a budget: everything held or spent.
COMMITTED = (Status.RESERVED, Status.CHARGED)


class LedgerEntry(models.Model):
    """One billable event: one clip's cost, from the moment it is queued. The entry outlives
    the clip (a deleted clip was still paid for) and carries what it needs to be read alone."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="ledger"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    generation = models.OneToOneField(
        "generations.Generation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ledger_entry",
        verbose_name="clip",
    )
    clip_number = models.PositiveBigIntegerField("clip #")  # kept when the clip is deleted
    endpoint = models.CharField("mode", max_length=40)
    model = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    amount = money("amount (USD)")
    # What the amount is priced on: the catalog's ``bills_on`` ("output_seconds" ...), how
    # many seconds, at what price, and whether that price is confirmed by a primary source.
    priced_on = models.CharField("priced on", max_length=40, blank=True)
    billed_seconds = models.DecimalField(
        "billed seconds", max_digits=12, decimal_places=3, null=True, blank=True
    )
    usd_per_second = money("USD per second", null=True, blank=True)
    confirmed = models.BooleanField("price confirmed", default=False)
    # The outcome is unknown (the submit may have reached LTX): held, and shown to admins.
    flagged = models.BooleanField("outcome unknown", default=False)
    note = models.TextField(blank=True)
    # How the clip ended (its final state), and how long it took from LTX accepting it to our
    # copy being stored: kept here so the usage page reads the ledger alone (and a deleted
    # clip still counts). Written by ledger.follow() with the clip's change of state.
    outcome = models.CharField("clip ended", max_length=20, blank=True)
    seconds_to_ready = models.FloatField("seconds to ready", null=True, blank=True)
    # The day and month it counts in, in the workspace's time zone when it was reserved.
    day = models.DateField()
    month = models.DateField()  # the first of the month
    created_at = models.DateTimeField("reserved", default=timezone.now)
    charged_at = models.DateTimeField("charged", null=True, blank=True)
    settled_at = models.DateTimeField("released or waived", null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="waived by",
    )

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "month", "status"], name="ledger_ws_month"),
            models.Index(fields=["workspace", "member", "month"], name="ledger_ws_member_month"),
            # The usage page's days: what was spent and how the clips ended, from the index alone.
            models.Index(
                fields=["workspace", "day", "status", "amount", "outcome", "seconds_to_ready"],
                name="ledger_ws_day",
            ),
            # The usage page's breakdowns (spend/usage.py): every column they read, in the order
            # they group by, so the database reads the index alone and sorts nothing.
            models.Index(
                fields=[
                    *("workspace", "member", "endpoint", "model", "status", "flagged"),
                    *("day", "amount", "billed_seconds"),
                ],
                name="ledger_ws_usage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.amount} for clip #{self.clip_number}"


class Approval(models.Model):
    """A request over a spending rule, waiting for (or decided by) an admin. One per clip."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Canceled by the requester"

    generation = models.OneToOneField(
        "generations.Generation", on_delete=models.CASCADE, related_name="approval"
    )
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="approvals"
    )
    reason = models.CharField("why it needs approval", max_length=300)
    amount = money("estimated cost (USD)", null=True, blank=True)
    # The price of one clip as it was quoted (ledger.Price), reserved as it is on approval.
    price = models.JSONField(default=dict, blank=True, editable=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField("note to the requester", max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["workspace", "outcome"], name="approval_ws_outcome")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: clip #{self.generation_id}"
