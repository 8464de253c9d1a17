"""Driving the pipeline in the test process: the broker's tasks (the tests' ORM broker lives in the
test database), running them as a worker would, the loop's passes, and the files a clip stored."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import time
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation, State
from ltxdash.generations.pipeline import poller
from ltxdash.media import probe
from tests.factories import T2V

# --- the broker -------------------------------------------------------------------------------


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


def queued_tasks_now() -> list[dict[str, Any]]:
    """Like queued_tasks, but never waits on an empty broker (Redis' dequeue blocks 1 s)."""
    broker = get_broker()
    if not broker.queue_size():
        return []
    return queued_tasks()


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


def run_until_idle(rounds: int = 5) -> list[str]:
    """Run what is queued, and what that queues, as workers would: the tasks' string results."""
    results: list[str] = []
    for _ in range(rounds):
        tasks = queued_tasks_now()
        if not tasks:
            break
        results += [r for r in run_tasks(tasks) if isinstance(r, str)]
    return results


def drain_broker() -> None:
    broker = get_broker()
    broker.purge_queue()


# --- the pipeline against the simulator -------------------------------------------------------


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


def finished(owner, prompt: str = "a lighthouse", **params) -> Generation:
    """A generation the API has finished; its copy task is taken from the broker, not run."""
    (generation,) = pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params={**T2V, "prompt": prompt, **params}, inputs={}
    )
    deadline = time.monotonic() + 20
    while Generation.objects.get(pk=generation.pk).state != State.REHOSTING:
        assert time.monotonic() < deadline, "the job did not finish"
        run_tasks([t for t in queued_tasks_now() if "rehost" not in t["func"]])
        poller.poll_due()
        time.sleep(0.02)
    queued_tasks_now()  # drop the rehost task: each test runs the copy itself
    generation.refresh_from_db()
    return generation


def upload_source(path, content_type: str):
    """What the create form hands to create_generations for an uploaded file."""
    data = path.read_bytes()
    return (SimpleUploadedFile(path.name, data, content_type=content_type), probe(path))


# --- what a clip stored -----------------------------------------------------------------------


def stored_files(generation: Generation) -> list[str]:
    """The names in the clip's output and poster folders of the storage."""
    names = []
    for folder in (f"outputs/{generation.pk}", f"posters/{generation.pk}"):
        with contextlib.suppress(FileNotFoundError):
            names += [f"{folder}/{n}" for n in default_storage.listdir(folder)[1]]
    return sorted(names)


def local_copy(name: str, directory) -> Path:
    """The stored file's bytes in a local file (for media.probe and friends), on any storage."""
    path = Path(directory) / f"stored-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    path = path.with_suffix(Path(name).suffix)
    with default_storage.open(name, "rb") as stored:
        path.write_bytes(stored.read())
    return path


def sha256(name: str) -> str:
    """The SHA-256 of a stored file's bytes."""
    with default_storage.open(name, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()
