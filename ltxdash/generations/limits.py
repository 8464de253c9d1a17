"""How much one member may ask for at once: today, the cap on clips queued or in progress
(``LTXDASH_MAX_ACTIVE_PER_USER``). Budgets will join it here.

``reserve()`` runs inside the transaction that then inserts the clips, and makes the count and
the insert one step per member, so two requests at once (two tabs, a script posting 100 times)
cannot both see room for the last slot:

- PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the member's user row (``NO KEY``:
  it excludes another such lock but not a foreign-key check, so a transaction that inserts a row
  pointing at the member, an approval's ledger entry say, never deadlocks with this one). A second create
  for the same member waits on that lock until the first commits; its count is a new statement,
  so under READ COMMITTED it sees the rows the first inserted. Other members are not held up.
- SQLite ignores ``FOR UPDATE``, but every transaction here begins ``IMMEDIATE``
  (settings ``_SQLITE_OPTIONS``, also for a sqlite ``DATABASE_URL``): it holds the database's
  one write lock from ``BEGIN``, so no other writer runs between the count and the insert.

Clips leave the active states without the lock (the dispatcher, the poller); that only lowers
the count, so a count read under the lock can be too high for a moment, never too low.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model

from ltxdash.generations.models import Generation
from ltxdash.generations.models.states import ACTIVE


class LimitReached(ValueError):
    """A request that would take a member past a limit; the message is for the member."""


def max_active() -> int:
    return int(settings.LTXDASH_MAX_ACTIVE_PER_USER)


def active_count(owner_id: int) -> int:
    """Clips of the member that are queued or in progress (a live card: ``states.ACTIVE``)."""
    return Generation.objects.filter(owner_id=owner_id, state__in=ACTIVE).count()


def reserve(owner_id: int, count: int) -> None:
    """Room for ``count`` more clips of the member, or LimitReached. Call it inside the
    transaction that inserts them (see the module for why that is race-free)."""
    get_user_model().objects.select_for_update(no_key=True).filter(pk=owner_id).values_list(
        "pk"
    ).first()
    active, limit = active_count(owner_id), max_active()
    if active + count <= limit:
        return
    if active >= limit:
        raise LimitReached(
            f"You have {active} clips queued or in progress; wait for some to finish "
            f"(the limit is {limit} per person, LTXDASH_MAX_ACTIVE_PER_USER)."
        )
    raise LimitReached(
        f"You have {active} clips queued or in progress and asked for {count} more; the limit "
        f"is {limit} per person (LTXDASH_MAX_ACTIVE_PER_USER). Ask for {limit - active} or "
        "fewer, or wait for some to finish."
    )
