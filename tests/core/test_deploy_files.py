"""The example deployment in deploy/ (systemd units, gunicorn's settings, the environment file)
stays runnable and documented. The nginx site runs for real in tests/e2e/test_nginx.py."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
README = (REPO / "README.md").read_text()
APP = "/srv/ltxdash/app"


def _configuration_table() -> set[str]:
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", section, re.M))


def _exec_lines(unit: Path) -> list[list[str]]:
    lines = re.findall(r"^Exec\w+=(.+)$", unit.read_text(), re.M)
    return [shlex.split(line) for line in lines]


def test_the_units_are_the_ones_the_readme_names():
    assert [u.name for u in UNITS] == [
        "ltxdash-backup.service",
        "ltxdash-backup.timer",
        "ltxdash-web.service",
        "ltxdash-worker@.service",
        "ltxdash.service",
    ]
    for unit in UNITS:
        assert f"deploy/systemd/{unit.name}" in README, unit.name


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"], ids=lambda u: u.name)
def test_every_manage_command_a_unit_runs_exists(unit: Path):
    ran = []
    for argv in _exec_lines(unit):
        if argv[:2] == ["/bin/sh", "-c"]:
            argv = shlex.split(argv[2])[1:]  # exec python manage.py ...
        if len(argv) > 1 and argv[1] == "manage.py":
            assert argv[0] == f"{APP}/.venv/bin/python", argv
            assert argv[2] in get_commands(), f"{unit.name}: no command {argv[2]!r}"
            ran.append(argv[2])
    assert ran or unit.name == "ltxdash-web.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_every_unit_with_this_checkout_in_place_of_srv(tmp_path: Path):
    """``systemd-analyze verify``: syntax, known settings, and that each command exists and is
    executable, once /srv/ltxdash/app is this checkout and its .venv this interpreter's."""
    env_file = tmp_path / "ltxdash.env"
    env_file.write_text((DEPLOY / "ltxdash.env").read_text())
    venv_bin = str(Path(sys.executable).parent)
    for unit in UNITS:
        text = unit.read_text()
        text = text.replace(f"{APP}/.venv/bin", venv_bin).replace(APP, str(REPO))
        text = text.replace("/etc/ltxdash/ltxdash.env", str(env_file))
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
    )
    # Warnings about the machine itself (no systemd running here) are not the units' fault.
    problems = [
        line
        for line in done.stderr.splitlines()
        if str(tmp_path) in line or "ltxdash" in line.lower()
    ]
    assert done.returncode == 0 and not problems, done.stderr


def test_gunicorns_settings_load_and_match_the_recipe(tmp_path: Path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--print-config",
            "-c",
            "deploy/gunicorn.conf.py",
            "ltxdash.wsgi",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "WEB_CONCURRENCY": "3"},
    )
    assert done.returncode == 0, done.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", done.stdout, re.M))
    assert config["bind"] == "['127.0.0.1:8000']"
    assert config["workers"] == "3"
    assert config["worker_class"] == "gthread"
    assert config["logger_class"] == "ltxdash.core.gunicorn_logging.GunicornLogger"
    assert config["forwarded_allow_ips"] == "['127.0.0.1']"
    assert "gunicorn ltxdash.wsgi -c deploy/gunicorn.conf.py" in README


def test_every_variable_the_settings_read_is_in_the_readme():
    source = "\n".join(p.read_text() for p in (REPO / "ltxdash").rglob("*.py"))
    read = set(re.findall(r"\benv_\w+\(\s*\"([A-Z][A-Z0-9_]+)\"", source))
    assert len(read) > 30
    assert read - _configuration_table() == set()


def test_the_example_environment_names_only_documented_variables():
    text = (DEPLOY / "ltxdash.env").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.M))
    assert {"LTX_API_KEY", "DATABASE_URL", "LTXDASH_S3_BUCKET", "LTXDASH_HTTPS"} <= named
    assert named - _configuration_table() == set()


def test_the_nginx_sites_upload_limit_is_the_members_request_limit(settings):
    site = (DEPLOY / "nginx" / "ltxdash.conf").read_text()
    create = site.split("location = / {", 1)[1].split("}", 1)[0]
    mib = int(re.search(r"client_max_body_size (\d+)m;", create)[1])
    limit = int(settings.LTXDASH_MAX_REQUEST_BYTES)
    assert limit <= mib * 1024 * 1024 < limit + 1024 * 1024
    assert re.search(r"^    client_max_body_size  1m;", site, re.M)  # everything else


def test_every_folder_a_unit_may_write_is_made_by_the_readmes_install_steps():
    """systemd refuses to start a unit whose ReadWritePaths is missing (226/NAMESPACE)."""
    made = set()
    for line in re.findall(r"^install -d .*$", README, re.M):
        made |= {word for word in line.split() if word.startswith("/srv/")}
    for unit in UNITS:
        for paths in re.findall(r"^ReadWritePaths=(.+)$", unit.read_text(), re.M):
            for path in paths.split():
                assert path.lstrip("-") in made, f"{unit.name}: {path} is never made"
