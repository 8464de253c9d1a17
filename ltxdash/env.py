"""Small typed readers for environment variables.

Only ``ltxdash/settings.py`` calls these. Each one raises ``ImproperlyConfigured`` naming the
variable and the value it could not use, so a typo in a deployment fails at start-up, loudly,
instead of turning into a wrong default at 3 a.m.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

from ltxdash.ltx.egress import parse_origins

if TYPE_CHECKING:
    from dj_database_url import DBConfig

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str = "", *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def env_int(
    name: str,
    default: int,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None
    _check_range(name, number, min_value, max_value)
    return number


def env_float(
    name: str,
    default: float,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> float:
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name} must be a finite number; got {value!r}")
    _check_range(name, number, min_value, max_value)
    return number


def env_list(
    name: str, default: list[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> list[str]:
    value = _raw(name, environ)
    if value is None or value == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(
    name: str,
    default: str,
    *,
    schemes: tuple[str, ...] = ("http", "https"),
    environ: Mapping[str, str] | None = None,
) -> str:
    value = env_str(name, default, environ=environ)
    if not value:  # optional, and not set
        return ""
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in schemes or not rest or rest.startswith("/"):
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(f"{name} must be a URL starting with {allowed}; got {value!r}")
    return value.rstrip("/")


def env_origins(name: str, *, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Comma-separated origins (``https://cdn.example.com``, ``http://127.0.0.1:9000``), each
    exactly ``scheme://host[:port]``; returned normalised (``https://cdn.example.com:443``)."""
    try:
        return tuple(str(origin) for origin in parse_origins(env_str(name, environ=environ)))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None


def env_choice(
    name: str, default: str, choices: tuple[str, ...], *, environ: Mapping[str, str] | None = None
) -> str:
    value = env_str(name, default, environ=environ)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def env_timezone(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> str:
    import zoneinfo

    value = env_str(name, default, environ=environ)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be a time zone name such as UTC or Europe/Paris; got {value!r}"
        ) from None
    return value


def env_database(name: str, *, environ: Mapping[str, str] | None = None) -> DBConfig | None:
    """A database URL (postgres://..., sqlite:///path ...) parsed into Django's DATABASES form."""
    import dj_database_url

    value = env_str(name, environ=environ)
    if not value:
        return None
    try:
        return dj_database_url.parse(value, conn_max_age=60)
    except Exception as exc:  # the parser raises several types for a malformed URL
        scheme = value.partition("://")[0] or "?"
        raise ImproperlyConfigured(
            f"{name} is not a database URL ltxdash understands (scheme {scheme!r}): {exc}"
        ) from None


def _check_range(name: str, number: float, low: float | None, high: float | None) -> None:
    if low is not None and number < low:
        raise ImproperlyConfigured(f"{name} must be at least {low}; got {number}")
    if high is not None and number > high:
        raise ImproperlyConfigured(f"{name} must be at most {high}; got {number}")


def secret_from_file(path: Path) -> str:
    """Read a generated secret from ``path``, creating it (mode 0600) the first time."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret
