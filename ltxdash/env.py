"""Small typed readers for environment variables.

Only ``ltxdash/settings.py`` calls these. Each one raises ``ImproperlyConfigured`` naming the
variable and the value it could not use, so a typo in a deployment fails at start-up, loudly,
instead of turning into a wrong default at 3 a.m.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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


def env_email_url(name: str, *, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An SMTP server as a URL, parsed into a ``MAILERS`` entry ({} when unset).

    ``smtp://host:25`` (no encryption: a relay on the same machine or network),
    ``smtp+tls://user:pass@host:587`` (STARTTLS), ``smtps://user:pass@host:465`` (TLS from the
    start). A user name or password with ``@``, ``:`` or ``/`` is percent-encoded.
    """
    from urllib.parse import unquote, urlsplit

    value = env_str(name, environ=environ)
    if not value:
        return {}
    parts = urlsplit(value)
    schemes = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True)}
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in schemes or not parts.hostname or port == -1:
        # Never the value itself: it may hold a password.
        raise ImproperlyConfigured(
            f"{name} must look like smtp://host:25, smtp+tls://user:pass@host:587 or "
            f"smtps://user:pass@host:465 (scheme {parts.scheme or '?'!r})"
        )
    use_tls, use_ssl = schemes[parts.scheme]
    options: dict[str, Any] = {
        "host": parts.hostname,
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": use_tls,
        "use_ssl": use_ssl,
        "timeout": 10,  # a reset page must not hang on a dead mail server
    }
    if port:
        options["port"] = port
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}


def _check_range(name: str, number: float, low: float | None, high: float | None) -> None:
    if low is not None and number < low:
        raise ImproperlyConfigured(f"{name} must be at least {low}; got {number}")
    if high is not None and number > high:
        raise ImproperlyConfigured(f"{name} must be at most {high}; got {number}")


# Paths this process created while reading its settings (the data folder, an empty database
# file, generated secrets): ``manage.py restore`` may restore into a data folder that holds only
# these, since starting the command made them.
_CREATED: list[Path] = []


def created_at_startup() -> tuple[Path, ...]:
    """The folders and files that private_dir(), private_file() and secret_from_file() created
    in this process (not those they found)."""
    return tuple(_CREATED)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by this user only (0700) if it is missing.

    A folder that already exists keeps its mode: an operator may have chosen another on purpose.
    """
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode goes through the umask; say it exactly
        _CREATED.append(path)
    return path


def private_file(path: Path) -> Path:
    """Create an empty ``path`` with mode 0600 if it is missing (for SQLite, before it does).

    SQLite creates a database with the umask's mode (usually 0644, readable by every local
    user); given an empty file it uses it as a new database, and it gives its ``-wal`` and
    ``-shm`` files the database's mode.
    """
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        _CREATED.append(path)
    return path


def secret_from_file(path: Path, make: Callable[[], str] | None = None) -> str:
    """Read a generated secret from ``path``, creating it (mode 0600) the first time."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    secret = make() if make else secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    _CREATED.append(path)
    return secret


def new_fernet_key() -> str:
    """A key in Fernet's format: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def env_fernet_keys(
    name: str, fallback: Path, *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Comma-separated Fernet keys, newest first (the first encrypts, every one decrypts); with
    none set, one generated into ``fallback`` the first time it is needed."""
    keys = env_list(name, environ=environ)
    for index, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (ValueError, TypeError):
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"{name}: key {index} is not a Fernet key (32 bytes in URL-safe base64, as "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'` prints)"
            )
    return keys or [secret_from_file(fallback, new_fernet_key)]


# The variables that put media on S3-compatible object storage (README "Media on S3"). Setting
# the bucket turns it on; each of the others alone is a mistake, reported as one.
S3_VARIABLES = (
    "LTXDASH_S3_BUCKET",
    "LTXDASH_S3_ENDPOINT_URL",
    "LTXDASH_S3_REGION",
    "LTXDASH_S3_ACCESS_KEY_ID",
    "LTXDASH_S3_SECRET_ACCESS_KEY",
    "LTXDASH_S3_PREFIX",
    "LTXDASH_S3_ADDRESSING_STYLE",
    "LTXDASH_S3_URL_SECONDS",
)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def env_s3(*, environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The OPTIONS of ``ltxdash.core.s3storage.S3MediaStorage`` from the LTXDASH_S3_*
    variables, plus ``origin`` (where presigned URLs point, for the CSP); None when
    LTXDASH_S3_BUCKET is not set. The secret key is never part of an error message."""
    bucket = env_str("LTXDASH_S3_BUCKET", environ=environ)
    if not bucket:
        stray = [name for name in S3_VARIABLES[1:] if env_str(name, environ=environ)]
        if stray:
            raise ImproperlyConfigured(
                f"{', '.join(stray)} set without LTXDASH_S3_BUCKET: set the bucket to keep media "
                "on S3-compatible storage, or unset them to keep it on this disk"
            )
        return None
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise ImproperlyConfigured(
            "LTXDASH_S3_BUCKET must be a bucket name (3-63 lower-case letters, digits, dots and "
            f"hyphens); got {bucket!r}"
        )
    endpoint = env_url("LTXDASH_S3_ENDPOINT_URL", "", environ=environ)
    if endpoint and urlsplit(endpoint).path not in ("", "/"):
        raise ImproperlyConfigured(
            f"LTXDASH_S3_ENDPOINT_URL must be the server's address without a path (the bucket "
            f"is LTXDASH_S3_BUCKET); got {endpoint!r}"
        )
    region = env_str("LTXDASH_S3_REGION", environ=environ)
    if region and not re.fullmatch(r"[a-z0-9-]{2,40}", region):
        raise ImproperlyConfigured(
            f"LTXDASH_S3_REGION must be a region name such as eu-west-1; got {region!r}"
        )
    access_key = env_str("LTXDASH_S3_ACCESS_KEY_ID", environ=environ)
    secret_key = env_str("LTXDASH_S3_SECRET_ACCESS_KEY", environ=environ)
    if bool(access_key) != bool(secret_key):
        missing = "LTXDASH_S3_SECRET_ACCESS_KEY" if access_key else "LTXDASH_S3_ACCESS_KEY_ID"
        raise ImproperlyConfigured(
            f"{missing} is not set: give both LTXDASH_S3_ACCESS_KEY_ID and "
            "LTXDASH_S3_SECRET_ACCESS_KEY, or neither (boto3's own credentials then: the "
            "AWS_* variables, ~/.aws, an instance role)"
        )
    prefix = env_str("LTXDASH_S3_PREFIX", environ=environ).strip("/")
    if prefix and (".." in prefix.split("/") or not re.fullmatch(r"[A-Za-z0-9._/\-]+", prefix)):
        raise ImproperlyConfigured(
            "LTXDASH_S3_PREFIX must be a key prefix of letters, digits and . _ - / "
            f"(no '..'); got {prefix!r}"
        )
    style = env_choice(
        "LTXDASH_S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual"), environ=environ
    )
    seconds = env_int(
        "LTXDASH_S3_URL_SECONDS", 300, min_value=1, max_value=7 * 24 * 3600, environ=environ
    )
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": region or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "location": prefix,
        "addressing_style": style,
        "querystring_expire": seconds,
        "origins": s3_origins(bucket, endpoint, region, style),
    }


def s3_origins(bucket: str, endpoint: str, region: str, style: str) -> list[str]:
    """Where the bucket's presigned URLs may point (for the CSP's img-src and media-src):
    the endpoint itself with path-style addressing, the bucket's host under it with
    virtual-hosted style, both with "auto" (botocore picks per bucket name and endpoint)."""
    if endpoint:
        parts = urlsplit(endpoint)
        path_style = f"{parts.scheme}://{parts.netloc}"
        virtual = f"{parts.scheme}://{bucket}.{parts.netloc}"
    else:  # AWS itself
        host = f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"
        path_style, virtual = f"https://{host}", f"https://{bucket}.{host}"
    if style == "path":
        return [path_style]
    if style == "virtual":
        return [virtual]
    origins = [virtual, path_style]
    if not endpoint:  # us-east-1 answers on the global name too
        origins += [f"https://{bucket}.s3.amazonaws.com"] if region else []
    return list(dict.fromkeys(origins))
