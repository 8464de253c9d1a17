"""The order queued generations leave in, and each one's place in the queue.

Each LTX key has a queue of its own: the clips of the workspaces that send with it (a
workspace's own key, or ``LTX_API_KEY`` for every workspace without one). Within a key's queue,
fairness is a round-robin at two levels, kept without any stored turn:

- across workspaces: each workspace's clips (in the order below) are ranked 0, 1, 2 ..., and
  the order is (rank, when that workspace last had a clip sent, age). Every workspace's next
  clip goes before any workspace's second, so one team's batch of 40 takes turns with another
  team's single clip instead of standing in front of it;
- inside a workspace, the same across its members: a member's batch of 20 takes turns with a
  colleague's single clip.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import Max, OuterRef, QuerySet, Subquery

from ltxdash.generations.models import Generation, State
from ltxdash.workspaces.models import ApiKey


def last_sent(
    workspace_ids: Iterable[int],
) -> tuple[dict[tuple[int, int], datetime], dict[int, datetime]]:
    """When each member of the workspaces last had a clip of the workspace sent, and when each
    workspace did (one query)."""
    rows = (
        Generation.objects.filter(
            workspace_id__in=set(workspace_ids), submit_started_at__isnull=False
        )
        .values("workspace_id", "owner_id")
        .annotate(last=Max("submit_started_at"))
        .order_by()
    )
    members: dict[tuple[int, int], datetime] = {}
    workspaces: dict[int, datetime] = {}
    for row in rows:
        members[(row["workspace_id"], row["owner_id"])] = row["last"]
        if row["workspace_id"] not in workspaces or row["last"] > workspaces[row["workspace_id"]]:
            workspaces[row["workspace_id"]] = row["last"]
    return members, workspaces


def _round_robin(
    rows: Iterable[Any], group_of: Callable[[Any], Hashable], served: dict[Any, datetime]
) -> list[Any]:
    """``rows`` in turns across groups: rank within the group, then the group served longest
    ago (never served first, by age), then age."""
    seen: Counter[Hashable] = Counter()
    keyed = []
    for row in rows:
        group = group_of(row)
        rank = seen[group]
        seen[group] += 1
        at = served.get(group)
        keyed.append(((rank, at is not None, at or row.created_at, row.created_at, row.id), row))
    keyed.sort(key=lambda pair: pair[0])
    return [row for _, row in keyed]


def fair_order(
    queued: Iterable[Any],
    member_sent: dict[tuple[int, int], datetime],
    workspace_sent: dict[int, datetime],
) -> list[Any]:
    """``queued`` rows (with workspace_id, owner_id, created_at, id) in the order the dispatcher
    submits them."""
    by_workspace: defaultdict[int, list[Any]] = defaultdict(list)
    for row in sorted(queued, key=lambda r: (r.created_at, r.id)):
        by_workspace[row.workspace_id].append(row)
    inner = [
        row
        for rows in by_workspace.values()
        for row in _round_robin(rows, lambda r: (r.workspace_id, r.owner_id), member_sent)
    ]
    return _round_robin(inner, lambda r: r.workspace_id, workspace_sent)


def queued_with(key: int | None) -> QuerySet[Generation]:
    """The queued clips that will be sent with ``key`` (None: ``LTX_API_KEY``): those of the
    workspaces using it now."""
    in_use = ApiKey.objects.filter(retired_at__isnull=True)
    queued = Generation.objects.filter(state=State.QUEUED)
    if key is None:
        return queued.exclude(workspace_id__in=in_use.values("workspace_id"))
    return queued.filter(workspace_id__in=in_use.filter(pk=key).values("workspace_id"))


def keys_with_queued() -> set[int | None]:
    """The keys that have clips waiting (None: ``LTX_API_KEY``)."""
    workspaces = set(
        Generation.objects.filter(state=State.QUEUED)
        .values_list("workspace_id", flat=True)
        .distinct()
        .order_by()
    )
    if not workspaces:
        return set()
    own = dict(
        ApiKey.objects.filter(workspace_id__in=workspaces, retired_at__isnull=True).values_list(
            "workspace_id", "id"
        )
    )
    return {own.get(workspace) for workspace in workspaces}


_QUEUED_FIELDS = (
    "id",
    "owner_id",
    "workspace_id",
    "created_at",
    "next_attempt_at",
    "state",
    "submit_attempts",
)


def _in_order(queued: list[Generation]) -> list[Generation]:
    if not queued:
        return []
    return fair_order(queued, *last_sent(g.workspace_id for g in queued))


def queued_in_order(key: int | None = None) -> list[Generation]:
    """The clips waiting to be sent with ``key`` (None: ``LTX_API_KEY``), next first."""
    return _in_order(list(queued_with(key).only(*_QUEUED_FIELDS)))


def queue_positions(generations: Sequence[Generation]) -> dict[int, int]:
    """1-based positions of the given queued generations in their key's queue (two queries for
    a whole page)."""
    if not any(g.state == State.QUEUED for g in generations):
        return {}
    in_use = ApiKey.objects.filter(workspace=OuterRef("workspace_id"), retired_at__isnull=True)
    queued = list(
        Generation.objects.filter(state=State.QUEUED)
        .annotate(send_key=Subquery(in_use.values("id")[:1]))
        .only(*_QUEUED_FIELDS)
    )
    by_key: defaultdict[int | None, list[Generation]] = defaultdict(list)
    for row in queued:
        by_key[row.send_key].append(row)
    wanted = {g.id for g in generations}
    positions: dict[int, int] = {}
    members, workspaces = last_sent(g.workspace_id for g in queued)
    for rows in by_key.values():
        for index, row in enumerate(fair_order(rows, members, workspaces), start=1):
            if row.id in wanted:
                positions[row.id] = index
    return positions


def queue_position(generation: Generation) -> int | None:
    """Where a queued generation stands (1 = next to be submitted), None when not queued."""
    return queue_positions([generation]).get(generation.id)
