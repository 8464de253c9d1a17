"""The gallery grid: only the owner's clips, filters, cursor pagination, HTMX fragments."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ltxdash.gallery.listing import PAGE_SIZE
from ltxdash.generations.models import Generation, State
from tests.factories import workspace_of

URL = "/gallery/"


def _clip_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/gallery/(\d+)/"', response.content.decode())]


def test_it_is_at_gallery():
    assert reverse("gallery:index") == URL


def test_it_lists_only_the_owners_clips(owner_client, owner, teammate, make_clip):
    mine = make_clip(owner, prompt="my lighthouse")
    make_clip(teammate, prompt="teammate's secret harbour")
    response = owner_client.get(URL)
    assert response.status_code == 200
    assert _clip_ids(response) == [mine.pk]
    assert "my lighthouse" in response.content.decode()
    assert "secret harbour" not in response.content.decode()


def test_it_shows_poster_and_preview_urls(owner_client, clip, video):
    html = owner_client.get(URL).content.decode()
    assert f'src="/gallery/files/{video.pk}/poster"' in html
    assert f'data-preview="/gallery/files/{video.pk}"' in html


def test_it_lists_newest_first(owner_client, owner, make_clip):
    now = timezone.now()
    old = make_clip(owner, created_at=now - timedelta(days=2))
    new = make_clip(owner, created_at=now - timedelta(hours=1))
    assert _clip_ids(owner_client.get(URL)) == [new.pk, old.pk]


def test_it_filters_by_mode_model_and_state(owner_client, owner, make_clip):
    t2v = make_clip(owner, endpoint="text-to-video", model="ltx-2-3-fast")
    extend = make_clip(owner, endpoint="extend", model="ltx-2-3-pro")
    failed = make_clip(owner, state=State.FAILED, model="ltx-2-3-pro")
    assert _clip_ids(owner_client.get(URL, {"mode": "extend"})) == [extend.pk]
    assert set(_clip_ids(owner_client.get(URL, {"model": "ltx-2-3-pro"}))) == {extend.pk, failed.pk}
    assert _clip_ids(owner_client.get(URL, {"state": "failed"})) == [failed.pk]
    assert _clip_ids(owner_client.get(URL, {"state": "ready", "model": "ltx-2-3-fast"})) == [t2v.pk]


def test_it_filters_by_date_with_the_to_day_included(owner_client, owner, make_clip):
    day = timezone.make_aware(datetime(2026, 10, 14, 12, 0))
    before = make_clip(owner, created_at=day - timedelta(days=1))
    on_day = make_clip(owner, created_at=day + timedelta(hours=11))  # 23:00 that day
    after = make_clip(owner, created_at=day + timedelta(days=1))
    assert _clip_ids(
        owner_client.get(URL, {"date_from": "2026-10-14", "date_to": "2026-10-14"})
    ) == [on_day.pk]
    assert _clip_ids(owner_client.get(URL, {"date_from": "2026-10-14"})) == [after.pk, on_day.pk]
    assert _clip_ids(owner_client.get(URL, {"date_to": "2026-10-13"})) == [before.pk]


@pytest.mark.parametrize(
    "written", ["14 Oct 2026", "14 October 2026", "Oct 14 2026", "oct 14, 2026", "14/10/2026"]
)
def test_a_day_is_written_the_way_the_pages_write_it(owner_client, owner, make_clip, written):
    on_day = make_clip(owner, created_at=timezone.make_aware(datetime(2026, 10, 14, 9, 0)))
    make_clip(owner, created_at=timezone.make_aware(datetime(2026, 10, 15, 9, 0)))
    response = owner_client.get(URL, {"date_from": written, "date_to": written})
    assert _clip_ids(response) == [on_day.pk]
    # The field shows the day back as the pages do, never as mm/dd/yyyy.
    html = response.content.decode()
    assert re.search(r'name="date_from" value="14 Oct 2026"', html)
    assert 'type="date"' not in html


def test_a_day_without_a_year_or_today_is_this_year(owner_client, owner, make_clip):
    today = timezone.localdate()
    clip = make_clip(owner, created_at=timezone.now())
    assert _clip_ids(owner_client.get(URL, {"date_from": "today"})) == [clip.pk]
    assert _clip_ids(owner_client.get(URL, {"date_from": f"{today.day} {today:%b}"})) == [clip.pk]
    assert _clip_ids(owner_client.get(URL, {"date_to": "yesterday"})) == []


def test_it_filters_favourites_and_searches_prompts(owner_client, owner, make_clip):
    fox = make_clip(owner, prompt="A red FOX in snow", favourite=True)
    make_clip(owner, prompt="A grey wolf in snow")
    assert _clip_ids(owner_client.get(URL, {"favourites": "on"})) == [fox.pk]
    assert _clip_ids(owner_client.get(URL, {"q": "fox snow"})) == [fox.pk]
    assert len(_clip_ids(owner_client.get(URL, {"q": "snow"}))) == 2


def test_it_reports_a_bad_filter_value_and_ignores_it(owner_client, owner, make_clip):
    make_clip(owner)
    response = owner_client.get(URL, {"mode": "no-such-mode", "date_from": "the other day"})
    assert response.status_code == 200
    assert len(_clip_ids(response)) == 1
    assert "Select a valid choice" in response.content.decode()
    assert "Write a day like 2 Dec 2026 (or today, yesterday)." in response.content.decode()


@pytest.mark.parametrize(
    "query", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}, {"date_from": "9999-12-31"}]
)
def test_a_date_at_the_end_of_the_calendar_is_reported_not_a_500(
    owner_client, owner, make_clip, settings, query
):
    settings.TIME_ZONE = "Europe/Paris"  # an offset east of UTC moves 0001-01-01 before year 1
    make_clip(owner)
    response = owner_client.get(URL, query)
    assert response.status_code == 200
    assert len(_clip_ids(response)) == 1  # the filter is left out
    assert "Pick a day between 2 Jan 0001 and 30 Dec 9999." in response.content.decode()


def test_the_last_day_a_filter_takes_still_filters(owner_client, owner, make_clip):
    make_clip(owner)
    assert len(_clip_ids(owner_client.get(URL, {"date_to": "9999-12-30"}))) == 1
    assert _clip_ids(owner_client.get(URL, {"date_from": "9999-12-30"})) == []


@pytest.mark.parametrize(
    "after", [f"20260101000000000000-{'9' * 25}", f"{'9' * 5000}-{'9' * 5000}"]
)
def test_a_cursor_with_huge_numbers_starts_over(owner_client, owner, make_clip, after):
    clip = make_clip(owner)
    assert _clip_ids(owner_client.get(URL, {"after": after})) in ([clip.pk], [])


def test_it_says_when_nothing_matches(owner_client, owner, make_clip):
    make_clip(owner)
    assert "No clips match these filters" in owner_client.get(URL, {"q": "zebra"}).content.decode()


def test_it_pages_with_a_cursor_without_gaps_or_repeats(owner_client, owner, make_clip):
    now = timezone.now()
    # Several clips share a timestamp, so the id must break ties.
    clips = [
        make_clip(owner, video=False, created_at=now - timedelta(minutes=i // 3))
        for i in range(PAGE_SIZE * 2 + 5)
    ]
    expected = [g.pk for g in sorted(clips, key=lambda g: (g.created_at, g.pk), reverse=True)]
    seen, url, params = [], URL, {}
    for _ in range(5):
        response = owner_client.get(url, params)
        seen += _clip_ids(response)
        match = re.search(r'<a class="button" href="\?after=([^"]+)"', response.content.decode())
        if not match:
            break
        params = {"after": match.group(1)}
    assert seen == expected


def test_it_keeps_the_filters_in_the_next_page_link(owner_client, owner, make_clip):
    for _ in range(PAGE_SIZE + 1):
        make_clip(owner, video=False, prompt="fox")
    html = owner_client.get(URL, {"q": "fox"}).content.decode()
    assert re.search(r'href="\?q=fox&amp;after=[^"]+"', html)


def test_it_starts_over_on_a_malformed_cursor(owner_client, owner, make_clip):
    clip = make_clip(owner)
    assert _clip_ids(owner_client.get(URL, {"after": "garbage-x"})) == [clip.pk]


def test_it_answers_htmx_filters_with_the_grid_only(owner_client, owner, make_clip):
    make_clip(owner, prompt="fox")
    response = owner_client.get(URL, {"q": "fox"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="grid"')
    assert 'role="search"' not in html  # the filter form stays as it is
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_it_answers_infinite_scroll_with_the_next_cards_only(owner_client, owner, make_clip):
    for _ in range(PAGE_SIZE + 2):
        make_clip(owner, video=False)
    first = owner_client.get(URL).content.decode()
    cursor = re.search(r'hx-get="\?after=([^"]+)"', first).group(1)
    response = owner_client.get(URL, {"after": cursor}, headers={"HX-Request": "true"})
    html = response.content.decode().strip()
    assert html.startswith('<li class="clip-card" id="clip-')
    assert 'id="grid"' not in html
    assert len(_clip_ids(response)) == 2


def test_it_gives_a_full_page_to_an_htmx_history_restore(owner_client, clip):
    response = owner_client.get(
        URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_it_shows_clips_without_a_video_with_their_state(owner_client, owner, make_clip):
    make_clip(owner, state=State.PROCESSING)
    html = owner_client.get(URL).content.decode()
    assert "Generating" in html


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_counts_no_rows_beyond_a_page(
    owner_client, owner, make_clip, django_assert_max_num_queries
):
    workspace = workspace_of(owner)
    Generation.objects.bulk_create(
        Generation(owner=owner, workspace=workspace, endpoint="text-to-video", prompt=f"clip {i}")
        for i in range(60)
    )
    # session, user, membership, members (made by), pause banner, clips, their outputs: no COUNT(*)
    with django_assert_max_num_queries(7) as captured:
        owner_client.get(URL)
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
