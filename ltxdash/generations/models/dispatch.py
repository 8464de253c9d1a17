"""The dispatcher's state: whether submitting is paused for everyone, why, when to probe, and
the short hold a 429 puts on every submit. Every rule about pausing and resuming lives here;
``pipeline/dispatch.py`` and ``pipeline/poller.py`` only call it.

A pause is account-level: an invalid key or an empty account would fail every queued clip the
same way, so clips wait in the queue (with a banner on every page) instead of being rejected one
by one. A probe checks whether the account works again, and resumes when it does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ltxdash.generations.timing import backoff, later, tunable
from ltxdash.ltx.errors import AuthenticationError, InsufficientFundsError, LTXError

logger = logging.getLogger(__name__)


class Reason(models.TextChoices):
    """Why dispatching is paused (``DispatchState.reason_type``). An account-level API error
    stores its own ``error.type``; these are the ones the rules below treat by name."""

    ADMIN = "admin", "Paused by an admin"
    INSUFFICIENT_FUNDS = InsufficientFundsError.error_type, "Out of LTX credits"
    AUTHENTICATION = AuthenticationError.error_type, "LTX API key not accepted"
    # A workspace's own key that none of LTXDASH_ENCRYPTION_KEYS opens: only people can fix it.
    KEY_UNREADABLE = "key_unreadable", "The workspace's LTX key cannot be read"


# A job that fails upstream with one of these says the account is unusable, not the clip.
ACCOUNT_FAILURES = frozenset({Reason.INSUFFICIENT_FUNDS, Reason.AUTHENTICATION})


class Probe(StrEnum):
    """How a paused account is tested."""

    NONE = "none"  # an admin paused it: only an admin resumes
    GET = "get"  # a key problem: a free GET of a job that cannot exist says whether the key works
    CLIP = "clip"  # anything else (no credits): send one queued clip and see


def probe_delay(failures: int) -> float:
    return backoff(failures, base=tunable("LTXDASH_PIPELINE_PROBE_SECONDS", 30.0), cap=600.0)


class DispatchState(models.Model):
    """Whether the dispatcher may submit with one LTX key (an account-level problem, such as an
    invalid key or no credits, pauses that key: every workspace that sends with it).

    One row per key: ``api_key`` empty is ``LTX_API_KEY``'s (the workspaces without a key of
    their own), otherwise a workspace's own key. Methods take that key's id as ``key`` (None
    for ``LTX_API_KEY``)."""

    api_key = models.OneToOneField(
        "workspaces.ApiKey",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dispatch_state",
        verbose_name="key",
    )
    paused = models.BooleanField(default=False)
    reason_type = models.CharField("reason", max_length=64, blank=True, choices=Reason.choices)
    reason_message = models.TextField("LTX's message", blank=True)
    paused_at = models.DateTimeField("paused since", null=True, blank=True)
    next_probe_at = models.DateTimeField("next check", null=True, blank=True)
    probe_failures = models.PositiveSmallIntegerField("failed checks", default=0)
    # A 429 (concurrency or rate limit) holds every submit until then; not a pause, no banner.
    hold_until = models.DateTimeField("submits held until", null=True, blank=True)

    class Meta:
        verbose_name = "dispatcher"
        verbose_name_plural = "dispatcher"
        constraints = [
            # One row per key, and one for LTX_API_KEY (a NULL api_key counts as key 0).
            models.UniqueConstraint(Coalesce("api_key", Value(0)), name="one_dispatcher_per_key")
        ]

    def __str__(self) -> str:
        return f"Paused: {self.get_reason_type_display()}" if self.paused else "Dispatching"

    @classmethod
    def rows(cls, key: int | None = None) -> models.QuerySet[DispatchState]:
        return cls.objects.filter(api_key=key)

    @classmethod
    def get(cls, key: int | None = None) -> DispatchState:
        state, _ = cls.objects.get_or_create(api_key_id=key)
        return state

    @classmethod
    def locked(cls, key: int | None = None) -> DispatchState:
        """The key's row, locked until the surrounding transaction ends (call inside one)."""
        cls.get(key)  # the row must exist before it can be locked
        return cls.rows(key).select_for_update().get()

    @staticmethod
    def stamp_of(pause: DispatchState | None) -> str:
        """What a page carries to say which pause it shows ("" for none): the status refresh
        redraws the banner when it differs."""
        if pause is None or not pause.paused:
            return "none"
        at = pause.paused_at.timestamp() if pause.paused_at else 0
        return f"{pause.api_key_id or 0}:{pause.reason_type or 'paused'}@{at:.0f}"

    @classmethod
    def pause_unreadable(cls, key: int) -> None:
        """The key's secret cannot be decrypted: hold its work until people fix it (once)."""
        if not cls.rows(key).filter(paused=True, reason_type=Reason.KEY_UNREADABLE).exists():
            cls.pause(
                Reason.KEY_UNREADABLE,
                "None of LTXDASH_ENCRYPTION_KEYS decrypts this workspace's LTX key.",
                key=key,
            )
            cls.rows(key).update(next_probe_at=None)

    @classmethod
    def in_use_paused(cls) -> models.QuerySet[DispatchState]:
        """Paused rows of keys still in use (LTX_API_KEY's, or a workspace's current key): a
        replaced key's pause says nothing about anyone's work any more."""
        return cls.objects.filter(paused=True).filter(
            Q(api_key__isnull=True) | Q(api_key__retired_at__isnull=True)
        )

    @classmethod
    def current_pause(cls, key: int | None = None) -> DispatchState | None:
        """The key's row while paused, else None: one indexed read (the banner on every page)."""
        return cls.rows(key).filter(paused=True).first()

    # --- reading the rules ---------------------------------------------------------------
    def may_submit(self, now: datetime) -> bool:
        """Neither paused nor held by a recent 429."""
        return not self.paused and not (self.hold_until and self.hold_until > now)

    def probe_due(self, now: datetime) -> bool:
        return self.paused and not (self.next_probe_at and self.next_probe_at > now)

    @property
    def probe(self) -> Probe:
        if self.reason_type in (Reason.ADMIN, Reason.KEY_UNREADABLE):
            return Probe.NONE
        if self.reason_type == Reason.AUTHENTICATION:
            return Probe.GET
        return Probe.CLIP

    def take_probe_turn(self, now: datetime) -> None:
        """Count a probe and schedule the next one (on the locked row)."""
        self.probe_failures += 1
        self.next_probe_at = later(now, probe_delay(self.probe_failures))
        self.save(update_fields=["probe_failures", "next_probe_at"])

    def claim_get_probe(self, now: datetime) -> bool:
        """Take the turn of a GET probe (this instance: the row as just read); False when
        another dispatcher took it first."""
        return bool(
            DispatchState.objects.filter(
                Q(next_probe_at__isnull=True) | Q(next_probe_at__lte=now), pk=self.pk, paused=True
            ).update(
                probe_failures=self.probe_failures + 1,
                next_probe_at=later(now, probe_delay(self.probe_failures + 1)),
            )
        )

    # --- changing it ---------------------------------------------------------------------
    @classmethod
    def pause(
        cls, reason_type: str, message: str, now: datetime | None = None, *, key: int | None = None
    ) -> None:
        """Stop submitting with the key after an account-level error (invalid key, no credits)."""
        now = now or timezone.now()
        with transaction.atomic():
            state = cls.locked(key)
            if not state.paused:
                state.paused_at = now
                state.probe_failures = 0
            state.paused = True
            state.reason_type = reason_type
            state.reason_message = message[:2000]
            state.next_probe_at = later(now, probe_delay(max(1, state.probe_failures)))
            state.save()
        logger.warning(
            "Dispatching paused (key %s): [%s] %s", key or "LTX_API_KEY", reason_type, message
        )

    @classmethod
    def pause_for(
        cls, error: LTXError, now: datetime | None = None, *, key: int | None = None
    ) -> None:
        """Pause for an account-level API error, under its own type."""
        cls.pause(error.error_type, error.message, now, key=key)

    @classmethod
    def pause_by_admin(cls, now: datetime | None = None, *, key: int | None = None) -> None:
        cls.get(key)
        cls.rows(key).update(
            paused=True,
            reason_type=Reason.ADMIN,
            reason_message="Paused by an admin.",
            paused_at=now or timezone.now(),
            next_probe_at=None,
        )

    @classmethod
    def resume(cls, why: str, *, key: int | None = None) -> bool:
        """Resume dispatching; True if it was paused. The caller nudges the dispatcher."""
        resumed = (
            cls.rows(key)
            .filter(paused=True)
            .update(
                paused=False,
                reason_type="",
                reason_message="",
                paused_at=None,
                next_probe_at=None,
                probe_failures=0,
            )
        )
        if resumed:
            logger.info("Dispatching resumed (key %s): %s", key or "LTX_API_KEY", why)
        return bool(resumed)

    @classmethod
    def hold(cls, until: datetime, *, key: int | None = None) -> None:
        """Hold every submit with the key until ``until`` (a 429); a later hold stays."""
        cls.get(key)
        cls.rows(key).filter(Q(hold_until__isnull=True) | Q(hold_until__lt=until)).update(
            hold_until=until
        )

    @classmethod
    def resume_after_accepted_submit(cls, *, key: int | None = None) -> bool:
        """A submit was accepted: the account works, unless the pause is for credits, where an
        accepted job proves little (it may still fail for lack of credits)."""
        if cls.rows(key).filter(paused=True, reason_type=Reason.INSUFFICIENT_FUNDS).exists():
            return False
        return cls.resume("a submit succeeded", key=key)

    @classmethod
    def resume_after_completions(
        cls, submitted: Iterable[datetime | None], *, key: int | None = None
    ) -> bool:
        """A pause for lack of credits ends once a job sent after the pause has finished
        (``submitted``: when each newly finished job was sent with the key)."""
        state = cls.rows(key).filter(paused=True, reason_type=Reason.INSUFFICIENT_FUNDS).first()
        if state is None or state.paused_at is None:
            return False
        paused_at = state.paused_at
        if any(sent and sent >= paused_at for sent in submitted):
            return cls.resume("a job sent after the pause finished", key=key)
        return False
