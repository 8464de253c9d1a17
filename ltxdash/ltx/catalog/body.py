"""build_request(): the JSON body to POST, with only the endpoint's fields and the API's types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import data
from .rules import blank, to_bool, to_float, to_int
from .validation import validate


class InvalidRequest(ValueError):
    """The parameters fail validate(); `errors` holds its field messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


def build_request(endpoint: str, params: Mapping[str, Any], uris: Mapping[str, str]) -> dict:
    """The request body for `endpoint` from form/API values and the inputs' URIs.

    Raises InvalidRequest when the values fail validation or a required input URI is missing.
    Fields the endpoint does not take are dropped. `fps` is always sent where the endpoint
    takes it (the documented default is unreliable), and so is `model` (the default if unset),
    except a field only secondary sources name, left at the API's default
    (`data.UNSURE_DEFAULTS`).
    """
    errors = validate(endpoint, {**params, **uris})  # an image URI can stand in for a prompt (A2V)
    spec = data.ENDPOINTS[endpoint]
    for role, required in spec.input_roles.items():
        if required and blank(uris.get(role)):
            errors.setdefault(role, []).append("This input is missing.")
    if errors:
        raise InvalidRequest(errors)

    body: dict[str, Any] = {}
    for name in spec.fields:
        if name in data.ROLE_KINDS:
            if not blank(uris.get(name)):
                body[name] = uris[name]
            continue
        value = params.get(name)
        if name == "model":
            # str() as validate() does: only a known model name gets this far.
            body[name] = str(value).strip() if not blank(value) else spec.default_model
        elif name == "fps":
            body[name] = spec.default_fps if blank(value) else to_int(value)
        elif name == "duration" and spec.duration_kind == "int":
            # Validation allowed None/"auto" only for models with automatic duration.
            body[name] = None if value is None or str(value).strip() == "auto" else to_int(value)
        elif blank(value) or (name == "resolution" and str(value).strip() == "auto"):
            continue  # optional and unset: the API's default applies
        elif name in ("duration", "start_time", "context", "guidance_scale"):
            body[name] = to_float(value)
        elif name in data.BOOLEAN_FIELDS:
            body[name] = to_bool(value)
        elif name == "camera_motion" and str(value).strip().lower() == "none":
            continue
        elif name == "placement" and isinstance(value, dict):
            # The fractional form, as numbers (validate() checked its keys and ranges).
            body[name] = {key: to_float(value[key]) for key in data.PLACEMENT_FRACTIONS}
        else:
            body[name] = str(value).strip()
        unsure = data.UNSURE_DEFAULTS.get((endpoint, name), _SENT)
        if unsure is not _SENT and body.get(name) == unsure:
            del body[name]  # the API's own default: left out (data.UNSURE_DEFAULTS says why)
    return body


_SENT = object()
