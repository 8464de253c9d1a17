"""Members of a team using ltxdash, for locust (run by bench/loadtest.py, not by hand).

Each simulated member logs in through one of the deployment's web processes (LOADTEST_HOSTS,
in turn), then browses the gallery, opens clips, seeks in their videos, refreshes the create
page's status as the page does every few seconds, and now and then generates a clip.
LOADTEST_CLIPS names a JSON file of the ready clips to open: [[clip id, output id, size], ...].
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

HOSTS = os.environ.get("LOADTEST_HOSTS", "").split()
CLIPS_FILE = os.environ.get("LOADTEST_CLIPS")
CLIPS = json.loads(Path(CLIPS_FILE).read_text()) if CLIPS_FILE else []
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "member-pass-123")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HTMX = {"HX-Request": "true"}
_members = itertools.count(1)


class Member(HttpUser):
    wait_time = between(1, 4)

    def on_start(self) -> None:
        number = next(_members)
        if HOSTS:
            self.client.base_url = HOSTS[number % len(HOSTS)]
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text)
        self.client.post(
            "/accounts/login/",
            data={
                "username": f"member{number}",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token[1] if token else "",
            },
            name="log in",
        )

    def _csrf(self) -> dict[str, str]:
        return {**HTMX, "X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    @task(5)
    def gallery(self) -> None:
        self.client.get("/gallery/", name="gallery")

    @task(3)
    def open_clip(self) -> None:
        if CLIPS:
            clip, _, _ = random.choice(CLIPS)
            self.client.get(f"/gallery/{clip}/", name="clip page")

    @task(3)
    def seek(self) -> None:
        if CLIPS:
            _, output, size = random.choice(CLIPS)
            start = random.randrange(0, max(1, size - 65536))
            self.client.get(
                f"/gallery/files/{output}",
                headers={"Range": f"bytes={start}-{start + 65535}"},
                name="video seek (Range)",
            )

    @task(6)
    def refresh(self) -> None:
        self.client.get("/generations/refresh", headers=HTMX, name="status refresh")

    @task(1)
    def create_page(self) -> None:
        self.client.get("/", name="create page")

    @task(1)
    def generate(self) -> None:
        self.client.post(
            "/",
            data={
                "mode": "text-to-video",
                "prompt": f"load test clip {random.randrange(10**6)}",
                "model": "ltx-2-3-fast",
                "resolution": "1920x1080",
                "fps": "24",
                "duration": "6",
                "count": "1",
            },
            headers=self._csrf(),
            name="generate",
        )
