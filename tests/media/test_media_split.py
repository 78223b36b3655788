"""Splitting the real sample videos into equal parts, fast and exact.

Each split runs once per module (module-scoped fixtures) and several tests look at its parts.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
from pathlib import Path

import pytest

from engine.probe import VideoInfo, probe
from engine.split import SplitResult, copy_container, part_name, split_video, tolerance
from tests.media.measure import ffprobe, frame_count, streams

# name: parts for the fast split (small counts keep the suite quick)
FAST = {
    "h264-aac-1080p-10s.mp4": 4,  # keyframe every 0.6 s: fast works
    "vp8-vorbis-720p-30s.webm": 2,  # stays WebM
    "mjpeg-pcm-1.5s.mov": 1,
    "h264-aac-320x240-7s.mp4": 2,  # irregular keyframes: falls back to exact
    "h264-no-audio-2s.mp4": 2,
}
EXACT = {
    "h264-aac-1080p-10s.mp4": 4,
    "vp9-opus-no-container-duration.webm": 3,
    "h264-aac-rotated-vertical-10s.mp4": 3,
    "h264-no-audio-2s.mp4": 2,
}


def video_length(path: Path) -> float:
    """The part's video from its first packet to the end of its last, measured here with ffprobe."""
    packets = ffprobe(path, "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time")["packets"]
    starts = sorted(float(p["pts_time"]) for p in packets)
    # Encoders working in the source's time base leave packet durations out: a frame lasts the usual gap.
    gaps = sorted(b - a for a, b in itertools.pairwise(starts))
    gap = gaps[len(gaps) // 2] if gaps else 0.0
    return max(float(p["pts_time"]) + float(p.get("duration_time") or gap) for p in packets) - starts[0]


def _split(media: Path, name: str, parts: int, out: Path, exact: bool) -> tuple[VideoInfo, SplitResult]:
    async def go() -> tuple[VideoInfo, SplitResult]:
        info = await probe(media / name)
        return info, await split_video(media / name, info, parts, out, exact=exact)

    return asyncio.run(go())


Splits = dict[str, tuple[VideoInfo, SplitResult]]  # by sample name: its probe and its split


@pytest.fixture(scope="module")
def fast_splits(media: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[VideoInfo, SplitResult]]:
    return {
        name: _split(media, name, parts, tmp_path_factory.mktemp("fast"), exact=False) for name, parts in FAST.items()
    }


@pytest.fixture(scope="module")
def exact_splits(media: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[VideoInfo, SplitResult]]:
    return {
        name: _split(media, name, parts, tmp_path_factory.mktemp("exact"), exact=True) for name, parts in EXACT.items()
    }


@pytest.mark.parametrize("name", sorted(FAST))
def test_fast_split_gives_n_parts_near_the_target(fast_splits: Splits, name: str) -> None:
    info, result = fast_splits[name]
    count = FAST[name]
    target = info.duration / count
    assert [p.index for p in result.parts] == list(range(1, count + 1))
    assert [p.path.name for p in result.parts] == [
        part_name(i, count, result.parts[0].path.suffix) for i in range(1, count + 1)
    ]
    assert result.fell_back is (result.mode == "exact")
    for part in result.parts:
        assert part.path.is_file()
        assert abs(part.duration - target) <= tolerance(target)
        assert video_length(part.path) == pytest.approx(part.duration, abs=0.01)
    assert sum(p.duration for p in result.parts) == pytest.approx(info.duration, abs=0.1)
    # Starts (where each part begins in the source) follow one another.
    assert result.parts[0].start == 0
    for before, after in zip(result.parts, result.parts[1:], strict=False):
        assert after.start == pytest.approx(before.start + before.duration, abs=0.05)


def test_fast_split_stream_copies_into_a_container_that_holds_the_codecs(fast_splits: Splits) -> None:
    _, webm = fast_splits["vp8-vorbis-720p-30s.webm"]
    assert webm.mode == "fast" and not webm.fell_back
    assert all(p.path.suffix == ".webm" for p in webm.parts)
    assert [s["codec_name"] for s in streams(webm.parts[0].path)] == ["vp8", "vorbis"]
    _, mov = fast_splits["mjpeg-pcm-1.5s.mov"]
    assert mov.mode == "fast" and mov.parts[0].path.suffix == ".mov"
    assert [s["codec_name"] for s in streams(mov.parts[0].path)] == ["mjpeg", "pcm_u8"]
    _, mp4 = fast_splits["h264-aac-1080p-10s.mp4"]
    assert mp4.mode == "fast" and all(p.path.suffix == ".mp4" for p in mp4.parts)


def test_fast_split_falls_back_to_exact_when_keyframes_are_too_far(fast_splits: Splits) -> None:
    info, result = fast_splits["h264-aac-320x240-7s.mp4"]
    assert result.mode == "exact" and result.fell_back
    target = info.duration / 2
    assert all(abs(p.duration - target) <= 1 / info.fps + 0.05 for p in result.parts)
    # The fast attempt's files are gone: only the N exact parts are left.
    assert sorted(p.name for p in result.parts[0].path.parent.iterdir()) == [p.path.name for p in result.parts]


def test_no_audio_video_splits_without_audio(fast_splits: Splits) -> None:
    _, result = fast_splits["h264-no-audio-2s.mp4"]
    assert all([s["codec_type"] for s in streams(p.path)] == ["video"] for p in result.parts)


@pytest.mark.slow  # re-encodes every sample (the exact_splits fixture)
@pytest.mark.parametrize("name", sorted(EXACT))
def test_exact_split_parts_last_the_target_within_a_frame(exact_splits: Splits, name: str) -> None:
    info, result = exact_splits[name]
    count = EXACT[name]
    target = info.duration / count
    assert result.mode == "exact" and not result.fell_back
    assert len(result.parts) == count
    for part in result.parts:
        assert abs(part.duration - target) <= 1 / info.fps + 0.05, (part, target)
        assert abs(video_length(part.path) - target) <= 1 / info.fps + 0.05
        video = next(s for s in streams(part.path) if s["codec_type"] == "video")
        assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")
        assert video["width"] % 2 == 0 and video["height"] % 2 == 0
    kinds = [s["codec_type"] for s in streams(result.parts[0].path)]
    assert kinds == (["video", "audio"] if info.has_audio else ["video"])
    if info.has_audio:
        assert streams(result.parts[0].path)[1]["codec_name"] == "aac"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXACT))
def test_exact_split_keeps_every_frame_once(media: Path, exact_splits: Splits, name: str) -> None:
    _, result = exact_splits[name]
    assert sum(frame_count(p.path) for p in result.parts) == frame_count(media / name)


@pytest.mark.slow
def test_exact_split_of_a_rotated_video_is_upright(exact_splits: Splits) -> None:
    _, result = exact_splits["h264-aac-rotated-vertical-10s.mp4"]
    video = streams(result.parts[0].path)[0]
    assert (video["width"], video["height"]) == (544, 1280)


def test_exact_split_keeps_variable_frame_timing(tmp_path: Path) -> None:
    # 20 frames at 10 fps, then one frame held for 1 s (2 s to 3 s), then 54 frames at 25 fps.
    src = tmp_path / "vfr.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=64x48:r=25:d=3",
         "-vf", "setpts='if(lt(N,20),N*0.1,if(lt(N,21),2,3+(N-21)*0.04))/TB'", "-fps_mode", "passthrough",
         "-c:v", "libx264", str(src)],
        check=True,
    )  # fmt: skip
    info = asyncio.run(probe(src))
    result = asyncio.run(split_video(src, info, 2, tmp_path / "out", exact=True))
    # The cut lands on the first frame at or after the 2.58 s target, the one at 3 s; no frame is invented
    # (a constant-rate encode would fill the held second with copies) or dropped.
    counts = [frame_count(p.path) for p in result.parts]
    assert sum(counts) == frame_count(src) == 75
    assert counts == [21, 54]
    assert result.parts[1].start == pytest.approx(3.0, abs=0.001)


def test_split_maps_only_the_first_video_and_audio(tmp_path: Path, media: Path) -> None:
    # A Matroska file with a subtitle track and a second audio track.
    srt = tmp_path / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    src = tmp_path / "with-subs.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(media / "h264-aac-1080p-10s.mp4"), "-i", str(srt),
         "-map", "0:v", "-map", "0:a", "-map", "0:a", "-map", "1", "-c", "copy", "-t", "3", str(src)],
        check=True,
    )  # fmt: skip

    async def go() -> SplitResult:
        info = await probe(src)
        return await split_video(src, info, 2, tmp_path / "out")

    result = asyncio.run(go())
    assert result.mode == "fast" and len(result.parts) == 2
    assert [s["codec_type"] for s in streams(result.parts[0].path)] == ["video", "audio"]


def test_container_choice() -> None:
    def info(v: str, a: str | None, fmt: str = "matroska,webm") -> VideoInfo:
        return VideoInfo(1, 2, 2, 25, 0, v, a, 1, fmt)

    assert copy_container(info("h264", "aac")) == ".mp4"
    assert copy_container(info("hevc", None)) == ".mp4"
    assert copy_container(info("vp8", "vorbis")) == ".webm"
    assert copy_container(info("vp9", "opus")) == ".webm"
    assert copy_container(info("h264", "opus")) == ".mkv"
    assert copy_container(info("mjpeg", "pcm_u8", "mov,mp4,m4a,3gp,3g2,mj2")) == ".mov"
    assert copy_container(info("mpeg2video", "mp2", "mpegts")) == ".mkv"


def test_part_names_are_padded_to_the_width_of_n() -> None:
    assert part_name(2, 4, ".webm") == "part-2-of-4.webm"
    assert part_name(2, 12, ".mp4") == "part-02-of-12.mp4"
    assert part_name(7, 100, ".mp4", "new-music") == "part-007-of-100-new-music.mp4"


def test_a_file_whose_clock_does_not_start_at_zero_splits_like_the_original(
    media: Path, fast_splits: Splits, tmp_path: Path
) -> None:
    # MPEG-TS time stamps start at 1.4 s, and its audio starts a frame before its video.
    src = tmp_path / "broadcast.ts"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(media / "h264-aac-1080p-10s.mp4"), "-c", "copy", "-f", "mpegts", str(src)],
        check=True,
    )
    info, result = _split(tmp_path, src.name, 4, tmp_path / "out", exact=False)
    assert info.start_time > 1.4
    _, original = fast_splits["h264-aac-1080p-10s.mp4"]
    assert result.mode == "fast"
    assert [x for p in result.parts for x in (p.start, p.duration)] == pytest.approx(
        [x for p in original.parts for x in (p.start, p.duration)], abs=0.002
    )
    assert [video_length(p.path) for p in result.parts] == pytest.approx([p.duration for p in original.parts], abs=0.01)


def test_one_part_is_the_whole_video_and_a_copy_keeps_its_rotation(media: Path, tmp_path: Path) -> None:
    # Longer than the segment muxer's default 2 s segments, with keyframes every few seconds.
    info, result = _split(media, "h264-aac-rotated-vertical-10s.mp4", 1, tmp_path, exact=False)
    assert result.mode == "fast" and len(result.parts) == 1
    assert result.parts[0].duration == pytest.approx(info.duration, abs=0.001)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-1-of-1.mp4"]
    copied = asyncio.run(probe(result.parts[0].path))
    assert (copied.width, copied.height, copied.rotation) == (544, 1280, -90)
