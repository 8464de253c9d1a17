"""django-q2 tasks: thin wrappers that take ids, re-read rows and call the pipeline.

Topology (see ``pipeline/loop.py``):
- ``poller_loop``: the self-renewing loop (polls, dispatches, re-enqueues copies); after about
  30 s it enqueues its successor, polls on until the successor has a worker, and hands it the
  "poller" lease; one runs at a time. Its
  results are not saved (it would crowd every other task out of the admin's list).
- ``watchdog``: a django-q2 Schedule, every minute: starts a loop if none is alive. Workers
  also start one when they spawn (``apps.py``), so a restarted cluster does not wait a minute.
- ``dispatch_queued``: nudge from a new clip, a retry or a freed slot: fill free slots now.
- ``submit_generation(pk, attempt)``: upload inputs and POST one claimed generation.
- ``rehost_generation(pk)``: copy one finished generation's outputs into storage.
- ``make_streamable(pk)``: rewrite one stored MP4 with its index first, once its clip is ready.
- ``probe_account``: check whether a rejected API key works again.
"""

from __future__ import annotations

from django_q.tasks import async_task

from ltxdash.generations.pipeline import dispatch, faststart, loop, rehost

LOOP_TASK = "ltxdash.generations.tasks.poller_loop"


def poller_loop(previous_holder: str | None = None) -> str:
    holder = loop.new_holder()

    def call_successor() -> None:
        async_task(LOOP_TASK, holder, task_name="poller_loop", save=False)

    return loop.run_loop(holder, previous=previous_holder, call_successor=call_successor)


def start_poller_if_needed() -> bool:
    """Enqueue a loop unless one is alive, or one was just enqueued (every worker of a starting
    cluster asks at once; a "poller-start" lease lets one of them through per lease period)."""
    if loop.poller_alive() or not loop.claim_start():
        return False
    async_task(LOOP_TASK, task_name="poller_loop", save=False)
    return True


def watchdog() -> bool:
    return start_poller_if_needed()


def dispatch_queued() -> int:
    return len(dispatch.dispatch())


def submit_generation(pk: int, attempt: int) -> str:
    return dispatch.submit_generation(pk, attempt)


def rehost_generation(pk: int) -> str:
    return rehost.rehost_generation(pk)


def make_streamable(pk: int) -> str:
    return faststart.make_streamable(pk)


def probe_account(key: int | None = None) -> str:
    return dispatch.probe_account(key)
