"""The clip page and its actions: favourite, delete."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.urls import reverse

from ltxdash.generations.models import Generation, State
from tests.factories import make_generation, make_input, make_output


def _url(clip) -> str:
    return reverse("gallery:clip", args=[clip.pk])


def test_it_shows_the_player_with_range_media_and_poster(owner_client, clip, video):
    html = owner_client.get(_url(clip)).content.decode()
    assert '<video class="player" controls preload="metadata"' in html
    assert f'src="/gallery/files/{video.pk}"' in html
    assert f'poster="/gallery/files/{video.pk}/poster"' in html


def test_it_shows_every_setting_with_labels(owner_client, owner, make_clip):
    clip = make_clip(
        owner,
        params={
            "duration": 8,
            "resolution": "1080x1920",
            "fps": 25,
            "generate_audio": False,
            "camera_motion": "dolly_in",
            "seed_like_unknown": 7,
        },
        estimated_cost="0.4800",
    )
    html = owner_client.get(_url(clip)).content.decode()
    for text in (
        "Text → Video",
        "LTX-2.3 Fast",
        "8 s",
        "1080p portrait (1080x1920)",
        "25 fps",
        "Camera motion",
        "dolly in",
        "Seed like unknown",
        "$0.48",
    ):
        assert text in html, text


def test_it_shows_timings_timeline_and_request_ids(owner_client, clip):
    html = owner_client.get(_url(clip)).content.decode()
    for text in (
        "Queued",
        "Submitted",
        "Completed at LTX",
        "Saved",
        "+1.0 s",
        "+35 s",
        "+3.0 s",
        "job_abc123",
        "req-submit-1",
        "req-poll-9",
        "req-poll-3",
        "Waiting at LTX",
    ):
        assert text in html, text


def test_it_links_the_parent_and_the_clips_made_from_it(owner_client, owner, clip, make_clip):
    child = make_clip(owner, endpoint="extend", parent=clip)
    grandparent = make_clip(owner)
    clip.parent = grandparent
    clip.save()
    html = owner_client.get(_url(clip)).content.decode()
    assert "Made from" in html and "Made from this clip" in html
    assert f'href="/gallery/{grandparent.pk}/"' in html
    assert f'href="/gallery/{child.pk}/"' in html


def test_it_offers_follow_ups_and_these_settings(owner_client, clip):
    html = owner_client.get(_url(clip)).content.decode()
    assert f'href="/?from={clip.pk}"' in html
    for slug in ("extend", "retake", "video-to-video-hdr", "video-to-video-reframe"):
        assert f'href="/?mode={slug}&amp;source={clip.pk}"' in html


def test_it_explains_a_failed_clip(owner_client, owner, make_clip):
    clip = make_clip(
        owner,
        state=State.FAILED,
        error_type="content_filtered_error",
        error_message="Prompt flagged",
    )
    response = owner_client.get(_url(clip))
    assert response.status_code == 200
    assert "safety filter" in response.content.decode()
    assert "Prompt flagged" in response.content.decode()


def test_it_lists_an_uploaded_input(owner_client, clip):
    make_input(clip, "image_uri", original_name="<b>cat</b>.png")
    html = owner_client.get(_url(clip)).content.decode()
    assert "&lt;b&gt;cat&lt;/b&gt;.png" in html


def test_it_escapes_the_prompt(owner_client, owner, make_clip):
    clip = make_clip(owner, prompt='<script>alert("x")</script>')
    html = owner_client.get(_url(clip)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_it_sets_favourite_with_htmx(owner_client, clip):
    url = reverse("gallery:favourite", args=[clip.pk])
    response = owner_client.post(url, {"favourite": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert "<html" not in response.content.decode()
    clip.refresh_from_db()
    assert clip.favourite
    owner_client.post(url, {"favourite": "0"}, headers={"HX-Request": "true"})
    clip.refresh_from_db()
    assert not clip.favourite


def test_it_sets_favourite_without_javascript_and_goes_back(owner_client, clip):
    url = reverse("gallery:favourite", args=[clip.pk])
    response = owner_client.post(url, {"favourite": "1", "next": "/gallery/?q=fox"})
    assert response.status_code == 302
    assert response["Location"] == "/gallery/?q=fox"
    offsite = owner_client.post(url, {"favourite": "1", "next": "https://evil.example/"})
    assert offsite["Location"] == _url(clip)


def test_it_asks_before_deleting(owner_client, clip):
    response = owner_client.get(reverse("gallery:delete", args=[clip.pk]))
    assert response.status_code == 200
    assert "Delete clip" in response.content.decode()
    assert Generation.objects.filter(pk=clip.pk).exists()


def test_it_deletes_the_clip_and_its_files(
    owner_client, clip, video, django_capture_on_commit_callbacks
):
    names = [video.file.name, video.poster.name]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):  # files go once the delete commits
        with_commit = owner_client.post(reverse("gallery:delete", args=[clip.pk]))
    assert with_commit.status_code == 302
    assert with_commit["Location"] == "/gallery/"
    assert not Generation.objects.filter(pk=clip.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_it_deletes_with_htmx_and_redirects_the_browser(owner_client, clip):
    response = owner_client.post(
        reverse("gallery:delete", args=[clip.pk]), headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == "/gallery/"
    assert not Generation.objects.filter(pk=clip.pk).exists()


def test_it_shows_a_clip_still_in_progress(owner_client, owner, make_clip):
    clip = make_clip(owner, state=State.PROCESSING)
    html = owner_client.get(_url(clip)).content.decode()
    assert "Generating" in html
    assert "can be shared once its video is saved" in html


def test_an_hdr_clip_offers_its_frames_for_download_and_says_what_it_was_made_from(
    owner_client, owner, clip
):
    hdr = make_generation(owner, State.READY, endpoint="video-to-video-hdr", prompt="", parent=clip)
    frames = make_output(
        hdr, label="exr_frames_url", content_type="application/zip", data=b"PK\x03\x04 frames"
    )
    html = owner_client.get(f"/gallery/{hdr.pk}/").content.decode()
    assert (
        f'href="/gallery/files/{frames.pk}/download" download>Download EXR frames (ZIP)</a>' in html
    )
    assert "once its video is saved" not in html
    assert f"HDR of clip #{clip.pk}" in html
    listing = owner_client.get("/gallery/").content.decode()
    assert "(no prompt)" not in listing and f"HDR of clip #{clip.pk}" in listing


def test_an_hdr_clip_with_its_mp4_plays_it_and_offers_both_files(owner_client, owner, clip):
    """HDR answers with an MP4 beside the EXR frames (Comfy Router): both are stored and shown."""
    hdr = make_generation(owner, State.READY, endpoint="video-to-video-hdr", prompt="", parent=clip)
    frames = make_output(
        hdr, label="exr_frames_url", content_type="application/zip", data=b"PK\x03\x04 frames"
    )
    video = make_output(hdr, label="video_url", content_type="video/mp4", data=b"....ftyp")
    html = owner_client.get(f"/gallery/{hdr.pk}/").content.decode()
    assert f'src="/gallery/files/{video.pk}"' in html  # the player
    assert f'href="/gallery/files/{video.pk}/download" download>Download</a>' in html
    assert (
        f'href="/gallery/files/{frames.pk}/download" download>Download EXR frames (ZIP)</a>' in html
    )
    assert html.count(f"/gallery/files/{frames.pk}/download") == 2  # the button and the list
