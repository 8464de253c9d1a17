"""The create form and what it is made of:

* ``form``      GenerateForm: builds its fields from the table, cleans, returns the request
* ``fields``    the field table: one row per API field, its wording per endpoint, its builder
* ``values``    the one mapping between form values and API parameters (both ways)
* ``estimate``  DraftEstimate: the cost of what the form holds while it is being filled in
"""

from ltxdash.generations.forms.estimate import DraftEstimate, PickedClips
from ltxdash.generations.forms.fields import FIELDS, resolution_choice_label, role_label
from ltxdash.generations.forms.form import SETTINGS_FIELDS, GenerateForm
from ltxdash.generations.forms.values import (
    API_TO_FORM,
    AUTO,
    DEFAULT_ENDPOINT,
    MAX_COUNT,
    api_params,
    endpoint_from,
    form_values,
)

__all__ = [
    "API_TO_FORM",
    "AUTO",
    "DEFAULT_ENDPOINT",
    "FIELDS",
    "MAX_COUNT",
    "SETTINGS_FIELDS",
    "DraftEstimate",
    "GenerateForm",
    "PickedClips",
    "api_params",
    "endpoint_from",
    "form_values",
    "resolution_choice_label",
    "role_label",
]
