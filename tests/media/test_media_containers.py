"""Every container the probe accepts splits both ways (issue 13).

The case from the issue: an MPEG-4 Part 2 + MP3 AVI of 6 s at 30 fps in 3 parts made 2 parts and exited 1 when
split exactly. AVI's time base is one frame (1/30 s), and ffmpeg rounded the forced keyframe times to it, to
the nearest frame: 2.011 s went to the frame at 2.000 s, before the muxer's cut, which then passed the keyframe
by. The split now rounds those times up, to the first frame at or after each cut.
"""

from __future__ import annotations

import asyncio
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from engine.probe import VideoInfo, probe
from engine.split import SplitResult, _keyframe_times, split_video
from tests.media.measure import frame_count, streams

# name: ffmpeg options that make it from a 176x144, 30 fps test picture and a 440 Hz tone (keyframe every 0.5 s)
CONTAINERS = {
    "mpeg4-mp3.avi": ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
    "h264-mp3.avi": ["-c:v", "libx264", "-c:a", "libmp3lame"],  # B-frames and no presentation times
    "mjpeg-pcm.avi": ["-c:v", "mjpeg", "-c:a", "pcm_s16le"],
    "mpeg4-mp3.mp4": ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
    "prores-pcm.mov": ["-c:v", "prores", "-c:a", "pcm_s16le"],
    "h263-aac.3gp": ["-c:v", "h263", "-c:a", "aac"],
    "h264-opus.mkv": ["-c:v", "libx264", "-c:a", "libopus"],  # the audio starts before the video
    "mpeg4-ac3.mkv": ["-c:v", "mpeg4", "-c:a", "ac3"],
    "vp9-opus.webm": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus"],
    "mpeg2-mp2.ts": ["-c:v", "mpeg2video", "-c:a", "mp2"],
    "h264-aac.ts": ["-c:v", "libx264", "-c:a", "aac"],  # the clock starts at 1.4 s
    "flv1-mp3.flv": ["-c:v", "flv", "-c:a", "libmp3lame", "-ar", "44100"],
    "h264-aac.flv": ["-c:v", "libx264", "-c:a", "aac"],
    "theora-vorbis.ogv": ["-c:v", "libtheora", "-c:a", "libvorbis"],
}
PARTS = 3
FRAME = 1 / 30


def _make(folder: Path, name: str) -> Path:
    path = folder / name
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=176x144:r=30:d=6",
         "-f", "lavfi", "-i", "sine=f=440:d=6", *CONTAINERS[name], "-g", "15", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _split(path: Path, out: Path, exact: bool) -> tuple[VideoInfo, SplitResult]:
    async def go() -> tuple[VideoInfo, SplitResult]:
        info = await probe(path)
        return info, await split_video(path, info, PARTS, out, exact=exact)

    return asyncio.run(go())


def _check(src: Path, info: VideoInfo, result: SplitResult, exact: bool) -> None:
    target = info.duration / PARTS
    assert len(result.parts) == PARTS
    assert result.mode == ("exact" if exact else result.mode)
    # Every source frame is in exactly one part.
    assert sum(frame_count(p.path) for p in result.parts) == frame_count(src)
    for part in result.parts:
        assert part.path.is_file()
        assert [s["codec_type"] for s in streams(part.path)] == ["video", "audio"]
        if result.mode == "exact":
            # The first frame at or after each cut opens the next part: each part is the target within a frame.
            assert abs(part.duration - target) <= FRAME + 0.001, (part, target)
        else:
            assert abs(part.duration - target) <= max(0.5, 0.1 * target)
    assert sum(p.duration for p in result.parts) == pytest.approx(info.duration, abs=0.01)


@pytest.fixture(scope="module")
def issue_avi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make(tmp_path_factory.mktemp("avi"), "mpeg4-mp3.avi")


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])
def test_the_mpeg4_mp3_avi_of_the_issue_splits_in_three(issue_avi: Path, tmp_path: Path, exact: bool) -> None:
    info, result = _split(issue_avi, tmp_path, exact)
    assert (info.video_codec, info.audio_codec, info.time_base) == ("mpeg4", "mp3", Fraction(1, 30))
    _check(issue_avi, info, result, exact)
    assert result.mode == ("exact" if exact else "fast")
    # The AVI holds no frame at 1/30 s (its encoder's first output waits a frame): the first part ends at the
    # first frame at or after 6.033 / 3 = 2.011 s, the one at 2.033 s.
    assert [p.duration for p in result.parts] == pytest.approx([2.0333, 2.0, 2.0], abs=0.001)


def test_keyframe_times_are_rounded_up_to_the_time_base() -> None:
    def info(duration: float, time_base: Fraction | None, start: float = 0.0) -> VideoInfo:
        return VideoInfo(duration, 2, 2, 30, 0, "mpeg4", None, 1, "avi", start_time=start, time_base=time_base)

    # 6.0333 / 3 = 2.0111 s: rounded to the nearest 1/30 s it would be 2.000, before the cut.
    assert _keyframe_times(info(6.033333, Fraction(1, 30)), 3) == "2.033334,4.033334"
    # A time on a frame stays on it, floating-point noise or not.
    assert _keyframe_times(info(6.0, Fraction(1, 30)), 3) == "2.000000,4.000000"
    assert _keyframe_times(info(5.999999, Fraction(1, 90000), start=0.023223), 3) == "2.023223,4.023223"
    # Fine time bases change nothing but the microseconds; without one, the times are rounded up to them.
    assert _keyframe_times(info(10.04, Fraction(1, 12800)), 4) == "2.510000,5.020000,7.530000"
    assert _keyframe_times(info(10.0, None), 3) == "3.333334,6.666667"


@pytest.mark.slow
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])
@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_every_container_splits_both_ways(name: str, exact: bool, tmp_path: Path) -> None:
    src = _make(tmp_path, name)
    info, result = _split(src, tmp_path / "parts", exact)
    _check(src, info, result, exact)


SAMPLES = [
    "h264-aac-1080p-10s.mp4",
    "h264-aac-320x240-7s.mp4",
    "h264-aac-rotated-vertical-10s.mp4",
    "h264-no-audio-2s.mp4",
    "mjpeg-pcm-1.5s.mov",
    "vp8-vorbis-720p-30s.webm",
    "vp9-opus-no-container-duration.webm",
]


@pytest.mark.slow
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])
@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_splits_both_ways(media: Path, name: str, exact: bool, tmp_path: Path) -> None:
    async def go() -> tuple[VideoInfo, SplitResult]:
        info = await probe(media / name)
        return info, await split_video(media / name, info, PARTS, tmp_path, exact=exact)

    info, result = asyncio.run(go())
    target = info.duration / PARTS
    assert len(result.parts) == PARTS
    assert sum(frame_count(p.path) for p in result.parts) == frame_count(media / name)
    if result.mode == "exact":
        assert all(abs(p.duration - target) <= 1 / info.fps + 0.001 for p in result.parts)
