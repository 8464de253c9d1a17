"""The status cards: the one-request refresh, a card, cancel and retry, and who may see them."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from ltxdash.generations.models import Generation, State
from tests.factories import make_generation, make_output, make_placeholder_clip
from tests.support.pages import HTMX

pytestmark = pytest.mark.django_db


def stamps(client, path: str = "/") -> list[str]:
    """What the page sends back on every refresh: the stamps of the cards it shows."""
    html = client.get(path).content.decode()
    return re.findall(r'class="card-stamp" name="c" value="([^"]+)"', html)


def refresh(client, values: list[str]):
    return client.get("/generations/refresh", {"c": values}, headers=HTMX)


def test_the_page_shows_cards_and_polls_while_something_is_in_flight(owner_client, owner):
    queued = make_generation(owner)
    html = owner_client.get("/").content.decode()
    assert f'id="gen-{queued.pk}"' in html
    assert re.search(
        r'<div id="poller"[^>]*hx-get="/generations/refresh"[^>]*hx-trigger="every \d+s"', html
    )
    assert 'hx-include=".card-stamp"' in html


def test_the_page_does_not_poll_when_nothing_is_in_flight(owner_client, owner):
    make_placeholder_clip(owner)
    html = owner_client.get("/").content.decode()
    assert re.search(r'<div id="poller" hidden>', html)
    assert "every" not in re.search(r'<div id="poller"[^>]*>', html).group(0)


def test_refresh_answers_204_with_nothing_when_nothing_changed(owner_client, owner):
    make_generation(owner)
    make_generation(owner, State.PROCESSING)
    make_placeholder_clip(owner)
    response = refresh(owner_client, stamps(owner_client))
    assert response.status_code == 204
    assert response.content == b""


def test_refresh_returns_only_the_card_that_changed(owner_client, owner):
    first = make_generation(owner, State.PROCESSING, submitted_at=timezone.now())
    second = make_generation(owner, State.PROCESSING, submitted_at=timezone.now())
    page = stamps(owner_client)
    second.transition(State.REHOSTING)
    response = refresh(owner_client, page)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<article id="gen-{second.pk}"' in html and 'hx-swap-oob="outerHTML"' in html
    assert f'id="gen-{first.pk}"' not in html
    assert "Saving the clip to your gallery" in html
    assert f"#{second.pk}: saving." in html  # announced to screen readers
    # Still something in flight: the poller keeps going.
    assert re.search(r'<div id="poller"[^>]*hx-swap-oob="true"[^>]*hx-trigger="every', html)
    # The stamps in the answer make the next refresh empty again.
    new_stamp = re.search(r'class="card-stamp" name="c" value="([^"]+)"', html).group(1)
    page = [s for s in page if not s.startswith(f"{second.pk}:")] + [new_stamp]
    assert refresh(owner_client, page).status_code == 204


def test_refresh_announces_a_finished_clip_and_stops_polling(owner_client, owner):
    clip = make_generation(owner, State.REHOSTING)
    page = stamps(owner_client)
    finished = make_placeholder_clip(owner)  # stands in for the copy finishing: same row, now ready
    Generation.objects.filter(pk=clip.pk).update(
        state=State.READY, version=clip.version + 1, finished_at=timezone.now()
    )
    finished.outputs.update(generation=clip)
    finished.delete()
    response = refresh(owner_client, page)
    html = response.content.decode()
    assert response.status_code == 200
    assert "/gallery/files/" in html and "/poster" in html  # the poster
    assert f'href="/gallery/{clip.pk}/"' in html  # open the clip
    trigger = json.loads(response["HX-Trigger"])
    (item,) = trigger["generation-finished"]["items"]
    assert item["id"] == clip.pk and item["ok"] is True and item["url"] == f"/gallery/{clip.pk}/"
    # Nothing in flight any more: the poller comes back without a trigger.
    poller = re.search(r'<div id="poller"[^>]*>', html).group(0)
    assert "hx-swap-oob" in poller and "every" not in poller


def test_refresh_shows_a_failure_with_its_reason_type_and_request_id(owner_client, owner):
    generation = make_generation(owner, State.PROCESSING, submitted_at=timezone.now())
    page = stamps(owner_client)
    generation.transition(
        State.FAILED,
        error_type="content_filtered_error",
        error_message="Flagged",
        last_request_id="req_123abc",
    )
    response = refresh(owner_client, page)
    html = response.content.decode()
    assert "safety filter refused" in html  # explain.reason
    assert "<code>content_filtered_error</code>" in html
    assert 'data-copy="req_123abc"' in html
    # The same prompt would be refused again: the main button opens the form prefilled.
    assert f'href="/?from={generation.pk}">Edit and retry</a>' in html
    assert f"/generations/{generation.pk}/retry" not in html
    assert json.loads(response["HX-Trigger"])["generation-finished"]["items"][0]["ok"] is False


def test_refresh_adds_a_card_made_elsewhere_and_drops_a_deleted_one(owner_client, owner):
    first = make_generation(owner)
    gone = make_generation(owner)
    page = stamps(owner_client)
    gone_pk = gone.pk
    gone.delete()
    other_tab = make_generation(owner)
    html = refresh(owner_client, page).content.decode()
    assert '<div hx-swap-oob="afterbegin:#cards">' in html and f'id="gen-{other_tab.pk}"' in html
    assert f'<div id="gen-{gone_pk}" hx-swap-oob="delete"></div>' in html
    assert f'id="gen-{first.pk}"' not in html.replace(f'"gen-{first.pk}-', "")


def test_refresh_updates_a_queue_position(owner_client, owner, stranger):
    ahead = make_generation(stranger)
    mine = make_generation(owner)
    page = stamps(owner_client)
    assert f"{mine.pk}:0.queued.2" in page
    assert "Number 2 in the queue" in owner_client.get("/").content.decode()
    ahead.transition(State.CANCELED)
    html = refresh(owner_client, page).content.decode()
    assert "Number 1 in the queue" in html


def test_refresh_never_shows_anyone_elses_cards(owner_client, stranger):
    theirs = make_generation(stranger)
    response = refresh(owner_client, [f"{theirs.pk}:99.queued"])
    html = response.content.decode()
    # Not ours, so to this page it is simply gone: nothing of it is sent.
    assert "<article" not in html and theirs.prompt not in html


def test_refresh_ignores_malformed_stamps(owner_client, owner):
    make_generation(owner)
    response = refresh(
        owner_client, [*stamps(owner_client), "x:y", "12", ":", "99999999999999999999:1"]
    )
    assert response.status_code in (200, 204)


def test_an_in_flight_card_tells_the_time_and_that_it_cannot_be_canceled(owner_client, owner):
    generation = make_generation(owner, State.PROCESSING, submitted_at=timezone.now())
    html = owner_client.get(f"/generations/{generation.pk}/card").content.decode()
    assert "data-elapsed=" in html
    assert "Can't be canceled" in html
    assert "/cancel" not in html


# --- cancel and retry ----------------------------------------------------------------------------


def test_cancel_works_for_a_queued_clip(owner_client, owner):
    generation = make_generation(owner)
    response = owner_client.post(f"/generations/{generation.pk}/cancel", headers=HTMX)
    assert response.status_code == 200
    generation.refresh_from_db()
    assert generation.state == State.CANCELED
    html = response.content.decode()
    assert html.lstrip().startswith(f'<article id="gen-{generation.pk}"')
    assert "Canceled" in html and "nothing was billed" in html


def test_cancel_is_refused_once_the_clip_was_sent(owner_client, owner):
    generation = make_generation(owner, State.PENDING, submitted_at=timezone.now())
    response = owner_client.post(f"/generations/{generation.pk}/cancel", headers=HTMX)
    assert response.status_code == 409
    assert "the API has no way to cancel" in response.content.decode()
    generation.refresh_from_db()
    assert generation.state == State.PENDING


def test_cancel_without_htmx_redirects_with_a_message(owner_client, owner):
    generation = make_generation(owner, State.PROCESSING)
    response = owner_client.post(f"/generations/{generation.pk}/cancel", follow=True)
    assert response.redirect_chain[-1] == ("/", 302)
    assert "can&#x27;t be canceled" in response.content.decode()


def test_retry_queues_a_new_clip_with_the_same_settings(owner_client, owner):
    failed = make_generation(owner, State.FAILED, error_type="api_error")
    response = owner_client.post(f"/generations/{failed.pk}/retry", headers=HTMX)
    assert response.status_code == 200
    clone = Generation.objects.exclude(pk=failed.pk).get()
    assert clone.state == State.QUEUED and clone.params == failed.params
    html = response.content.decode()
    assert html.lstrip().startswith(f'<article id="gen-{failed.pk}"')
    assert f"Sent again as #{clone.pk}" in html
    assert '<div hx-swap-oob="afterbegin:#cards">' in html and f'id="gen-{clone.pk}"' in html
    assert re.search(r'<div id="poller"[^>]*hx-swap-oob="true"[^>]*every', html)


def test_retry_is_refused_for_a_clip_that_is_fine(owner_client, owner):
    clip = make_placeholder_clip(owner)
    response = owner_client.post(f"/generations/{clip.pk}/retry", headers=HTMX)
    assert response.status_code == 409
    assert "cannot be retried" in response.content.decode()
    assert Generation.objects.count() == 1


def test_an_unknown_outcome_offers_resubmit_with_a_warning(owner_client, owner):
    generation = make_generation(owner, State.UNKNOWN, error_type="outcome_unknown")
    html = owner_client.get(f"/generations/{generation.pk}/card").content.decode()
    assert "Resubmit" in html and "hx-confirm=" in html and "both are billed" in html


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teammate", "stranger"])
def test_others_get_404_for_every_card_url(client, owner, teammate, stranger, who):
    queued = make_generation(owner)
    failed = make_generation(owner, State.FAILED)
    client.force_login({"teammate": teammate, "stranger": stranger}[who])
    assert client.get(f"/generations/{queued.pk}/card").status_code == 404
    assert client.post(f"/generations/{queued.pk}/cancel", headers=HTMX).status_code == 404
    assert client.post(f"/generations/{failed.pk}/retry", headers=HTMX).status_code == 404
    queued.refresh_from_db()
    assert queued.state == State.QUEUED
    assert Generation.objects.count() == 2


def test_the_owner_gets_the_card(owner_client, owner):
    generation = make_generation(owner)
    response = owner_client.get(f"/generations/{generation.pk}/card")
    assert response.status_code == 200
    assert f'id="gen-{generation.pk}"' in response.content.decode()


def test_a_card_without_a_prompt_says_what_the_clip_was_made_from(owner_client, owner):
    source = make_generation(owner, State.READY)
    hdr = make_generation(
        owner, State.PROCESSING, endpoint="video-to-video-hdr", prompt="", parent=source
    )
    reframe = make_generation(
        owner,
        State.READY,
        endpoint="video-to-video-reframe",
        model="ltx-2-3-pro",
        prompt="",
        parent=source,
        params={"resolution": "1080x1920"},
    )
    page = owner_client.get("/").content.decode()
    for clip, words in (
        (hdr, f"HDR of clip #{source.pk}"),
        (reframe, f"Reframe of clip #{source.pk} to 1080p portrait"),
    ):
        card = owner_client.get(f"/generations/{clip.pk}/card").content.decode()
        assert f'<p class="gen-prompt muted">{words}' in card, clip.endpoint
        assert words in page
    assert "(no prompt)" not in page


def test_anonymous_visitors_go_to_the_login_page(client, owner):
    generation = make_generation(owner)
    for method, url in [
        ("get", "/generations/refresh"),
        ("get", f"/generations/{generation.pk}/card"),
        ("post", f"/generations/{generation.pk}/cancel"),
        ("post", f"/generations/{generation.pk}/retry"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")
    generation.refresh_from_db()
    assert generation.state == State.QUEUED


def test_cancel_and_retry_need_post_and_csrf(owner):
    generation = make_generation(owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(f"/generations/{generation.pk}/cancel").status_code == 405
    assert client.post(f"/generations/{generation.pk}/cancel", headers=HTMX).status_code == 403
    assert client.post(f"/generations/{generation.pk}/retry", headers=HTMX).status_code == 403
    generation.refresh_from_db()
    assert generation.state == State.QUEUED


def test_a_ready_hdr_clip_offers_its_frames_for_download(owner_client, owner):
    generation = make_generation(owner, State.READY, endpoint="video-to-video-hdr", model="")
    output = make_output(
        generation,
        label="exr_frames_url",
        file="outputs/frames.zip",
        size=10,
        sha256="0" * 64,
        content_type="application/zip",
    )
    html = owner_client.get(f"/generations/{generation.pk}/card").content.decode()
    assert "EXR frames (ZIP)" in html
    assert f'href="/gallery/files/{output.pk}/download"' in html


def test_it_words_finished_toasts_as_sentences_and_cuts_at_a_word():
    from ltxdash.generations.cards import shorten

    assert shorten("short", 10) == "short"
    cut = shorten("LTX's safety filter refused the prompt before it was blocked by the", 40)
    assert cut.endswith("…") and len(cut) <= 40 and not cut[:-1].endswith(" ")
    assert cut == "LTX's safety filter refused the prompt…"


def test_a_failure_the_same_request_would_meet_again_offers_edit_and_retry(owner_client, owner):
    # FAILED: the job failed at LTX; REJECTED: LTX refused the submit (the simulator's [reject]).
    for state, kind, label in (
        (State.FAILED, "content_filtered_error", "Edit and retry"),
        (State.FAILED, "invalid_request_error", "Edit and retry"),
        (State.FAILED, "api_error", "Try again"),
        (State.REJECTED, "content_filtered_error", "Edit and retry"),
        (State.REJECTED, "invalid_request_error", "Edit and retry"),
        (State.REJECTED, "request_too_large", "Edit and retry"),
        (State.REJECTED, "submit_gave_up", "Try again"),
    ):
        generation = make_generation(owner, state, error_type=kind, error_message="x")
        html = owner_client.get(f"/generations/{generation.pk}/card").content.decode()
        assert label in html, (state, kind)
        retry = f"/generations/{generation.pk}/retry" in html
        assert retry is (label == "Try again"), (state, kind)
        if label == "Edit and retry":
            assert f"?from={generation.pk}" in html, (state, kind)  # the form, prefilled


def test_a_clip_waiting_out_an_account_problem_asks_for_no_retry(owner_client, owner):
    for kind in ("insufficient_funds_error", "authentication_error"):
        generation = make_generation(
            owner, State.QUEUED, submit_attempts=1, error_type=kind, error_message="x"
        )
        html = owner_client.get(f"/generations/{generation.pk}/card").content.decode()
        assert "sent by itself once an admin" in html, kind
        assert "retry" not in html.lower().replace("edit and retry", ""), kind


def pause_stamp(client, path: str = "/") -> str:
    html = client.get(path).content.decode()
    return re.search(r'class="card-stamp" name="pause" value="([^"]+)"', html).group(1)


def test_an_account_pause_arrives_with_the_refresh_and_leaves_with_it(owner_client, owner):
    from ltxdash.generations.models import DispatchState, Reason

    queued = make_generation(owner)
    page, seen_pause = stamps(owner_client), pause_stamp(owner_client)
    assert refresh(owner_client, page).status_code == 204

    DispatchState.pause(Reason.INSUFFICIENT_FUNDS, "no credits")
    response = owner_client.get(
        "/generations/refresh", {"c": page, "pause": seen_pause}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    banner = re.search(r'<div id="banners" hx-swap-oob="true">(.*?)</div>\s*$', html, re.S)
    assert banner and "out of credits" in html
    # The queued card is drawn again, now saying that sending is paused; and it is announced.
    assert f'<article id="gen-{queued.pk}"' in html and "sending is paused" in html
    assert re.search(r'id="status-live"[^>]*>[^<]*paused|id="status-live"[^>]*>[^<]*credits', html)
    paused = re.search(r'class="card-stamp" name="pause" value="([^"]+)"', html).group(1)
    assert paused != seen_pause
    # With the new stamp the page is up to date again.
    again = owner_client.get("/generations/refresh", {"c": page, "pause": paused}, headers=HTMX)
    assert again.status_code == 204

    DispatchState.resume("test")
    html = owner_client.get(
        "/generations/refresh", {"c": page, "pause": paused}, headers=HTMX
    ).content.decode()
    assert '<div id="banners" hx-swap-oob="true">' in html and "out of credits" not in html
    assert "Sending to LTX has resumed." in html


def test_a_ready_hdr_clip_with_its_mp4_plays_it_and_offers_the_frames(owner_client, owner):
    generation = make_generation(owner, State.READY, endpoint="video-to-video-hdr", model="")
    frames = make_output(
        generation,
        label="exr_frames_url",
        file="outputs/frames.zip",
        size=10,
        sha256="0" * 64,
        content_type="application/zip",
    )
    video = make_output(
        generation,
        label="video_url",
        file="outputs/hdr.mp4",
        poster="posters/hdr.jpg",  # rehosting makes one for every MP4
        size=10,
        sha256="1" * 64,
        content_type="video/mp4",
    )
    html = owner_client.get(f"/generations/{generation.pk}/card").content.decode()
    assert f"/gallery/files/{video.pk}" in html  # the clip plays
    assert "EXR frames (ZIP)" in html and f'href="/gallery/files/{frames.pk}/download"' in html
