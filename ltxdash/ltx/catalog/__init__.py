"""The LTX catalog: endpoints, models, valid combinations, prices and media limits.

Everything that needs to know what the API accepts asks this package: the create form
(`choices`, `upload_limits`), server-side validation (`validate`), the cost shown before
submitting (`estimate_cost`), the request sent (`build_request`) and the simulator.

How to update it when LTX changes models, limits or prices (all of it is data in `data.py`):
- New model: add a `ModelSpec` to `MODELS`, then `Combo` rows for what it can do (endpoints,
  resolutions, fps, durations) and `Price` rows. Endpoint model lists are derived from the rows.
- Removed model: set `status="removed"`, `removed_on` and `replacement`, and delete its
  `Combo` and `Price` rows; requests naming it are then refused with a message naming the
  replacement.
- New or changed combination/price: edit the rows. Mark anything only secondary sources
  state with `confirmed=False` and a `note` naming the source; the UI shows it.
- New field of an existing endpoint: add it to the endpoint's `fields`; a field with a list of
  values goes in `FIELD_CHOICES`, a true/false one in `BOOLEAN_FIELDS`, and both are then
  checked and sent like the others. Give it a row in the form's field table
  (`ltxdash/generations/forms/fields.py`, `FIELDS`) and, if unconfirmed, a `FIELD_NOTES` entry.
- New operation (a new endpoint path LTX documents): an `EndpointSpec` in `_ENDPOINTS` (its
  fields, inputs, what it bills on, its result keys), `Combo` and `Price` rows, the media type
  of any new result key in `RESULT_MEDIA_TYPES`, and form rows for fields the table lacks.
  Limits beyond the table's go in `validation._CHECKS` under the endpoint's slug. The client,
  the simulator, the create page's tab and the pipeline follow from the catalog.
- Then run `pytest tests/ltx/test_catalog.py`: it checks every row and the known-good requests.
"""

from .body import InvalidRequest, build_request
from .data import (
    BOOLEAN_FIELDS,
    CAMERA_MOTIONS,
    COMBOS,
    ENDPOINTS,
    FIELD_CHOICES,
    MODELS,
    MODES,
    OUTPUT_COLORSPACES,
    OUTPUT_MEDIA_TYPES,
    PLACEMENT_ANCHORS,
    PRICES,
    RESULT_MEDIA_TYPES,
)
from .options import (
    accept_attribute,
    choices,
    current_models,
    default_model,
    input_limit,
    largest_upload_bytes,
    most_inputs,
    upload_limits,
)
from .pricing import estimate, estimate_cost, price_for, usd
from .rules import (
    allowed_durations,
    allowed_fps,
    allowed_resolutions,
    caveat,
    model_label,
    resolution_label,
    resolution_tier,
)
from .specs import Choices, Combo, EndpointSpec, Estimate, InputLimit, ModelSpec, Price
from .validation import validate

__all__ = [
    "BOOLEAN_FIELDS",
    "CAMERA_MOTIONS",
    "COMBOS",
    "ENDPOINTS",
    "FIELD_CHOICES",
    "MODELS",
    "MODES",
    "OUTPUT_COLORSPACES",
    "OUTPUT_MEDIA_TYPES",
    "PLACEMENT_ANCHORS",
    "PRICES",
    "RESULT_MEDIA_TYPES",
    "Choices",
    "Combo",
    "EndpointSpec",
    "Estimate",
    "InputLimit",
    "InvalidRequest",
    "ModelSpec",
    "Price",
    "accept_attribute",
    "allowed_durations",
    "allowed_fps",
    "allowed_resolutions",
    "build_request",
    "caveat",
    "choices",
    "current_models",
    "default_model",
    "endpoint_choices",
    "endpoint_label",
    "estimate",
    "estimate_cost",
    "input_limit",
    "largest_upload_bytes",
    "model_choices",
    "model_label",
    "most_inputs",
    "price_for",
    "resolution_label",
    "resolution_tier",
    "result_media_types",
    "upload_limits",
    "usd",
    "validate",
]


def result_media_types(key: str) -> frozenset[str]:
    """The media types an output under result key ``key`` may be (detected by content)."""
    known = RESULT_MEDIA_TYPES.get(key)
    return frozenset({known}) if known else OUTPUT_MEDIA_TYPES


def endpoint_label(slug: str) -> str:
    spec = ENDPOINTS.get(slug)
    return spec.label if spec else slug


def endpoint_choices() -> list[tuple[str, str]]:
    """(slug, label) of every endpoint in catalog order: the create page's tabs, the filters."""
    return [(slug, spec.label) for slug, spec in ENDPOINTS.items()]


def model_choices() -> list[tuple[str, str]]:
    """(id, label) of every model the catalog knows."""
    return [(model_id, model_label(model_id)) for model_id in MODELS]
