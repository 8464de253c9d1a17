"""Share links: a clip made visible to anyone holding a random token.

Only the token's SHA-256 is stored, so a copy of the database (a backup, an admin screen) cannot
be turned back into working links. The token is shown to its creator once, at creation.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ltxdash.generations.models import Generation

# 32 random bytes: 256 bits, 43 URL-safe characters. Far beyond guessing, and short enough to paste.
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PublicLinkQuerySet[L: models.Model](models.QuerySet[L]):
    def live(self) -> PublicLinkQuerySet[L]:
        """Links that still open: not revoked and not past their expiry."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def find_live(self, token: str) -> L | None:
        """The live link for a token, or None (unknown, expired and revoked look the same)."""
        # A token of the wrong shape cannot match; skip the hash and the query.
        if not token or len(token) > 128:
            return None
        return self.live().filter(token_hash=hash_token(token)).first()


class PublicLink(models.Model):
    """What every public link has: a token only its creator saw (its hash is stored), an
    optional expiry, revocation and a view count. A clip's share link and a board's link."""

    token_hash = models.CharField(
        "token hash (SHA-256)", max_length=64, unique=True, editable=False
    )
    created_at = models.DateTimeField("created", default=timezone.now)
    expires_at = models.DateTimeField("expires", null=True, blank=True)  # null: never expires
    revoked_at = models.DateTimeField("revoked", null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField("last viewed", null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @staticmethod
    def new_token(lifetime: timedelta | None) -> tuple[str, dict[str, object]]:
        """A fresh token, and the fields that store it (its hash, created and expires)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = timezone.now()
        return token, {
            "token_hash": hash_token(token),
            "created_at": now,
            "expires_at": now + lifetime if lifetime else None,
        }

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_live(self) -> bool:
        return not self.is_revoked and not self.is_expired

    def revoke(self) -> bool:
        """Idempotent: the first revocation's time is kept. True if this call revoked it."""
        now = timezone.now()
        revoked = (
            type(self)
            ._default_manager.filter(pk=self.pk, revoked_at__isnull=True)
            .update(revoked_at=now)
        )
        self.revoked_at = self.revoked_at or now
        return bool(revoked)

    def record_view(self) -> None:
        # One UPDATE with F(): concurrent views are all counted, no read-modify-write race.
        type(self)._default_manager.filter(pk=self.pk).update(
            views=F("views") + 1, last_viewed_at=timezone.now()
        )


class ShareLink(PublicLink):
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="share_links")
    # What the public page shows: a heading the owner chose (empty: none), and the prompt or not.
    title = models.CharField("heading", max_length=120, blank=True)
    show_prompt = models.BooleanField("shows the prompt", default=True)

    objects = PublicLinkQuerySet["ShareLink"].as_manager()

    class Meta(PublicLink.Meta):
        pass

    def __str__(self) -> str:
        return f"Share link #{self.pk} of clip #{self.generation_id}"

    @classmethod
    def create_for(
        cls,
        generation: Generation,
        lifetime: timedelta | None,
        *,
        title: str = "",
        show_prompt: bool = True,
    ) -> tuple[ShareLink, str]:
        """Make a link; returns it with its token, which exists nowhere else after this call."""
        token, fields = cls.new_token(lifetime)
        link = cls.objects.create(
            generation=generation, title=title, show_prompt=show_prompt, **fields
        )
        return link, token
