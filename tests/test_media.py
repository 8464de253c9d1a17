import av
import pytest
from PIL import Image, ImageFile, ImageStat

from ltxdash.media import Bounds, MediaError, is_faststart, make_poster, probe, remux_faststart
from tests.media_factory import make_audio, make_huge_png, make_image, make_video

# --- probe ------------------------------------------------------------------------------------


def test_it_probes_a_silent_h264_mp4(tmp_path):
    info = probe(make_video(tmp_path / "clip.mp4", seconds=3, width=320, height=180, fps=24))
    assert (info.kind, info.mime, info.container, info.codec) == (
        "video",
        "video/mp4",
        "mp4",
        "h264",
    )
    assert (info.width, info.height, info.fps, info.frames) == (320, 180, 24.0, 72)
    assert info.duration == pytest.approx(3.0, abs=0.05)
    assert (info.has_audio, info.audio_codec) == (False, None)
    assert info.size == (tmp_path / "clip.mp4").stat().st_size
    assert info.resolution == "320x180"


def test_it_probes_an_mp4_with_aac_audio(tmp_path):
    info = probe(make_video(tmp_path / "clip.mp4", audio=True))
    assert (info.kind, info.has_audio, info.audio_codec) == ("video", True, "aac")


@pytest.mark.parametrize(
    ("name", "codec", "mime", "container", "expected_codec"),
    [
        ("clip.mov", "libx264", "video/quicktime", "mov", "h264"),
        ("clip.mkv", "libx264", "video/x-matroska", "mkv", "h264"),
        ("clip.mp4", "libx265", "video/mp4", "mp4", "hevc"),
    ],
)
def test_it_probes_other_supported_containers_and_codecs(
    tmp_path, name, codec, mime, container, expected_codec
):
    info = probe(make_video(tmp_path / name, codec=codec))
    assert (info.mime, info.container, info.codec) == (mime, container, expected_codec)
    assert info.frames == 72  # MKV has no frame count in its header: counted from packets


def test_it_reports_the_displayed_size_of_a_rotated_video(tmp_path):
    info = probe(make_video(tmp_path / "phone.mp4", width=320, height=180, rotation=-90))
    assert (info.width, info.height) == (180, 320)


@pytest.mark.parametrize(
    ("fmt", "mime", "codec"),
    [
        ("wav", "audio/wav", "pcm_s16le"),
        ("m4a", "audio/mp4", "aac"),
        ("mp3", "audio/mpeg", "mp3"),
        ("ogg", "audio/ogg", "opus"),
    ],
)
def test_it_probes_supported_audio(tmp_path, fmt, mime, codec):
    info = probe(make_audio(tmp_path / f"sound.{fmt}", seconds=3, fmt=fmt))
    assert (info.kind, info.mime, info.container, info.codec) == ("audio", mime, fmt, codec)
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert (info.width, info.height, info.frames) == (None, None, None)


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_it_probes_supported_images(tmp_path, fmt, mime):
    info = probe(make_image(tmp_path / "still", width=1080, height=1920, fmt=fmt))
    assert (info.kind, info.mime, info.width, info.height) == ("image", mime, 1080, 1920)
    assert (info.duration, info.has_audio) == (None, False)


def test_it_goes_by_content_not_by_file_name(tmp_path):
    png = make_image(tmp_path / "a.png")
    clip = make_video(tmp_path / "b.mp4")
    assert probe(png.rename(tmp_path / "holiday.mp4")).mime == "image/png"
    assert probe(clip.rename(tmp_path / "picture.png")).mime == "video/mp4"


def test_it_refuses_a_text_file_named_mp4(tmp_path):
    fake = tmp_path / "clip.mp4"
    fake.write_text("This is not a video, just some words.\n" * 50)
    with pytest.raises(MediaError, match="^This file is not a video we can use: "):
        probe(fake)


def test_it_refuses_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe(tmp_path / "empty.mp4")
    with pytest.raises(MediaError):
        probe(tmp_path / "nothing-here.mp4")


def test_it_refuses_a_truncated_video(tmp_path):
    clip = make_video(tmp_path / "clip.mp4", seconds=3)  # index at the end, as LTX writes them
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(MediaError, match="not a video we can use"):
        probe(cut)


def test_it_refuses_a_damaged_image(tmp_path):
    png = make_image(tmp_path / "a.png", width=640, height=360)
    cut = tmp_path / "cut.png"
    cut.write_bytes(png.read_bytes()[:200])
    with pytest.raises(MediaError, match="not an image we can use"):
        probe(cut)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: make_image(d / "a.gif", fmt="GIF"), "GIF images aren't supported"),
        (lambda d: make_audio(d / "a.flac", fmt="flac"), "FLAC files aren't supported"),
        (lambda d: make_video(d / "a.webm", codec="libvpx-vp9"), "vp9 video"),
        (lambda d: make_video(d / "a.avi", fmt="avi", codec="mpeg4"), "AVI files aren't supported"),
    ],
)
def test_it_names_what_is_unsupported(tmp_path, make, message):
    with pytest.raises(MediaError, match=message):
        probe(make(tmp_path))


# --- posters --------------------------------------------------------------------------------------


def test_it_makes_a_poster_no_wider_than_asked(tmp_path):
    clip = make_video(tmp_path / "clip.mp4", width=1280, height=720)
    assert make_poster(clip, tmp_path / "poster.jpg") == (640, 360)
    with Image.open(tmp_path / "poster.jpg") as poster:
        assert (poster.format, poster.size) == ("JPEG", (640, 360))
    assert make_poster(clip, tmp_path / "small.jpg", max_width=320) == (320, 180)


def test_it_keeps_small_videos_at_their_size(tmp_path):
    clip = make_video(tmp_path / "clip.mp4", width=320, height=180)
    assert make_poster(clip, tmp_path / "poster.jpg") == (320, 180)


@pytest.mark.parametrize("at_seconds", [None, 0.0])
def test_it_skips_black_frames_for_the_poster(tmp_path, at_seconds):
    # 24 black frames = the first second; 10% of 3 s (0.3 s) lands inside the fade.
    clip = make_video(tmp_path / "clip.mp4", seconds=3, black_frames=24)
    make_poster(clip, tmp_path / "poster.jpg", at_seconds=at_seconds)
    with Image.open(tmp_path / "poster.jpg") as poster:
        assert ImageStat.Stat(poster.convert("L")).mean[0] > 40


def test_it_takes_the_poster_about_ten_percent_in(tmp_path):
    clip = make_video(tmp_path / "clip.mp4", seconds=10, fps=24)  # brightness rises frame by frame
    make_poster(clip, tmp_path / "early.jpg")
    make_poster(clip, tmp_path / "late.jpg", at_seconds=9.0)
    make_poster(clip, tmp_path / "start.jpg", at_seconds=0.0)
    means = [
        ImageStat.Stat(Image.open(tmp_path / n).convert("L")).mean[0]
        for n in ("start.jpg", "early.jpg", "late.jpg")
    ]
    assert means[0] < means[1] < means[2]


def test_it_turns_the_poster_of_a_rotated_video_upright(tmp_path):
    clip = make_video(tmp_path / "phone.mp4", width=320, height=180, rotation=-90)
    assert make_poster(clip, tmp_path / "poster.jpg") == (180, 320)


def test_it_refuses_a_poster_from_a_non_video(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("hello\n" * 100)
    with pytest.raises(MediaError):
        make_poster(text, tmp_path / "poster.jpg")


# --- faststart ---------------------------------------------------------------------------------------


def _top_level_boxes(path):
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        if size < 8:
            break
        offset += size
    return boxes


def _packet_sizes(path):
    with av.open(str(path)) as container:
        return [(p.stream.type, p.size, p.pts) for p in container.demux() if p.size]


def test_it_remuxes_to_faststart_without_reencoding(tmp_path):
    source = make_video(tmp_path / "ltx.mp4", seconds=3, audio=True)
    assert _top_level_boxes(source).index("mdat") < _top_level_boxes(source).index("moov")
    assert not is_faststart(source)
    out = tmp_path / "web.mp4"
    remux_faststart(source, out)
    boxes = _top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")
    assert is_faststart(out)
    before, after = probe(source), probe(out)
    assert (after.codec, after.width, after.height, after.frames, after.audio_codec) == (
        before.codec, before.width, before.height, before.frames, before.audio_codec,
    )  # fmt: skip
    assert sorted(_packet_sizes(out)) == sorted(_packet_sizes(source))  # same compressed data


def test_it_remuxes_matroska_into_a_faststart_mp4(tmp_path):
    out = tmp_path / "web.mp4"
    remux_faststart(make_video(tmp_path / "clip.mkv", audio=True), out)
    info = probe(out)
    assert is_faststart(out) and (info.mime, info.frames, info.has_audio) == ("video/mp4", 72, True)


def test_it_refuses_to_remux_a_non_video(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("hello\n" * 100)
    with pytest.raises(MediaError):
        remux_faststart(text, tmp_path / "out.mp4")


def test_it_tells_faststart_files_apart(tmp_path):
    assert is_faststart(make_video(tmp_path / "fast.mp4", faststart=True))
    assert not is_faststart(make_video(tmp_path / "slow.mp4"))
    (tmp_path / "text.txt").write_text("moov mdat")
    assert not is_faststart(tmp_path / "text.txt")
    assert not is_faststart(make_image(tmp_path / "a.png"))


# --- bounds: checked on the header, before anything is decoded ----------------------------------

BOUNDS = Bounds(max_side=8192, max_pixels=40_000_000, max_seconds=600, max_frames=36_000)


@pytest.fixture
def decodes(monkeypatch):
    """Every image Pillow decodes (ImageFile.load), by size: a probe within bounds decodes
    nothing too large."""
    seen: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def load(image):
        seen.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_a_13000_pixel_square_png_is_refused_without_decoding_it(tmp_path, decodes):
    bomb = make_huge_png(tmp_path / "bomb.png", 13000, 13000)
    assert bomb.stat().st_size < 1_000_000  # small on disk, 169 MB once decoded
    with pytest.raises(MediaError, match="too large to open. Scale it down first"):
        probe(bomb, BOUNDS)
    with pytest.raises(MediaError):
        probe(bomb)  # Pillow's own backstop (Image.MAX_IMAGE_PIXELS) holds without bounds too
    assert decodes == []


def test_an_image_over_the_bounds_is_refused_by_its_header_with_its_size(tmp_path, decodes):
    big = make_huge_png(tmp_path / "big.png", 9000, 5000)
    with pytest.raises(MediaError, match="it is 9000x5000; the largest we take is 8192 px a side"):
        probe(big, BOUNDS)
    assert decodes == []
    assert probe(make_image(tmp_path / "ok.png"), BOUNDS).resolution == "320x180"


def test_a_video_over_the_bounds_is_refused_by_its_header(tmp_path):
    clip = make_video(tmp_path / "clip.mp4", seconds=3)
    small = Bounds(max_side=200, max_pixels=40_000, max_seconds=600, max_frames=36_000)
    with pytest.raises(MediaError, match="it is 320x180; the largest we take is 200 px a side"):
        probe(clip, small)
    short = Bounds(max_side=8192, max_pixels=40_000_000, max_seconds=2, max_frames=36_000)
    with pytest.raises(MediaError, match="it is 3 s long; the longest we take is 2 s"):
        probe(clip, short)
    few = Bounds(max_side=8192, max_pixels=40_000_000, max_seconds=600, max_frames=48)
    with pytest.raises(MediaError, match="it has 72 frames; the most we take is 48"):
        probe(clip, few)


def test_audio_over_the_bounds_is_refused_by_its_header(tmp_path):
    song = make_audio(tmp_path / "song.wav", seconds=3)
    short = Bounds(max_side=8192, max_pixels=40_000_000, max_seconds=2, max_frames=36_000)
    with pytest.raises(MediaError, match="it is 3 s long; the longest we take is 2 s"):
        probe(song, short)


@pytest.mark.parametrize(
    ("name", "options"),
    [("clip.mp4", {"faststart": True}), ("clip.mp4", {"faststart": True, "audio": True}),
     ("clip.mkv", {})],
)  # fmt: skip
def test_a_video_cut_in_half_is_refused_when_its_end_does_not_decode(tmp_path, name, options):
    # With the index in front (faststart, MKV) the first half still opens and decodes.
    clip = make_video(tmp_path / name, seconds=4, **options)
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    probe(cut)  # without bounds (our own outputs), only the start is decoded
    with pytest.raises(MediaError, match="cut short|end is damaged or missing"):
        probe(cut, BOUNDS)
    assert probe(clip, BOUNDS).frames == 96  # the whole file passes


def test_checking_the_end_has_a_time_limit(tmp_path):
    clip = make_video(tmp_path / "clip.mp4", seconds=2)
    hurried = Bounds(8192, 40_000_000, 600, 36_000, check_seconds=0)
    with pytest.raises(MediaError, match="took too long to check"):
        probe(clip, hurried)
