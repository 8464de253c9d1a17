"""The create form's field table and the mapping between form values and API parameters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django import forms

from ltxdash.generations.forms import fields, values
from ltxdash.generations.forms.fields import FIELDS, build_field, role_label, worded
from ltxdash.ltx import catalog


def field_for(endpoint: str, name: str, bound: dict | None = None) -> forms.Field:
    choices = values.selection(endpoint, bound or {})
    return build_field(name, catalog.ENDPOINTS[endpoint], choices, bound)


def options(field: forms.Field) -> list:
    return [value for value, _ in field.widget.choices]


def test_every_field_of_every_endpoint_has_a_row():
    named = {name for spec in catalog.ENDPOINTS.values() for name in spec.fields}
    assert named <= set(FIELDS)


def test_a_field_the_table_does_not_know_is_plain_text_labelled_by_its_name():
    field = field_for("text-to-video", "seed_value")
    assert isinstance(field, forms.CharField) and field.label == "Seed value"


def test_wording_is_per_endpoint_with_a_default():
    assert worded("Same everywhere", "retake") == "Same everywhere"
    assert worded({"retake": "A", "*": "B"}, "retake") == "A"
    assert worded({"retake": "A", "*": "B"}, "extend") == "B"
    assert worded({"retake": "A"}, "extend") == ""


@pytest.mark.parametrize(
    ("endpoint", "name", "label"),
    [
        ("video-to-video-reframe", "resolution", "New frame"),
        ("text-to-video", "resolution", "Resolution"),
        ("retake", "mode", "What to replace"),
        ("extend", "mode", "Where to add"),
        ("extend", "duration", "Add (seconds)"),
        ("retake", "duration", "Section length (seconds)"),
        ("text-to-video", "duration", "Duration"),
        ("retake", "start_time", "Section starts at (seconds)"),
        ("image-to-video", "last_frame_uri", "Last frame"),
    ],
)
def test_labels_follow_the_endpoint(endpoint, name, label):
    assert field_for(endpoint, name).label == label


def test_the_prompt_placeholder_follows_the_endpoint():
    def placeholder(endpoint: str) -> str:
        return field_for(endpoint, "prompt").widget.attrs["placeholder"]

    assert (
        placeholder("retake") == placeholder("extend") == "What happens in the new part (optional)…"
    )
    assert placeholder("image-to-video") == "How the image comes to life…"
    assert placeholder("text-to-video").startswith("A slow dolly shot")
    assert field_for("text-to-video", "prompt").widget.attrs["required"] is True
    assert "required" not in field_for("audio-to-video", "prompt").widget.attrs


def test_select_options_come_from_the_catalog():
    choices = catalog.choices("text-to-video")
    assert options(field_for("text-to-video", "model")) == list(choices.models)
    assert options(field_for("text-to-video", "fps")) == list(choices.fps)
    durations = options(field_for("text-to-video", "duration"))
    assert durations[: len(choices.durations)] == list(choices.durations)
    assert options(field_for("retake", "resolution"))[0] == ""  # automatic: follows the input


def test_an_automatic_duration_is_offered_where_the_model_has_one():
    auto = next(m for m in catalog.MODELS.values() if m.auto_duration and m.is_current)
    field = field_for("text-to-video", "duration", {"model": auto.id})
    assert options(field)[-1] == values.AUTO


def test_a_submitted_value_the_catalog_does_not_offer_stays_visible():
    field = field_for("text-to-video", "fps", {"fps": "999"})
    assert field.widget.choices[-1] == ("999", "999 (not available)")


def test_an_unconfirmed_option_is_marked_and_explained_when_selected():
    choices = catalog.choices("text-to-video")
    resolution, note = next(iter(choices.caveats["resolution"].items()))
    field = field_for("text-to-video", "resolution", {"resolution": resolution})
    labels = dict(field.widget.choices)
    assert labels[resolution].endswith(" *")
    assert field.help_text == f"* Unconfirmed: {note}"


def test_float_durations_use_the_endpoints_range():
    low, high = catalog.ENDPOINTS["retake"].duration_range or (0, None)
    attrs = field_for("retake", "duration").widget.attrs
    assert attrs["min"] == low and attrs.get("max") == high
    assert attrs["data-refresh"] == "1"  # the length changes the cost
    assert "data-refresh" not in field_for("retake", "start_time").widget.attrs


def test_inputs_take_what_the_catalog_accepts_and_its_notes():
    field = field_for("retake", "video_uri")
    assert field.widget.attrs["accept"] == catalog.accept_attribute("video_uri")
    assert field.widget.attrs["data-max-bytes"] == catalog.input_limit("video_uri").max_bytes
    assert field.help_text == catalog.choices("retake").field_notes["video_uri"]
    assert field_for("extend", "video_uri").help_text.startswith("Pick one of your clips")


def test_initial_values_fill_in_the_tables_defaults_and_the_catalogs_selection():
    initial: dict = {}
    spec = catalog.ENDPOINTS["retake"]
    fields.settle_initial(spec, catalog.choices("retake"), initial)
    assert initial["start_time"] == 0.0 and initial["duration"] == 2.0
    assert initial["edit_mode"] == catalog.MODES["retake"][0]
    kept = {"start_time": 1.5}
    fields.settle_initial(spec, catalog.choices("retake"), kept)
    assert kept["start_time"] == 1.5


def test_role_labels():
    assert role_label("audio_uri") == "Audio"
    assert role_label("unknown_uri") == "unknown_uri"


# --- values: form <-> API ---------------------------------------------------------------------


def test_api_params_and_form_values_are_each_others_way_back():
    spec = catalog.ENDPOINTS["text-to-video"]
    form = {"prompt": "a fox", "fps": "25", "duration": values.AUTO, "generate_audio": True}
    params = values.api_params(spec, form)
    assert params == {
        "prompt": "a fox",
        "fps": 25,
        "duration": None,
        "generate_audio": True,
        "enhance_prompt": False,  # not in the form: an unticked box
    }
    assert values.form_values(params)["duration"] == values.AUTO


def test_the_api_mode_is_edit_mode_in_the_form_both_ways():
    spec = catalog.ENDPOINTS["extend"]
    assert values.api_params(spec, {"edit_mode": "start"})["mode"] == "start"
    assert values.form_values({"mode": "start"}) == {"edit_mode": "start"}
    assert values.form_name("mode") == "edit_mode" and values.form_name("fps") == "fps"


def test_the_form_modules_import_no_cycle():
    """values <- fields <- form -> estimate -> values: the estimate never imports the form."""
    package, prefix = Path(values.__file__).parent, "ltxdash.generations.forms."

    def imported(module: str) -> set[str]:
        tree = ast.parse((package / f"{module}.py").read_text())
        names = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        return {name.removeprefix(prefix) for name in names if name.startswith(prefix)}

    assert imported("values") == set()
    assert imported("fields") == {"values"}
    assert imported("estimate") == {"values"}
    assert imported("form") == {"estimate", "fields", "values"}
