"""A real S3-compatible server for tests and benchmarks: moto's server mode, over HTTP on
127.0.0.1, in a child process of its own (its objects live in that process's memory, not in
ours; its CPU is not our GIL's).

``S3Server().start()`` picks a free port and waits until the server answers; ``new_bucket()``
makes a bucket of a fresh random name, so tests running side by side (pytest-xdist) never meet;
``storage_options(bucket)`` is what ``STORAGES["default"]["OPTIONS"]`` takes, and ``env(bucket)``
the LTXDASH_S3_* variables of a process that should use the same bucket.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

BACKEND = "ltxdash.core.s3storage.S3MediaStorage"
REGION = "us-east-1"
# moto accepts any credentials; these are what the tests and their child processes send.
ACCESS_KEY = "ltxdash-test-access"
SECRET_KEY = "ltxdash-test-secret-do-not-log"


def s3_everywhere() -> bool:
    """LTXDASH_TEST_S3=1: every test keeps its media on S3 (tests/conftest.py)."""
    return os.environ.get("LTXDASH_TEST_S3", "") not in ("", "0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> S3Server:
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            if self.log_path:
                log.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/moto-api/", timeout=1).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("moto_server did not answer")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}),
        )

    def new_bucket(self) -> str:
        name = f"ltxdash-test-{secrets.token_hex(8)}"
        self.client().create_bucket(Bucket=name)
        return name

    def storage_options(self, bucket: str, prefix: str = "") -> dict[str, Any]:
        return {
            "bucket_name": bucket,
            "endpoint_url": self.url,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "location": prefix,
            "addressing_style": "path",
            "querystring_expire": 300,
        }

    def env(self, bucket: str, prefix: str = "") -> dict[str, str]:
        return {
            "LTXDASH_S3_BUCKET": bucket,
            "LTXDASH_S3_ENDPOINT_URL": self.url,
            "LTXDASH_S3_REGION": REGION,
            "LTXDASH_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "LTXDASH_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "LTXDASH_S3_ADDRESSING_STYLE": "path",
            **({"LTXDASH_S3_PREFIX": prefix} if prefix else {}),
        }

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key in the bucket (under ``prefix``)."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", ()))

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()
