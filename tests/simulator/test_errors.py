"""The API's refusals: keys, validation, content markers, credits and the concurrency limit."""

from __future__ import annotations

import pytest

from tests.support.simulator_api import T2V, submit, wait_for


def _error(response, status: int, error_type: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert len(response.headers["x-request-id"]) == 32
    return body["error"]["message"]


def test_it_answers_401_without_a_bearer_key(ltx_simulator):
    import httpx

    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        response = httpx.post(f"{ltx_simulator.url}/v2/text-to-video", json=T2V, headers=headers)
        assert "Authorization" in _error(response, 401, "authentication_error")
    assert ltx_simulator.stats()["jobs"] == 0


def test_it_answers_401_for_invalid_and_rejected_keys(api, ltx_simulator):
    job_id = submit(api)
    other = {"Authorization": "Bearer other"}
    other_job = submit(api, headers=other)

    ltx_simulator.configure(invalid_key=True)
    _error(api.get(f"/v2/text-to-video/{job_id}"), 401, "authentication_error")
    _error(api.post("/v1/upload"), 401, "authentication_error")
    _error(api.get(f"/v2/text-to-video/{other_job}", headers=other), 401, "authentication_error")

    ltx_simulator.configure(invalid_key=False, rejected_keys=["sim-test-key"])
    _error(api.post("/v2/text-to-video", json=T2V), 401, "authentication_error")
    _error(api.get(f"/v2/text-to-video/{job_id}"), 401, "authentication_error")
    assert api.get(f"/v2/text-to-video/{other_job}", headers=other).status_code == 200


def test_it_answers_403_for_forbidden_keys(api, ltx_simulator):
    job_id = submit(api)
    ltx_simulator.configure(forbidden_keys=["sim-test-key"])

    _error(api.post("/v2/text-to-video", json=T2V), 403, "permission_error")
    _error(api.get(f"/v2/text-to-video/{job_id}"), 403, "permission_error")
    assert (
        api.post("/v2/text-to-video", json=T2V, headers={"Authorization": "Bearer b"}).status_code
        == 202
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object"), (b"", "JSON object")],
)
def test_it_answers_400_for_a_body_that_is_not_a_json_object(api, content, expected):
    response = api.post(
        "/v2/text-to-video", content=content, headers={"Content-Type": "application/json"}
    )
    assert expected in _error(response, 400, "invalid_request_error")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration": None}, "duration"),
        ({"duration": 7}, "duration"),
        ({"model": "ltx-9-ultra"}, "model"),
        ({"resolution": "1234x567"}, "resolution"),
        # The newer rules, enforced here too (the catalog decides for both).
        ({"resolution": "1080x1080"}, "resolution"),  # 1:1 is LTX-2.5's only
        ({"enhance_prompt": "sometimes"}, "enhance_prompt"),
    ],
)
def test_it_answers_400_naming_the_field_the_catalog_refuses(api, ltx_simulator, changes, field):
    body = {k: v for k, v in {**T2V, **changes}.items() if v is not None}

    message = _error(api.post("/v2/text-to-video", json=body), 400, "invalid_request_error")

    assert message.startswith(f"{field}: ")
    assert ltx_simulator.stats()["jobs"] == 0


def test_it_refuses_inputs_that_are_neither_uploads_data_nor_https(api):
    for uri, words in (
        ("http://example.com/a.png", "https URL"),
        ("ltx://uploads/0123abcd", "No upload"),
        ("data:image/png;base64,@@@", "base64"),
        ("data:image/png;base64,aGVsbG8=", "image_uri: "),  # decodes, but is no image
    ):
        body = {**T2V, "image_uri": uri}
        message = _error(api.post("/v2/image-to-video", json=body), 400, "invalid_request_error")
        assert "image_uri" in message and words in message


def test_it_accepts_https_inputs_without_fetching_them(api):
    job_id = submit(api, "image-to-video", **T2V, image_uri="https://example.com/still.png")
    assert wait_for(api, "image-to-video", job_id)["status"] == "completed"


def test_it_answers_413_for_an_oversized_data_uri(api):
    body = {**T2V, "image_uri": "data:image/png;base64," + "A" * 7_000_004}
    assert "data: URI" in _error(
        api.post("/v2/image-to-video", json=body), 413, "request_too_large"
    )


def test_it_rejects_a_prompt_marked_reject_with_422(api, ltx_simulator):
    response = api.post("/v2/text-to-video", json={**T2V, "prompt": "a scene [reject]"})
    _error(response, 422, "content_filtered_error")
    assert ltx_simulator.stats()["jobs"] == 0


@pytest.mark.parametrize(
    ("marker", "error_type"),
    [
        ("[filter]", "content_filtered_error"),
        ("[funds]", "insufficient_funds_error"),
        ("[fail]", "api_error"),
        ("[busy]", "overloaded_error"),
    ],
)
def test_it_fails_a_marked_job_after_accepting_it(api, marker, error_type):
    job_id = submit(api, prompt=f"a quiet harbour {marker}")

    failed = wait_for(api, "text-to-video", job_id)

    assert failed["status"] == "failed"
    assert set(failed) == {"id", "status", "created_at", "completed_at", "error"}
    assert failed["error"]["type"] == error_type and failed["error"]["message"]


def test_it_answers_402_when_out_of_credits(api, ltx_simulator):
    ltx_simulator.configure(out_of_credits=True)
    _error(api.post("/v2/text-to-video", json=T2V), 402, "insufficient_funds_error")

    ltx_simulator.configure(out_of_credits=False)
    assert api.post("/v2/text-to-video", json=T2V).status_code == 202


@pytest.mark.ltx_simulator(pending_seconds=1, processing_seconds=3, concurrency=2)
def test_it_answers_429_over_the_concurrency_limit(api, ltx_simulator):
    submit(api)
    submit(api)

    response = api.post("/v2/text-to-video", json=T2V)

    _error(response, 429, "concurrency_limit_error")
    assert 1 <= int(response.headers["Retry-After"]) <= 4
    stats = ltx_simulator.stats()
    assert (stats["in_flight"], stats["jobs"], stats["submit_attempts"]) == (2, 2, 3)
    assert stats["submit_attempts_by_prompt"] == {T2V["prompt"]: 3}

    ltx_simulator.configure(concurrency=0)
    assert api.post("/v2/text-to-video", json=T2V).status_code == 202


@pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0.5, concurrency=1)
def test_it_frees_a_concurrency_slot_when_a_job_finishes(api):
    wait_for(api, "text-to-video", submit(api))
    assert api.post("/v2/text-to-video", json=T2V).status_code == 202


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("image-to-video", {"model": "ltx-2-5-fast", "duration": None}, "duration"),
        ("audio-to-video", {"fps": 30}, "fps"),
        ("audio-to-video", {"model": "ltx-2-5-pro", "resolution": "3840x2160"}, "resolution"),
        ("video-to-video-hdr", {"output_colorspace": "rec709"}, "output_colorspace"),
        ("video-to-video-reframe", {"resolution": "8192x720"}, "resolution"),
        ("video-to-video-reframe", {"resolution": "720x720", "placement": "middle"}, "placement"),
    ],
)
def test_it_refuses_what_the_newer_rules_refuse(api, ltx_simulator, endpoint, body, field):
    inputs = {
        "image-to-video": {
            **T2V,
            "image_uri": "https://e.com/a.png",
            "last_frame_uri": "https://e.com/b.png",
        },
        "audio-to-video": {"audio_uri": "https://e.com/a.wav", "prompt": "x"},
        "video-to-video-hdr": {"video_uri": "https://e.com/v.mp4"},
        "video-to-video-reframe": {"video_uri": "https://e.com/v.mp4"},
    }[endpoint]

    message = _error(
        api.post(f"/v2/{endpoint}", json={**inputs, **body}), 400, "invalid_request_error"
    )

    assert f"{field}: " in message
    assert ltx_simulator.stats()["jobs"] == 0


def test_it_answers_404_and_405_for_other_routes(api):
    _error(api.get("/v2/text-to-nothing/abc"), 404, "not_found_error")
    _error(api.get("/v2/text-to-video"), 405, "invalid_request_error")


def test_it_refuses_unknown_knobs(ltx_simulator):
    import httpx

    response = httpx.post(f"{ltx_simulator.url}/_sim/config", json={"error_rat": 1})
    assert response.status_code == 400 and "error_rat" in response.json()["error"]
    response = httpx.post(f"{ltx_simulator.url}/_sim/config", json={"error_rate": 2})
    assert response.status_code == 400 and "between 0 and 1" in response.json()["error"]
