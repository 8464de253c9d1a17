"""Injected faults, as a client sees them over a real socket."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.simulator_api import T2V, submit, wait_for

pytestmark = pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0)


def test_it_answers_5xx_for_the_next_n_targeted_requests(api, ltx_simulator):
    job_id = submit(api)
    ltx_simulator.configure(error_rate=1, fault_limit=2, fault_targets=["poll"])

    first, second, third = (api.get(f"/v2/text-to-video/{job_id}") for _ in range(3))

    for response in (first, second):
        assert response.status_code in (500, 503)
        assert response.json()["error"]["type"] in ("api_error", "service_unavailable")
        assert len(response.headers["x-request-id"]) == 32
    assert third.status_code == 200
    stats = ltx_simulator.stats()
    assert stats["counters"]["faults_server_error"] == 2
    assert stats["fault_budget_left"] == 0


def test_it_does_not_create_a_job_when_a_submit_gets_a_5xx(api, ltx_simulator):
    ltx_simulator.configure(error_rate=1)
    assert api.post("/v2/text-to-video", json=T2V).status_code in (500, 503)
    stats = ltx_simulator.stats()
    assert (stats["jobs"], stats["submit_attempts"]) == (0, 1)


def test_it_answers_429_rate_limit_error_with_retry_after(api, ltx_simulator):
    ltx_simulator.configure(rate_limit_rate=1, retry_after_seconds=3)

    response = api.post("/v2/text-to-video", json=T2V)

    assert response.status_code == 429
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert response.headers["Retry-After"] == "3"


def test_it_resets_a_poll_without_answering(api, ltx_simulator):
    job_id = submit(api)
    ltx_simulator.configure(reset_rate=1, fault_limit=1)

    with pytest.raises(httpx.RemoteProtocolError):
        api.get(f"/v2/text-to-video/{job_id}")
    assert api.get(f"/v2/text-to-video/{job_id}").status_code == 200


def test_it_creates_the_job_before_resetting_a_submit(api, ltx_simulator):
    ltx_simulator.configure(reset_rate=1, fault_targets=["submit"])

    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/v2/text-to-video", json={**T2V, "prompt": "lost answer"})

    assert ltx_simulator.stats()["submits_by_prompt"] == {"lost answer": 1}


def test_it_delays_targeted_requests(api, ltx_simulator):
    job_id = submit(api)
    ltx_simulator.configure(delay_seconds=0.5, fault_targets=["poll"])

    started = time.monotonic()
    assert api.get(f"/v2/text-to-video/{job_id}").status_code == 200
    assert time.monotonic() - started >= 0.5

    started = time.monotonic()
    submit(api)
    assert time.monotonic() - started < 0.5  # submits are not targeted


def test_it_truncates_downloads_below_their_content_length(api, ltx_simulator):
    url = wait_for(api, "text-to-video", submit(api))["result"]["video_url"]
    ltx_simulator.configure(truncate_rate=1, fault_limit=1)

    with pytest.raises(httpx.RemoteProtocolError), api.stream("GET", url) as response:
        assert response.status_code == 200
        declared = int(response.headers["content-length"])
        received = 0
        try:
            for chunk in response.iter_raw():
                received += len(chunk)
        finally:
            assert 0 < received < declared

    assert len(api.get(url).content) == declared
    assert ltx_simulator.stats()["counters"]["faults_truncated"] == 1


def test_it_leaves_untargeted_request_kinds_alone(api, ltx_simulator):
    ltx_simulator.configure(error_rate=1, fault_targets=["download"])
    job_id = submit(api)
    url = wait_for(api, "text-to-video", job_id)["result"]["video_url"]
    assert api.get(url).status_code in (500, 503)


def test_it_never_faults_the_control_api(ltx_simulator):
    ltx_simulator.configure(error_rate=1, reset_rate=0, delay_seconds=0)
    assert ltx_simulator.stats()["jobs"] == 0
    ltx_simulator.reset()
    assert ltx_simulator.config()["error_rate"] == 0
