"""ltxdash settings: every environment variable the product reads is read here, and only here.

The README lists each one. The embedded default (no variables at all) is a complete single-machine
deployment: SQLite in ``./data``, django-q2's ORM broker, media on the local disk and the built-in
LTX simulator. ``DATABASE_URL``, ``REDIS_URL`` and ``LTXDASH_S3_BUCKET`` move each part off the machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils.csp import CSP

from ltxdash.env import (
    env_bool,
    env_choice,
    env_database,
    env_email_url,
    env_fernet_keys,
    env_float,
    env_int,
    env_list,
    env_origins,
    env_s3,
    env_str,
    env_timezone,
    env_url,
    private_dir,
    private_file,
    secret_from_file,
)
from ltxdash.ltx import catalog

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = private_dir(Path(env_str("LTXDASH_DATA_DIR", str(BASE_DIR / "data"))).resolve())

# Secrets generated into the data folder when their variables are unset (`manage.py backup`
# copies them with the database and the media).
LTXDASH_SECRET_KEY_FILE = DATA_DIR / "secret_key"
LTXDASH_ENCRYPTION_KEY_FILE = DATA_DIR / "encryption_key"

# --- Core -------------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or secret_from_file(LTXDASH_SECRET_KEY_FILE)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "axes",
    "ltxdash.core",
    "ltxdash.simulator",
    "ltxdash.workspaces",
    "ltxdash.generations",
    "ltxdash.gallery",
    "ltxdash.boards",
    "ltxdash.spend",
    "ltxdash.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Who is asking (a session lookup; no body is read) decides how large a body may be ...
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ... and bodies over the limit are refused before anything reads them (CSRF reads POST).
    "ltxdash.core.bodylimits.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Every page needs a login unless its view says @login_not_required (health, share links).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ltxdash.urls"
WSGI_APPLICATION = "ltxdash.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ltxdash.core.context_processors.ltxdash",
            ],
            # Filters every template has without {% load %}: ``visible`` for user text.
            "builtins": ["ltxdash.core.templatetags.text_tags"],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
_SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy timeout instead
    # of failing with "database is locked" half-way through a transaction.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = env_str("DATABASE_URL")
_database = env_database("DATABASE_URL")
# A parsed URL (a TypedDict whose NAME is a str) or the embedded default (NAME is a Path).
DATABASES: dict[str, Mapping[str, Any]]
if _database:
    _database["CONN_HEALTH_CHECKS"] = True
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database["OPTIONS"] = {**_SQLITE_OPTIONS, **_database.get("OPTIONS", {})}
        _database["CONN_MAX_AGE"] = 0
        if _database["NAME"] and _database["NAME"] != ":memory:":
            private_file(Path(_database["NAME"]))
    DATABASES = {"default": _database}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": private_file(DATA_DIR / "ltxdash.sqlite3"),
            "OPTIONS": _SQLITE_OPTIONS,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker and cache -------------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))
Q_CLUSTER = {
    "name": "ltxdash",
    "workers": env_int("LTXDASH_WORKERS", 4, min_value=1, max_value=64),
    # A task may run this long (a 512 MiB download and remux fits easily) ...
    "timeout": 900,
    # ... and is handed to another worker if not acknowledged after this long (must be > timeout).
    "retry": 960,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 2000,
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.2
    # Per-process memory cache: nothing correctness-critical lives in the cache, and a database
    # cache in the same SQLite file would compete with the workers for its write lock.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Static files and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
# `serve` tells /healthz here which of its children run (ltxdash/core/supervision.py).
LTXDASH_SERVE_STATUS_FILE = DATA_DIR / "serve-status.json"
# Downloads and uploads in progress, a folder each (filestore.scratch_dir). Next to the media, so
# a finished copy usually moves into FileSystemStorage with a rename; folders a killed worker
# left are swept after hours (filestore.sweep_scratch).
LTXDASH_TMP_DIR = DATA_DIR / "tmp"
MEDIA_URL = "/media/"  # never served directly: media goes through permission-checked views
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Media on S3-compatible object storage once LTXDASH_S3_BUCKET is set (README "Media on S3"):
# everything else about it is in ltxdash/core/media_storage.py and s3storage.py. Presigned media URLs live
# LTXDASH_S3_URL_SECONDS at most (never past a share or board link's expiry).
_s3 = env_s3()
LTXDASH_S3 = bool(_s3)
LTXDASH_S3_ORIGINS: list[str] = []
LTXDASH_S3_URL_SECONDS = 300
if _s3:
    LTXDASH_S3_ORIGINS = _s3.pop("origins")
    LTXDASH_S3_URL_SECONDS = _s3["querystring_expire"]
    STORAGES["default"] = {"BACKEND": "ltxdash.core.s3storage.S3MediaStorage", "OPTIONS": _s3}
# nginx deployments: serve media with X-Accel-Redirect from this internal location (README).
LTXDASH_X_ACCEL_REDIRECT_PREFIX = env_str("LTXDASH_X_ACCEL_REDIRECT_PREFIX")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Every uploaded file is counted as it arrives and the request refused once one passes
# LTXDASH_MAX_UPLOAD_BYTES (ltxdash/core/bodylimits.py), in memory or spooled to disk alike.
FILE_UPLOAD_HANDLERS = [
    "ltxdash.core.bodylimits.CappedMemoryFileUploadHandler",
    "ltxdash.core.bodylimits.CappedTemporaryFileUploadHandler",
]

# --- Limits (README "Security") ---------------------------------------------------------------
# The largest file a member may upload: by default the largest the catalog accepts for any input.
LTXDASH_MAX_UPLOAD_BYTES = env_int(
    "LTXDASH_MAX_UPLOAD_BYTES", catalog.largest_upload_bytes(), min_value=1024
)
# The largest request body a logged-in member may send (its Content-Length, refused with 413
# before a byte is read): every input of the busiest endpoint at that size, plus 1 MiB of fields.
LTXDASH_MAX_REQUEST_BYTES = env_int(
    "LTXDASH_MAX_REQUEST_BYTES",
    catalog.most_inputs() * LTXDASH_MAX_UPLOAD_BYTES + 1024 * 1024,
    min_value=64 * 1024,
)
# The largest request body of anyone not logged in (the login form, a share page): 64 KiB.
LTXDASH_MAX_ANONYMOUS_REQUEST_BYTES = env_int(
    "LTXDASH_MAX_ANONYMOUS_REQUEST_BYTES", 64 * 1024, min_value=1024
)
# Clips one member may have queued or in progress at once (generations/limits.py).
LTXDASH_MAX_ACTIVE_PER_USER = env_int("LTXDASH_MAX_ACTIVE_PER_USER", 20, min_value=1)

# --- Auth -------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: it refuses a locked-out login before any password is checked.
    # (ltxdash's: django-axes' own, plus the limit of failures per address.)
    "ltxdash.core.auth.ThrottlingBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes; README "Login throttling"). A username tried from one address
# is locked after this many failures in a row, for the cool-off; a success starts the count over.
# Keyed by username *and* address: by username alone anyone could lock a teammate out from
# anywhere; by address alone one office behind one NAT would share a budget, and any member's
# own successful login would reset it. Spraying many accounts from many addresses is what a
# rate limit in front does (nginx limit_req in the production recipe).
AXES_FAILURE_LIMIT = env_int("LTXDASH_LOGIN_FAILURE_LIMIT", 10, min_value=1)
AXES_COOLOFF_TIME = timedelta(
    minutes=env_float("LTXDASH_LOGIN_COOLOFF_MINUTES", 15.0, min_value=0.1)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And one address, whatever the usernames: after this many failed logins from it within the
# cool-off, every login from it is refused until the cool-off has passed (spraying many
# accounts from one address, without nginx in front). High enough for an office behind one NAT.
LTXDASH_LOGIN_ADDRESS_LIMIT = env_int("LTXDASH_LOGIN_ADDRESS_LIMIT", 100, min_value=1)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ltxdash.core.auth.locked_out"  # our page, with the minutes left
AXES_CLIENT_IP_CALLABLE = "ltxdash.core.auth.client_address"
AXES_VERBOSE = False  # one warning per lockout is enough (django-axes logs each attempt otherwise)

# Password reset needs a way to send mail; without LTXDASH_EMAIL_URL its pages are 404 and the
# login page offers no "Forgot password?" link.
_mailer = env_email_url("LTXDASH_EMAIL_URL")
LTXDASH_PASSWORD_RESET = bool(_mailer)
if _mailer:  # else no MAILERS at all: nothing sends mail (an empty one is a check warning)
    MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = env_str("LTXDASH_EMAIL_FROM", "ltxdash <ltxdash@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------------
# Content-Security-Policy (Django's own middleware): scripts and styles only from our origin, or
# inline with this response's nonce; blob: for the preview of a file being uploaded. Media
# answers get a stricter one (gallery/ranges.py).
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "blob:", "data:"],
    "media-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# With media on S3 a video or poster is a redirect to the bucket: the page must let it load.
SECURE_CSP["img-src"] += LTXDASH_S3_ORIGINS
SECURE_CSP["media-src"] += LTXDASH_S3_ORIGINS
# Files (videos, posters, downloads) are never pages: nothing in one may run or load.
LTXDASH_MEDIA_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'none'; sandbox"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # HTMX reads the token from <body hx-headers>, not from the cookie
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Behind an HTTPS-terminating proxy, LTXDASH_HTTPS=1 turns on everything that needs HTTPS.
LTXDASH_HTTPS = env_bool("LTXDASH_HTTPS", False)
if LTXDASH_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("LTXDASH_HSTS_SECONDS", 60 * 60 * 24 * 30, min_value=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is a promise to browsers' built-in lists that is slow to take back: opt in.
    SECURE_HSTS_PRELOAD = env_bool("LTXDASH_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "preload is off": on purpose, see above
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_timezone("LTXDASH_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- The LTX API ------------------------------------------------------------------------------
LTX_API_KEY = env_str("LTX_API_KEY")
PORT = env_int("PORT", 8000, min_value=1, max_value=65535)  # `make run`'s web server
LTXDASH_SIMULATOR_PORT = env_int("LTXDASH_SIMULATOR_PORT", 8001, min_value=1, max_value=65535)
# With no key, ltxdash talks to its own simulator (started by `make run`).
LTX_SIMULATED = not LTX_API_KEY
LTX_API_BASE_URL = env_url(
    "LTX_API_BASE_URL",
    f"http://127.0.0.1:{LTXDASH_SIMULATOR_PORT}" if LTX_SIMULATED else "https://api.ltx.video",
)
# Origins besides LTX_API_BASE_URL's that result URLs may name even though they are not public
# https hosts (a self-hosted stand-in's storage on 127.0.0.1, say): see ltxdash/ltx/egress.py.
LTXDASH_EXTRA_RESULT_ORIGINS = env_origins("LTXDASH_EXTRA_RESULT_ORIGINS")
LTX_MAX_CONCURRENCY = env_int("LTX_MAX_CONCURRENCY", 2, min_value=1, max_value=1000)
# A workspace's own LTX key is stored encrypted with these (Fernet, newest first; README,
# "The workspace's own LTX key").
# Unset, a key is generated into the data folder: set it outside, so a copy of the data folder
# alone does not carry what decrypts the workspaces' keys.
LTXDASH_ENCRYPTION_KEYS = env_fernet_keys("LTXDASH_ENCRYPTION_KEYS", LTXDASH_ENCRYPTION_KEY_FILE)
LTX_POLL_INTERVAL = env_float("LTX_POLL_INTERVAL", 5.0, min_value=0.05, max_value=3600)
# Largest output we copy into our storage (a safety valve, not an API limit).
LTXDASH_MAX_OUTPUT_BYTES = env_int("LTXDASH_MAX_OUTPUT_BYTES", 2 * 1024**3, min_value=1024)

# --- The built-in simulator (only when it runs) -----------------------------------------------
LTXDASH_SIM_DIR = Path(env_str("LTXDASH_SIM_DIR", str(DATA_DIR / "simulator"))).resolve()
LTXDASH_SIM_PENDING_SECONDS = env_float("LTXDASH_SIM_PENDING_SECONDS", 2.0, min_value=0)
LTXDASH_SIM_PROCESSING_SECONDS = env_float("LTXDASH_SIM_PROCESSING_SECONDS", 8.0, min_value=0)
LTXDASH_SIM_RETENTION_SECONDS = env_float("LTXDASH_SIM_RETENTION_SECONDS", 86400.0, min_value=1)
LTXDASH_SIM_CONCURRENCY = env_int("LTXDASH_SIM_CONCURRENCY", 2, min_value=0)

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_choice(
    "LTXDASH_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"}},
    # Every line goes out through this one handler, and its filter cuts share tokens out of it
    # (ltxdash/core/logs.py): Django's request and error logs, the access log, the workers.
    "filters": {"redact_tokens": {"()": "ltxdash.core.logs.RedactTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "django_q": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Django's own default handlers would print (with DEBUG) or mail without the filter.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
    },
}
