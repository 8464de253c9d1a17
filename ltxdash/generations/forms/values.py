"""The one mapping between the create form's values and the API's request parameters.

Form fields are named after the API fields, except where the page already uses the name
(``API_TO_FORM``); ``api_params`` types the form's values the API's way and ``form_values``
turns an earlier request's parameters back into form values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ltxdash.ltx import catalog
from ltxdash.ltx.catalog.data import ROLE_KINDS

DEFAULT_ENDPOINT = "text-to-video"
# The request field (query string and form) that names the endpoint: the page's tab.
ENDPOINT_PARAM = "mode"
MAX_COUNT = 4  # takes of one request
AUTO = "auto"  # the duration value for "let the model choose" (LTX-2.5)

# The API calls retake's and extend's variant "mode"; the page already uses ?mode= for the tab.
API_TO_FORM = {"mode": "edit_mode"}


def endpoint_from(value: str | None) -> str:
    """The endpoint a request asks for; anything unknown falls back to text-to-video."""
    return value if value in catalog.ENDPOINTS else DEFAULT_ENDPOINT


def form_name(api_name: str) -> str:
    """The form field that holds an API field."""
    return API_TO_FORM.get(api_name, api_name)


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def selection(endpoint: str, values: Mapping[str, Any]) -> catalog.Choices:
    """The options valid together with the model/resolution/fps found in ``values``."""
    return catalog.choices(
        endpoint,
        model=str(values.get("model") or "") or None,
        resolution=str(values.get("resolution") or "") or None,
        fps=int_or_none(values.get("fps")),
    )


def api_params(spec: catalog.EndpointSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The request's settings in API names and types (no inputs), from form values."""
    params: dict[str, Any] = {}
    for name in spec.fields:
        if name in ROLE_KINDS:
            continue
        value = values.get(form_name(name))
        if name == "duration" and spec.duration_kind == "int":
            if value == AUTO:
                params[name] = None  # automatic duration: sent as null
                continue
            value = int_or_none(value) if value not in (None, "") else None
        elif name == "fps":
            value = int_or_none(value)
        if name in catalog.BOOLEAN_FIELDS:
            params[name] = bool(value)
        elif value not in (None, ""):
            params[name] = value
    return params


def form_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """An earlier request's parameters as form values (the way back from ``api_params``)."""
    values = {form_name(name): value for name, value in params.items()}
    if values.get("duration", "") is None:
        values["duration"] = AUTO  # an automatic duration was sent as null
    return values
