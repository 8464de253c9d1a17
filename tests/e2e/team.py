"""What the deployment test and the load test ask of the application, run as its own process:

    python -m tests.e2e.team members N      a workspace "Studio" with N creators: member1 ...
    python -m tests.e2e.team background N   N clips queued by a member of their own (jobs kept in flight)
    python -m tests.e2e.team snapshot       every clip's state, output and upstream id; the lease

with the deployment's environment (``DJANGO_SETTINGS_MODULE=tests.e2e.settings``). Prints JSON.
"""

from __future__ import annotations

import json
import os
import sys

import django

PASSWORD = "member-pass-123"


def members(count: int) -> dict:
    from django.contrib.auth import get_user_model

    from ltxdash.workspaces import current
    from ltxdash.workspaces.models import Membership, Role, Workspace

    workspace = Workspace.objects.create(name="Studio", slug="studio", time_zone="UTC")
    names = []
    for n in range(1, count + 1):
        user = get_user_model().objects.create_user(f"member{n}", password=PASSWORD)
        Membership.objects.create(workspace=workspace, user=user, role=Role.CREATOR)
        current.choose(user, workspace)
        names.append(user.username)
    return {"members": names, "password": PASSWORD, "workspace": workspace.pk}


def background(count: int) -> dict:
    from django.contrib.auth import get_user_model

    from ltxdash.generations import pipeline
    from ltxdash.workspaces.models import Membership, Role, Workspace

    # A member of its own, so that the members who browse and generate are not held to the
    # per-member cap by a thousand clips they did not make.
    workspace = Workspace.objects.get(slug="studio")
    owner, new = get_user_model().objects.get_or_create(username="background")
    if new:
        Membership.objects.create(workspace=workspace, user=owner, role=Role.CREATOR)
    made = pipeline.create_generations(
        owner=owner,
        workspace=workspace,
        endpoint="text-to-video",
        params={
            "model": "ltx-2-3-fast",
            "duration": 6,
            "resolution": "1920x1080",
            "fps": 24,
            "prompt": "background load",
        },
        inputs={},
        count=count,
    )
    return {"created": [g.pk for g in made]}


def snapshot() -> dict:
    from django.utils import timezone

    from ltxdash.core.health import POLLER_LEASE
    from ltxdash.core.models import Lease
    from ltxdash.generations.models import Generation

    lease = Lease.objects.filter(name=POLLER_LEASE).first()
    return {
        "now": timezone.now().isoformat(),
        "poller": lease.holder if lease and lease.expires_at > timezone.now() else None,
        "generations": [
            {
                "id": g.pk,
                "state": g.state,
                "remote_id": g.remote_id,
                "prompt": g.prompt,
                "outputs": {o.label: (o.pk, o.size, o.sha256) for o in g.outputs.all()},
            }
            for g in Generation.objects.prefetch_related("outputs").order_by("id")
        ],
    }


def main() -> None:
    sys.path.insert(0, os.getcwd())
    django.setup()
    command, *args = sys.argv[1:]
    commands = {"members": members, "background": background, "snapshot": snapshot}
    result = commands[command](*(int(a) for a in args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
