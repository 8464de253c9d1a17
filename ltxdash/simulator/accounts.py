"""Per-key accounts: every API key (the Bearer token) is an account of its own.

An account owns the jobs submitted with its key (another key polling one is answered 404, as if
the job did not exist) and has its own concurrency limit, credits and validity. Accounts nobody
configured take the global knobs (``SimConfig.concurrency``, ``out_of_credits``,
``invalid_key``), so one key behaves exactly as the simulator did before accounts existed.

Keys are secrets, so the simulator keeps none: an account is known by the SHA-256 of its key
(``account_id``) and shown by the first 12 hex digits of that (``fingerprint``), in
``/_sim/config``, ``/_sim/jobs`` and ``/_sim/stats`` alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# The global knobs an account may set for itself; every other knob is shared by all keys.
ACCOUNT_KNOBS = ("concurrency", "out_of_credits", "invalid_key")
FINGERPRINT_LENGTH = 12


def account_id(key: str) -> str:
    """The id under which the account of ``key`` is stored: the SHA-256 of the key, in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint(key: str) -> str:
    """How the account of ``key`` is shown: the first 12 hex digits of its SHA-256."""
    return short(account_id(key))


def short(stored_id: str) -> str:
    """The fingerprint of an account id (``account_id``)."""
    return stored_id[:FINGERPRINT_LENGTH]


@dataclass(frozen=True)
class Account:
    """One key's account as a request sees it: its own settings over the global ones."""

    id: str  # account_id(key)
    concurrency: int  # unfinished jobs it may have; 0 = unlimited
    out_of_credits: bool  # its submits are answered 402
    invalid_key: bool  # its requests are answered 401

    @property
    def fingerprint(self) -> str:
        return short(self.id)
