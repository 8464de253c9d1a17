"""The cost ledger's rules: what a clip is priced at, and how its entry follows the clip.

One entry per clip, made when the clip is queued (``reserve``), then moved by the clip's state
changes (``follow``, called by ``Generation.transition`` inside the same transaction):

- **reserved** while it is queued or being sent: held against the budget;
- **charged** when LTX accepts the job (it now exists and bills);
- **released** when nothing was created: refused at submit, canceled, never sent;
- a **429 put-back** (the job goes back to the queue; LTX created nothing) keeps the reservation
  as it is: the clip will be sent, so its money stays held, and it is charged once, when it is
  accepted;
- **unknown** (the submit may have reached LTX): stays reserved and is *flagged* for an admin,
  who settles it as charged or released once the LTX console says which;
- a job that **fails at LTX** stays charged, with a note: LTX publishes no rule for failed jobs
  (one secondary source says they are not billed; no primary source confirms it), and credits
  are not refundable, so the ledger assumes the worst and an admin may waive it;
- **copy again** and rehosting change nothing: the job was paid for once.

Amounts are the catalog's estimates (the API reports no cost). A clip with automatic duration
is priced at the longest clip its model can make, so a budget is never overspent by a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Q, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from ltxdash.ltx import catalog
from ltxdash.spend.models import LedgerEntry, Status

if TYPE_CHECKING:
    from ltxdash.generations.models import Generation
    from ltxdash.media import MediaInfo
    from ltxdash.workspaces.models import Workspace

FAILED_NOTE = (
    "Failed at LTX after it accepted the job. Charged: LTX publishes no rule for failed jobs "
    "and credits are not refundable. An admin may waive it if LTX did not bill it."
)


@dataclass(frozen=True)
class Price:
    """What one clip of a request is expected to cost, and what that is based on."""

    amount: Decimal
    priced_on: str = ""
    billed_seconds: Decimal | None = None
    usd_per_second: Decimal | None = None
    confirmed: bool = False
    note: str = ""

    @property
    def known(self) -> bool:
        return self.usd_per_second is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "amount": str(self.amount),
            "priced_on": self.priced_on,
            "billed_seconds": None if self.billed_seconds is None else str(self.billed_seconds),
            "usd_per_second": None if self.usd_per_second is None else str(self.usd_per_second),
            "confirmed": self.confirmed,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Price:
        def number(key: str) -> Decimal | None:
            value = data.get(key)
            return None if value in (None, "") else Decimal(str(value))

        return cls(
            amount=number("amount") or Decimal("0"),
            priced_on=str(data.get("priced_on") or ""),
            billed_seconds=number("billed_seconds"),
            usd_per_second=number("usd_per_second"),
            confirmed=bool(data.get("confirmed")),
            note=str(data.get("note") or ""),
        )


NO_PRICE = Price(Decimal("0"), note="No price is known for these settings.")


def price(
    endpoint: str, params: Mapping[str, Any], inputs: Mapping[str, MediaInfo] | None = None
) -> Price:
    """The catalog's estimate for one clip; automatic duration is priced at its longest."""
    spec = catalog.ENDPOINTS.get(endpoint)
    if spec is None:
        return NO_PRICE
    found = catalog.estimate(endpoint, params, inputs)
    note = ""
    if found is None and str(params.get("duration", "")).strip() in ("", "auto", "None"):
        longest = _longest_duration(endpoint, params)
        if longest:
            found = catalog.estimate(endpoint, {**params, "duration": longest}, inputs)
            note = f"Automatic duration: priced as the longest clip it can be ({longest} s)."
    if found is None:
        return NO_PRICE
    return Price(
        amount=found.usd,
        priced_on=spec.bills_on,
        billed_seconds=found.billed_seconds,
        usd_per_second=found.usd_per_second,
        confirmed=found.confirmed,
        note=" ".join(part for part in (note, found.note) if part),
    )


def _longest_duration(endpoint: str, params: Mapping[str, Any]) -> int | None:
    try:
        fps = int(params["fps"]) if params.get("fps") else None
    except (TypeError, ValueError):
        fps = None
    options = catalog.choices(
        endpoint, params.get("model") or None, params.get("resolution") or None, fps
    )
    return max(options.durations) if options.durations else None


def local_day(workspace: Workspace, at: datetime | None = None) -> date:
    return timezone.localtime(at or timezone.now(), workspace.zone).date()


def reserve(generations: Iterable[Generation], each: Price, workspace: Workspace) -> None:
    """Entries for clips just queued (inside the transaction that queued them, after the
    budget check in ``budgets.decide`` or ``approvals.approve``)."""
    now = timezone.now()
    day = local_day(workspace, now)
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                workspace=workspace,
                member_id=generation.owner_id,
                generation=generation,
                clip_number=generation.pk,
                endpoint=generation.endpoint,
                model=generation.model,
                amount=each.amount,
                priced_on=each.priced_on,
                billed_seconds=each.billed_seconds,
                usd_per_second=each.usd_per_second,
                confirmed=each.confirmed,
                note=each.note,
                day=day,
                month=day.replace(day=1),
                created_at=now,
            )
            for generation in generations
        ]
    )


# (from state, to state) -> what happens to the entry. Anything not named changes nothing.
_CHARGE = "charge"
_RELEASE = "release"
_FLAG = "flag"
_FAILED = "failed"
_MOVES: dict[tuple[str, str], str] = {
    ("submitting", "pending"): _CHARGE,
    ("submitting", "rejected"): _RELEASE,
    ("submitting", "failed"): _RELEASE,  # failed before LTX gave it an id: nothing was made
    ("queued", "canceled"): _RELEASE,
    ("submitting", "unknown"): _FLAG,
    ("pending", "failed"): _FAILED,
    ("processing", "failed"): _FAILED,
}


# The states a clip ends in (models/states.py's TERMINAL, named here: the ledger imports nothing
# of the generations app).
_ENDS = frozenset({"ready", "rejected", "failed", "expired", "canceled", "unknown", "declined"})


def follows(old: str, new: str) -> bool:
    """Whether a change of state moves the clip's entry: one of the moves above, or the clip
    ending (its outcome is noted). Generation.transition asks first, so the poller's ordinary
    moves cost no query."""
    return (old, new) in _MOVES or new in _ENDS


def follow(
    generation_id: int, old: str, new: str, at: datetime, submitted_at: datetime | None = None
) -> None:
    """Move the clip's entry for its change of state ``old`` -> ``new`` (one UPDATE)."""
    entry = LedgerEntry.objects.filter(generation_id=generation_id)
    if new in _ENDS:
        entry.update(outcome=new)
        if new == "ready" and submitted_at:  # the first time only: not a later copy again
            entry.filter(seconds_to_ready__isnull=True).update(
                seconds_to_ready=(at - submitted_at).total_seconds()
            )
    move = _MOVES.get((old, new))
    if move is None:
        return
    if move == _CHARGE:
        entry.filter(status=Status.RESERVED).update(
            status=Status.CHARGED, charged_at=at, flagged=False
        )
    elif move == _RELEASE:
        entry.filter(status=Status.RESERVED).update(status=Status.RELEASED, settled_at=at)
    elif move == _FLAG:
        entry.filter(status=Status.RESERVED).update(flagged=True)
    elif move == _FAILED:
        earlier = Case(
            When(note="", then=Value("")),
            default=Concat(Value(" "), "note", output_field=TextField()),
            output_field=TextField(),
        )
        entry.filter(status=Status.CHARGED).update(
            note=Concat(Value(FAILED_NOTE), earlier, output_field=TextField())
        )


def clip_deleted(generation_id: int, state: str) -> None:
    """A clip is being deleted (before its row goes, inside the same transaction). Unsent, what
    it held is released; being sent, LTX may have made it: held and flagged, like an unknown
    outcome. Anything accepted stays charged."""
    entry = LedgerEntry.objects.filter(generation_id=generation_id, status=Status.RESERVED)
    if state in ("queued", "awaiting_approval"):
        entry.update(status=Status.RELEASED, settled_at=timezone.now(), outcome="canceled")
    elif state == "submitting":
        entry.update(flagged=True, note="Deleted while it was being sent: LTX may have made it.")


class SettleError(ValueError):
    """An entry that cannot be settled that way (the message is for the admin)."""


WAIVABLE = ("failed", "expired")  # outcomes LTX may not have billed


def waive(entry: LedgerEntry, by: Any) -> bool:
    """An admin forgives the charge of a clip that failed or was lost (LTX did not bill it): it
    no longer counts. A ready clip's charge cannot be waived."""
    return bool(
        LedgerEntry.objects.filter(pk=entry.pk, status=Status.CHARGED, outcome__in=WAIVABLE).update(
            status=Status.WAIVED, settled_at=timezone.now(), settled_by=by
        )
    )


def settle_unknown(entry: LedgerEntry, *, billed: bool, by: Any) -> bool:
    """An admin says how a flagged entry ended, from the LTX console: billed or not."""
    now = timezone.now()
    flagged = LedgerEntry.objects.filter(pk=entry.pk, status=Status.RESERVED, flagged=True)
    if billed:
        return bool(flagged.update(status=Status.CHARGED, charged_at=now, settled_by=by))
    return bool(flagged.update(status=Status.RELEASED, settled_at=now, settled_by=by))


def outstanding(workspace_id: int) -> Q:
    """Entries that count against a budget: held or spent."""
    return Q(workspace_id=workspace_id, status__in=[Status.RESERVED, Status.CHARGED])
