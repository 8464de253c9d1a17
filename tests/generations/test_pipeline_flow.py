from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from ltxdash import media
from ltxdash.generations import pipeline
from ltxdash.generations.models import Output, State
from tests.factories import T2V
from tests.support.pipeline import drive, local_copy, states

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("pipeline_settings")]


def test_it_takes_a_text_to_video_clip_from_queued_to_a_stored_faststart_copy(
    ltx_simulator, owner, tmp_path
):
    (generation,) = pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params=dict(T2V), inputs={}
    )

    drive(lambda: states() == [State.READY])
    # Ready with the copy as the API made it; the rewrite for streaming follows.
    drive(lambda: not Output.objects.filter(faststart_due_at__isnull=False).exists())

    generation.refresh_from_db()
    output = Output.objects.get(generation=generation)
    assert output.label == "video_url"
    assert output.content_type == "video/mp4"
    local = local_copy(output.file.name, tmp_path)
    assert media.is_faststart(local)
    assert output.width and output.height and output.duration
    assert default_storage.exists(output.poster.name)
    timeline = list(generation.events.values_list("to_state", flat=True))
    assert timeline[0] == State.QUEUED and timeline[-1] == State.READY
    assert State.REHOSTING in timeline
    (job,) = ltx_simulator.jobs()
    assert job["id"] == generation.remote_id
