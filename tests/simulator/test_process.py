"""`manage.py simulate_ltx` as its own process: state shared through the state directory."""

from __future__ import annotations

import httpx

from tests.fixtures.simulator import run_simulator_process
from tests.support.simulator_api import T2V

KEY = {"Authorization": "Bearer k"}


def test_it_serves_from_a_separate_process_and_keeps_jobs_over_a_kill(tmp_path):
    with run_simulator_process(
        tmp_path, pending_seconds=0, processing_seconds=0, concurrency=5, error_rate=0
    ) as sim:
        assert sim.config()["concurrency"] == 5
        job_id = httpx.post(f"{sim.url}/v2/text-to-video", json=T2V, headers=KEY).json()["id"]

        sim.kill()  # no clean shutdown
        sim.start()

        response = httpx.get(f"{sim.url}/v2/text-to-video/{job_id}", headers=KEY)
        assert response.json()["status"] == "completed"
        video = httpx.get(response.json()["result"]["video_url"])
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        assert sim.stats()["polls"] == 1


def test_its_connections_get_a_bounded_send_buffer(tmp_path):
    """Waitress reads a file as much as a send buffer at a time (see server.py): not 4 MiB."""
    import socket
    import time

    from ltxdash.simulator.server import SimulatorServer

    with SimulatorServer(tmp_path) as server, socket.create_connection(("127.0.0.1", server.port)):
        deadline = time.monotonic() + 5
        while not (
            channels := [c for c in server._server._map.values() if hasattr(c, "sendbuf_len")]
        ):
            assert time.monotonic() < deadline, "the connection was never accepted"
            time.sleep(0.01)

        assert 1024 * 1024 <= channels[0].sendbuf_len <= 2 * 1024 * 1024


def test_an_idle_simulator_leaves_the_cpu_alone(tmp_path):
    """waitress reads asyncore_loop_timeout as whole seconds: 0.2 became 0 and the idle loop took
    half a core. Measured on the server's own thread, so the rest of the process doesn't count."""
    import threading
    import time

    from ltxdash.simulator.server import SimulatorServer

    server = SimulatorServer(tmp_path).start()
    spent: dict[str, float] = {}
    try:
        assert httpx.get(f"{server.url}/v2/models", timeout=5).status_code < 500
        loop = next(t for t in threading.enumerate() if t.name == "ltx-simulator")
        clock = time.pthread_getcpuclockid(loop.ident)
        before = time.clock_gettime(clock)
        time.sleep(2.0)
        spent["seconds"] = time.clock_gettime(clock) - before
    finally:
        server.stop()
    assert spent["seconds"] < 0.2, f"the idle loop used {spent['seconds']:.2f} s of CPU in 2 s"
