"""Enqueueing django-q2 tasks from domain code.

Tasks are named by dotted path (no import of ``tasks.py``, which imports this package), and
sent only once the surrounding transaction commits: a worker must never pick up a task for a
row it cannot see yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import transaction

TASKS = "ltxdash.generations.tasks"


def enqueue(task: str, *args: Any) -> None:
    enqueue_each(task, [args])


def enqueue_each(task: str, each: Sequence[Sequence[Any]]) -> None:
    """One ``task`` for each of the argument lists in ``each``, sent together once the
    surrounding transaction commits (on the ORM broker, in one transaction of their own)."""
    if not each:
        return

    def send() -> None:
        from django_q.tasks import async_task

        # The ORM broker closes the database connection before an enqueue made outside a
        # transaction (django_q's ORM.get_connection), so the next query connects again: about
        # 3 ms a task on SQLite, and the loop enqueues one per finished clip. Inside one it
        # keeps the connection, and the tasks of a pass commit once.
        orm = settings.Q_CLUSTER.get("orm")
        with transaction.atomic(using=str(orm)) if orm else nullcontext():
            for args in each:
                async_task(f"{TASKS}.{task}", *args, task_name=f"{task}{list(args)}"[:100])

    transaction.on_commit(send)


def nudge_dispatcher() -> None:
    """Ask a worker to use any free slot now rather than at the loop's next pass."""
    enqueue("dispatch_queued")
