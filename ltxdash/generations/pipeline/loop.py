"""The pipeline's heartbeat: one loop, under the "poller" lease, that keeps everything moving.

Each pass: recover submits whose worker died, poll what is due, re-enqueue or expire copies,
remove temp folders of killed copies, probe a paused account, fill free slots. A pass of the
loop polls what falls due within a short window (``poller.send_window``), each poll leaving at
its own due moment; between passes it sleeps until the next poll is due (at most one interval,
so a freed slot is used within an interval).

Exactly one loop runs across every cluster: the lease is taken with a conditional UPDATE and
renewed about once a second (``/healthz`` reads that renewal as the workers' heartbeat). A loop task runs
for half a minute, then enqueues its successor and polls on until the successor takes the lease
over by name (the hand-over, below); a loop that dies (SIGKILL) stops renewing, and the next
one (started by a worker starting, or by the once-a-minute watchdog schedule) takes over when
the lease expires.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from django.db import DatabaseError, close_old_connections
from django.db.models import F
from django.utils import timezone

from ltxdash.core.health import POLLER_LEASE
from ltxdash.core.models import Lease
from ltxdash.generations import estimates
from ltxdash.generations.pipeline import dispatch, faststart, filestore, poller, rehost
from ltxdash.generations.timing import lease_seconds, loop_seconds, poll_interval, task_timeout
from ltxdash.ltx.client import LTXClient

logger = logging.getLogger(__name__)

Outcome = Literal["handover", "stopped", "lost", "busy"]
START_LEASE = "poller-start"


@dataclass
class PassReport:
    recovered: int = 0
    polled: int = 0
    poll_changes: dict[str, int] = field(default_factory=dict)
    rehosts: dict[str, int] = field(default_factory=dict)
    claimed: int = 0
    swept: int = 0  # temp folders of killed copies removed
    rewrites: int = 0  # faststart passes enqueued (pipeline/faststart.py)
    # When a slot should free next (estimates.next_predicted_free), on passes that ask.
    predicted_free_at: datetime | None = None


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def run_pass(
    *,
    client: LTXClient | None = None,
    now: datetime | None = None,
    housekeeping: bool = True,
    window: float = 0.0,
    dispatch_now: bool = False,
) -> PassReport:
    """One pass of everything the loop does; safe to call from tests or a shell.

    Without ``housekeeping`` only the polls run, plus the dispatcher if a poll freed a slot or
    ``dispatch_now`` (a slot is predicted free): the loop polls in fine steps and does the rest
    a few times per interval. ``window``: also poll what falls due within that many seconds,
    each poll at its moment.
    """
    now = now or timezone.now()
    report = PassReport()
    polled = poller.poll_due(now, client=client, window=window)
    report.polled, report.poll_changes = polled.polled, polled.changed
    freed = any(polled.changed.get(kind) for kind in ("completed", "failed", "expired"))
    if housekeeping:
        report.recovered = dispatch.recover_stale_submits(timezone.now())
        report.rehosts = rehost.watch(timezone.now())
        report.rewrites = faststart.requeue(timezone.now())
        report.swept = len(filestore.sweep_scratch())
    if housekeeping or freed or dispatch_now:
        report.claimed = len(dispatch.dispatch(timezone.now()))
    if housekeeping or dispatch_now:
        report.predicted_free_at = estimates.next_predicted_free(timezone.now())
    return report


def _renew_every() -> float:
    """How often a running loop renews its lease: well within the lease's time to live, and
    often enough for /healthz (``poller_alive``) to see the heartbeat."""
    return min(1.0, lease_seconds() / 4, poll_interval())


def _housekeeping_every() -> float:
    """Recovery, copies and dispatch run this often; polls as often as they fall due."""
    return min(1.0, poll_interval() / 5)


def seconds_until_next_pass(
    now: datetime | None = None, predicted_free_at: datetime | None = None
) -> float:
    """Until the next poll is due, or a slot is predicted free (``predicted_free_at``), but at
    least a fiftieth of an interval (passes batch the polls that fall close together) and at
    most the housekeeping period."""
    now = now or timezone.now()
    interval = poll_interval()
    wait = _housekeeping_every()
    if predicted_free_at is not None:
        wait = min(wait, (predicted_free_at - now).total_seconds())
    try:
        due = poller.next_due()
    except DatabaseError:
        return wait
    if due is not None:
        wait = min(wait, (due - now).total_seconds())
    return max(interval / 50, wait)


def take_lease(holder: str, previous: str | None = None) -> bool:
    """Take (or renew) the poller lease; ``previous`` takes it over from a predecessor that
    left it to its successor (``_leave``)."""
    ttl = timedelta(seconds=lease_seconds())
    if previous and _take_left(holder, previous, ttl):
        return True
    return Lease.acquire(POLLER_LEASE, holder, ttl)


# --- The hand-over ------------------------------------------------------------------------------
# A loop past its time enqueues its successor and polls on until the successor is there to take
# the lease by name, so that no poll waits for the successor's turn in the broker (behind copies
# and submits on a busy deployment). The successor names itself in the lease's ``successor``
# (``_announce``); at its next renewal the loop hands the lease to it and returns
# (``_hand_over``), and the successor starts at once. A successor that does not come within
# the overlap finds the lease left to whoever comes by name (``_ANYONE``, ``_leave``). Each step
# is one conditional UPDATE, so the two loops never run a pass at the same time.
_ANYONE = "*"
# The successor looks for the lease in its name this often while the predecessor finishes.
_HANDOVER_CHECK = 0.02


def _take_left(holder: str, previous: str, ttl: timedelta) -> bool:
    now = timezone.now()
    return bool(
        Lease.objects.filter(name=POLLER_LEASE, holder=previous, successor=_ANYONE).update(
            holder=holder, successor="", expires_at=now + ttl, renewed_at=now
        )
    )


def _announce(holder: str, previous: str) -> bool:
    return bool(
        Lease.objects.filter(name=POLLER_LEASE, holder=previous, successor__in=["", holder]).update(
            successor=holder
        )
    )


def _hand_over(holder: str) -> bool:
    """Give the lease to the successor that named itself, if one has: True once it holds it."""
    now = timezone.now()
    ttl = timedelta(seconds=lease_seconds())
    return bool(
        Lease.objects.filter(name=POLLER_LEASE, holder=holder)
        .exclude(successor__in=["", _ANYONE])
        .update(holder=F("successor"), successor="", expires_at=now + ttl, renewed_at=now)
    )


def _leave(holder: str) -> Outcome:
    """End a loop that kept its lease: to the successor that named itself, or, if none has yet,
    left to the one that comes by name (``take_lease``'s ``previous``)."""
    for _ in range(3):  # each step is conditional: a successor naming itself meanwhile retries
        if _hand_over(holder):
            return "handover"
        if Lease.objects.filter(name=POLLER_LEASE, holder=holder, successor="").update(
            successor=_ANYONE
        ):
            return "handover"
    return "lost"


def _take_over(holder: str, previous: str, stop: threading.Event) -> bool | None:
    """Take the lease from our predecessor: at once if it left it to us, or when it hands it
    over at its next renewal (it polls on meanwhile). None when the predecessor holds it no
    longer (it died and the lease lapsed to another loop, or this is a copy of an old task):
    start as any new loop does."""
    ttl = timedelta(seconds=lease_seconds())
    for _ in range(3):  # the predecessor may be leaving between our two steps
        if _take_left(holder, previous, ttl):
            return True
        if _announce(holder, previous):
            return _await_hand_over(holder, stop)
    return None


def _await_hand_over(holder: str, stop: threading.Event) -> bool:
    """Wait, a few hundredths of a second at a time, for the lease to be in our name; or take
    it once it lapses (the predecessor was killed before it could hand over). However long
    the predecessor's pass takes on a busy machine, we wait while it holds the lease: it hands
    over at its next renewal, and a successor gone by then would leave no loop at all."""
    while True:
        lease = Lease.objects.filter(name=POLLER_LEASE).first()
        if lease is None or lease.expires_at <= timezone.now():
            return take_lease(holder)
        if lease.holder == holder:
            return True
        if lease.successor != holder:
            return False  # taken by another loop
        if stop.wait(_HANDOVER_CHECK):
            return False


def _stand_by(holder: str, stop: threading.Event) -> bool:
    """Wait while another loop may still be alive; True once we hold the lease.

    A live holder renews at least every interval; one that stops renewing (killed) loses the
    lease when it expires, and we take over then.
    """
    lease = Lease.objects.filter(name=POLLER_LEASE).first()
    if lease is None:
        return take_lease(holder)
    last_renewal = lease.renewed_at
    deadline = time.monotonic() + lease_seconds() + 1
    while time.monotonic() < deadline:
        if stop.wait(min(1.0, poll_interval())):
            return False
        if take_lease(holder):
            return True
        current = Lease.objects.filter(name=POLLER_LEASE).first()
        if current is not None and current.renewed_at != last_renewal:
            return False  # renewed: a live loop runs; we are not needed
    return take_lease(holder)


def _renew(holder: str) -> bool | None:
    """True: we hold the lease; False: someone else does; None: the database did not answer
    (a blip must not end the loop: we try again next pass, and if it lasts, the lease lapses
    and another loop takes over)."""
    try:
        return take_lease(holder)
    except DatabaseError:
        logger.warning("Could not renew the poller lease", exc_info=True)
        close_old_connections()
        return None


def _start(holder: str, previous: str | None, stop: threading.Event) -> bool:
    if previous:
        taken = _take_over(holder, previous, stop)
        if taken is not None:
            return taken
    return take_lease(holder) or _stand_by(holder, stop)


def run_loop(
    holder: str,
    *,
    previous: str | None = None,
    stop: threading.Event | None = None,
    budget: float | None = None,
    client: LTXClient | None = None,
    call_successor: Callable[[], object] | None = None,
) -> Outcome:
    """Run passes until ``budget`` seconds have gone by, ``stop`` is set or the lease is lost.

    With ``call_successor`` (the task enqueueing the next loop), a loop past its budget calls
    it once and runs on until the successor takes the lease over (the hand-over above), for at
    most one more budget; without, it leaves the lease to its successor at once."""
    stop = stop or threading.Event()
    if not _start(holder, previous, stop):
        return "busy"
    budget = loop_seconds() if budget is None else budget
    started = time.monotonic()
    deadline = started + budget
    # Past its budget, the loop runs on for the successor this long at most: a stopping
    # cluster waits for its running tasks, and its own broker no longer hands any out.
    overlap_until = deadline + max(0.0, min(budget, 0.9 * task_timeout() - budget))
    logger.info("Pipeline loop %s started", holder)
    held: bool | None = True
    housekept = -math.inf
    renewed = time.monotonic()
    failed = False
    waiting_for_successor = False
    predicted: datetime | None = None  # a slot should free then: dispatch again at that moment
    while True:
        if held:
            housekeeping = time.monotonic() - housekept >= _housekeeping_every()
            if housekeeping or failed:
                # Not every pass: without CONN_MAX_AGE this reconnects (2 ms on SQLite).
                close_old_connections()
            due = predicted is not None and predicted <= timezone.now()
            try:
                report = run_pass(
                    client=client,
                    housekeeping=housekeeping,
                    window=poller.send_window(),
                    dispatch_now=due,
                )
                failed = False
                if housekeeping or due:
                    predicted = report.predicted_free_at
                if housekeeping:
                    housekept = time.monotonic()
            except Exception:
                # One bad pass (a database hiccup, a bug on one row) must not stop the pipeline.
                logger.exception("Pipeline pass failed")
                failed = True
        now = time.monotonic()
        if now >= deadline and not waiting_for_successor:
            if call_successor is None:
                return _leave(holder)
            _call(call_successor)
            waiting_for_successor = True
        if waiting_for_successor and now >= overlap_until:
            return _leave(holder)
        wait = seconds_until_next_pass(None, predicted)
        if not waiting_for_successor:
            wait = min(wait, deadline - now)
        if stop.is_set() or stop.wait(max(0.0, wait)):
            Lease.release(POLLER_LEASE, holder)
            return "stopped"
        if time.monotonic() - renewed < _renew_every():
            continue  # passes come several a second; the lease is renewed about once a second
        if waiting_for_successor and _hands_over(holder):
            return "handover"
        held = _renew(holder)
        renewed = time.monotonic()
        if held is False:
            logger.warning("Pipeline loop %s lost its lease; stopping", holder)
            return "lost"


def _call(call_successor: Callable[[], object]) -> None:
    try:
        call_successor()
    except Exception:  # the broker did not answer: run on; the watchdog starts one if we end
        logger.exception("Could not enqueue the next pipeline loop")


def _hands_over(holder: str) -> bool:
    try:
        return _hand_over(holder)
    except DatabaseError:
        logger.warning("Could not hand the poller lease over", exc_info=True)
        close_old_connections()
        return False


def claim_start() -> bool:
    """True for the first caller per lease period: it may enqueue a new loop."""
    ttl = timedelta(seconds=lease_seconds())
    return Lease.acquire(START_LEASE, new_holder(), ttl)


def poller_alive() -> bool:
    """A loop holds the lease and renewed it recently."""
    lease = Lease.objects.filter(name=POLLER_LEASE).first()
    if lease is None:
        return False
    now = timezone.now()
    fresh = now - lease.renewed_at < timedelta(seconds=max(2 * poll_interval(), 5.0))
    return lease.expires_at > now and fresh
