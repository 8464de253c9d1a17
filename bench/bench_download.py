"""Benchmark: downloading one 512 MiB output with LTXClient.download over loopback.

Starts the simulator as a separate process, asks it for a job whose MP4 is padded to 512 MiB
(the ``[size=...]`` prompt marker), then alternates ``curl -o`` and ``LTXClient.download`` of the
same URL into the same folder. Prints wall and CPU times (the client's CPU includes the SHA-256
it computes on the way, which curl does not), the ratio of median wall times (target <= 1.3x
curl) and the peak RSS growth of the downloading process (target <= 64 MiB). The simulator
shares this machine's cores with both downloaders, so run it on a quiet machine.

    .venv/bin/python bench/bench_download.py [--mib 512] [--rounds 5]

How memory is measured: each client download runs in a fresh child process (so nothing the
parent did counts), which imports everything and builds the client first, then resets the
kernel's peak-RSS mark (``echo 5 > /proc/self/clear_refs``), reads VmRSS, downloads, and reads
VmHWM. Growth = VmHWM after - VmRSS before: the most memory the download itself ever held.
The written file lives in the page cache, which is not counted in a process's RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from _support import (
    cpu_seconds,
    curl,
    process_cpu_seconds,
    run_child,
    run_simulator_process,
    status_kib,
)

from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.egress import origin_of

KEY = "bench-key"
MIB = 2**20


def child(url: str, dest: Path, max_bytes: int) -> None:
    """One measured download; prints a JSON line for the parent."""
    # The simulator's files are on loopback: allowed as the API's own origin would be.
    with LTXClient(KEY, "http://127.0.0.1:9", result_origins=[origin_of(url)]) as client:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        before = status_kib("VmRSS")
        cpu_before = cpu_seconds(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = client.download(url, dest, max_bytes=max_bytes, deadline_seconds=600)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu_before
        peak = status_kib("VmHWM")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "rss_before_kib": before,
                "rss_growth_kib": peak - before,
                "size": result.size,
                "sha256": result.sha256,
                "path": str(result.path),
            }
        )
    )


def output_url(base_url: str, mib: int) -> str:
    body = {
        "prompt": f"download benchmark [size={mib}MiB]",
        "model": "ltx-2-3-fast",
        "duration": 6,
        "resolution": "1920x1080",
        "fps": 25,
    }
    with LTXClient(KEY, base_url) as client:
        job = client.submit("text-to-video", body)
        deadline = time.monotonic() + 300
        while True:
            status = client.get_status("text-to-video", job.id)
            if status.is_terminal:
                break
            if time.monotonic() > deadline:
                raise SystemExit("the benchmark job did not finish")
            time.sleep(0.2)
    if status.status != "completed":
        raise SystemExit(f"the benchmark job failed: {status.error}")
    return status.result["video_url"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(4 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("URL", "DEST", "MAX_BYTES"))
    args = parser.parse_args()
    if args.child:
        url, dest, max_bytes = args.child
        child(url, Path(dest), int(max_bytes))
        return

    # The same disk for both: one scratch folder next to the repository's data.
    with (
        tempfile.TemporaryDirectory(prefix="bench-download-") as tmp,
        run_simulator_process(
            Path(tmp) / "sim", pending_seconds=0, processing_seconds=0.2, concurrency=0
        ) as simulator,
    ):
        tmp_path = Path(tmp)
        server_pid = simulator.process.pid
        url = output_url(simulator.url, args.mib)
        out = tmp_path / "out"
        out.mkdir()
        reference = out / "reference.mp4"
        warm, _ = curl(url, reference)  # renders the file and warms the page cache
        size = reference.stat().st_size
        expected_sha = sha256_of(reference)
        reference.unlink()
        print(f"output: {size / MIB:.0f} MiB; warm-up curl {warm:.2f}s")

        curl_times, client_times, growths = [], [], []
        for round_number in range(1, args.rounds + 1):
            target = out / "curl.mp4"
            server_before = process_cpu_seconds(server_pid)
            seconds, curl_cpu = curl(url, target)
            curl_server = process_cpu_seconds(server_pid) - server_before
            curl_times.append(seconds)
            target.unlink()
            server_before = process_cpu_seconds(server_pid)
            result = run_child(__file__, "--child", url, str(out), str(size + MIB))
            client_server = process_cpu_seconds(server_pid) - server_before
            Path(result["path"]).unlink()
            if result["size"] != size or result["sha256"] != expected_sha:
                raise SystemExit("the client's copy differs from curl's")
            client_times.append(result["seconds"])
            growths.append(result["rss_growth_kib"] / 1024)
            print(
                f"round {round_number}: curl {curl_times[-1]:.2f}s "
                f"(CPU {curl_cpu:.2f}s, server {curl_server:.2f}s); "
                f"LTXClient.download {client_times[-1]:.2f}s "
                f"(CPU {result['cpu']:.2f}s, server {client_server:.2f}s, "
                f"{size / MIB / client_times[-1]:.0f} MiB/s); "
                f"peak RSS growth {growths[-1]:.1f} MiB "
                f"(from {result['rss_before_kib'] / 1024:.0f} MiB)"
            )

    ratio = statistics.median(client_times) / statistics.median(curl_times)
    print(
        f"median: curl {statistics.median(curl_times):.2f}s, client "
        f"{statistics.median(client_times):.2f}s -> {ratio:.2f}x curl "
        f"({'meets' if ratio <= 1.3 else 'MISSES'} the 1.3x target); "
        f"max peak RSS growth {max(growths):.1f} MiB "
        f"({'meets' if max(growths) <= 64 else 'MISSES'} the 64 MiB target)"
    )


if __name__ == "__main__":
    main()
