"""The audit log: who did what to which object of a workspace, and when.

Append-only. An entry is written once (``ltxdash.audit.log.record``) and never changed or
deleted by the product: ``save()`` of a stored entry, ``delete()``, and the QuerySet's
``update()``, ``delete()`` and ``bulk_update()`` all raise ``AppendOnlyError``.

An entry outlives what it describes and whoever did it. Its workspace and actor are foreign keys
that no deletion follows (``DO_NOTHING``, no database constraint): deleting a user or a
workspace neither deletes nor updates an entry, and the entry keeps the actor's name and the
object's words as they were at the time. The object is a type and an id, never a foreign key.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit entry."""


class Action(models.TextChoices):
    GENERATED = "generated", "Generated"
    APPROVED = "approved", "Approved a request"
    DECLINED = "declined", "Declined a request"
    DELETED = "deleted", "Deleted a clip"
    SHARED = "shared", "Shared a clip"
    SHARE_REVOKED = "share_revoked", "Revoked a share link"
    BOARD_SHARED = "board_shared", "Shared a board"
    BOARD_LINK_REVOKED = "board_link_revoked", "Revoked a board link"
    INVITED = "invited", "Invited"
    INVITATION_REVOKED = "invitation_revoked", "Revoked an invitation"
    ROLE_CHANGED = "role_changed", "Changed a role"
    MEMBER_REMOVED = "member_removed", "Removed a member"
    BUDGET_CHANGED = "budget_changed", "Changed the budget"
    KEY_REPLACED = "key_replaced", "Set or replaced the LTX key"
    KEY_STOPPED = "key_stopped", "Stopped using the LTX key"


def _refuse(what: str) -> AppendOnlyError:
    return AppendOnlyError(f"The audit log is append-only: an entry cannot be {what}.")


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    """Reads and inserts only."""

    def update(self, **kwargs: Any) -> int:
        raise _refuse("changed")

    def _update(self, values: Any) -> Any:
        raise _refuse("changed")

    def bulk_update(
        self, objs: Iterable[AuditEntry], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        raise _refuse("changed")

    def bulk_create(
        self,
        objs: Iterable[Any],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> Any:
        if update_conflicts:
            raise _refuse("changed")  # an "upsert" would rewrite an entry
        return super().bulk_create(objs, batch_size, ignore_conflicts)

    def _raw_delete(self, using: str | None) -> int:
        raise _refuse("deleted")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refuse("deleted")


class AuditEntry(models.Model):
    # Foreign keys for filtering and the admin's lists; no deletion reaches an entry through them.
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,  # never empty; nullable so a join to a deleted workspace is an outer join
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,  # empty: the system (no person did it)
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField("who", max_length=150, blank=True)  # as it was at the time
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField("object type", max_length=40, blank=True)
    object_id = models.CharField("object id", max_length=40, blank=True)
    object_words = models.CharField("object", max_length=200, blank=True)  # as it was then
    detail = models.TextField(blank=True)
    at = models.DateTimeField("when", default=timezone.now)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        base_manager_name = "objects"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-at", "-id"], name="audit_recent"),
            models.Index(fields=["workspace", "actor", "-at"], name="audit_by_actor"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or "the system"
        what = f" {self.object_words}" if self.object_words else ""
        return f"{who}: {self.get_action_display().lower()}{what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise _refuse("changed")
        kwargs["force_insert"] = True  # a new entry never UPDATEs a row, even given a pk
        kwargs.pop("force_update", None)
        kwargs.pop("update_fields", None)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise _refuse("deleted")
