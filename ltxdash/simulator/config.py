"""The simulator's runtime knobs: one JSON object, kept in the state database.

Every knob can be changed while the server runs (``POST /_sim/config``); the start-up values come
from the command line or, failing that, from the ``LTXDASH_SIM_*`` Django settings. One knob is
not flat: ``accounts``, the settings of keys that have their own (see accounts.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from django.conf import settings

from .accounts import ACCOUNT_KNOBS, Account, account_id, short

# Request kinds the random faults (5xx, resets, 429, delay) can be aimed at.
FAULT_TARGETS = ("submit", "poll", "download", "upload")


class ConfigError(ValueError):
    """A knob name or value the simulator cannot use."""


@dataclass
class SimConfig:
    # Timing, snapshotted into each job when it is submitted.
    pending_seconds: float = 2.0
    processing_seconds: float = 8.0
    # Counted from the terminal state; read live, so lowering it expires finished jobs at once.
    retention_seconds: float = 86400.0
    # Jobs not yet terminal that one account (one API key) may have; 0 means unlimited.
    concurrency: int = 2

    # Random faults: each is the fraction (0..1) of targeted requests that get it.
    error_rate: float = 0.0  # answered 500 api_error or 503 service_unavailable
    reset_rate: float = 0.0  # connection closed without an answer
    rate_limit_rate: float = 0.0  # answered 429 rate_limit_error with Retry-After
    truncate_rate: float = 0.0  # downloads that stop short of their Content-Length
    delay_seconds: float = 0.0  # every targeted request waits this long first
    fault_targets: list[str] = field(default_factory=lambda: list(FAULT_TARGETS))
    # How many random faults may still fire (-1: no limit). Lets a test say "the next 2 polls fail".
    fault_limit: int = -1

    # Account states: of every key, save what an account in ``accounts`` sets for itself.
    invalid_key: bool = False  # every API request is answered 401
    rejected_keys: list[str] = field(default_factory=list)  # these keys are answered 401
    # These keys are answered 403, with an error type of the simulator's own (the real API's 403
    # body is not documented; LTX Desktop 1.3 reads any 403 as a refused key).
    forbidden_keys: list[str] = field(default_factory=list)
    out_of_credits: bool = False  # submits are answered 402

    # Outputs.
    output_pad_bytes: int = 0  # grow every MP4 to at least this many bytes (a trailing free box)
    max_clip_seconds: float = 10.0  # longest clip actually rendered
    retry_after_seconds: int = 1  # Retry-After of the 429 rate_limit_error fault

    # Keys with settings of their own: account_id(key) -> {knob of ACCOUNT_KNOBS: value}. Every
    # knob an account does not set, and every key not here, takes the global value above.
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Everything, accounts by their id (how the state database keeps them)."""
        return asdict(self)

    def public_dict(self) -> dict[str, Any]:
        """Everything, accounts by their fingerprint (what ``/_sim/config`` answers)."""
        data = self.to_dict()
        data["accounts"] = {short(key_id): own for key_id, own in self.accounts.items()}
        return data

    def account(self, key: str) -> Account:
        """The account of API key ``key``: its own settings, the global ones for the rest."""
        key_id = account_id(key)
        own = self.accounts.get(key_id, {})
        return Account(
            id=key_id,
            concurrency=own.get("concurrency", self.concurrency),
            out_of_credits=own.get("out_of_credits", self.out_of_credits),
            invalid_key=own.get("invalid_key", self.invalid_key),
        )

    def merged(self, changes: dict[str, Any]) -> SimConfig:
        """A copy with ``changes`` applied, each one checked; raises ConfigError.

        ``accounts`` maps API keys to the settings to change for them (merged into what they
        have; a setting of null goes back to the global value, an account of null is removed).
        """
        known = {f.name: f for f in fields(self)}
        data = self.to_dict()
        for name, value in changes.items():
            if name not in known:
                raise ConfigError(f"unknown knob {name!r}; known knobs: {', '.join(sorted(known))}")
            if name == "accounts":
                data[name] = self._merged_accounts(value)
            else:
                data[name] = _coerce(name, value, type(getattr(self, name)))
        return SimConfig(**data)

    def _merged_accounts(self, changes: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(changes, dict):
            raise ConfigError('accounts is an object of API keys: {"<key>": {"concurrency": 1}}')
        accounts = {key_id: dict(own) for key_id, own in self.accounts.items()}
        for key, given in changes.items():
            if not key.strip():
                raise ConfigError("an account's API key may not be empty")
            key_id = account_id(key.strip())
            if given is None:
                accounts.pop(key_id, None)
                continue
            if not isinstance(given, dict):
                raise ConfigError(f"an account's settings are an object of {list(ACCOUNT_KNOBS)}")
            own = accounts.setdefault(key_id, {})
            for name, value in given.items():
                if name not in ACCOUNT_KNOBS:
                    raise ConfigError(
                        f"an account has no knob {name!r}; its knobs: {', '.join(ACCOUNT_KNOBS)}"
                    )
                if value is None:
                    own.pop(name, None)
                else:
                    own[name] = _coerce(name, value, type(getattr(self, name)))
        return accounts

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimConfig:
        known = {f.name for f in fields(cls)} - {"accounts"}
        config = cls().merged({k: v for k, v in data.items() if k in known})
        # Stored by id already (and checked when they were set): not to be hashed again.
        stored = data.get("accounts") or {}
        return replace(config, accounts={key_id: dict(own) for key_id, own in stored.items()})


def _coerce(name: str, value: Any, kind: type) -> Any:
    try:
        if kind is bool:
            if isinstance(value, str):
                value = value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if kind is list:
            items = [value] if isinstance(value, str) else list(value)
            items = [str(item) for item in items]
            if name == "fault_targets" and not set(items) <= set(FAULT_TARGETS):
                raise ConfigError(f"fault_targets must be a subset of {list(FAULT_TARGETS)}")
            return items
        if isinstance(value, bool):
            raise TypeError
        number = kind(value)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{name} must be a {kind.__name__}, not {value!r}") from None
    if name.endswith("_rate") and not 0 <= number <= 1:
        raise ConfigError(f"{name} is a fraction between 0 and 1, not {number}")
    if name == "fault_limit":
        if number < -1:
            raise ConfigError("fault_limit is -1 (no limit) or a count of faults")
    elif number < 0:
        raise ConfigError(f"{name} may not be negative")
    return number


def startup_config(**overrides: Any) -> SimConfig:
    """Defaults from Django settings when they are configured, then ``overrides`` (None skipped)."""
    base: dict[str, Any] = {}
    if settings.configured:
        names = {
            "pending_seconds": "LTXDASH_SIM_PENDING_SECONDS",
            "processing_seconds": "LTXDASH_SIM_PROCESSING_SECONDS",
            "retention_seconds": "LTXDASH_SIM_RETENTION_SECONDS",
            "concurrency": "LTXDASH_SIM_CONCURRENCY",
        }
        # Another project's settings (the simulator used as a tool) may not define them.
        base = {
            key: getattr(settings, name) for key, name in names.items() if hasattr(settings, name)
        }
    base.update({k: v for k, v in overrides.items() if v is not None})
    return SimConfig().merged(base)
