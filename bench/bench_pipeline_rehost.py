"""Benchmark: re-hosting one 512 MiB output with the pipeline's rehost step.

    .venv/bin/python bench/bench_pipeline_rehost.py [--mib 512] [--rounds 3]

Starts the simulator as a separate process and makes one generation whose MP4 is padded to
512 MiB (the ``[size=...]`` prompt marker) go through the real dispatcher and poller up to
REHOSTING. Then, alternately, ``curl -o`` of the same result URL and a full
``rehost_generation`` (download with size and sha256 checks, probe, poster, storage save,
READY), each copy in a fresh child process; later rounds go through the admin's "copy again".
Prints wall times, the ratio of medians (target <= 1.3x curl) and the peak RSS growth of the
re-hosting process (target <= 64 MiB: VmHWM after minus VmRSS before, with the peak mark reset
just before the copy; the page cache is not counted).

After READY, the same child runs the follow-up rewrite for streaming (``make_streamable``: the
faststart remux, off the way to READY) and prints its time apart. The simulator pads with a
trailing ``free`` box, which the remux does not copy, so that figure is small here; a 512 MiB MP4
of real media data takes about a second more (read and write it all again, then hash it).
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
    from ltxdash.generations.models import Output
    from ltxdash.generations.pipeline import faststart

    outcome, seconds, growth = measured_rehost(pk)
    output = Output.objects.get(generation_id=pk)
    stored = output.size
    started = time.perf_counter()
    rewrite = faststart.make_streamable(output.pk)
    rewrite_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "outcome": outcome,
                "seconds": seconds,
                "rss_growth_kib": growth,
                "stored_bytes": stored,
                "rewrite": rewrite,
                "rewrite_seconds": rewrite_seconds,
                "rewritten_bytes": Output.objects.get(pk=output.pk).size,
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

    with (
        tempfile.TemporaryDirectory(prefix="bench-rehost-") as tmp,
        run_simulator_process(
            Path(tmp) / "sim", pending_seconds=0, processing_seconds=0.2, concurrency=0
        ) as sim,
    ):
        data_dir = Path(tmp) / "data"
        setup_django(data_dir, sim_url=sim.url, LTX_POLL_INTERVAL="0.2")
        from django_q.brokers import get_broker

        from ltxdash.generations import pipeline
        from ltxdash.generations.models import Generation

        generation = padded_output_at_rehosting(args.mib)
        url = generation.result_urls["video_url"]
        scratch = Path(tmp) / "curl.mp4"
        warm, _ = curl(url, scratch)  # renders and pads the file, warms the page cache
        print(f"output: {scratch.stat().st_size / MIB:.0f} MiB; warm-up curl {warm:.2f}s")
        scratch.unlink()

        curl_times, rehost_times, growths = [], [], []
        for round_number in range(1, args.rounds + 1):
            curl_times.append(curl(url, scratch)[0])
            scratch.unlink()
            if round_number > 1:
                assert pipeline.copy_again(Generation.objects.get(pk=generation.pk))
                get_broker().purge_queue()
            result = run_child(__file__, "--child", str(data_dir), sim.url, str(generation.pk))
            assert result["outcome"] == "ready", result
            rehost_times.append(result["seconds"])
            growths.append(result["rss_growth_kib"] / 1024)
            print(
                f"round {round_number}: curl {curl_times[-1]:.2f}s, rehost "
                f"{rehost_times[-1]:.2f}s, RSS growth {growths[-1]:.1f} MiB, stored "
                f"{result['stored_bytes'] / MIB:.2f} MiB; then the faststart rewrite "
                f"({result['rewrite']}) {result['rewrite_seconds']:.2f}s -> "
                f"{result['rewritten_bytes'] / MIB:.2f} MiB"
            )

    ratio = statistics.median(rehost_times) / statistics.median(curl_times)
    print(
        f"median: curl {statistics.median(curl_times):.2f}s, rehost "
        f"{statistics.median(rehost_times):.2f}s, ratio {ratio:.2f}x (target <= 1.3x)"
    )
    print(f"peak RSS growth: {max(growths):.1f} MiB (target <= 64 MiB)")


if __name__ == "__main__":
    main()
