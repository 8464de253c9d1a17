"""Media on S3 from the LTXDASH_S3_* variables: the settings they make, the mistakes they refuse
(never showing the secret), the CSP's media origins, /healthz and the deploy check against a
real S3 server, and a bucket that is not there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ltxdash.env import env_s3, s3_origins
from tests.support.s3server import SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
SECRET = "wJalrXUtnFEMI-not-a-real-secret"


def _env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LTX", "DJANGO"))}
    return {**clean, **extra}


def _python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(LTXDASH_DATA_DIR=str(tmp_path), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_bucket_media_stays_on_this_disk():
    assert env_s3(environ={}) is None


def test_the_bucket_turns_s3_on_with_every_option():
    options = env_s3(
        environ={
            "LTXDASH_S3_BUCKET": "team-media",
            "LTXDASH_S3_ENDPOINT_URL": "https://minio.example.com:9000",
            "LTXDASH_S3_REGION": "eu-west-1",
            "LTXDASH_S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "LTXDASH_S3_SECRET_ACCESS_KEY": SECRET,
            "LTXDASH_S3_PREFIX": "/ltxdash/prod/",
            "LTXDASH_S3_ADDRESSING_STYLE": "path",
            "LTXDASH_S3_URL_SECONDS": "120",
        }
    )
    assert options == {
        "bucket_name": "team-media",
        "endpoint_url": "https://minio.example.com:9000",
        "region_name": "eu-west-1",
        "access_key": "AKIAEXAMPLE",
        "secret_key": SECRET,
        "location": "ltxdash/prod",
        "addressing_style": "path",
        "querystring_expire": 120,
        "origins": ["https://minio.example.com:9000"],
    }


def test_without_keys_boto3_finds_its_own_credentials():
    options = env_s3(environ={"LTXDASH_S3_BUCKET": "team-media"})
    assert options is not None
    assert options["access_key"] is None and options["secret_key"] is None
    assert options["querystring_expire"] == 300 and options["addressing_style"] == "auto"


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"LTXDASH_S3_ENDPOINT_URL": "http://127.0.0.1:9000"}, "set without LTXDASH_S3_BUCKET"),
        ({"LTXDASH_S3_BUCKET": "Bad_Bucket"}, "must be a bucket name"),
        ({"LTXDASH_S3_BUCKET": "b-1", "LTXDASH_S3_ENDPOINT_URL": "minio:9000"}, "must be a URL"),
        (
            {"LTXDASH_S3_BUCKET": "b-1", "LTXDASH_S3_ENDPOINT_URL": "http://h:9000/b-1"},
            "without a path",
        ),
        ({"LTXDASH_S3_BUCKET": "b-1", "LTXDASH_S3_ADDRESSING_STYLE": "dns"}, "one of auto"),
        ({"LTXDASH_S3_BUCKET": "b-1", "LTXDASH_S3_URL_SECONDS": "0"}, "at least 1"),
        ({"LTXDASH_S3_BUCKET": "b-1", "LTXDASH_S3_PREFIX": "a/../b"}, "no '..'"),
        ({"LTXDASH_S3_BUCKET": "b-1", "LTXDASH_S3_REGION": "EU West"}, "region name"),
        (
            {"LTXDASH_S3_BUCKET": "b-1", "LTXDASH_S3_SECRET_ACCESS_KEY": SECRET},
            "LTXDASH_S3_ACCESS_KEY_ID is not set",
        ),
    ],
)
def test_it_refuses_a_mistake_naming_the_variable_and_never_the_secret(env, words):
    with pytest.raises(ImproperlyConfigured) as caught:
        env_s3(environ=env)
    assert words in str(caught.value)
    assert SECRET not in str(caught.value)


def test_presigned_urls_point_where_the_addressing_style_says():
    assert s3_origins("m", "http://127.0.0.1:9000", "", "path") == ["http://127.0.0.1:9000"]
    assert s3_origins("m", "https://s3.example.com", "", "virtual") == ["https://m.s3.example.com"]
    assert s3_origins("m", "", "eu-west-1", "auto") == [
        "https://m.s3.eu-west-1.amazonaws.com",
        "https://s3.eu-west-1.amazonaws.com",
        "https://m.s3.amazonaws.com",
    ]


def test_the_page_policy_lets_media_load_from_the_bucket_only_when_s3_is_on(tmp_path):
    code = (
        "import ltxdash.settings as s; "
        "print(s.STORAGES['default']['BACKEND']); "
        "print(' '.join(s.SECURE_CSP['media-src'])); print(' '.join(s.SECURE_CSP['img-src']))"
    )
    local = _python(code, tmp_path)
    assert local.returncode == 0, local.stderr
    assert local.stdout.split("\n")[:3] == [
        "django.core.files.storage.FileSystemStorage",
        "'self' blob:",
        "'self' blob: data:",
    ]
    on = _python(
        code,
        tmp_path,
        LTXDASH_S3_BUCKET="team-media",
        LTXDASH_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        LTXDASH_S3_ADDRESSING_STYLE="path",
    )
    assert on.returncode == 0, on.stderr
    assert on.stdout.split("\n")[:3] == [
        "ltxdash.core.s3storage.S3MediaStorage",
        "'self' blob: http://127.0.0.1:9000",
        "'self' blob: data: http://127.0.0.1:9000",
    ]


def test_a_bad_value_stops_start_up_with_the_message(tmp_path):
    out = _python(
        "import ltxdash.settings",
        tmp_path,
        LTXDASH_S3_BUCKET="b-1",
        LTXDASH_S3_ACCESS_KEY_ID="AKIAEXAMPLE",
    )
    assert out.returncode != 0
    assert "LTXDASH_S3_SECRET_ACCESS_KEY is not set" in out.stderr


def _deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=_env(
            LTXDASH_DATA_DIR=str(tmp_path),
            DJANGO_SETTINGS_MODULE="ltxdash.settings",
            LTXDASH_HTTPS="1",
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_passes_with_a_reachable_bucket(tmp_path, s3_server):
    bucket = s3_server.new_bucket()
    out = _deploy_check(tmp_path, **s3_server.env(bucket))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_the_deploy_check_names_a_missing_bucket_and_a_dead_endpoint(tmp_path, s3_server):
    missing = _deploy_check(tmp_path, **s3_server.env("no-such-bucket-here"))
    assert missing.returncode != 0
    assert "ltxdash.E001" in missing.stderr and "the bucket does not exist" in missing.stderr
    assert SECRET not in missing.stderr
    env = {**s3_server.env("b-1"), "LTXDASH_S3_ENDPOINT_URL": "http://127.0.0.1:9"}
    dead = _deploy_check(tmp_path, **env)
    assert dead.returncode != 0
    assert "could not be reached" in dead.stderr
    assert env["LTXDASH_S3_SECRET_ACCESS_KEY"] not in dead.stdout + dead.stderr


def test_a_plain_command_does_not_wait_on_the_bucket(tmp_path):
    """migrate, shell ...: no network check (the endpoint here would not answer)."""
    out = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env(
            LTXDASH_DATA_DIR=str(tmp_path),
            DJANGO_SETTINGS_MODULE="ltxdash.settings",
            LTXDASH_S3_BUCKET="b-1",
            LTXDASH_S3_ENDPOINT_URL="http://127.0.0.1:9",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "no issues" in out.stdout


@pytest.mark.django_db
def test_healthz_reports_the_object_store(client, s3_media, settings):
    assert client.get("/healthz").json()["media"] == {"ok": True, "kind": "s3"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "gone-bucket"},
        },
    }
    body = client.get("/healthz")
    assert body.status_code == 503
    media = body.json()["media"]
    assert media["ok"] is False and "does not exist" in media["error"]
    assert SECRET_KEY not in body.content.decode()


@pytest.mark.django_db
@pytest.mark.local_media
def test_healthz_reports_local_media(client):
    assert client.get("/healthz").json()["media"] == {"ok": True, "kind": "local"}
