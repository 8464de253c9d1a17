"""The S3 media backend: django-storages' ``S3Storage``, shaped for large videos.

Used when ``LTXDASH_S3_BUCKET`` is set (``settings.STORAGES``, options from ``env.env_s3``); the
rest of ltxdash reaches it through ``ltxdash.core.media_storage`` only. What it changes:

- **Saving a local file** (a re-hosted output, a rewritten MP4, a spooled upload: anything with
  ``temporary_file_path()``) goes through boto3's managed transfer from the file's path
  (``upload_file``): a multipart upload in parallel parts read straight from the file, so memory
  stays bounded whatever the size. Anything else is django-storages' own ``upload_fileobj``.
- **Opening for reading** streams: a small object (a poster, a still) is read in one GET into
  memory; a larger one is a reader over ranged GETs (seeking starts a new one), never the whole
  object in a temporary file first, as ``S3File`` does.
- **Errors** the object store answers become ``FileNotFoundError`` (a missing key) or
  ``ObjectStoreError``, an ``OSError``: callers handle storage problems as disk problems.
- ``download_to`` (a local scratch copy, boto3's managed download), ``presigned_url`` (a GET
  URL with the response's type and disposition signed in) and ``ping`` (head_bucket with short
  timeouts, for /healthz and the deploy check).

Objects are private (no ACL is set); names are never reused (``file_overwrite=False``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

MiB = 1024 * 1024
# Objects up to this size are read into memory in one GET when opened (posters, stills).
SMALL_OBJECT = 4 * MiB
# Managed transfers: 16 MiB parts, 4 at a time, read from the file as they are sent.
TRANSFER = TransferConfig(
    multipart_threshold=16 * MiB,
    multipart_chunksize=16 * MiB,
    max_concurrency=4,
    io_chunksize=256 * 1024,
)
READ_BUFFER = 256 * 1024
# /healthz and the deploy check must answer quickly even when the store does not.
PING_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1})


class ObjectStoreError(OSError):
    """The object store refused or failed a request (other than "no such key")."""


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def describe(error: BaseException) -> str:
    """What went wrong, in words fit for a log line or a check (never a credential)."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code") or _status(error))
        if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
            return f"the object store refused the credentials or access to the bucket ({code})"
        if code in {"404", "NoSuchBucket"}:
            return f"the bucket does not exist ({code})"
        return f"the object store answered {code}"
    return f"the object store could not be reached ({type(error).__name__})"


@contextmanager
def storage_errors(name: str = "") -> Iterator[None]:
    """boto3's errors as OSErrors: a missing key is FileNotFoundError."""
    try:
        yield
    except ClientError as error:
        if _status(error) == 404 or error.response.get("Error", {}).get("Code") == "NoSuchKey":
            raise FileNotFoundError(f"no stored file {name!r}") from error
        raise ObjectStoreError(describe(error)) from error
    except BotoCoreError as error:
        raise ObjectStoreError(describe(error)) from error


class ObjectReader(io.RawIOBase):
    """A stored object read front to back with one GET, seeking by starting another from there."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self._client, self._bucket, self._key, self.size = client, bucket, key, size
        self._position = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        position = max(0, base + offset)
        if position != self._position:
            self._drop_body()
            self._position = position
        return position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self.size:
            return 0
        with storage_errors(self._key):
            if self._body is None:
                answer = self._client.get_object(
                    Bucket=self._bucket, Key=self._key, Range=f"bytes={self._position}-"
                )
                self._body = answer["Body"]
            try:
                data = self._body.read(len(buffer))
            except (OSError, ValueError) as error:  # the connection broke mid-way
                raise ObjectStoreError(f"reading {self._key!r} failed: {error}") from error
        if not data:
            raise ObjectStoreError(f"{self._key!r} ended at byte {self._position} of {self.size}")
        count = len(data)
        buffer[:count] = data
        self._position += count
        return count

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


class S3MediaStorage(S3Storage):  # django-storages has no types: Any
    def __init__(self, **options: Any) -> None:
        options.setdefault("file_overwrite", False)  # a new name for every file, as on disk
        options.setdefault("signature_version", "s3v4")
        options.setdefault("transfer_config", TRANSFER)
        # A file opened for writing spills to disk past this instead of growing in memory.
        options.setdefault("max_memory_size", 8 * MiB)
        super().__init__(**options)

    @property
    def client(self) -> Any:
        return self.connection.meta.client

    def key(self, name: str) -> str:
        """The object key of a stored name (the prefix, LTXDASH_S3_PREFIX, in front)."""
        return str(self._normalize_name(clean_name(name)))

    # --- writing ---

    def _save(self, name: str, content: Any) -> str:
        local = getattr(content, "temporary_file_path", None)
        with storage_errors(name):
            if local is None:
                return str(super()._save(name, content))
            cleaned = clean_name(name)
            key = self._normalize_name(cleaned)
            self.client.upload_file(
                str(local()),
                self.bucket_name,
                key,
                ExtraArgs=self._get_write_parameters(key, content),
                Config=self.transfer_config,
            )
            return str(cleaned)

    # --- reading ---

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        if mode != "rb":
            with storage_errors(name):
                return super()._open(name, mode)
        key = self.key(name)
        with storage_errors(name):
            size = int(self.client.head_object(Bucket=self.bucket_name, Key=key)["ContentLength"])
            if size <= SMALL_OBJECT:
                body = self.client.get_object(Bucket=self.bucket_name, Key=key)["Body"]
                try:
                    data = body.read()
                finally:
                    body.close()
                file = File(io.BytesIO(data), name=name)
            else:
                raw = ObjectReader(self.client, self.bucket_name, key, size)
                file = File(io.BufferedReader(raw, READ_BUFFER), name=name)
        file.size = size
        return file

    def download_to(self, name: str, path: Path) -> None:
        """A local copy of a stored file at ``path`` (boto3's managed, multipart download)."""
        with storage_errors(name):
            self.client.download_file(
                self.bucket_name, self.key(name), str(path), Config=self.transfer_config
            )

    def presigned_url(self, name: str, *, seconds: int, content_type: str, disposition: str) -> str:
        """A GET URL for ``seconds``; the object store answers with this type and disposition."""
        parameters = {
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
        }
        return str(self.url(name, parameters=parameters, expire=seconds))

    # --- everything else, with the store's errors as OSErrors ---

    def delete(self, name: str) -> None:
        with storage_errors(name):
            super().delete(name)

    def exists(self, name: str) -> bool:
        with storage_errors(name):
            return bool(super().exists(name))

    def size(self, name: str) -> int:
        with storage_errors(name):
            return int(super().size(name))

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        with storage_errors(path):
            return super().listdir(path)

    def get_modified_time(self, name: str) -> Any:
        with storage_errors(name):
            return super().get_modified_time(name)

    def ping(self) -> str:
        """What is wrong with the bucket, in words; empty when it answers with these credentials.
        Its own client (made once; botocore's clients are thread-safe): short timeouts, one try."""
        client = getattr(self, "_ping_client", None)
        if client is None:
            client = self._ping_client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                use_ssl=self.use_ssl,
                endpoint_url=self.endpoint_url,
                config=self.client_config.merge(PING_CONFIG),
                verify=self.verify,
            )
        try:
            client.head_bucket(Bucket=self.bucket_name)
        except (ClientError, BotoCoreError) as error:
            return describe(error)
        return ""
