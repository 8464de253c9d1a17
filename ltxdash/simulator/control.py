"""The control API under ``/_sim/``: knobs, job list, stats, reset, forced expiry.

It takes no API key and never gets an injected fault, so tests can always steer and inspect.
"""

from __future__ import annotations

import json
import time
from typing import Any

from . import uploads
from .config import ConfigError, SimConfig
from .http import Request, Response, error_response, iso, json_response
from .state import Store, job_state


def route(store: Store, startup: SimConfig, request: Request, parts: list[str]) -> Response:
    match (request.method, *parts):
        case ("GET", "health"):
            return json_response(200, {"ok": True})
        case ("GET", "config"):
            return json_response(200, store.config().to_dict())
        case ("POST", "config"):
            return set_config(store, request)
        case ("GET", "jobs"):
            endpoint = request.query().get("endpoint", [None])[0]
            return json_response(200, {"jobs": list_jobs(store, endpoint)})
        case ("GET", "stats"):
            return json_response(200, stats(store))
        case ("POST", "reset"):
            store.reset(startup)
            uploads.clear(store)
            return json_response(200, {"ok": True})
        case ("POST", "jobs", job_id, "expire"):
            if store.expire_job(job_id, time.time()):
                return json_response(200, {"id": job_id, "expired": True})
            return error_response(404, "not_found_error", f"No job {job_id}.")
    return error_response(404, "not_found_error", f"No such route: {request.method} {request.path}")


def set_config(store: Store, request: Request) -> Response:
    try:
        changes = json.loads(request.read_body(1024 * 1024) or b"{}")
        if not isinstance(changes, dict):
            raise ConfigError("send a JSON object of knobs")
        config = store.config().merged(changes)
    except (ValueError, ConfigError) as exc:
        return json_response(400, {"error": str(exc)})
    store.save_config(config)
    return json_response(200, config.to_dict())


def list_jobs(store: Store, endpoint: str | None = None) -> list[dict[str, Any]]:
    now, retention = time.time(), store.config().retention_seconds
    jobs = []
    for row in store.jobs():
        if endpoint and row["endpoint"] != endpoint:
            continue
        state = job_state(row, now, retention)
        jobs.append(
            {
                "id": row["id"],
                "endpoint": row["endpoint"],
                "prompt": row["prompt"],
                "status": state.status or "expired",
                "outcome": row["outcome"],
                "error_type": row["error_type"],
                "created_at": iso(row["created_at"]),
                "completed_at": iso(row["terminal_at"]),
                "submits": 1,  # each submit makes its own job: the API has no idempotency key
                "polls": row["polls"],
                "downloads": row["downloads"],
                "body": json.loads(row["body"]),
            }
        )
    return jobs


def stats(store: Store) -> dict[str, Any]:
    totals = store.totals()
    attempts = store.attempts_by_prompt()
    return {
        "jobs": totals["jobs"],
        "submits": totals["jobs"],
        "polls": totals["polls"],
        "downloads": totals["downloads"],
        "in_flight": store.in_flight(time.time()),
        "submits_by_prompt": store.submits_by_prompt(),  # accepted: one job each
        "submit_attempts": sum(attempts.values()),
        "submit_attempts_by_prompt": attempts,  # every POST, refused or faulted too
        "fault_budget_left": store.fault_budget(),
        "counters": store.counters(),
    }
