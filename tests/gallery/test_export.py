"""Exporting clips: the ZIP of videos (with clips.csv and clips.json), the CSV of the gallery's
filtered list, and who may download what."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ltxdash.gallery import export
from ltxdash.generations.models import Generation, Output, State
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role, Workspace
from tests import factories

# Streamed answers are closed after the test client's request has ended, and closing one sends
# Django's request_finished, which closes the database connection it finds in a transaction:
# on PostgreSQL that would be the test's own. Each test here commits for real instead.
pytestmark = pytest.mark.django_db(transaction=True)

ZIP_URL = reverse("gallery:export_zip")
CSV_URL = reverse("gallery:export_csv")


def _zip_of(generations, **options) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(export.zip_stream(generations, **options))))


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _unzip_test(data: bytes, tmp_path: Path) -> str:
    if shutil.which("unzip") is None:
        pytest.skip("Debian's unzip is not installed (apt-get install unzip)")
    path = tmp_path / "check.zip"
    path.write_bytes(data)
    done = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _ordered(*clips: Generation):
    return Generation.objects.filter(pk__in=[c.pk for c in clips]).order_by("-created_at", "-id")


@pytest.fixture
def three(owner, make_clip):
    """Newest first: a named clip, one known by its prompt only, and a failed one (no video)."""
    named = make_clip(owner, title="Harbour at dawn", estimated_cost="0.3640")
    prompt_only = make_clip(
        owner,
        prompt="A lighthouse / in a storm: waves\nbreaking",
        created_at=named.created_at - factories.READY_AFTER,
    )
    failed = make_clip(
        owner, state=State.FAILED, created_at=named.created_at - 2 * factories.READY_AFTER
    )
    return named, prompt_only, failed


def test_the_zip_holds_each_video_stored_with_its_details(three, tmp_path):
    named, prompt_only, failed = three
    data = b"".join(export.zip_stream(_ordered(*three)))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [
        "001 Harbour at dawn.mp4",
        "002 A lighthouse in a storm waves breaking.mp4",
        "clips.csv",
        "clips.json",
    ]
    for name, clip in zip(names[:2], (named, prompt_only), strict=True):
        info = archive.getinfo(name)
        assert info.compress_type == zipfile.ZIP_STORED
        assert hashlib.sha256(archive.read(name)).hexdigest() == clip.video.sha256
        assert info.file_size == clip.video.size
    out = _unzip_test(data, tmp_path)
    assert "No errors detected" in out

    rows = _csv_rows(archive.read("clips.csv"))
    assert [int(r["id"]) for r in rows] == [named.pk, prompt_only.pk, failed.pk]
    first = rows[0]
    assert first["title"] == "Harbour at dawn"
    assert first["prompt"] == named.prompt
    assert first["mode"] == "Text → Video"
    assert first["model"]
    assert "Duration: 6 s" in first["settings"] and "Frame rate: 24 fps" in first["settings"]
    assert first["cost_estimate_usd"] == "0.36"
    assert first["created_at"].endswith("Z") and first["ready_at"].endswith("Z")
    assert first["made_by"] == "alice"
    assert first["state"] == "ready"
    assert first["file"] == "001 Harbour at dawn.mp4"
    assert first["file_status"] == export.INCLUDED
    assert int(first["size_bytes"]) == named.video.size
    assert first["sha256"] == named.video.sha256
    assert rows[2]["file"] == "" and rows[2]["file_status"] == export.NO_FILE
    document = json.loads(archive.read("clips.json"))
    assert document["count"] == 3
    assert document["clips"][0] == {**first, "id": named.pk, "size_bytes": named.video.size}
    assert document["clips"][2]["size_bytes"] is None


def test_a_file_gone_from_storage_is_left_out_and_listed_as_missing(three, tmp_path):
    _, prompt_only, _ = three
    default_storage.delete(prompt_only.video.file.name)
    data = b"".join(export.zip_stream(_ordered(*three)))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == ["001 Harbour at dawn.mp4", "clips.csv", "clips.json"]
    _unzip_test(data, tmp_path)
    statuses = [r["file_status"] for r in _csv_rows(archive.read("clips.csv"))]
    assert statuses == [export.INCLUDED, export.MISSING, export.NO_FILE]
    assert json.loads(archive.read("clips.json"))["clips"][1]["file_status"] == export.MISSING


def test_zip64_entries_open_everywhere(three, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "ZIP64_FROM", 0)  # every entry as if it might pass 4 GiB
    data = b"".join(export.zip_stream(_ordered(*three)))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert "No errors detected" in _unzip_test(data, tmp_path)


def test_hidden_prompts_leave_names_csv_and_json(three):
    archive = _zip_of(_ordered(*three), view=export.View(prompts=False))
    assert archive.namelist()[:2] == ["001 Harbour at dawn.mp4", "002 Text → Video.mp4"]
    rows = _csv_rows(archive.read("clips.csv"))
    assert "prompt" not in rows[0]
    assert "lighthouse" not in archive.read("clips.csv").decode()
    assert "lighthouse" not in archive.read("clips.json").decode()
    assert "prompt" not in json.loads(archive.read("clips.json"))["clips"][0]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("../../etc/passwd", "001 etc passwd.mp4"),
        ('C:\\Users\\a "b" <c>|d?*', "001 C Users a b c d.mp4"),
        ("tab\there\u202e\x00", "001 tab here.mp4"),
        ("word " * 30, "001 " + " ".join(["word"] * 12) + ".mp4"),
        ("...", "001 A red fox runs through fresh snow.mp4"),  # nothing left: the prompt
    ],
)
def test_file_names_are_one_safe_line(title, expected):
    # In memory: a name with a NUL, or longer than a title may be, never reaches the database
    # (PostgreSQL refuses both), but an export must still name such a clip safely.
    clip = Generation(
        title=title, prompt="A red fox runs through fresh snow", endpoint="text-to-video"
    )
    video = Output(file="outputs/1/video.mp4", content_type="video/mp4")
    assert export.member_name(1, clip, video, view=export.TEAM) == expected


def test_metadata_takes_the_same_queries_for_two_clips_or_ten(owner, make_clip):
    def count(n: int) -> int:
        Generation.objects.all().delete()
        for i in range(n):
            make_clip(owner, title=f"clip {i}")
        with CaptureQueriesContext(connection) as queries:
            rows = export.metadata_rows(Generation.objects.order_by("-created_at"))
            export.json_document(Generation.objects.all())
        assert len(rows) == n
        return len(queries)

    assert count(2) == count(10)


def test_the_csv_streams_every_clip_in_batches(owner, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 7)
    factories.bulk_ready_clips(owner, 30)
    rows = _csv_rows(b"".join(export.csv_stream(Generation.objects.order_by("-created_at"))))
    assert len(rows) == 30
    assert rows[0]["file"].startswith("001 ") and rows[29]["file"].startswith("030 ")
    assert {r["file_status"] for r in rows} == {export.STORED}


def test_the_zip_streams_in_chunks_of_at_most_a_read(owner, make_clip):
    """Memory stays bounded by the chunk on its way out (the figures are bench/bench_zip.py's)."""
    clip = make_clip(owner, title="big", video=False)
    factories.add_video(clip, data=os.urandom(7 * export.CHUNK_SIZE // 2))
    chunks = export.zip_stream(_ordered(clip))
    sizes = [len(chunk) for chunk in chunks]
    assert len(sizes) >= 4  # sent as it is read, not built first
    assert max(sizes) <= export.CHUNK_SIZE + 1024  # a read, and the entry's header or descriptor


# --- the views ---------------------------------------------------------------------------------


def _body(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def test_a_zip_of_the_ticked_clips(owner_client, three, tmp_path):
    named, _, failed = three
    response = owner_client.post(ZIP_URL, {"ids": [str(named.pk), str(failed.pk)]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="ltxdash-clips-')
    assert response["Content-Disposition"].endswith('.zip"')
    assert not response.has_header("Content-Length")
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    assert archive.namelist() == ["001 Harbour at dawn.mp4", "clips.csv", "clips.json"]


def test_a_zip_of_everything_the_filters_match(owner_client, owner, make_clip):
    make_clip(owner, prompt="A harbour at night")
    make_clip(owner, prompt="A desert road")
    response = owner_client.post(ZIP_URL, {"all": "1", "q": "harbour"})
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    assert archive.namelist() == ["001 A harbour at night.mp4", "clips.csv", "clips.json"]


def test_a_zip_is_capped(owner_client, three, monkeypatch):
    monkeypatch.setattr(export, "MAX_ZIP_CLIPS", 2)
    response = owner_client.post(ZIP_URL, {"all": "1"})
    assert response.status_code == 422
    assert "The filter matches more than 2 clips" in response["X-Ltxdash-Message"]
    ids = [str(c.pk) for c in three]
    response = owner_client.post(ZIP_URL, {"ids": ids})
    assert response.status_code == 422
    assert "Pick at most 2 clips at a time." in response["X-Ltxdash-Message"]


def test_nothing_chosen_is_a_message(owner_client, db):
    response = owner_client.post(ZIP_URL, {})
    assert response.status_code == 422
    assert "Pick at least one clip." in response["X-Ltxdash-Message"]
    assert owner_client.post(ZIP_URL, {"ids": ["12x"]}).status_code == 422


def test_a_selection_with_another_workspaces_clip_is_refused_whole(
    owner_client, three, stranger, make_clip
):
    theirs = make_clip(stranger)
    ids = [str(three[0].pk), str(three[1].pk), str(theirs.pk), "999999"]
    response = owner_client.post(ZIP_URL, {"ids": ids})
    assert response.status_code == 404
    assert not response.streaming
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Ltxdash-Message"] == (
        "2 of the 4 clips picked are not in this workspace (or no longer exist); nothing was "
        "downloaded."
    )


def _viewer_of(owner) -> tuple:
    team = Workspace.objects.create(name="Studio", slug="studio")
    viewer = factories.make_user("vera")
    for user, role in ((owner, Role.CREATOR), (viewer, Role.VIEWER)):
        Membership.objects.create(workspace=team, user=user, role=role)
        current.choose(user, team)
    return team, viewer


def test_a_viewer_may_download(client, owner, make_clip):
    team, viewer = _viewer_of(owner)
    clip = make_clip(owner, workspace=team, title="Team clip")
    client.force_login(viewer)
    archive = zipfile.ZipFile(io.BytesIO(_body(client.post(ZIP_URL, {"ids": [clip.pk]}))))
    assert archive.namelist()[0] == "001 Team clip.mp4"
    rows = _csv_rows(_body(client.get(CSV_URL)))
    assert [int(r["id"]) for r in rows] == [clip.pk]


def test_anonymous_visitors_are_sent_to_log_in(client, three):
    for response in (client.post(ZIP_URL, {"all": "1"}), client.get(CSV_URL)):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def _storage_state() -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def _open_files() -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return {path for path in found if path.startswith(str(settings.MEDIA_ROOT))}


@pytest.mark.local_media  # open files under MEDIA_ROOT (S3: tests/gallery/test_s3_serving.py)
def test_a_client_that_goes_away_halfway_leaves_nothing_behind(owner_client, owner, make_clip):
    big = [make_clip(owner, title=f"big {i}", video=False) for i in range(2)]
    for i, clip in enumerate(big):  # several chunks each: 2.5 MiB that do not compress
        factories.add_video(clip, data=os.urandom(5 * export.CHUNK_SIZE // 2 + i))
    before = _storage_state()
    response = owner_client.post(ZIP_URL, {"all": "1"})
    chunks = iter(response.streaming_content)
    received = sum(len(next(chunks)) for _ in range(2))
    assert 0 < received < sum(c.video.size for c in big)
    assert _open_files()  # a video is being read
    # The client went away: the server stops reading the body and closes it. Closing the test
    # client's own wrapper of the body does that as a WSGI server would, and (unlike a bare
    # response.close()) keeps Django from closing this test's database connection, which on
    # PostgreSQL is mid-transaction.
    response._iterator.close()
    assert _open_files() == set()
    tmp = Path(settings.LTXDASH_TMP_DIR)
    assert not tmp.exists() or not any(tmp.iterdir())
    assert _storage_state() == before

    archive = zipfile.ZipFile(io.BytesIO(_body(owner_client.post(ZIP_URL, {"all": "1"}))))
    assert archive.testzip() is None
    for clip in big:
        name = next(n for n in archive.namelist() if n.endswith(f"{clip.title}.mp4"))
        assert hashlib.sha256(archive.read(name)).hexdigest() == clip.video.sha256


# --- the CSV of the gallery's list -------------------------------------------------------------


def test_the_csv_is_what_the_gallery_filters_show(owner_client, owner, make_clip):
    harbour = make_clip(owner, prompt="A harbour at night")
    road = make_clip(owner, prompt="A desert road", endpoint="image-to-video")
    make_clip(owner, prompt="A forest")
    response = owner_client.get(CSV_URL, {"q": "harbour"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ltxdash-clips-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert [int(r["id"]) for r in _csv_rows(_body(response))] == [harbour.pk]
    rows = _csv_rows(_body(owner_client.get(CSV_URL, {"mode": "image-to-video"})))
    assert [int(r["id"]) for r in rows] == [road.pk]
    assert len(_csv_rows(_body(owner_client.get(CSV_URL)))) == 3


def test_the_csv_is_not_only_the_first_page(owner_client, owner):
    factories.bulk_ready_clips(owner, 30)  # more than a page of the gallery (24)
    assert len(_csv_rows(_body(owner_client.get(CSV_URL)))) == 30


def test_the_gallery_links_to_the_csv_of_its_filters(owner_client, three):
    page = owner_client.get(reverse("gallery:index"), {"q": "harbour", "after": "x"})
    assert b'href="/gallery/export.csv?q=harbour"' in page.content
    grid = owner_client.get(
        reverse("gallery:index"), {"mode": "extend"}, headers={"HX-Request": "true"}
    )
    assert b'href="/gallery/export.csv?mode=extend"' in grid.content
