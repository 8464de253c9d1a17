"""Helpers shared by the pipeline's tests (not a conftest: other test modules live here too)."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

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


def run_tasks(tasks: list[dict[str, Any]], **kwargs: Any) -> list[Any]:
    """Run dequeued tasks in this process, as a worker would (extra kwargs: e.g. a client)."""
    results = []
    for task in tasks:
        module, name = task["func"].rsplit(".", 1)
        func = getattr(importlib.import_module(module), name)
        results.append(func(*task["args"], **{**task["kwargs"], **kwargs}))
    return results


def ago(seconds: float) -> Any:
    return timezone.now() - timedelta(seconds=seconds)
