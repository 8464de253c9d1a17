"""A team that works together: its clips, its members and their roles.

Who may do what with a role is decided in ``ltxdash.access``, nowhere else.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"  # members, invitations, the key and settings; any clip
    CREATOR = "creator", "Creator"  # generates; re-runs, deletes and shares their own clips
    VIEWER = "viewer", "Viewer"  # watches, downloads and searches; changes nothing


class Workspace(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


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
