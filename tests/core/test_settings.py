import os
import re
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _clean_env() -> dict[str, str]:
    prefixes = ("LTX", "DJANGO", "DATABASE", "REDIS")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def _settings_value(expr: str, **env: str) -> subprocess.CompletedProcess:
    """Import ltxdash.settings in a fresh interpreter with exactly these variables."""
    clean = _clean_env()
    return subprocess.run(
        [sys.executable, "-c", f"import ltxdash.settings as s; print(repr(({expr})))"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_defaults_to_sqlite_orm_broker_and_the_simulator(tmp_path):
    out = _settings_value(
        "s.DATABASES['default']['ENGINE'], s.Q_CLUSTER.get('orm'), s.LTX_API_BASE_URL, s.DEBUG",
        LTXDASH_DATA_DIR=str(tmp_path),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "('django.db.backends.sqlite3', 'default', 'http://127.0.0.1:8001', False)"
    )
    assert (tmp_path / "secret_key").exists()


def test_it_uses_the_real_api_when_a_key_is_set(tmp_path):
    out = _settings_value(
        "s.LTX_API_BASE_URL, s.LTX_SIMULATED", LTX_API_KEY="k", LTXDASH_DATA_DIR=str(tmp_path)
    )
    assert out.stdout.strip() == "('https://api.ltx.video', False)"


def test_it_switches_to_postgres_and_redis(tmp_path):
    out = _settings_value(
        "s.DATABASES['default']['ENGINE'], s.Q_CLUSTER.get('redis'), s.Q_CLUSTER.get('orm')",
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
        LTXDASH_DATA_DIR=str(tmp_path),
    )
    assert out.stdout.strip() == (
        "('django.db.backends.postgresql', 'redis://127.0.0.1:6379/0', None)"
    )


def test_a_sqlite_database_url_gets_the_same_sqlite_options(tmp_path):
    """dj_database_url gives a sqlite URL no OPTIONS: this used to be a KeyError at start-up."""
    out = _settings_value(
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['OPTIONS']['transaction_mode']",
        DATABASE_URL=f"sqlite:///{tmp_path}/other.sqlite3",
        LTXDASH_DATA_DIR=str(tmp_path),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "('django.db.backends.sqlite3', 'IMMEDIATE')"


def test_it_fails_loudly_on_a_bad_value(tmp_path):
    out = _settings_value("1", LTX_MAX_CONCURRENCY="lots", LTXDASH_DATA_DIR=str(tmp_path))
    assert out.returncode != 0
    assert (
        "ImproperlyConfigured: LTX_MAX_CONCURRENCY must be a whole number; got 'lots'" in out.stderr
    )


def test_the_cluster_timeout_is_shorter_than_its_retry():
    from django.conf import settings

    assert settings.Q_CLUSTER["timeout"] < settings.Q_CLUSTER["retry"]
    assert 1 <= settings.Q_CLUSTER["max_attempts"] <= 10


def test_sqlite_runs_in_wal_with_immediate_transactions(tmp_path):
    out = _settings_value(
        "s.DATABASES['default']['OPTIONS']['transaction_mode'], "
        "'journal_mode=WAL' in s.DATABASES['default']['OPTIONS']['init_command']",
        LTXDASH_DATA_DIR=str(tmp_path),
    )
    assert out.stdout.strip() == "('IMMEDIATE', True)"


def _deploy_check(tmp_path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LTX", "DJANGO"))}
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **clean,
            "LTXDASH_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "ltxdash.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout + out.stderr


def test_the_deploy_check_asks_only_for_what_https_provides(tmp_path):
    report = _deploy_check(tmp_path)
    warnings = sorted(set(re.findall(r"security\.W\d+", report)))
    # HSTS, SSL redirect, secure session cookie, secure CSRF cookie: all need HTTPS termination.
    assert warnings == ["security.W004", "security.W008", "security.W012", "security.W016"]


def test_the_deploy_check_is_clean_behind_https(tmp_path):
    assert "no issues" in _deploy_check(tmp_path, LTXDASH_HTTPS="1")


def test_it_asks_browsers_to_preload_hsts_only_when_told(tmp_path):
    https = {"LTXDASH_DATA_DIR": str(tmp_path), "LTXDASH_HTTPS": "1"}
    off = _settings_value("s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD", **https)
    assert off.stdout.strip() == "(2592000, False)", off.stderr[-500:]
    on = _settings_value("s.SECURE_HSTS_PRELOAD", LTXDASH_HSTS_PRELOAD="1", **https)
    assert on.stdout.strip() == "True"
    # With preload on, the deploy check is clean too (its preload warning only fires when off).
    assert "no issues" in _deploy_check(tmp_path, LTXDASH_HTTPS="1", LTXDASH_HSTS_PRELOAD="1")


def test_it_refuses_bad_service_urls_naming_the_variable(tmp_path):
    for env, expected in [
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL starting with redis://"),
        ({"DATABASE_URL": "nonsense://x"}, "DATABASE_URL is not a database URL"),
        ({"LTXDASH_LOG_LEVEL": "chatty"}, "LTXDASH_LOG_LEVEL must be one of"),
        ({"PORT": "http"}, "PORT must be a whole number"),
    ]:
        out = _settings_value("1", LTXDASH_DATA_DIR=str(tmp_path), **env)
        assert out.returncode != 0
        assert expected in out.stderr, out.stderr[-500:]


def test_it_creates_the_data_dir_the_database_and_the_secret_key_private(tmp_path):
    data = tmp_path / "fresh" / "data"
    out = _settings_value("1", LTXDASH_DATA_DIR=str(data))
    assert out.returncode == 0, out.stderr
    # Made by this user, for this user: other local accounts can't read sessions or clips.
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "ltxdash.sqlite3").stat().st_mode) == 0o600
    # SQLite takes an empty file as a new database, and gives its WAL files the same mode.
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env={
            **_clean_env(),
            "LTXDASH_DATA_DIR": str(data),
            "DJANGO_SETTINGS_MODULE": "ltxdash.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr[-1000:]
    for name in ("ltxdash.sqlite3", "ltxdash.sqlite3-wal", "ltxdash.sqlite3-shm"):
        if (data / name).exists():
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


def test_it_leaves_the_mode_of_a_data_dir_that_exists(tmp_path):
    tmp_path.chmod(0o750)
    out = _settings_value("1", LTXDASH_DATA_DIR=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "ltxdash.sqlite3").stat().st_mode) == 0o600


def test_it_reads_the_mail_server_from_one_url(tmp_path):
    expr = "s.LTXDASH_PASSWORD_RESET, getattr(s, 'MAILERS', None)"
    out = _settings_value(expr, LTXDASH_DATA_DIR=str(tmp_path))
    assert out.stdout.strip() == "(False, None)"
    out = _settings_value(
        "s.LTXDASH_PASSWORD_RESET, s.MAILERS['default']['OPTIONS']",
        LTXDASH_DATA_DIR=str(tmp_path),
        LTXDASH_EMAIL_URL="smtp+tls://ops%40example.com:p%40ss@mail.example.com:2525",
    )
    assert out.stdout.strip() == (
        "(True, {'host': 'mail.example.com', 'username': 'ops@example.com', 'password': 'p@ss',"
        " 'use_tls': True, 'use_ssl': False, 'timeout': 10, 'port': 2525})"
    )
    out = _settings_value(
        "s.MAILERS['default']['OPTIONS']",
        LTXDASH_DATA_DIR=str(tmp_path),
        LTXDASH_EMAIL_URL="smtps://m.example.com",
    )
    assert "'use_ssl': True" in out.stdout and "'port'" not in out.stdout  # 465, Django's default
    bad = _settings_value(
        "1", LTXDASH_DATA_DIR=str(tmp_path), LTXDASH_EMAIL_URL="mail:secret@example.com:25"
    )
    assert bad.returncode != 0 and "LTXDASH_EMAIL_URL must look like" in bad.stderr
    assert "secret" not in bad.stderr
