"""``python manage.py simulate_ltx --port N``: serve the LTX API simulator (see ltxdash.simulator)."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from ltxdash.simulator.server import THREADS, SimulatorServer


class Command(BaseCommand):
    help = "Serve the built-in LTX API simulator (v2 jobs, uploads, faults) until stopped."
    # The simulator needs none of the project's URLs, models or database: skipping the checks
    # keeps it starting quickly, and independent of the rest of the project.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=settings.LTXDASH_SIMULATOR_PORT)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--state-dir", type=Path, default=settings.LTXDASH_SIM_DIR, help="jobs, uploads, cache"
        )
        parser.add_argument("--pending", type=float, help="seconds a job stays pending")
        parser.add_argument("--processing", type=float, help="seconds a job stays processing")
        parser.add_argument("--retention", type=float, help="seconds a finished job stays readable")
        parser.add_argument("--concurrency", type=int, help="unfinished jobs allowed; 0 = no limit")
        parser.add_argument("--threads", type=int, default=THREADS)

    def handle(self, *args: Any, **options: Any) -> None:
        server = SimulatorServer(
            options["state_dir"],
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            pending_seconds=options["pending"],
            processing_seconds=options["processing"],
            retention_seconds=options["retention"],
            concurrency=options["concurrency"],
        )
        config = server.app.store.config()
        self.stdout.write(
            f"LTX simulator on {server.url} (state in {options['state_dir']}; "
            f"pending {config.pending_seconds:g}s, processing {config.processing_seconds:g}s, "
            f"retention {config.retention_seconds:g}s, concurrency {config.concurrency or 'unlimited'})"
        )
        self.stdout.flush()
        # SIGTERM (from `make run` or a test) stops it like Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
