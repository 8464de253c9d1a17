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
        with self.client.post(
            "/accounts/login/",
            data={
                "username": f"member{number}",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token[1] if token else "",
            },
            name="log in",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:  # the form again: not logged in
                answer.failure(f"login as member{number} answered {answer.status_code}")

    def _get(self, path: str, name: str, ok: tuple[int, ...] = (200,), **kwargs) -> None:
        """A request that counts as an error unless answered ``ok``: a redirect to the login
        page (a lost session) is an error, not a page."""
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as answer:
            if answer.status_code not in ok:
                answer.failure(f"{answer.status_code} {answer.headers.get('Location', '')}")

    def _csrf(self) -> dict[str, str]:
        return {**HTMX, "X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    @task(5)
    def gallery(self) -> None:
        self._get("/gallery/", "gallery")

    @task(3)
    def open_clip(self) -> None:
        if CLIPS:
            clip, _, _ = random.choice(CLIPS)
            self._get(f"/gallery/{clip}/", "clip page")

    @task(3)
    def seek(self) -> None:
        if CLIPS:
            _, output, size = random.choice(CLIPS)
            start = random.randrange(0, max(1, size - 65536))
            # 206 from Django (or nginx); with media on S3, a presigned redirect to the bucket.
            self._get(
                f"/gallery/files/{output}",
                "video seek (Range)",
                ok=(206, 302),
                headers={"Range": f"bytes={start}-{start + 65535}"},
            )

    @task(6)
    def refresh(self) -> None:
        self._get("/generations/refresh", "status refresh", ok=(200, 204), headers=HTMX)

    @task(1)
    def create_page(self) -> None:
        self._get("/", "create page")

    @task(1)
    def generate(self) -> None:
        with self.client.post(
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
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")
