"""The create page: modes, choices, the estimate, validation, submitting, prefills, access."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ltxdash.generations.models import DispatchState, Generation, GenerationInput, State
from ltxdash.ltx.catalog import data as catalog_data
from tests.factories import make_generation, make_input, make_placeholder_clip
from tests.media_factory import make_image, make_video
from tests.support.pages import HTMX, field_html

pytestmark = pytest.mark.django_db
T2V = {
    "mode": "text-to-video",
    "prompt": "A lighthouse in a storm, waves breaking",
    "model": "ltx-2-3-fast",
    "resolution": "1920x1080",
    "fps": "24",
    "duration": "6",
    "generate_audio": "on",
    "enhance_prompt": "on",
    "count": "1",
}


# --- helpers ---------------------------------------------------------------------------------


def upload(
    tmp_path, name: str, data: bytes | None = None, content_type: str = ""
) -> SimpleUploadedFile:
    path = tmp_path / name
    return SimpleUploadedFile(name, data if data is not None else path.read_bytes(), content_type)


# --- the page -----------------------------------------------------------------------------


def test_it_renders_the_create_page_with_prompt_and_generate(owner_client):
    response = owner_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<label for=\"id_prompt\">Prompt</label>", html)
    assert re.search(r"<button type=\"submit\"[^>]*>\s*<span[^>]*>Generate</span>", html)
    for label in (
        "Text → Video",
        "Image → Video",
        "Audio → Video",
        "Extend",
        "Retake",
        "HDR",
        "Reframe",
    ):
        assert label in html
    assert 'id="cards"' in html and 'id="poller"' in html


@pytest.mark.parametrize(
    ("mode", "present", "absent"),
    [
        (
            "text-to-video",
            ["prompt", "model", "resolution", "fps", "duration", "camera_motion", "enhance_prompt"],
            ["image_uri", "audio_uri", "video_uri", "start_time", "output_colorspace", "placement"],
        ),
        (
            "image-to-video",
            ["image_uri", "last_frame_uri", "prompt", "fps"],
            ["audio_uri", "video_uri", "enhance_prompt"],
        ),
        (
            "audio-to-video",
            ["audio_uri", "image_uri", "last_frame_uri", "prompt", "guidance_scale", "fps"],
            ["duration", "video_uri", "enhance_prompt", "output_colorspace", "placement"],
        ),
        (
            "retake",
            ["video_uri", "start_time", "duration", "edit_mode"],
            ["fps", "image_uri", "camera_motion"],
        ),
        (
            "extend",
            ["video_uri", "duration", "edit_mode", "context"],
            ["resolution", "fps", "image_uri"],
        ),
        (
            "video-to-video-hdr",
            ["video_uri", "output_colorspace"],
            ["prompt", "model", "resolution", "duration", "placement"],
        ),
        (
            "video-to-video-reframe",
            ["video_uri", "model", "resolution", "placement"],
            ["prompt", "fps", "duration", "output_colorspace"],
        ),
    ],
)
def test_it_shows_each_mode_only_its_fields(owner_client, mode, present, absent):
    response = owner_client.get(f"/?mode={mode}")
    html = response.content.decode()
    for name in present:
        assert f'name="{name}"' in html, name
    for name in absent:
        assert f'name="{name}"' not in html, name
    assert f'<input type="hidden" name="mode" value="{mode}">' in html


def test_it_falls_back_to_text_to_video_for_an_unknown_mode(owner_client):
    response = owner_client.get("/?mode=nonsense")
    assert response.status_code == 200
    assert 'name="mode" value="text-to-video"' in response.content.decode()


def test_it_serves_the_composer_fragment_for_a_tab(owner_client):
    response = owner_client.get(
        "/?mode=extend&prompt=keep+me", headers={**HTMX, "HX-Target": "composer"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="composer"')
    assert "<html" not in html and 'id="cards"' not in html
    assert "keep me</textarea>" in html


def test_it_updates_choices_when_the_model_changes(owner_client):
    fast = owner_client.get(
        "/?mode=text-to-video&model=ltx-2-3-fast", headers={**HTMX, "HX-Target": "settings"}
    )
    pro = owner_client.get(
        "/?mode=text-to-video&model=ltx-2-5-pro&fps=48", headers={**HTMX, "HX-Target": "settings"}
    )
    assert fast.status_code == pro.status_code == 200
    assert pro.content.decode().lstrip().startswith('<div id="settings"')
    assert (
        '<output id="estimate" class="estimate" for="settings" hx-swap-oob="true">'
        in pro.content.decode()
    )
    assert 'value="48"' in field_html(fast.content, "fps")
    assert 'value="2560x1440"' in field_html(fast.content, "resolution")
    # LTX-2.5 Pro: no 48 fps, no 1440p, and the invalid 48 falls back to a valid default.
    assert 'value="48"' not in field_html(pro.content, "fps")
    assert 'value="2560x1440"' not in field_html(pro.content, "resolution")
    assert 'value="24" selected' in field_html(pro.content, "fps")
    assert 'value="auto"' in field_html(pro.content, "duration")  # LTX-2.5: automatic length


def test_it_offers_long_durations_only_where_the_catalog_has_them(owner_client):
    at_1080 = owner_client.get(
        "/?model=ltx-2-3-fast&resolution=1920x1080&fps=24",
        headers={**HTMX, "HX-Target": "settings"},
    )
    at_4k = owner_client.get(
        "/?model=ltx-2-3-fast&resolution=3840x2160&fps=24",
        headers={**HTMX, "HX-Target": "settings"},
    )
    assert 'value="20"' in field_html(at_1080.content, "duration")
    assert 'value="20"' not in field_html(at_4k.content, "duration")


def test_it_shows_a_cost_estimate_that_follows_the_settings(owner_client):
    one = owner_client.get(
        "/?model=ltx-2-3-fast&resolution=1920x1080&fps=24&duration=8&count=1",
        headers={**HTMX, "HX-Target": "settings"},
    )
    three = owner_client.get(
        "/?model=ltx-2-3-fast&resolution=1920x1080&fps=24&duration=8&count=3",
        headers={**HTMX, "HX-Target": "settings"},
    )
    # 8 s at $0.06/s (the catalog's 1080p LTX-2.3 Fast price), out of band next to Generate.
    assert 'id="estimate"' in one.content.decode() and 'hx-swap-oob="true"' in one.content.decode()
    assert "≈ $0.48" in one.content.decode()
    assert "≈ $1.44" in three.content.decode()
    assert "3 \N{MULTIPLICATION SIGN} $0.48" in three.content.decode()


def test_it_estimates_an_edit_from_the_picked_clips_length(owner_client, owner):
    clip = make_placeholder_clip(owner, seconds=5.0)
    response = owner_client.get(
        f"/?mode=retake&source={clip.pk}", headers={**HTMX, "HX-Target": "settings"}
    )
    assert "≈ $0.50" in response.content.decode()  # retake bills the whole input: 5 s at $0.10


def test_it_says_when_the_cost_depends_on_an_input_not_given_yet(owner_client):
    response = owner_client.get("/?mode=audio-to-video")
    assert "depends on the input" in response.content.decode()


def test_it_uses_the_length_the_browser_measured_for_the_estimate(owner_client):
    response = owner_client.get(
        "/?mode=audio-to-video&audio_uri_meta=6.00::", headers={**HTMX, "HX-Target": "settings"}
    )
    assert "≈ $0.60" in response.content.decode()  # 6 s of audio at $0.10


# --- validation -----------------------------------------------------------------------------


def test_it_shows_48_fps_on_a_model_without_it_next_to_the_fps_field(owner_client):
    data = {**T2V, "model": "ltx-2-5-pro", "fps": "48"}
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 422
    fps = field_html(response.content, "fps")
    assert "runs at 24, 25 or 50 fps, not 48" in fps
    assert "field-invalid" in fps
    assert Generation.objects.count() == 0


def test_it_refuses_an_mp4_that_is_really_a_text_file(owner_client, tmp_path):
    fake = upload(tmp_path, "clip.mp4", b"just some text, not a video\n" * 20, "video/mp4")
    response = owner_client.post(
        "/", {"mode": "extend", "duration": "4", "video_uri": fake}, headers=HTMX
    )
    assert response.status_code == 422
    errors = field_html(response.content, "video_uri")
    assert "“clip.mp4”: This file is not a video we can use" in errors
    assert Generation.objects.count() == 0


@pytest.mark.parametrize(
    ("mode", "role", "kind"),
    [
        ("image-to-video", "image_uri", "an image"),
        ("audio-to-video", "audio_uri", "an audio file"),
        ("extend", "video_uri", "a video"),
    ],
)
def test_a_file_that_is_no_media_at_all_is_named_for_what_the_input_wants(
    owner_client, tmp_path, mode, role, kind
):
    """A text file in the Image field was "not a video we can use"."""
    notes = upload(tmp_path, "notes.txt", b"shopping list\n" * 20, "text/plain")
    response = owner_client.post("/", {**T2V, "mode": mode, role: notes}, headers=HTMX)
    assert response.status_code == 422
    errors = field_html(response.content, role)
    assert (
        f"“notes.txt”: This file is not {kind} we can use: its format wasn&#x27;t recognised"
        in errors
    )


def test_it_refuses_a_file_over_the_size_limit(owner_client, tmp_path, monkeypatch):
    monkeypatch.setitem(catalog_data.UPLOAD_LIMITS["upload"], "image", 1000)
    image = make_image(tmp_path / "big.png", 400, 300)
    assert image.stat().st_size > 1000
    data = {
        **T2V,
        "mode": "image-to-video",
        "image_uri": upload(tmp_path, "big.png", content_type="image/png"),
    }
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 422
    assert "the limit is 1 kB" in field_html(response.content, "image_uri")


def test_it_refuses_an_audio_file_given_as_the_image(owner_client, tmp_path):
    from tests.media_factory import make_audio

    make_audio(tmp_path / "song.wav", seconds=2)
    data = {
        **T2V,
        "mode": "image-to-video",
        "image_uri": upload(tmp_path, "song.wav", content_type="image/png"),
    }
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 422
    assert "This must be an image" in field_html(response.content, "image_uri")


def test_it_puts_every_problem_next_to_its_field_and_keeps_what_was_typed(owner_client):
    data = {**T2V, "prompt": "", "resolution": "640x480", "duration": "7"}
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 422
    assert "Write a prompt." in field_html(response.content, "prompt")
    assert "can&#x27;t make" in field_html(response.content, "resolution")
    # The bad value stays selected, marked, so the user sees what was wrong.
    assert 'value="640x480" selected' in field_html(response.content, "resolution")

    data = {**T2V, "prompt": "Keep this prompt", "fps": "48", "model": "ltx-2-5-pro"}
    response = owner_client.post("/", data, headers=HTMX)
    assert "Keep this prompt</textarea>" in response.content.decode()


def test_it_answers_a_plain_post_with_errors_with_the_whole_page(owner_client, tmp_path):
    image = make_image(tmp_path / "cat.png")
    data = {
        **T2V,
        "mode": "image-to-video",
        "prompt": "",
        "image_uri": upload(tmp_path, image.name, content_type="image/png"),
    }
    response = owner_client.post("/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" in html and "Write a prompt." in html
    assert "choose this one again" in field_html(html, "image_uri")  # plain POSTs lose files


def test_it_refuses_a_clip_and_an_upload_for_the_same_input(owner_client, owner, tmp_path):
    clip = make_placeholder_clip(owner)
    video = make_video(tmp_path / "v.mp4", seconds=4)
    data = {
        "mode": "extend",
        "duration": "4",
        "source": clip.pk,
        "video_uri": upload(tmp_path, video.name, content_type="video/mp4"),
    }
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 422
    assert "not both" in field_html(response.content, "video_uri")


def test_it_never_answers_500_for_nonsense_values(owner_client):
    data = {**T2V, "fps": "fast", "duration": "1e309", "count": "99", "model": "<b>x</b>"}
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "Select a valid choice" in html  # count
    assert Generation.objects.count() == 0


# --- submitting ------------------------------------------------------------------------------


def test_it_queues_three_takes_and_returns_their_cards(owner_client, owner):
    response = owner_client.post("/", {**T2V, "count": "3"}, headers=HTMX)
    assert response.status_code == 200
    generations = list(Generation.objects.filter(owner=owner).order_by("pk"))
    assert len(generations) == 3
    assert {g.state for g in generations} == {State.QUEUED}
    assert generations[0].params == {
        "prompt": "A lighthouse in a storm, waves breaking",
        "model": "ltx-2-3-fast",
        "resolution": "1920x1080",
        "fps": 24,
        "duration": 6,
        "generate_audio": True,
        "enhance_prompt": True,
    }
    html = response.content.decode()
    # The form for the next take (same settings), the new cards out of band, polling on.
    assert html.lstrip().startswith('<section id="composer"')
    assert "A lighthouse in a storm, waves breaking</textarea>" in html
    assert '<div hx-swap-oob="afterbegin:#cards">' in html
    oob_cards = html.split('hx-swap-oob="afterbegin:#cards"')[1]
    positions = [oob_cards.index(f'id="gen-{g.pk}"') for g in generations]
    assert positions == sorted(positions, reverse=True)  # newest first
    assert re.search(r'<div id="poller"[^>]*hx-swap-oob="true"[^>]*hx-trigger="every \d+s"', html)
    assert "Queued 3 takes" in html


def test_it_queues_an_image_to_video_with_an_uploaded_image(owner_client, owner, tmp_path):
    make_image(tmp_path / "still.png", 640, 360)
    data = {
        **T2V,
        "mode": "image-to-video",
        "image_uri": upload(tmp_path, "still.png", content_type="image/png"),
    }
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 200, field_html(response.content, "image_uri")
    generation = Generation.objects.get(owner=owner)
    assert generation.endpoint == "image-to-video"
    item = GenerationInput.objects.get(generation=generation)
    assert item.role == "image_uri" and item.media["kind"] == "image" and item.media["width"] == 640


def test_it_queues_an_extend_of_the_users_own_clip(owner_client, owner):
    clip = make_placeholder_clip(owner)
    data = {"mode": "extend", "duration": "4", "edit_mode": "end", "source": clip.pk, "count": "1"}
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 200
    generation = Generation.objects.exclude(pk=clip.pk).get()
    assert generation.parent == clip
    assert generation.params == {"duration": 4.0, "mode": "end"}
    assert generation.model == "ltx-2-3-pro"  # the endpoint's only model
    item = generation.inputs.get()
    assert item.source_output == clip.video


def test_it_refuses_someone_elses_clip_as_the_input(owner_client, stranger):
    theirs = make_placeholder_clip(stranger)
    data = {"mode": "extend", "duration": "4", "source": theirs.pk}
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 422
    assert "That clip isn&#x27;t available" in response.content.decode()
    assert Generation.objects.count() == 1


def test_a_plain_post_redirects_back_with_a_message(owner_client):
    response = owner_client.post("/", T2V, follow=True)
    assert response.redirect_chain == [("/?mode=text-to-video", 302)]
    assert "Queued #" in response.content.decode()


def test_it_escapes_user_text(owner_client, owner):
    data = {**T2V, "prompt": "<script>alert('x')</script> a fox"}
    response = owner_client.post("/", data, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; a fox" in html
    page = owner_client.get("/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


# --- prefills: ?source= and ?from= -----------------------------------------------------------


def test_source_opens_extend_with_the_clip_picked(owner_client, owner):
    clip = make_placeholder_clip(owner)
    response = owner_client.get(f"/?source={clip.pk}")
    html = response.content.decode()
    assert 'name="mode" value="extend"' in html
    assert re.search(rf'name="source" value="{clip.pk}"[^>]*checked', html)


def test_an_empty_source_is_no_clip_on_every_tab_and_every_refresh(owner_client, owner):
    """The audio tab's image picker offers "None", which sends source= (it answered 404)."""
    make_placeholder_clip(owner)
    for mode in ("audio-to-video", "text-to-video", "extend"):
        page = owner_client.get(f"/?mode={mode}&prompt=Waves&source=")
        assert page.status_code == 200, mode
        tab = owner_client.get(f"/?mode={mode}&source=", headers=HTMX | {"HX-Target": "composer"})
        assert tab.status_code == 200, mode
        refresh = owner_client.get(
            f"/?mode={mode}&source=&duration=6", headers=HTMX | {"HX-Target": "settings"}
        )
        assert refresh.status_code == 200, mode
        assert "estimate" in refresh.content.decode()


def test_source_keeps_the_mode_asked_for_and_an_old_clip(owner_client, owner):
    old = make_placeholder_clip(owner, created_at=timezone.now() - timedelta(days=30))
    for _ in range(15):  # push it out of the picker's latest-clips list
        make_placeholder_clip(owner)
    response = owner_client.get(f"/?source={old.pk}&mode=video-to-video-reframe")
    html = response.content.decode()
    assert 'name="mode" value="video-to-video-reframe"' in html
    assert re.search(rf'name="source" value="{old.pk}"[^>]*checked', html)


def test_from_prefills_every_setting(owner_client, owner):
    earlier = make_generation(
        owner,
        State.FAILED,
        model="ltx-2-5-fast",
        prompt="Neon koi in a night pond",
        params={
            "prompt": "Neon koi in a night pond",
            "resolution": "1080x1920",
            "fps": 25,
            "duration": 10,
            "camera_motion": "dolly_in",
            "generate_audio": False,
        },
    )
    response = owner_client.get(f"/?from={earlier.pk}")
    html = response.content.decode()
    assert "Neon koi in a night pond</textarea>" in html
    assert 'value="ltx-2-5-fast" selected' in html
    assert 'value="1080x1920" selected' in html
    assert 'value="25" selected' in html
    assert 'value="10" selected' in html
    assert 'value="dolly_in" selected' in html
    assert 'name="generate_audio" id="id_generate_audio" checked' not in html


def test_from_names_uploads_that_must_be_added_again(owner_client, owner):
    earlier = make_generation(owner, State.READY, endpoint="image-to-video")
    make_input(earlier, "image_uri", original_name="cat.png")
    response = owner_client.get(f"/?from={earlier.pk}")
    assert "uploaded image (“cat.png”): add it again" in response.content.decode()


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["source", "from"])
@pytest.mark.parametrize("who", ["teammate", "stranger"])
def test_others_get_404_for_prefills_of_a_clip_not_theirs(
    client, owner, teammate, stranger, query, who
):
    clip = make_placeholder_clip(owner)
    client.force_login({"teammate": teammate, "stranger": stranger}[who])
    assert client.get(f"/?{query}={clip.pk}").status_code == 404
    assert client.get(f"/?{query}=not-a-number").status_code == 404


def test_the_owner_gets_prefills(owner_client, owner):
    clip = make_placeholder_clip(owner)
    assert owner_client.get(f"/?source={clip.pk}").status_code == 200
    assert owner_client.get(f"/?from={clip.pk}").status_code == 200


def test_anonymous_visitors_go_to_the_login_page(client):
    for url in ("/", "/?mode=extend"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post("/", T2V)
    assert response.status_code == 302
    assert Generation.objects.count() == 0


def test_it_enforces_csrf_and_the_page_carries_the_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post("/", T2V, headers=HTMX).status_code == 403
    assert Generation.objects.count() == 0
    page = client.get("/").content.decode()
    token = json.loads(re.search(r"hx-headers='([^']+)'", page).group(1))["X-CSRFToken"]
    response = client.post("/", T2V, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200
    assert Generation.objects.count() == 1


# --- the account-pause banner ------------------------------------------------------------------


def test_the_pause_banner_shows_on_every_page_while_paused(client, owner):
    DispatchState.objects.update_or_create(
        pk=1, defaults={"paused": True, "reason_type": "insufficient_funds_error"}
    )
    client.force_login(owner)
    for url in ("/", "/gallery/"):
        html = client.get(url).content.decode()
        assert "Out of LTX credits" in html, url
        assert "Open admin" not in html
    owner.is_staff = True
    owner.save()
    html = client.get("/").content.decode()
    assert "Open admin" in html and 'href="/admin/generations/dispatchstate/"' in html


def test_there_is_no_banner_while_sending_works(owner_client):
    DispatchState.objects.update_or_create(pk=1, defaults={"paused": False})
    assert "pause-banner" not in owner_client.get("/").content.decode()


def test_reframe_starts_with_no_frame_chosen_and_refuses_the_clips_own(owner_client, owner):
    clip = make_placeholder_clip(owner)  # a 1920x1080 clip
    html = owner_client.get(f"/?mode=video-to-video-reframe&source={clip.pk}").content.decode()
    resolution = field_html(html, "resolution")
    assert re.search(r'<option value=""[^>]*selected[^>]*>Choose the new frame…', resolution)
    response = owner_client.post(
        "/",
        {"mode": "video-to-video-reframe", "source": clip.pk, "resolution": "1920x1080"},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "already 1920x1080" in field_html(response.content, "resolution")
    assert not Generation.objects.filter(endpoint="video-to-video-reframe").exists()
