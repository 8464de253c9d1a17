"""The control API under ``/_sim/``: knobs, job list, stats, reset, forced expiry.

It takes no API key and never gets an injected fault, so tests can always steer and inspect.
Accounts are shown by their fingerprint (accounts.py), never by their key.
"""

from __future__ import annotations

import json
import time
from typing import Any

from . import uploads
from .accounts import short
from .config import ConfigError, SimConfig
from .http import Request, Response, error_response, iso, json_response
from .state import Store, job_state


def route(store: Store, startup: SimConfig, request: Request, parts: list[str]) -> Response:
    match (request.method, *parts):
        case ("GET", "health"):
            return json_response(200, {"ok": True})
        case ("GET", "config"):
            return json_response(200, store.config().public_dict())
        case ("POST", "config"):
            return set_config(store, request)
        case ("GET", "jobs"):
            query = request.query()
            endpoint = query.get("endpoint", [None])[0]
            account = query.get("account", [None])[0]
            return json_response(200, {"jobs": list_jobs(store, endpoint, account)})
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
    return json_response(200, config.public_dict())


def list_jobs(
    store: Store, endpoint: str | None = None, account: str | None = None
) -> list[dict[str, Any]]:
    """Every job (of ``endpoint``; of the account with fingerprint ``account``)."""
    now, retention = time.time(), store.config().retention_seconds
    jobs = []
    for row in store.jobs():
        if endpoint and row["endpoint"] != endpoint:
            continue
        fingerprint = short(row["account"]) if row["account"] else None
        if account and fingerprint != account:
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
                "account": fingerprint,  # None for a job from before accounts
                "created_at": iso(row["created_at"]),
                "completed_at": iso(row["terminal_at"]),
                "submits": 1,  # each submit makes its own job: the API has no idempotency key
                "polls": row["polls"],  # by its own key (the polls it answered)
                "polls_by_account": json.loads(row["polls_by_account"]),  # by every key
                "poll_gap_max": round(row["poll_gap_max"], 3),  # longest wait between polls
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
        "accounts": account_stats(store),
    }


def account_stats(store: Store) -> dict[str, dict[str, Any]]:
    """Per account, by fingerprint: submits (accepted), submit_attempts (every POST), in_flight,
    polls (sent with its key, of any job), foreign_polls (of other keys' jobs, answered 404) and
    responses ({status: count} of its 4xx/5xx answers). Configured accounts are listed too."""
    blank = {"submits": 0, "submit_attempts": 0, "in_flight": 0, "polls": 0, "foreign_polls": 0}
    accounts: dict[str, dict[str, Any]] = {}

    def account(fingerprint: str) -> dict[str, Any]:
        return accounts.setdefault(fingerprint, {**blank, "responses": {}})

    for key_id in store.config().accounts:
        account(short(key_id))
    for key_id, counts in store.accounts(time.time()).items():
        account(short(key_id)).update(counts)
    for fingerprint, counts in store.polls_by_fingerprint().items():
        account(fingerprint).update(counts)
    for key_id, counters in store.account_counters().items():
        entry = account(short(key_id))
        for name, value in counters.items():
            if name.startswith("responses_"):
                entry["responses"][name.removeprefix("responses_")] = value
            else:
                entry[name] = value
    return dict(sorted(accounts.items()))
