"""Fakes for the LTX client's tests: a fake clock, scripted mock transports, canned bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.retry import RetryPolicy

API_KEY = "sk-test-7f3a9c1e5b2d4680"
BASE_URL = "https://api.ltx.test"

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A clock that only moves when the client sleeps (or when a test moves it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def reply(
    status: int = 200,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> Callable[[httpx.Request], httpx.Response]:
    """A step answering with a fresh response each time (responses are not reusable)."""

    def respond(request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content, headers=headers)
        if body is None:
            return httpx.Response(status, headers=headers)
        return httpx.Response(
            status,
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json", **(headers or {})},
        )

    return respond


def api_error(status: int, error_type: str, message: str = "nope", **headers: str):
    return reply(
        status,
        {"type": "error", "error": {"type": error_type, "message": message}},
        headers=headers,
    )


class Script:
    """A MockTransport handler playing its steps in order; the last step repeats forever."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    fake_time: FakeTime | None = None,
    **policy: Any,
) -> LTXClient:
    """A client over a MockTransport, sleeping on a fake clock, with jitter off unless given."""
    fake_time = fake_time or FakeTime()
    policy.setdefault("random", lambda: 0.0)
    return LTXClient(
        API_KEY,
        BASE_URL,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(clock=fake_time.clock, **policy),
        sleep=fake_time.sleep,
    )


JOB_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
CREATED = {"id": JOB_ID, "created_at": "2026-01-15T10:00:00.000Z"}
COMPLETED = {
    "id": JOB_ID,
    "status": "completed",
    "created_at": "2026-01-15T10:00:00.000Z",
    "completed_at": "2026-01-15T10:02:30.000Z",
    "result": {"video_url": "https://storage.example.com/out/video.mp4?sig=abc"},
}
UPLOAD = {
    "upload_url": "https://uploads.example.com/bucket/abc-123?X-Goog-Signature=xyz",
    "storage_uri": "ltx://uploads/abc-123",
    "expires_at": "2026-01-15T11:00:00.000Z",
    "required_headers": {"x-goog-content-length-range": "0,104857600"},
}
