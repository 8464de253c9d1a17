"""Injected faults: which one (if any) a request gets, decided from the runtime config.

Faults are aimed at request kinds (``fault_targets``): submit, poll, download, upload. The
control API under ``/_sim/`` never gets one. ``fault_limit`` caps how many fire in total, so a
test can ask for "exactly the next two polls fail" with ``error_rate=1, fault_limit=2``.
"""

from __future__ import annotations

import random
import time

from .config import SimConfig
from .http import Response, error_response
from .state import Store

RESET = "reset"


def pick(kind: str, config: SimConfig, store: Store) -> str | Response | None:
    """Apply the delay, then return RESET, an error Response, or None (no fault)."""
    if kind not in config.fault_targets:
        return None
    if config.delay_seconds:
        time.sleep(config.delay_seconds)
    roll = random.random()
    if roll < config.reset_rate:
        fault = RESET
    elif roll < config.reset_rate + config.rate_limit_rate:
        fault = "rate_limit"
    elif roll < config.reset_rate + config.rate_limit_rate + config.error_rate:
        fault = "server_error"
    else:
        return None
    if not store.take_fault():
        return None
    store.bump(f"faults_{fault}")
    if fault == RESET:
        return RESET
    if fault == "rate_limit":
        return error_response(
            429,
            "rate_limit_error",
            "Rate limit exceeded. Please slow down and retry after the Retry-After delay.",
            [("Retry-After", str(config.retry_after_seconds))],
        )
    if random.random() < 0.5:
        return error_response(500, "api_error", "An unexpected error occurred (simulated).")
    return error_response(
        503, "service_unavailable", "The service is temporarily unavailable (simulated)."
    )


def truncate(config: SimConfig, store: Store) -> bool:
    """Whether this download should stop short of its Content-Length."""
    if "download" not in config.fault_targets or not config.truncate_rate:
        return False
    if random.random() >= config.truncate_rate or not store.take_fault():
        return False
    store.bump("faults_truncated")
    return True
