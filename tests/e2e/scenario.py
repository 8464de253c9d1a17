"""What the end-to-end test asks of the application, run as its own process:

    python -m tests.e2e.scenario create-first|create-second|create-more|snapshot|...

with ``DJANGO_SETTINGS_MODULE=tests.e2e.settings`` and the test's environment. It makes clips
the way the web views do (``pipeline.create_generations``) and prints JSON.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import django


def create_first() -> dict:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ltxdash.generations import pipeline
    from ltxdash.media import probe
    from tests.media_factory import make_audio, make_image, make_video

    users = get_user_model().objects
    alice = users.create_user("alice", password="alice-pass-123")
    bob = users.create_user("bob", password="bob-pass-123")
    t2v = {"model": "ltx-2-3-fast", "duration": 6, "resolution": "1920x1080", "fps": 24}
    made = []

    def upload(path: Path, content_type: str):
        return (
            SimpleUploadedFile(path.name, path.read_bytes(), content_type=content_type),
            probe(path),
        )

    for n in range(3):
        made += pipeline.create_generations(
            owner=alice,
            endpoint="text-to-video",
            params={**t2v, "prompt": f"alice t2v {n}"},
            inputs={},
        )
    for n in range(2):
        made += pipeline.create_generations(
            owner=bob, endpoint="text-to-video", params={**t2v, "prompt": f"bob t2v {n}"}, inputs={}
        )
    made += pipeline.create_generations(
        owner=bob,
        endpoint="text-to-video",
        params={**t2v, "duration": 2, "prompt": "bob large output [size=24M]"},
        inputs={},
    )
    with tempfile.TemporaryDirectory() as tmp:
        image = make_image(Path(tmp) / "first.png", width=640, height=360)
        made += pipeline.create_generations(  # a batch of two sharing one upload
            owner=alice,
            endpoint="image-to-video",
            params={**t2v, "duration": 2, "prompt": "alice i2v batch"},
            inputs={"image_uri": upload(image, "image/png")},
            count=2,
        )
        audio = make_audio(Path(tmp) / "tone.wav", seconds=3)
        made += pipeline.create_generations(
            owner=bob,
            endpoint="audio-to-video",
            params={"model": "ltx-2-3-pro", "prompt": "bob a2v", "resolution": "1920x1080"},
            inputs={"audio_uri": upload(audio, "audio/wav")},
        )
        clip = make_video(Path(tmp) / "sdr.mp4", seconds=1)
        made += pipeline.create_generations(
            owner=alice,
            endpoint="video-to-video-hdr",
            params={"prompt": "alice hdr"},
            inputs={"video_uri": upload(clip, "video/mp4")},
        )
    return {"created": [g.pk for g in made]}


def create_second() -> dict:
    """Clips made from a finished clip: extend and retake of a ready text-to-video output."""
    from ltxdash.generations import pipeline
    from ltxdash.generations.models import Generation, Output, State

    output = (
        Output.objects.filter(
            generation__state=State.READY,
            generation__endpoint="text-to-video",
            generation__params__duration=6,
        )
        .select_related("generation__owner")
        .first()
    )
    if output is None:
        return {"created": []}
    parent: Generation = output.generation
    made = pipeline.create_generations(
        owner=parent.owner,
        endpoint="extend",
        params={"model": "ltx-2-3-pro", "duration": 2, "prompt": f"extend of #{parent.pk}"},
        inputs={"video_uri": output},
        parent=parent,
    )
    made += pipeline.create_generations(
        owner=parent.owner,
        endpoint="retake",
        params={
            "model": "ltx-2-3-pro",
            "start_time": 1,
            "duration": 2,
            "prompt": f"retake of #{parent.pk}",
        },
        inputs={"video_uri": output},
        parent=parent,
    )
    return {"created": [g.pk for g in made]}


def snapshot() -> dict:
    from django.utils import timezone

    from ltxdash.core.models import Lease
    from ltxdash.generations.models import Generation, Output

    def iso(value):
        return value.isoformat() if value else None

    generations = [
        {
            "id": g.pk,
            "state": g.state,
            "endpoint": g.endpoint,
            "prompt": g.prompt,
            "remote_id": g.remote_id,
            "post_started_at": iso(g.post_started_at),
            "claim_until": iso(g.claim_until),
            "error": f"{g.error_type}: {g.error_message}",
            "submit_attempts": g.submit_attempts,
        }
        for g in Generation.objects.order_by("pk")
    ]
    outputs = [
        {
            "generation": o.generation_id,
            "file": o.file.name,
            "poster": o.poster.name,
            "sha256": o.sha256,
            "size": o.size,
            "content_type": o.content_type,
            "faststart_due": o.faststart_due_at is not None,
        }
        for o in Output.objects.order_by("pk")
    ]
    lease = Lease.objects.filter(name="poller").first()
    return {
        "now": timezone.now().isoformat(),
        "generations": generations,
        "outputs": outputs,
        "lease": {"holder": lease.holder, "renewed_at": iso(lease.renewed_at)} if lease else None,
    }


def create_more(count: str = "3") -> dict:
    """More text-to-video clips of alice's (made by create-first), queued now."""
    from django.contrib.auth import get_user_model

    from ltxdash.generations import pipeline

    alice = get_user_model().objects.get(username="alice")
    t2v = {"model": "ltx-2-3-fast", "duration": 6, "resolution": "1920x1080", "fps": 24}
    made = []
    for n in range(int(count)):
        made += pipeline.create_generations(
            owner=alice,
            endpoint="text-to-video",
            params={**t2v, "prompt": f"alice later t2v {n}"},
            inputs={},
        )
    return {"created": [g.pk for g in made]}


SECRET_KEY_OF_CAROL = "sk-carol-own-key-0123456789"


def secrets_setup() -> dict:
    """What needs the secret key and the encryption key: a logged-in session of alice's, and a
    workspace (carol's, with no clips) with its own LTX key, stored encrypted."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from ltxdash.workspaces import current
    from ltxdash.workspaces.models import ApiKey

    users = get_user_model().objects
    carol = users.create_user("carol", password="carol-pass-123")
    membership = current.membership(carol)
    assert membership is not None
    ApiKey.store(membership.workspace, SECRET_KEY_OF_CAROL, by=carol)
    session = SessionStore()
    session["_auth_user_id"] = str(users.get(username="alice").pk)
    session.create()
    return {"session": session.session_key}


def secrets_check(session_key: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from ltxdash.workspaces.models import ApiKey

    carol = get_user_model().objects.get(username="carol")
    key = ApiKey.objects.get(workspace__memberships__user=carol, retired_at__isnull=True)
    alice_id = SessionStore(session_key=session_key).load().get("_auth_user_id")
    return {
        "api_key_decrypts": key.secret() == SECRET_KEY_OF_CAROL,
        "session_user": get_user_model().objects.get(pk=alice_id).username if alice_id else None,
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.e2e.settings")
    django.setup()
    command, args = sys.argv[1], sys.argv[2:]
    result = {
        "create-first": create_first,
        "create-second": create_second,
        "create-more": create_more,
        "snapshot": snapshot,
        "secrets-setup": secrets_setup,
        "secrets-check": secrets_check,
    }[command](*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
