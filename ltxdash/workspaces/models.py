"""A team that works together: its clips, its members and their roles.

Who may do what with a role is decided in ``ltxdash.access``, nowhere else.
"""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"  # members, invitations, the key and settings; any clip
    CREATOR = "creator", "Creator"  # generates; re-runs, deletes and shares their own clips
    VIEWER = "viewer", "Viewer"  # watches, downloads and searches; changes nothing


def _default_time_zone() -> str:
    return str(settings.TIME_ZONE)


class Workspace(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The zone its calendar months (budgets) and days (usage) are counted in.
    time_zone = models.CharField(
        max_length=64,
        default=_default_time_zone,
        help_text="Budgets run by calendar month and usage by day in this time zone.",
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(str(settings.TIME_ZONE))


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CREATOR)
    joined_at = models.DateTimeField(default=timezone.now)
    # The workspace a member works in is the one they chose last (in any tab, any session).
    chosen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workspace", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_each")
        ]
        indexes = [models.Index(fields=["user", "-chosen_at"], name="membership_current")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.get_role_display()})"


INVITE_TOKEN_BYTES = 32  # 256 bits
INVITE_DAYS = 7


def hash_invite(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A single-use link that makes whoever opens it a member, with a role, until it expires.
    Only the token's SHA-256 is stored: the link is shown once, when it is made."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CREATOR)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation to {self.workspace} as {self.get_role_display()}"

    @classmethod
    def create(
        cls, workspace: Workspace, role: str, by: Any, days: int = INVITE_DAYS
    ) -> tuple[Invitation, str]:
        from ltxdash.audit import log as audit

        token = secrets.token_urlsafe(INVITE_TOKEN_BYTES)
        now = timezone.now()
        with transaction.atomic():
            invitation = cls.objects.create(
                workspace=workspace,
                role=role,
                token_hash=hash_invite(token),
                created_by=by,
                created_at=now,
                expires_at=now + timedelta(days=days),
            )
            detail = f"As {invitation.get_role_display().lower()}, for {days} days."
            audit.record(by, workspace, audit.Action.INVITED, invitation, detail)
        return invitation, token

    @classmethod
    def open(cls, token: str) -> Invitation | None:
        """The invitation a token opens, if it still may be used (unused, live, not revoked)."""
        if not token or len(token) > 100:
            return None
        return (
            cls.objects.select_related("workspace")
            .filter(
                token_hash=hash_invite(token),
                used_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )

    @property
    def status(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "open"

    def accept(self, user: Any) -> Membership | None:
        """Make ``user`` a member (single use: of two at once, one wins); None if it was used,
        revoked or expired meanwhile. A member already keeps their role."""
        with transaction.atomic():
            taken = Invitation.objects.filter(
                pk=self.pk,
                used_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            ).update(used_at=timezone.now(), used_by=user)
            if not taken:
                return None
            membership, _ = Membership.objects.get_or_create(
                workspace=self.workspace, user=user, defaults={"role": self.role}
            )
            return membership


class ApiKey(models.Model):
    """A workspace's own LTX API key. All of the workspace's new work is sent with it; without
    one, the workspace uses ``LTX_API_KEY``.

    Stored encrypted (``ltxdash.core.crypto``) and never shown again: only its last four
    characters. A key is never edited. Replacing it retires this row and adds a new one, and a
    retired key stays readable while jobs it submitted are still being polled and copied: each
    job is polled, and its output fetched, with the key that sent it.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    ciphertext = models.TextField(editable=False)
    last4 = models.CharField("ends in", max_length=4, editable=False)
    max_concurrency = models.PositiveSmallIntegerField(
        "jobs at once",
        null=True,
        blank=True,
        help_text="How many jobs this key may have at LTX at once (empty: LTX_MAX_CONCURRENCY).",
    )
    created_at = models.DateTimeField("added", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="added by",
    )
    retired_at = models.DateTimeField("replaced or removed", null=True, blank=True)

    class Meta:
        verbose_name = "workspace LTX key"
        ordering = ["workspace", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(retired_at__isnull=True),
                name="one_key_in_use_each",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace}'s key {self.masked}"

    @property
    def masked(self) -> str:
        return f"••••{self.last4}"

    @property
    def concurrency(self) -> int:
        return self.max_concurrency or int(settings.LTX_MAX_CONCURRENCY)

    def secret(self) -> str:
        from ltxdash.core import crypto

        return crypto.decrypt(self.ciphertext)

    @classmethod
    def in_use(cls, workspace: Workspace | int) -> ApiKey | None:
        return cls.objects.filter(workspace=workspace, retired_at__isnull=True).first()

    @classmethod
    def store(
        cls, workspace: Workspace, secret: str, by: Any, max_concurrency: int | None = None
    ) -> ApiKey:
        """Put ``secret`` in use for the workspace, retiring the key it replaces."""
        from ltxdash.audit import log as audit
        from ltxdash.core import crypto

        with transaction.atomic():
            # One save at a time per workspace (two at once would both retire, then both insert).
            Workspace.objects.select_for_update(no_key=True).filter(pk=workspace.pk).values_list(
                "pk"
            ).first()
            old = cls.in_use(workspace)
            cls.retire(workspace)
            key = cls.objects.create(
                workspace=workspace,
                ciphertext=crypto.encrypt(secret),
                last4=secret[-4:],
                max_concurrency=max_concurrency,
                created_by=by,
            )
            detail = f"Replaced {old.masked}." if old else "Instead of the server's key."
            audit.record(by, workspace, audit.Action.KEY_REPLACED, key, detail)
            return key

    @classmethod
    def retire(cls, workspace: Workspace) -> bool:
        """Stop using the workspace's key (it falls back to LTX_API_KEY); True if it had one."""
        return bool(
            cls.objects.filter(workspace=workspace, retired_at__isnull=True).update(
                retired_at=timezone.now()
            )
        )
