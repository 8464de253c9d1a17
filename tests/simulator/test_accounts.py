"""Per-key accounts: each API key has its own jobs, concurrency limit, credits and validity."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx
import pytest

from ltxdash.simulator.accounts import fingerprint
from ltxdash.simulator.server import SimulatorServer
from tests.support.simulator_api import T2V, submit, wait_for

KEY_A = "sk-client-a-0123456789abcdef"
KEY_B = "sk-client-b-fedcba9876543210"
SLOW = {"pending_seconds": 1, "processing_seconds": 3}


@pytest.fixture
def client_a(ltx_simulator):
    with httpx.Client(
        base_url=ltx_simulator.url, headers={"Authorization": f"Bearer {KEY_A}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def client_b(ltx_simulator):
    with httpx.Client(
        base_url=ltx_simulator.url, headers={"Authorization": f"Bearer {KEY_B}"}, timeout=30
    ) as client:
        yield client


def _error_type(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["type"]


def test_a_job_answers_only_to_the_key_that_submitted_it(client_a, client_b):
    job_id = submit(client_a)

    assert wait_for(client_a, "text-to-video", job_id)["status"] == "completed"
    foreign = client_b.get(f"/v2/text-to-video/{job_id}")
    unknown = client_b.get("/v2/text-to-video/00000000-0000-0000-0000-000000000000")

    assert _error_type(foreign, 404) == _error_type(unknown, 404) == "not_found_error"
    assert foreign.json()["error"]["message"] == unknown.json()["error"]["message"].replace(
        "00000000-0000-0000-0000-000000000000", job_id
    )
    assert set(foreign.headers) == set(unknown.headers)
    # Result files are pre-signed-like: no key needed, whoever asks.
    url = client_a.get(f"/v2/text-to-video/{job_id}").json()["result"]["video_url"]
    assert httpx.get(url).status_code == 200


def test_uploads_are_shared_by_every_key(client_a, client_b, media_dir):
    upload = client_a.post("/v1/upload").json()
    put = httpx.put(
        upload["upload_url"],
        content=(media_dir / "still.png").read_bytes(),
        headers=upload["required_headers"],
    )
    assert put.status_code == 200, put.text

    job_id = submit(client_b, "image-to-video", **T2V, image_uri=upload["storage_uri"])

    assert wait_for(client_b, "image-to-video", job_id)["status"] == "completed"


@pytest.mark.ltx_simulator(**SLOW, concurrency=2)
def test_a_key_at_its_concurrency_limit_gets_429_while_another_key_submits(
    ltx_simulator, client_a, client_b
):
    ltx_simulator.account(KEY_A, concurrency=1)
    submit(client_a)

    refused = client_a.post("/v2/text-to-video", json=T2V)

    assert _error_type(refused, 429) == "concurrency_limit_error"
    assert "limit 1" in refused.json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 4
    # Key B is unconfigured: the global limit (2), counted over its own jobs only.
    submit(client_b)
    submit(client_b)
    assert _error_type(client_b.post("/v2/text-to-video", json=T2V), 429) == (
        "concurrency_limit_error"
    )
    accounts = ltx_simulator.stats()["accounts"]
    assert accounts[fingerprint(KEY_A)]["in_flight"] == 1
    assert accounts[fingerprint(KEY_A)]["responses"] == {"429": 1}
    assert accounts[fingerprint(KEY_B)]["in_flight"] == 2

    ltx_simulator.account(KEY_A, concurrency=0)  # unlimited, for A alone
    submit(client_a)
    submit(client_a)


def test_a_key_out_of_credits_gets_402_while_another_key_submits(ltx_simulator, client_a, client_b):
    ltx_simulator.account(KEY_A, out_of_credits=True)

    assert _error_type(client_a.post("/v2/text-to-video", json=T2V), 402) == (
        "insufficient_funds_error"
    )
    assert client_b.post("/v2/text-to-video", json=T2V).status_code == 202

    # The global knob is every other key's default; an account's own setting wins over it.
    ltx_simulator.configure(out_of_credits=True, accounts={KEY_A: {"out_of_credits": False}})
    assert client_a.post("/v2/text-to-video", json=T2V).status_code == 202
    assert _error_type(client_b.post("/v2/text-to-video", json=T2V), 402) == (
        "insufficient_funds_error"
    )
    stats = ltx_simulator.stats()
    assert stats["accounts"][fingerprint(KEY_A)]["responses"] == {"402": 1}
    assert stats["accounts"][fingerprint(KEY_B)]["responses"] == {"402": 1}
    assert stats["counters"]["responses_402"] == 2


def test_an_invalid_key_gets_401_while_another_key_works(ltx_simulator, client_a, client_b):
    job_a, job_b = submit(client_a), submit(client_b)
    ltx_simulator.account(KEY_A, invalid_key=True)

    for response in (
        client_a.post("/v2/text-to-video", json=T2V),
        client_a.get(f"/v2/text-to-video/{job_a}"),
        client_a.post("/v1/upload"),
    ):
        assert _error_type(response, 401) == "authentication_error"
        assert response.json()["error"]["message"] == "Invalid API key."
    assert client_b.get(f"/v2/text-to-video/{job_b}").status_code == 200
    assert client_b.post("/v2/text-to-video", json=T2V).status_code == 202

    ltx_simulator.account(KEY_A, invalid_key=None)  # back to the global knob
    assert client_a.get(f"/v2/text-to-video/{job_a}").status_code == 200


def test_the_global_invalid_key_still_refuses_every_key(ltx_simulator, client_a, client_b, api):
    ltx_simulator.account(KEY_A, concurrency=5)  # configured, but not its validity
    ltx_simulator.configure(invalid_key=True)

    for client in (client_a, client_b, api):
        assert _error_type(client.post("/v2/text-to-video", json=T2V), 401) == (
            "authentication_error"
        )
    ltx_simulator.configure(invalid_key=False, rejected_keys=[KEY_B])
    assert client_a.post("/v2/text-to-video", json=T2V).status_code == 202
    assert _error_type(client_b.post("/v2/text-to-video", json=T2V), 401) == (
        "authentication_error"
    )


@pytest.mark.ltx_simulator(**SLOW, concurrency=1)
def test_unconfigured_keys_take_the_global_knobs(ltx_simulator, api, client_b):
    assert ltx_simulator.config()["accounts"] == {}
    submit(api)
    assert _error_type(api.post("/v2/text-to-video", json=T2V), 429) == "concurrency_limit_error"
    submit(client_b)  # its own limit of 1

    ltx_simulator.configure(concurrency=2, out_of_credits=False)
    submit(api)
    ltx_simulator.configure(out_of_credits=True)
    assert _error_type(client_b.post("/v2/text-to-video", json=T2V), 402) == (
        "insufficient_funds_error"
    )
    assert ltx_simulator.stats()["jobs"] == 3


def test_jobs_stats_and_config_name_accounts_by_fingerprint_only(ltx_simulator, client_a, client_b):
    settings = ltx_simulator.account(KEY_A, concurrency=3)
    assert settings == {"concurrency": 3}
    job_a = submit(client_a, prompt="from a")
    job_b = submit(client_b, prompt="from b")
    wait_for(client_a, "text-to-video", job_a)

    jobs = {job["id"]: job for job in ltx_simulator.jobs()}
    stats = ltx_simulator.stats()
    config = ltx_simulator.config()

    assert fingerprint(KEY_A) == ltx_simulator.fingerprint(KEY_A)
    assert len(fingerprint(KEY_A)) == 12 and fingerprint(KEY_A) != fingerprint(KEY_B)
    assert jobs[job_a]["account"] == fingerprint(KEY_A)
    assert jobs[job_b]["account"] == fingerprint(KEY_B)
    assert [job["id"] for job in ltx_simulator.jobs(key=KEY_B)] == [job_b]
    assert config["accounts"] == {fingerprint(KEY_A): {"concurrency": 3}}
    assert set(stats["accounts"]) == {fingerprint(KEY_A), fingerprint(KEY_B)}
    assert stats["accounts"][fingerprint(KEY_A)] == {
        "submits": 1,
        "submit_attempts": 1,
        "in_flight": 0,
        "polls": jobs[job_a]["polls"],
        "foreign_polls": 0,
        "responses": {},
    }
    assert stats["accounts"][fingerprint(KEY_B)]["submits"] == 1
    for document in (jobs, stats, config):
        text = json.dumps(document)
        for key in (KEY_A, KEY_B):
            assert key not in text
            assert key[:-4] not in text  # not even most of it


def test_it_counts_each_jobs_polls_by_key(ltx_simulator, client_a, client_b):
    job_id = submit(client_a)
    for _ in range(3):
        assert client_a.get(f"/v2/text-to-video/{job_id}").status_code == 200
    assert client_b.get(f"/v2/text-to-video/{job_id}").status_code == 404
    assert client_b.get("/v2/image-to-video/" + job_id).status_code == 404  # not this endpoint

    (job,) = ltx_simulator.jobs()
    accounts = ltx_simulator.stats()["accounts"]

    assert job["polls"] == 3  # the polls it answered
    assert job["polls_by_account"] == {fingerprint(KEY_A): 3, fingerprint(KEY_B): 1}
    assert accounts[fingerprint(KEY_A)] | {"in_flight": None} == {
        "submits": 1,
        "submit_attempts": 1,
        "in_flight": None,
        "polls": 3,
        "foreign_polls": 0,
        "responses": {},
    }
    assert accounts[fingerprint(KEY_B)]["foreign_polls"] == 1
    assert accounts[fingerprint(KEY_B)]["responses"] == {"404": 2}


def test_account_settings_merge_reset_and_are_checked(ltx_simulator):
    ltx_simulator.account(KEY_A, concurrency=1)
    assert ltx_simulator.account(KEY_A, out_of_credits="yes") == {
        "concurrency": 1,
        "out_of_credits": True,
    }
    assert ltx_simulator.account(KEY_A, concurrency=None) == {"out_of_credits": True}
    ltx_simulator.configure(accounts={KEY_B: {}})
    assert set(ltx_simulator.config()["accounts"]) == {fingerprint(KEY_A), fingerprint(KEY_B)}

    ltx_simulator.configure(accounts={KEY_A: None})
    assert set(ltx_simulator.config()["accounts"]) == {fingerprint(KEY_B)}

    for accounts, words in (
        ({KEY_A: {"error_rate": 1}}, "no knob 'error_rate'"),
        ({KEY_A: {"concurrency": -1}}, "may not be negative"),
        ({KEY_A: 3}, "settings are an object"),
        ({" ": {}}, "may not be empty"),
        ([KEY_A], "object of API keys"),
    ):
        response = httpx.post(f"{ltx_simulator.url}/_sim/config", json={"accounts": accounts})
        assert response.status_code == 400 and words in response.json()["error"], response.text
        assert KEY_A not in response.text

    ltx_simulator.reset()
    assert ltx_simulator.config()["accounts"] == {}
    assert ltx_simulator.stats()["accounts"] == {}


# The jobs table as the simulator made it before accounts.
_OLD_JOBS = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, body TEXT NOT NULL, prompt TEXT,
    created_at REAL NOT NULL, processing_at REAL NOT NULL, terminal_at REAL NOT NULL,
    expired_at REAL, outcome TEXT NOT NULL, error_type TEXT, error_message TEXT,
    result_key TEXT, result_name TEXT, render_key TEXT, render_spec TEXT,
    polls INTEGER NOT NULL DEFAULT 0, downloads INTEGER NOT NULL DEFAULT 0
);
"""


def test_a_state_dir_from_before_accounts_keeps_working(tmp_path):
    now = time.time()
    with sqlite3.connect(tmp_path / "simulator.sqlite3") as conn:
        conn.executescript(_OLD_JOBS)
        conn.execute(
            "INSERT INTO jobs (id, endpoint, body, prompt, created_at, processing_at, terminal_at, "
            "outcome, result_key, result_name, render_spec) VALUES "
            "('old-job', 'text-to-video', '{}', 'old', ?, ?, ?, 'completed', 'video_url', "
            "'video.mp4', '{}')",
            (now - 10, now - 9, now - 8),
        )
    conn.close()

    with SimulatorServer(tmp_path, pending_seconds=0, processing_seconds=0) as server:
        for key in (KEY_A, KEY_B):  # from before accounts: it answers to any key
            response = httpx.get(
                f"{server.url}/v2/text-to-video/old-job",
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.status_code == 200 and response.json()["status"] == "completed"
        new = httpx.post(
            f"{server.url}/v2/text-to-video", json=T2V, headers={"Authorization": f"Bearer {KEY_A}"}
        )
        assert new.status_code == 202
        jobs = {job["id"]: job for job in httpx.get(f"{server.url}/_sim/jobs").json()["jobs"]}

    assert jobs["old-job"]["account"] is None
    assert jobs["old-job"]["polls"] == 2
    assert jobs[new.json()["id"]]["account"] == fingerprint(KEY_A)
    with SimulatorServer(tmp_path) as server:  # opened again: every column is there already
        assert httpx.get(f"{server.url}/_sim/jobs").status_code == 200
