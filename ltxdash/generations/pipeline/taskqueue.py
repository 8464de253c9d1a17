"""Enqueueing django-q2 tasks from domain code.

Tasks are named by dotted path (no import of ``tasks.py``, which imports this package), and
sent only once the surrounding transaction commits: a worker must never pick up a task for a
row it cannot see yet.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

TASKS = "ltxdash.generations.tasks"


def enqueue(task: str, *args: Any) -> None:
    def send() -> None:
        from django_q.tasks import async_task

        async_task(f"{TASKS}.{task}", *args, task_name=f"{task}{list(args)}"[:100])

    transaction.on_commit(send)


def nudge_dispatcher() -> None:
    """Ask a worker to use any free slot now rather than at the loop's next pass."""
    enqueue("dispatch_queued")
