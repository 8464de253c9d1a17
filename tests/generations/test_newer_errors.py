"""The newer error facts (LTX Desktop 1.3): a 403 is a refused key that pauses sending, and a
job failed as ``overloaded_error`` says LTX is busy, to try again."""

from __future__ import annotations

import pytest

from ltxdash.generations import explain, pipeline
from ltxdash.generations.models import DispatchState, State
from tests.factories import T2V, ago, make_generation
from tests.support.pipeline import drive, run_until_idle, states

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pipeline_settings"),
]
KEY = "sk-test-key"  # the pipeline settings' LTX_API_KEY


def test_a_403_pauses_the_key_like_a_401_and_resumes_once_it_works(ltx_simulator, owner):
    ltx_simulator.configure(forbidden_keys=[KEY])
    pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params=T2V, inputs={}, count=2
    )

    run_until_idle()

    pause = DispatchState.get()
    assert pause.paused and pause.reason_type == "authentication_error"
    assert "does not accept the API key" in explain.pause_reason(pause)
    assert set(states()) == {State.QUEUED}  # the clips wait; none is rejected
    assert ltx_simulator.stats()["jobs"] == 0

    ltx_simulator.configure(forbidden_keys=[])
    DispatchState.objects.update(next_probe_at=ago(1))
    drive(lambda: set(states()) == {State.READY}, timeout=30)
    assert not DispatchState.get().paused


def test_an_overloaded_job_says_ltx_is_busy_try_again(owner):
    failed = make_generation(
        owner,
        State.FAILED,
        error_type="overloaded_error",
        error_message="The service is overloaded.",
    )
    assert explain.reason(failed) == (
        "LTX is busy, try again in a few minutes. LTX said: “The service is overloaded.”"
    )
    queued = make_generation(owner, State.QUEUED, error_type="overloaded_error", submit_attempts=1)
    assert explain.reason(queued) == "LTX is busy. It will be sent again shortly."
