"""DraftEstimate: the cost of what the create form holds while it is being filled in."""

from __future__ import annotations

import pytest

from ltxdash.generations.forms import MAX_COUNT, DraftEstimate, GenerateForm, PickedClips
from ltxdash.generations.forms import estimate as draft
from ltxdash.ltx import catalog
from tests.factories import make_clip, make_placeholder_clip

pytestmark = pytest.mark.django_db
T2V = {"model": "ltx-2-3-fast", "resolution": "1280x720", "fps": "24", "duration": "10"}


def estimate_for(owner, endpoint: str, values: dict, **kwargs) -> DraftEstimate:
    spec = catalog.ENDPOINTS[endpoint]
    role = GenerateForm(endpoint=endpoint, owner=owner).clip_role
    return DraftEstimate(spec, values, picked=PickedClips(owner, role), **kwargs)


def test_it_prices_one_take_and_all_of_them(owner):
    summary = estimate_for(owner, "text-to-video", {**T2V, "count": "3"}).summary()
    each = catalog.estimate_cost("text-to-video", {**T2V, "fps": 24, "duration": 10})
    assert summary["each"] == each and summary["total"] == each * 3 and summary["count"] == 3
    assert set(summary) == {"each", "total", "count", "seconds", "rate", "confirmed", "note"}


@pytest.mark.parametrize(("count", "counted"), [("0", 1), ("", 1), ("x", 1), ("99", MAX_COUNT)])
def test_the_count_stays_within_the_takes_offered(owner, count, counted):
    assert estimate_for(owner, "text-to-video", {**T2V, "count": count}).count() == counted


def test_cleaned_values_take_the_place_of_the_raw_ones(owner):
    raw = {**T2V, "duration": "nonsense"}
    cleaned = {"duration": "10"}
    priced = estimate_for(owner, "text-to-video", raw, cleaned=cleaned).summary()
    assert priced["seconds"] == 10


def test_it_says_why_there_is_no_price(owner):
    auto = estimate_for(owner, "text-to-video", {**T2V, "duration": "auto"}).summary()
    assert auto == {"unknown": draft.AUTOMATIC_LENGTH}
    assert estimate_for(owner, "retake", {}).summary() == {"unknown": draft.NEEDS_INPUT_LENGTH}


def test_inputs_come_from_a_picked_clip_or_what_the_page_measured(owner, django_assert_num_queries):
    clip = make_placeholder_clip(owner, seconds=5.0)
    picked = estimate_for(owner, "retake", {"source": str(clip.pk)})
    with django_assert_num_queries(2):  # the clip and its outputs, once
        assert picked.infos()["video_uri"].duration == 5.0
        assert picked.infos()["video_uri"].duration == 5.0
    measured = estimate_for(owner, "audio-to-video", {"audio_uri_meta": "6.00::"})
    assert measured.infos()["audio_uri"].duration == 6.0
    known = estimate_for(
        owner, "retake", {"source": str(clip.pk)}, known_inputs=picked.infos()
    ).infos()
    assert known["video_uri"] is picked.infos()["video_uri"]


def test_a_still_smaller_than_the_resolution_gets_a_note(owner, tmp_path):
    clip = make_clip(owner)  # a real 320x180 video and poster
    values = {"source": str(clip.pk), "resolution": "1920x1080"}
    note = estimate_for(owner, "image-to-video", values).still_note()
    assert f"The still of #{clip.pk} is 320x180, smaller than 1920x1080" in note
    small = {**values, "resolution": "320x180"}
    assert estimate_for(owner, "image-to-video", small).still_note() == ""
    assert estimate_for(owner, "extend", values).still_note() == ""  # a video, not a still


def test_the_form_hands_its_values_to_the_estimate(owner):
    form = GenerateForm(endpoint="text-to-video", owner=owner, initial={**T2V, "count": 2})
    assert form.draft().summary() == form.estimate()
    assert form.draft().count() == 2
