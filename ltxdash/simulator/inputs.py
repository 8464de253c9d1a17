"""Media inputs of a submit (``image_uri``, ``video_uri``, ``audio_uri``, ``last_frame_uri``).

Three forms are accepted, as the API documents:
- an upload's ``storage_uri`` (``ltx://uploads/<id>``): the uploaded file is probed;
- a ``data:<mime>;base64,...`` URI: decoded (within the documented size caps) and probed;
- an ``https://`` URL: accepted WITHOUT probing. The simulator never fetches anything from the
  network, so it cannot check such a file; the job is planned from the request alone.
Anything else is a 400 invalid_request_error naming the field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ltxdash.ltx import catalog
from ltxdash.media import MediaError

from .state import Store

UPLOAD_SCHEME = "ltx://uploads/"
UPLOAD_RETENTION = 24 * 3600  # an uploaded file can be used for 24 h


class InputTooLarge(Exception):
    """A data: URI over its cap: the API answers 413 request_too_large."""


@dataclass
class ResolvedInputs:
    media: dict[str, Any] = field(default_factory=dict)  # field -> probed media info
    errors: dict[str, list[str]] = field(default_factory=dict)


def input_fields(params: dict[str, Any], roles: dict[str, bool] | None) -> list[str]:
    names = set(roles or ())
    names.update(name for name in params if name.endswith("_uri"))
    return sorted(name for name in names if params.get(name) not in (None, ""))


def resolve(
    params: dict[str, Any], roles: dict[str, bool] | None, store: Store, probe: Any
) -> ResolvedInputs:
    resolved = ResolvedInputs()
    for name in input_fields(params, roles):
        value = params[name]
        try:
            path = _local_path(name, value, store)
        except ValueError as exc:
            resolved.errors.setdefault(name, []).append(str(exc))
            continue
        if path is None:
            continue  # an https URL: accepted unprobed (see the module docstring)
        try:
            resolved.media[name] = probe(path)
        except MediaError as exc:
            resolved.errors.setdefault(name, []).append(str(exc))
    return resolved


def _local_path(name: str, value: Any, store: Store) -> Path | None:
    if not isinstance(value, str):
        raise ValueError("Must be a string: an https URL, a data: URI or an upload's storage_uri.")
    if value.startswith(UPLOAD_SCHEME):
        return _uploaded_file(value, store)
    if value.startswith("data:"):
        return _data_uri_file(name, value, store)
    if value.startswith("https://"):
        return None
    raise ValueError(
        "Must be an https URL, a data: URI or the storage_uri returned by POST /v1/upload."
    )


def _uploaded_file(uri: str, store: Store) -> Path:
    upload_id = uri.removeprefix(UPLOAD_SCHEME)
    row = store.upload(upload_id) if upload_id.isalnum() else None
    if row is None:
        raise ValueError(f"No upload is known as {uri}.")
    if row["uploaded_at"] is None:
        raise ValueError(f"Nothing was uploaded to {uri}: PUT the file to its upload_url first.")
    if time.time() > row["uploaded_at"] + UPLOAD_RETENTION:
        raise ValueError(f"The upload {uri} has expired (uploads are kept for 24 hours).")
    return store.dir / "uploads" / upload_id


def _data_uri_file(name: str, uri: str, store: Store) -> Path:
    header, sep, payload = uri.partition(",")
    if not sep or not header.endswith(";base64"):
        raise ValueError("A data: URI must look like data:<mime type>;base64,<data>.")
    try:
        cap = catalog.input_limit(name, "data_uri").max_bytes  # the encoded size
    except KeyError:  # not a media role of any endpoint; validate() names the field
        cap = max(catalog.upload_limits()["data_uri"].values())
    if len(payload) > cap:
        raise InputTooLarge(
            f"{name}: the data: URI is {len(payload):,} characters; the limit is {cap:,}. "
            "Upload larger files with POST /v1/upload."
        )
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The data: URI is not valid base64.") from None
    # Content-addressed, so the same input sent twice is written (and probed from) one file.
    folder = store.dir / "data-uris"
    folder.mkdir(exist_ok=True)
    path = folder / hashlib.sha256(data).hexdigest()
    if not path.exists():
        tmp = path.with_suffix(f".{time.monotonic_ns()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path
