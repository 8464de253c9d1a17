"""A user who belongs to no workspace gets a personal one when they log in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from ltxdash.workspaces import current


@receiver(user_logged_in)
def ensure_workspace(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    current.forget(user)
    current.membership(user)
