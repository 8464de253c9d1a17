"""Writing the audit log: ``record()``, called by each action at its one home, inside the
action's transaction where it has one (an action that rolls back leaves no entry)."""

from __future__ import annotations

from typing import Any

from ltxdash.audit.models import Action, AuditEntry

__all__ = ["Action", "describe", "link_detail", "record"]

# What an object is called in the log, by its model (``_meta.model_name``).
TYPES = {
    "generation": "clip",
    "sharelink": "share link",
    "boardlink": "board link",
    "board": "board",
    "invitation": "invitation",
    "membership": "member",
    "apikey": "LTX key",
    "budget": "budget",
    "workspace": "workspace",
}
WORDS_MAX = AuditEntry._meta.get_field("object_words").max_length or 200


def describe(obj: Any) -> tuple[str, str, str]:
    """(type, id, words) of an object as the log keeps it; words read without a query."""
    if obj is None:
        return "", "", ""
    name = obj._meta.model_name
    kind = TYPES.get(name, str(obj._meta.verbose_name))
    if name == "generation":
        words = f"#{obj.pk} {obj.display_title}"
    elif name == "sharelink":
        words = f"link #{obj.pk} of clip #{obj.generation_id}"
    elif name == "boardlink":
        words = f"link #{obj.pk} of board #{obj.board_id}"
    elif name == "membership":
        words = obj.user.get_username()  # the member, as named when it happened
    elif name == "invitation":
        words = f"invitation #{obj.pk} as {obj.get_role_display().lower()}"
    elif name == "apikey":
        words = f"key {obj.masked}"
    else:
        words = str(obj)
    return kind, str(obj.pk), words[:WORDS_MAX]


def link_detail(link: Any) -> str:
    """What the log says of a new public link: when it stops working."""
    if link.expires_at is None:
        return "Never expires."
    return f"Expires {link.expires_at:%Y-%m-%d %H:%M} UTC."


def record(
    actor: Any, workspace: Any, action: Action | str, obj: Any = None, detail: str = ""
) -> AuditEntry:
    """Append one entry: ``actor`` (a user; None or anonymous: the system) did ``action`` to
    ``obj`` in ``workspace`` (a Workspace or its id)."""
    person = actor if actor is not None and actor.is_authenticated else None
    kind, pk, words = describe(obj)
    return AuditEntry.objects.create(
        workspace_id=getattr(workspace, "pk", workspace),
        actor_id=person.pk if person else None,
        actor_name=person.get_username()[:150] if person else "",
        action=Action(action),
        object_type=kind,
        object_id=pk,
        object_words=words,
        detail=detail,
    )
