"""The pipeline with media on a real S3 server (moto's server mode over HTTP) and the simulator:
the verified copy lands in the bucket (multipart when large), the faststart rewrite goes through
a scratch copy, copy again and failed copies leave nothing behind, inputs are streamed from the
bucket to LTX's upload URL."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ltxdash import media
from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation, GenerationInput, Output, State
from ltxdash.generations.pipeline import faststart, filestore, rehost
from ltxdash.ltx.client import LTXClient
from tests.factories import T2V
from tests.media_factory import make_image
from tests.support.pipeline import finished, queued_tasks_now, run_tasks, task_names, upload_source

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pipeline_settings", "s3_media"),
]


def _object(s3_media, name: str) -> bytes:
    return s3_media.read(default_storage.key(name))


def test_the_verified_copy_and_its_poster_land_in_the_bucket(
    ltx_simulator, owner, s3_media, tmp_path
):
    generation = finished(owner)

    assert rehost.rehost_generation(generation.pk) == "ready"

    output = Output.objects.get(generation=generation)
    data = _object(s3_media, output.file.name)
    assert len(data) == output.size and hashlib.sha256(data).hexdigest() == output.sha256
    assert output.file.name.startswith(f"outputs/{generation.pk}/")
    local = tmp_path / "copy.mp4"
    local.write_bytes(data)
    info = media.probe(local)
    assert (info.width, info.height) == (output.width, output.height)
    poster = _object(s3_media, output.poster.name)
    assert poster[:2] == b"\xff\xd8"  # our own JPEG
    assert s3_media.keys() == sorted([output.file.name, output.poster.name])
    assert not any(p for p in tmp_path.joinpath("tmp").glob("ltxdash-*"))  # scratch cleaned


def test_a_large_output_goes_up_as_a_multipart_upload(ltx_simulator, owner, s3_media):
    generation = finished(owner, prompt="a lighthouse [size=40MiB]")

    assert rehost.rehost_generation(generation.pk) == "ready"

    output = Output.objects.get(generation=generation)
    key = default_storage.key(output.file.name)
    head = s3_media.client().head_object(Bucket=s3_media.bucket, Key=key)
    assert head["ContentLength"] == output.size >= 40 * 1024 * 1024
    assert head["ETag"].strip('"').endswith("-3")  # three 16 MiB parts
    assert hashlib.sha256(_object(s3_media, output.file.name)).hexdigest() == output.sha256


def test_a_truncated_download_stores_nothing_and_is_retried(
    ltx_simulator, owner, s3_media, settings
):
    settings.LTXDASH_PIPELINE_DOWNLOAD_SECONDS = 1.0
    generation = finished(owner)
    ltx_simulator.configure(truncate_rate=1.0, fault_targets=["download"], fault_limit=20)

    assert rehost.rehost_generation(generation.pk) == "retry"

    assert Generation.objects.get(pk=generation.pk).state == State.REHOSTING
    assert s3_media.keys() == []


def test_the_rewrite_for_streaming_goes_through_a_scratch_copy(
    ltx_simulator, owner, s3_media, tmp_path
):
    generation = finished(owner)
    assert rehost.rehost_generation(generation.pk) == "ready"
    assert task_names(queued_tasks_now()) == ["make_streamable"]
    before = Output.objects.get(generation=generation)

    assert faststart.make_streamable(before.pk) == "done"

    after = Output.objects.get(pk=before.pk)
    assert after.file.name != before.file.name
    data = _object(s3_media, after.file.name)
    assert hashlib.sha256(data).hexdigest() == after.sha256 and len(data) == after.size
    local = tmp_path / "rewritten.mp4"
    local.write_bytes(data)
    assert media.is_faststart(local)
    assert s3_media.keys() == sorted([after.file.name, after.poster.name])  # the old one is gone


def test_copy_again_replaces_the_objects(ltx_simulator, owner, s3_media):
    generation = finished(owner)
    assert rehost.rehost_generation(generation.pk) == "ready"
    queued_tasks_now()
    first = Output.objects.get(generation=generation)

    assert pipeline.copy_again(Generation.objects.get(pk=generation.pk))
    run_tasks([t for t in queued_tasks_now() if "rehost" in t["func"]])

    again = Output.objects.get(generation=generation)
    assert Generation.objects.get(pk=generation.pk).state == State.READY
    assert again.file.name != first.file.name
    assert s3_media.keys() == sorted([again.file.name, again.poster.name])


def test_an_uploaded_input_is_streamed_from_the_bucket_to_ltx(
    ltx_simulator, owner, s3_media, tmp_path
):
    image = make_image(tmp_path / "first.png", width=640, height=360)
    (generation,) = pipeline.create_generations(
        owner=owner,
        endpoint="image-to-video",
        params={**T2V, "prompt": "the picture moves"},
        inputs={"image_uri": upload_source(image, "image/png")},
    )
    item = GenerationInput.objects.get(generation=generation)
    assert _object(s3_media, item.file.name) == image.read_bytes()

    results = []
    for _ in range(5):
        results += [r for r in run_tasks(queued_tasks_now()) if isinstance(r, str)]
    assert "submitted" in results

    item.refresh_from_db()
    assert item.storage_uri
    (uploaded,) = (ltx_simulator.state_dir / "uploads").iterdir()
    assert uploaded.read_bytes() == image.read_bytes()
    assert not list((tmp_path / "tmp").glob("ltxdash-upload-*"))


def test_a_large_object_is_sent_in_ranged_reads_without_a_local_copy(
    ltx_simulator, s3_media, tmp_path
):
    data = os.urandom(9 * 1024 * 1024 + 7)
    name = default_storage.save("inputs/big.bin", ContentFile(data))
    opener, size = filestore.stream_source(name)
    assert size == len(data)

    with LTXClient(api_key="sk-test-key", base_url=ltx_simulator.url) as client:
        uri = client.upload_stream(opener, size, "video/mp4", name="big.bin")

    assert uri
    (uploaded,) = (ltx_simulator.state_dir / "uploads").iterdir()
    assert uploaded.read_bytes() == data


def test_a_stored_file_reads_back_by_ranges_and_seeks(s3_media):
    data = os.urandom(5 * 1024 * 1024)
    name = default_storage.save("outputs/1/seek.bin", ContentFile(data))
    with default_storage.open(name, "rb") as file:
        assert file.size == len(data)
        file.seek(4 * 1024 * 1024)
        assert file.read(10) == data[4 * 1024 * 1024 : 4 * 1024 * 1024 + 10]
        file.seek(0)
        assert b"".join(iter(lambda: file.read(1 << 20), b"")) == data
    assert isinstance(default_storage.open(name, "rb").file, io.BufferedReader)
    with pytest.raises(FileNotFoundError):
        default_storage.open("outputs/1/missing.bin", "rb")
