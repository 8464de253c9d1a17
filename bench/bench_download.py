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
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ltxdash.ltx.client import LTXClient  # noqa: E402

KEY = "bench-key"
MIB = 2**20


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of another process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(url: str, dest: Path, max_bytes: int) -> None:
    """One measured download; prints a JSON line for the parent."""
    with LTXClient(KEY, "http://127.0.0.1:9") as client:
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(state_dir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, str(REPO / "manage.py"), "simulate_ltx", "--port", str(port),
        "--state-dir", str(state_dir), "--pending", "0", "--processing", "0.2",
        "--concurrency", "0",
    ]  # fmt: skip
    env = {
        **os.environ,
        "LTXDASH_DATA_DIR": str(state_dir / "data"),
        "LTXDASH_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_sim/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the simulator did not start")
        time.sleep(0.1)


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


def curl(url: str, dest: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds of ``curl -o``."""
    cpu_before = cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(["curl", "-sS", "--fail", "-o", str(dest), url], check=True)
    return time.perf_counter() - started, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before


def measured_download(url: str, dest: Path, max_bytes: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", url, str(dest), str(max_bytes)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


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
    with tempfile.TemporaryDirectory(prefix="bench-download-") as tmp:
        tmp_path = Path(tmp)
        port = free_port()
        simulator = start_simulator(tmp_path / "sim", port)
        try:
            url = output_url(f"http://127.0.0.1:{port}", args.mib)
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
                server_before = process_cpu_seconds(simulator.pid)
                seconds, curl_cpu = curl(url, target)
                curl_server = process_cpu_seconds(simulator.pid) - server_before
                curl_times.append(seconds)
                target.unlink()
                server_before = process_cpu_seconds(simulator.pid)
                result = measured_download(url, out, max_bytes=size + MIB)
                client_server = process_cpu_seconds(simulator.pid) - server_before
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
        finally:
            simulator.terminate()
            simulator.wait(timeout=10)

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
