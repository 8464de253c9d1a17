"""The media the simulator makes: EXR files, padded MP4s, byte ranges."""

from __future__ import annotations

import io
import os
import struct
import time

import av
import pytest

from ltxdash.simulator import exr
from ltxdash.simulator.render import Renderer, pad_with_free_box, write_mp4
from tests.support.simulator_api import submit, wait_for

SPEC = {"kind": "mp4", "width": 320, "height": 180, "fps": 24, "seconds": 1, "audio": True,
        "title": "padding", "caption": "", "pad_to": 0}  # fmt: skip


def test_it_writes_an_exr_header_with_the_required_attributes():
    data = exr.encode(4, 2, lambda x, y: (x / 4, y / 2, 2.5))

    assert data[:4] == b"\x76\x2f\x31\x01"
    assert struct.unpack("<i", data[4:8]) == (2,)  # version 2, scanline, no flags
    for attribute in (b"channels\0chlist\0", b"compression\0compression\0", b"dataWindow\0box2i\0",
                      b"displayWindow\0box2i\0", b"lineOrder\0lineOrder\0",
                      b"pixelAspectRatio\0float\0", b"screenWindowCenter\0v2f\0",
                      b"screenWindowWidth\0float\0"):  # fmt: skip
        assert attribute in data
    # header, 2 offsets, 2 chunks of (y, size, 4 px x 3 channels x 2 bytes)
    header_end = data.index(b"screenWindowWidth\0float\0") + 24 + 4 + 4 + 1
    first_chunk = struct.unpack("<Q", data[header_end : header_end + 8])[0]
    assert first_chunk == header_end + 16
    assert len(data) == first_chunk + 2 * (8 + 24)


def test_it_writes_exr_that_ffmpeg_decodes_with_hdr_values(tmp_path):
    path = tmp_path / "frame.exr"
    path.write_bytes(exr.encode(8, 4, lambda x, y: (3.0, 0.5, 0.25)))

    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))

    assert (frame.width, frame.height) == (8, 4)
    assert frame.format.name.startswith(("gbrpf16", "gbrpf32"))
    number = "<e" if frame.format.name.startswith("gbrpf16") else "<f"
    green, blue, red = (struct.unpack_from(number, bytes(plane))[0] for plane in frame.planes[:3])
    assert (green, blue) == (pytest.approx(0.5, rel=0.01), pytest.approx(0.25, rel=0.01))
    assert red == pytest.approx(3.0, rel=0.01)  # a value above 1.0 survives: it is HDR


def test_it_pads_an_mp4_with_a_free_box_and_stays_playable(tmp_path):
    path = tmp_path / "clip.mp4"
    write_mp4(path, SPEC)
    size = path.stat().st_size

    pad_with_free_box(path, 3 * 1024 * 1024)

    assert path.stat().st_size == 3 * 1024 * 1024
    with path.open("rb") as f:
        f.seek(size)
        box_size, box_type = struct.unpack(">I4s", f.read(8))
    assert (box_size, box_type) == (3 * 1024 * 1024 - size, b"free")
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 24


@pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0)
def test_it_grows_the_output_to_the_size_marker(api):
    job_id = submit(api, prompt="a big one [size=2M]")
    download = api.get(wait_for(api, "text-to-video", job_id)["result"]["video_url"])

    assert len(download.content) == int(download.headers["content-length"]) == 2 * 1024 * 1024
    with av.open(io.BytesIO(download.content)) as container:
        assert container.duration > 0


@pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0, output_pad_bytes=1_500_000)
def test_it_pads_every_output_when_configured(api):
    job_id = submit(api)
    response = api.head(wait_for(api, "text-to-video", job_id)["result"]["video_url"])
    assert response.headers["content-length"] == "1500000"


@pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0)
def test_it_serves_byte_ranges(api):
    url = wait_for(api, "text-to-video", submit(api))["result"]["video_url"]
    whole = api.get(url).content

    part = api.get(url, headers={"Range": "bytes=100-199"})
    tail = api.get(url, headers={"Range": "bytes=-50"})
    beyond = api.get(url, headers={"Range": f"bytes={len(whole)}-"})

    assert (part.status_code, part.content) == (206, whole[100:200])
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    assert (tail.status_code, tail.content) == (206, whole[-50:])
    assert beyond.status_code == 416


def test_the_render_cache_forgets_files_unused_for_a_day_and_renders_them_again(tmp_path):
    renders = []
    renderer = Renderer(tmp_path / "cache", on_render=renders.append, keep_unused_seconds=3600)
    old, used = {**SPEC, "title": "old"}, {**SPEC, "title": "used"}
    old_path, used_path = renderer.ensure(old), renderer.ensure(used)
    two_hours_ago = time.time() - 7200
    for path in (old_path, used_path):
        os.utime(path, (two_hours_ago, two_hours_ago))
    renderer.ensure(used)  # a cache hit: it counts as used now

    assert renderer.prune(force=True) == [old_path]

    assert used_path.exists() and not old_path.exists()
    assert renderer.ensure(old) == old_path and old_path.exists()
    assert renders == ["mp4", "mp4", "mp4"]  # old, used, then old again; the hit rendered nothing


def test_the_render_cache_is_looked_over_at_most_every_ten_minutes(tmp_path):
    renderer = Renderer(tmp_path / "cache", keep_unused_seconds=0)
    renderer.ensure({**SPEC, "title": "first"})  # renders, then prunes everything older than now

    second = renderer.ensure({**SPEC, "title": "second"})
    time.sleep(0.01)

    assert renderer.prune() == []  # too soon after the last look
    assert renderer.prune(force=True) == [second]
