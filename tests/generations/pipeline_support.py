"""Helpers shared by the pipeline's tests (not a conftest: other test modules live here too)."""

from __future__ import annotations

import importlib
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from ltxdash.generations.models import Generation, GenerationEvent, State
from ltxdash.media import probe

T2V = {
    "prompt": "a lighthouse in a storm",
    "model": "ltx-2-3-fast",
    "duration": 6,
    "resolution": "1920x1080",
    "fps": 24,
}


def user(name: str):
    return get_user_model().objects.create_user(name, password=f"{name}-pass-123")


def make_generation(owner, state: str = State.QUEUED, **fields: Any) -> Generation:
    """A row in any state, written directly (tests of later stages start from there)."""
    values: dict[str, Any] = {
        "endpoint": "text-to-video",
        "model": "ltx-2-3-fast",
        "prompt": T2V["prompt"],
        "params": dict(T2V),
        "state": state,
    }
    values.update(fields)
    generation = Generation.objects.create(owner=owner, **values)
    GenerationEvent.objects.create(generation=generation, from_state="", to_state=state)
    return generation


def upload_source(path, content_type: str):
    """What the create form hands to create_generations for an uploaded file."""
    data = path.read_bytes()
    return (SimpleUploadedFile(path.name, data, content_type=content_type), probe(path))


def queued_tasks() -> list[dict[str, Any]]:
    """Take every task waiting in the broker (the tests' ORM broker lives in the test DB)."""
    broker = get_broker()
    tasks = []
    while True:
        batch = broker.dequeue()
        if not batch:
            return tasks
        for ack_id, payload in batch:
            broker.acknowledge(ack_id)
            tasks.append(SignedPackage.loads(payload))


def task_names(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["func"].rsplit(".", 1)[1] for task in tasks]


def run_tasks(tasks: list[dict[str, Any]]) -> list[Any]:
    """Run dequeued tasks in this process, as a worker would."""
    results = []
    for task in tasks:
        module, name = task["func"].rsplit(".", 1)
        func = getattr(importlib.import_module(module), name)
        results.append(func(*task["args"], **task["kwargs"]))
    return results


def ago(seconds: float) -> Any:
    return timezone.now() - timedelta(seconds=seconds)


# --- driving the pipeline against the simulator -----------------------------------------------


def drain_broker() -> None:
    broker = get_broker()
    broker.purge_queue()


def queued_tasks_now() -> list[dict[str, Any]]:
    """Like queued_tasks, but never waits on an empty broker (Redis' dequeue blocks 1 s)."""
    broker = get_broker()
    if not broker.queue_size():
        return []
    return queued_tasks()


def drive(until, *, timeout: float = 30.0, pause: float = 0.02) -> None:
    """Run what workers and the loop would run, in this process, until ``until()`` is true."""
    from ltxdash.generations.pipeline import loop

    deadline = time.monotonic() + timeout
    while True:
        run_tasks(queued_tasks_now())
        loop.run_pass()
        run_tasks(queued_tasks_now())
        if until():
            return
        if time.monotonic() > deadline:
            states = list(Generation.objects.values_list("id", "state", "error_message"))
            raise AssertionError(f"the pipeline did not get there in {timeout}s: {states}")
        time.sleep(pause)


def states() -> list[str]:
    return list(Generation.objects.order_by("id").values_list("state", flat=True))


@pytest.fixture
def pipeline_settings(settings, ltx_simulator):
    """The pipeline talks to the in-process simulator, polls fast, and has an empty broker."""
    settings.LTX_API_BASE_URL = ltx_simulator.url
    settings.LTX_API_KEY = "sk-test-key"
    settings.LTX_POLL_INTERVAL = 0.1
    settings.LTX_MAX_CONCURRENCY = 2
    drain_broker()
    from ltxdash.generations.estimates import forget_typical_durations

    forget_typical_durations()
    return settings


@pytest.fixture
def clean_broker():
    """No task left in the broker by an earlier test (a Redis broker outlives transactions)."""
    drain_broker()
