"""Benchmark: re-hosting one 512 MiB output into S3 (a local S3-compatible server).

    .venv/bin/python bench/bench_rehost_s3.py [--mib 512] [--rounds 3]

Starts moto's S3 server (``tests/support/s3server.py``, its own process on 127.0.0.1) and the
simulator (a process too), and makes one generation whose MP4 is padded to 512 MiB (the
``[size=...]`` prompt marker) go through the real dispatcher and poller up to REHOSTING, with
media on S3 (the LTXDASH_S3_* variables). Then, alternately, the baseline, ``curl -o`` of the
same result URL followed by boto3's managed transfer of that file into the same bucket
(``upload_file``, its default settings), and a full ``rehost_generation`` (download with size
and sha256 checks, probe, poster, multipart upload of both, READY), each copy in a fresh child
process; later rounds go through "copy again". Prints wall times, the ratio of medians (target
<= 1.3x the baseline) and the peak RSS growth of the re-hosting process (target <= 64 MiB:
VmHWM after minus VmRSS before, the peak mark reset just before the copy). The S3 server keeps
objects in its own process: its memory is not counted, nor is it ours.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from _support import (
    curl,
    measured_rehost,
    padded_output_at_rehosting,
    run_child,
    run_simulator_process,
    setup_django,
)

MIB = 2**20


def child(data_dir: str, sim_url: str, pk: int) -> None:
    """One measured copy, in a process of its own; prints a JSON line."""
    setup_django(data_dir, sim_url=sim_url, migrate=False, LTX_POLL_INTERVAL="0.2")
    from django.core.files.storage import default_storage

    from ltxdash.generations.models import Output

    outcome, seconds, growth = measured_rehost(pk)
    output = Output.objects.get(generation_id=pk)
    print(
        json.dumps(
            {
                "outcome": outcome,
                "seconds": seconds,
                "rss_growth_kib": growth,
                "stored_bytes": default_storage.size(output.file.name),
                "size": output.size,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("DATA_DIR", "SIM_URL", "PK"))
    args = parser.parse_args()
    if args.child:
        data_dir, sim_url, pk = args.child
        child(data_dir, sim_url, int(pk))
        return

    import os

    from tests.support.s3server import S3Server

    with tempfile.TemporaryDirectory(prefix="bench-rehost-s3-") as tmp:
        s3 = S3Server(log_path=Path(tmp) / "moto.log").start()
        try:
            bucket = s3.new_bucket()
            os.environ.update(s3.env(bucket))  # the children inherit it: media on S3
            with run_simulator_process(
                Path(tmp) / "sim", pending_seconds=0, processing_seconds=0.2, concurrency=0
            ) as sim:
                run(args, Path(tmp), sim, s3, bucket)
        finally:
            s3.stop()


def run(args: argparse.Namespace, tmp: Path, sim, s3, bucket: str) -> None:
    data_dir = tmp / "data"
    setup_django(data_dir, sim_url=sim.url, LTX_POLL_INTERVAL="0.2")
    from django_q.brokers import get_broker

    from ltxdash.generations import pipeline
    from ltxdash.generations.models import Generation

    generation = padded_output_at_rehosting(args.mib)
    url = generation.result_urls["video_url"]
    scratch = tmp / "curl.mp4"
    warm, _ = curl(url, scratch)  # renders and pads the file, warms the page cache
    print(f"output: {scratch.stat().st_size / MIB:.0f} MiB; warm-up curl {warm:.2f}s")
    scratch.unlink()
    client = s3.client()

    baseline_times, rehost_times, growths = [], [], []
    for round_number in range(1, args.rounds + 1):
        fetched, _ = curl(url, scratch)
        started = time.perf_counter()
        client.upload_file(str(scratch), bucket, "baseline.mp4")  # boto3's managed transfer
        uploaded = time.perf_counter() - started
        client.delete_object(Bucket=bucket, Key="baseline.mp4")
        scratch.unlink()
        baseline_times.append(fetched + uploaded)
        if round_number > 1:
            assert pipeline.copy_again(Generation.objects.get(pk=generation.pk))
            get_broker().purge_queue()
        result = run_child(__file__, "--child", str(data_dir), sim.url, str(generation.pk))
        assert result["outcome"] == "ready", result
        assert result["stored_bytes"] == result["size"], result
        rehost_times.append(result["seconds"])
        growths.append(result["rss_growth_kib"] / 1024)
        print(
            f"round {round_number}: curl {fetched:.2f}s + upload_file {uploaded:.2f}s = "
            f"{baseline_times[-1]:.2f}s; rehost {rehost_times[-1]:.2f}s, RSS growth "
            f"{growths[-1]:.1f} MiB, stored {result['stored_bytes'] / MIB:.2f} MiB"
        )

    ratio = statistics.median(rehost_times) / statistics.median(baseline_times)
    print(
        f"median: curl + upload_file {statistics.median(baseline_times):.2f}s, rehost "
        f"{statistics.median(rehost_times):.2f}s, ratio {ratio:.2f}x (target <= 1.3x)"
    )
    print(f"peak RSS growth: {max(growths):.1f} MiB (target <= 64 MiB)")


if __name__ == "__main__":
    main()
