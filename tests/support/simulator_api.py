"""Talking to the LTX simulator's API as a client would (the simulator's own tests)."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import httpx

# A text-to-video request body, as a client sends it to POST /v2/text-to-video.
T2V = {
    "prompt": "A lighthouse at dusk, waves rolling in",
    "model": "ltx-2-3-fast",
    "duration": 6,
    "resolution": "1920x1080",
    "fps": 25,
}


def wait_for(
    api: httpx.Client,
    endpoint: str,
    job_id: str,
    statuses=("completed", "failed"),
    timeout=20,
    headers: dict | None = None,
):
    """Poll until the job's status is one of ``statuses``; returns the last body."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(f"/v2/{endpoint}/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in statuses:
            return body
        assert time.monotonic() < deadline, f"still {body['status']}"
        time.sleep(0.05)


def submit(
    api: httpx.Client, endpoint: str = "text-to-video", headers: dict | None = None, **changes
) -> str:
    """POST a job (T2V with ``changes`` for text-to-video, else ``changes`` alone); its id.

    ``headers`` are sent too (another key: ``{"Authorization": "Bearer <key>"}``)."""
    body = {**T2V, **changes} if endpoint == "text-to-video" else changes
    response = api.post(f"/v2/{endpoint}", json=body, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
