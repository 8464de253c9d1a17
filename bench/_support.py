"""What the benchmarks in bench/ share: Django on a throw-away data directory, and measurements
of processes (CPU, peak RSS, a child's JSON report, ``curl``).

A script imports it as ``_support`` (a script's own folder is on ``sys.path``); importing it puts
the repository on ``sys.path`` too, so ``ltxdash`` and ``tests`` import from the checkout.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

if TYPE_CHECKING:
    from tests.fixtures.simulator import SimulatorProcess

__all__ = [
    "REPO",
    "cpu_seconds",
    "curl",
    "measured_rehost",
    "padded_output_at_rehosting",
    "page_django",
    "process_cpu_seconds",
    "run_child",
    "run_simulator_process",
    "setup_django",
    "status_kib",
]

SIM_KEY = "bench-key"


def setup_django(
    data_dir: Path | str, *, sim_url: str | None = None, migrate: bool = True, **env: str
) -> None:
    """ltxdash.settings on ``data_dir`` (SQLite database, media, secret), then django.setup()
    and, unless ``migrate=False``, migrate. With ``sim_url`` the LTX API is the simulator there
    and only errors are logged. ``env``: more environment variables, set before the setup."""
    values = {"DJANGO_SETTINGS_MODULE": "ltxdash.settings", "LTXDASH_DATA_DIR": str(data_dir)}
    if sim_url:
        values |= {
            "LTX_API_KEY": SIM_KEY,
            "LTX_API_BASE_URL": sim_url,
            "LTXDASH_LOG_LEVEL": "ERROR",
        }
    os.environ.update(values | env)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


@contextmanager
def page_django(prefix: str, database_url: str | None = None) -> Iterator[None]:
    """Django for timing pages through the test client in this process: a migrated SQLite
    database (the default deployment) in a temp data directory, removed afterwards, whatever
    DATABASE_URL says (``database_url``: that empty database instead); ``testserver`` allowed;
    plain static storage, so ``{% static %}`` serves from the tree without collectstatic."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    try:
        if database_url:
            os.environ["DATABASE_URL"] = database_url
        else:
            os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
        warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic needed
        setup_django(data_dir, DJANGO_ALLOWED_HOSTS="testserver")
        from django.conf import settings

        # Manifest storage needs collectstatic; plain storage serves {% static %} from the tree.
        settings.STORAGES["staticfiles"] = {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        }
        yield
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run_simulator_process(
    state_dir: Path, **knobs: Any
) -> AbstractContextManager[SimulatorProcess]:
    """``manage.py simulate_ltx`` in a child process (tests.fixtures.simulator's), imported
    here on use so that measured children stay lean."""
    from tests.fixtures.simulator import run_simulator_process

    return run_simulator_process(state_dir, **knobs)


def status_kib(field: str) -> int:
    """A ``kB`` field of /proc/self/status: VmRSS, VmHWM (the peak, reset by writing 5 to
    /proc/self/clear_refs)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """user + system CPU seconds of this process (or, with RUSAGE_CHILDREN, its waited-for
    children)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of another process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def curl(url: str, dest: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds of ``curl -o``."""
    cpu_before = cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(["curl", "-sS", "--fail", "-o", str(dest), url], check=True)
    return time.perf_counter() - started, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before


def run_child(*args: str) -> dict:
    """Runs this Python with ``args`` (a measurement in a fresh process) and returns the JSON
    object it printed last. A failing child's output is shown and this process exits with its
    code."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        print(done.stdout, done.stderr)
        sys.exit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])


def padded_output_at_rehosting(mib: int) -> Any:
    """One text-to-video generation whose MP4 the simulator pads to ``mib`` MiB (the
    ``[size=...]`` prompt marker), taken through the real dispatcher and poller up to REHOSTING
    (Django set up on the simulator first); its copy task is dropped from the broker, for a
    measured child to run. Returns the generation."""
    from django.contrib.auth import get_user_model
    from django_q.brokers import get_broker

    from ltxdash.generations import pipeline
    from ltxdash.generations.models import Generation, State
    from ltxdash.generations.pipeline import dispatch, poller

    owner = get_user_model().objects.create_user("bench")
    (generation,) = pipeline.create_generations(
        owner=owner,
        endpoint="text-to-video",
        params={
            "prompt": f"rehost benchmark [size={mib}MiB]",
            "model": "ltx-2-3-fast",
            "duration": 6,
            "resolution": "1920x1080",
            "fps": 25,
        },
        inputs={},
    )
    for claim in dispatch.claim_slots():
        dispatch.submit_generation(*claim)
    deadline = time.monotonic() + 300
    while Generation.objects.get(pk=generation.pk).state != State.REHOSTING:
        assert time.monotonic() < deadline, "the job did not finish"
        poller.poll_due()
        time.sleep(0.2)
    get_broker().purge_queue()  # the copy runs in the measured child instead
    generation.refresh_from_db()
    return generation


def measured_rehost(pk: int) -> tuple[str, float, int]:
    """``rehost_generation(pk)`` in this process as in a warm worker (its storage client built
    first): (outcome, wall seconds, peak RSS growth in KiB: VmHWM after minus VmRSS before, the
    peak mark reset just before)."""
    from django.core.files.storage import default_storage

    from ltxdash.generations.pipeline import rehost
    from ltxdash.generations.pipeline.clients import client_for

    client_for("transfer")
    default_storage.exists("warm-up")  # an S3 storage's client and connection, made up front
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = status_kib("VmRSS")
    started = time.perf_counter()
    outcome = rehost.rehost_generation(pk)
    seconds = time.perf_counter() - started
    return outcome, seconds, status_kib("VmHWM") - before
