import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings_value(expr: str, **env: str) -> subprocess.CompletedProcess:
    """Import ltxdash.settings in a fresh interpreter with exactly these variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LTX", "DJANGO", "DATABASE", "REDIS"))
    }
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
