"""The poller loop's hand-over: a loop past its time polls on until its successor, enqueued
behind whatever the broker holds, has a worker, then gives it the lease by name; the two never
run a pass at the same time, and no poll waits for the successor's turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from ltxdash.core.health import POLLER_LEASE
from ltxdash.core.models import Lease
from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation, State
from ltxdash.generations.pipeline import loop
from tests.factories import T2V
from tests.support.pipeline import drive

pytestmark = pytest.mark.django_db(transaction=True)  # loops in threads, as in workers


def _unlocked(run: Callable[[], Any]) -> Any:
    """``run`` again while the test database is locked: SQLite in memory fails a locked write
    at once where the real file database waits for the lock. Every step of a hand-over may be
    run again (each is a conditional UPDATE)."""
    try:
        while True:
            try:
                return run()
            except OperationalError:
                time.sleep(0.01)
    finally:
        connections.close_all()


def _in_flight(owner, n: int) -> None:
    pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params=dict(T2V), inputs={}, count=n
    )
    drive(lambda: not Generation.objects.filter(state=State.QUEUED).exists())


@pytest.mark.usefixtures("pipeline_settings")
def test_a_loop_past_its_time_polls_on_until_its_successor_takes_over(
    ltx_simulator, owner, settings, monkeypatch
):
    settings.LTX_POLL_INTERVAL = interval = 0.2
    settings.LTXDASH_POLLER_LEASE_SECONDS = 5.0
    ltx_simulator.configure(pending_seconds=60)
    _in_flight(owner, 2)
    polls_before = ltx_simulator.stats()["polls"]

    passes: list[tuple[str, float, float]] = []  # (loop, began, ended)
    real_pass = loop.run_pass

    def recorded(**kwargs: Any) -> loop.PassReport:
        began = time.monotonic()
        try:
            return real_pass(**kwargs)
        finally:
            passes.append((threading.current_thread().name, began, time.monotonic()))

    monkeypatch.setattr(loop, "run_pass", recorded)
    outcomes: dict[str, str] = {}
    enqueued: list[float] = []
    successors: list[threading.Thread] = []
    delay = 1.2  # the successor's wait in the broker, behind copies and submits (< one budget)

    def successor() -> None:
        if enqueued:
            return
        enqueued.append(time.monotonic())

        def run() -> None:
            time.sleep(delay)
            outcomes["second"] = _unlocked(
                lambda: loop.run_loop("second", previous="first", budget=0.5)
            )

        later = threading.Thread(target=run, name="second")
        successors.append(later)
        later.start()

    started = time.monotonic()
    first = threading.Thread(
        target=lambda: outcomes.__setitem__(
            "first",
            _unlocked(lambda: loop.run_loop("first", budget=1.5, call_successor=successor)),
        ),
        name="first",
    )
    first.start()
    first.join()
    successors[0].join(timeout=10)  # not drive(): it would run passes of its own meanwhile
    elapsed = time.monotonic() - started

    assert outcomes == {"first": "handover", "second": "handover"}
    assert Lease.objects.get(name=POLLER_LEASE).holder == "second"
    firsts = [(began, ended) for name, began, ended in passes if name == "first"]
    seconds = [(began, ended) for name, began, ended in passes if name == "second"]
    # The first loop polled on while its successor waited for a worker ...
    assert any(began > enqueued[0] + delay - 0.5 for began, _ in firsts)
    # ... and the successor started when it had one: no pass of both at once, and no gap the
    # length of the successor's wait.
    last_first = max(ended for _, ended in firsts)
    first_second = min(began for began, _ in seconds)
    assert last_first <= first_second
    assert first_second - last_first < delay / 2
    # One poller throughout: each job polled at most once per interval.
    polls = ltx_simulator.stats()["polls"] - polls_before
    assert polls <= 2 * (elapsed / interval + 1)


def test_a_successor_that_does_not_come_finds_the_lease_left_to_it(settings):
    settings.LTX_POLL_INTERVAL = 0.1
    settings.LTXDASH_POLLER_LEASE_SECONDS = 30.0
    calls: list[float] = []
    started = time.monotonic()
    outcome = loop.run_loop("first", budget=0.3, call_successor=lambda: calls.append(1))
    # One more budget for the successor at most: a stopping cluster waits for this task.
    assert outcome == "handover"
    assert calls == [1]
    assert 0.55 < time.monotonic() - started < 3.0
    lease = Lease.objects.get(name=POLLER_LEASE)
    assert lease.holder == "first" and lease.successor == loop._ANYONE

    stop = threading.Event()
    stop.set()
    began = time.monotonic()
    assert loop.run_loop("late", previous="first", stop=stop) == "stopped"
    assert time.monotonic() - began < 1.0  # at once, not when the lease lapses 30 s later


def test_a_successor_named_to_a_loop_that_was_killed_takes_over_when_the_lease_lapses(settings):
    settings.LTX_POLL_INTERVAL = 0.1
    settings.LTXDASH_POLLER_LEASE_SECONDS = 0.5
    assert loop.take_lease("killed")  # past its budget, waiting for us, then SIGKILL
    began = time.monotonic()
    assert loop.run_loop("heir", previous="killed", budget=0.1) == "handover"
    assert 0.3 < time.monotonic() - began < 3.0
    lease = Lease.objects.get(name=POLLER_LEASE)
    assert lease.holder == "heir"


def test_a_copy_of_an_old_loop_task_neither_waits_for_nor_disturbs_the_live_loop(settings):
    settings.LTX_POLL_INTERVAL = 0.1
    settings.LTXDASH_POLLER_LEASE_SECONDS = 30.0
    assert loop.take_lease("live")
    renewing = threading.Event()

    def renew() -> None:
        try:
            while not renewing.wait(0.1):
                loop.take_lease("live")
        finally:
            connections.close_all()

    renewer = threading.Thread(target=renew)
    renewer.start()
    try:
        # Delivered again by the broker, naming a predecessor long gone.
        assert _unlocked(lambda: loop.run_loop("copy", previous="long-gone")) == "busy"
    finally:
        renewing.set()
        renewer.join()
    lease = Lease.objects.get(name=POLLER_LEASE)
    assert lease.holder == "live" and lease.successor == ""


def test_a_lease_taken_after_it_lapsed_forgets_the_successor_named_to_the_last_holder(settings):
    settings.LTXDASH_POLLER_LEASE_SECONDS = 30.0
    assert loop.take_lease("old")
    Lease.objects.filter(name=POLLER_LEASE).update(
        successor="named-to-old", expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert loop.take_lease("new")
    lease = Lease.objects.get(name=POLLER_LEASE)
    assert lease.holder == "new" and lease.successor == ""
    # Renewing keeps a successor that named itself to the holder.
    Lease.objects.filter(name=POLLER_LEASE).update(successor="named-to-new")
    assert loop.take_lease("new")
    assert Lease.objects.get(name=POLLER_LEASE).successor == "named-to-new"


def test_a_successor_waits_for_a_predecessor_whose_pass_outlasts_the_lease_time(settings):
    """On a starved machine a pass may take longer than the lease's time to live, renewals and
    all. The successor waits while the predecessor holds the lease, however long: had it given
    up, the lease would be handed to no one."""
    settings.LTX_POLL_INTERVAL = 0.1
    settings.LTXDASH_POLLER_LEASE_SECONDS = 0.4
    assert loop.take_lease("slow")
    outcome: list[bool] = []

    def successor() -> None:
        outcome.append(_unlocked(lambda: loop._take_over("next", "slow", threading.Event())))

    waiting = threading.Thread(target=successor)
    waiting.start()
    for _ in range(20):  # 2 s: five lease lifetimes, renewed throughout
        time.sleep(0.1)
        _unlocked(lambda: loop.take_lease("slow"))
    assert waiting.is_alive() and outcome == []
    assert Lease.objects.get(name=POLLER_LEASE).successor == "next"
    assert _unlocked(lambda: loop._hand_over("slow"))
    waiting.join(timeout=5)
    assert outcome == [True]
    assert Lease.objects.get(name=POLLER_LEASE).holder == "next"
