from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone


class Lease(models.Model):
    """A named, expiring lock held in the database, shared by every worker on every machine.

    ``acquire`` is one conditional UPDATE (or the first INSERT), so two workers racing for the
    same lease cannot both win. Holding a lease and renewing it is also a heartbeat: ``/healthz``
    reads ``renewed_at`` of the poller's lease to tell whether any worker is alive.
    """

    name = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    renewed_at = models.DateTimeField()
    # Who takes the lease over from its holder by name ("" for no one yet): the poller loop's
    # hand-over (pipeline/loop.py). Cleared whenever the lease changes hands.
    successor = models.CharField(max_length=128, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%H:%M:%S}"

    @classmethod
    def acquire(cls, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew the lease; True when ``holder`` holds it afterwards."""
        now = timezone.now()
        renewal = {"expires_at": now + ttl, "renewed_at": now}
        if cls.objects.filter(name=name, holder=holder).update(**renewal):
            return True
        lapsed = cls.objects.filter(name=name, expires_at__lt=now)
        if lapsed.update(holder=holder, successor="", **renewal):
            return True
        try:
            with transaction.atomic():
                cls.objects.create(name=name, holder=holder, expires_at=now + ttl, renewed_at=now)
        except IntegrityError:
            return False
        return True

    @classmethod
    def release(cls, name: str, holder: str) -> None:
        cls.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())

    @classmethod
    def is_held(cls, name: str) -> bool:
        return cls.objects.filter(name=name, expires_at__gt=timezone.now()).exists()
