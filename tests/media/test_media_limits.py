"""Bounded work per video: the probe's memory and time, and the operator's limits (issue 13).

The hostile files are made here with ffmpeg: a many-frame 2x2 video (the issue's 19.5 MB file holds 1.5 million
frames; this one 100,000, enough to see memory grow with the packets and quick to build), a 1x30000 picture.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import BadInput, LimitExceeded
from engine.media_limits import Limit, MediaLimits, check_video
from engine.parts import check_part_count, plan, valid_part_counts
from engine.probe import probe
from riffcut.cli import main

MANY_FRAMES = 100_000
# Peak memory a probe may add over probing a small file. Holding every packet, as the probe once did, took
# about 72 MB more for these 100,000 frames (and 1.1 GB for 1.5 million).
GROWTH_LIMIT_MB = 20


@pytest.fixture(scope="module")
def many_frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100,000 frames of 2x2 pixels at 10,000 fps: 10 s, 2.6 MB."""
    path = tmp_path_factory.mktemp("many") / "many-frames.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"color=black:s=2x2:r=10000:d={MANY_FRAMES / 10000}",
         "-c:v", "libx264", "-preset", "ultrafast", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _make(path: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *args, str(path)], check=True)
    return path


PROBE_PEAK = """
import asyncio, json, resource, sys
from engine.probe import probe
info = asyncio.run(probe(sys.argv[1]))
print(json.dumps({"frames": info.frames, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _probe_peak(path: Path) -> dict[str, int]:
    """The probe run in a fresh interpreter: the frames it counted and that process's peak memory (KB)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE_PEAK, str(path)], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, int] = json.loads(done.stdout)
    return result


def test_probe_memory_does_not_grow_with_the_packets(many_frames: Path, media: Path) -> None:
    small = _probe_peak(media / "h264-no-audio-2s.mp4")
    many = _probe_peak(many_frames)
    assert many["frames"] == MANY_FRAMES and small["frames"] == 50
    assert (many["peak_kb"] - small["peak_kb"]) / 1024 < GROWTH_LIMIT_MB


async def test_probe_stops_at_the_frame_limit(many_frames: Path) -> None:
    with pytest.raises(LimitExceeded) as err:
        await probe(many_frames, limits=MediaLimits(min_side=2, max_frames=1000))
    assert err.value.message == "many-frames.mp4 has more than 1,000 frames; the most accepted is 1,000."
    assert (err.value.limit, err.value.allowed) == (Limit.VIDEO_FRAMES, 1000)
    # Without limits it is measured all the same, and every frame counted.
    info = await probe(many_frames)
    assert info.frames == MANY_FRAMES and info.duration == pytest.approx(10.0, abs=0.001)


async def test_probe_that_takes_too_long_is_refused(many_frames: Path) -> None:
    lifted = MediaLimits(min_side=2, max_frames=10**9, probe_seconds=0.05)
    with pytest.raises(LimitExceeded, match=r"many-frames\.mp4 took longer than 0\.05 s to read") as err:
        await probe(many_frames, limits=lifted)
    assert err.value.limit == Limit.PROBE_SECONDS
    with pytest.raises(LimitExceeded, match=r"took longer than 0\.05 s"):
        await probe(many_frames, 0.05)  # the plain time limit ends the same way


async def test_a_1x30000_picture_is_refused_before_any_card(tmp_path: Path) -> None:
    source = "color=black:s=2x30000:r=1:d=1,format=gray,crop=1:30000:0:0"  # one pixel wide: gray, no chroma
    thin = _make(tmp_path / "thin.mkv", "-f", "lavfi", "-i", source, "-c:v", "ffv1")
    info = await probe(thin)  # readable...
    assert (info.width, info.height) == (1, 30000)
    with pytest.raises(LimitExceeded) as err:  # ...but over the limits
        await probe(thin, limits=MediaLimits())
    assert err.value.message == "thin.mkv is 1x30000 pixels; no side may be longer than 8192 pixels."
    assert err.value.limit == Limit.VIDEO_SIDE


async def test_real_videos_pass_the_default_limits(media: Path) -> None:
    for name in ("h264-aac-1080p-10s.mp4", "h264-aac-rotated-vertical-10s.mp4", "vp8-vorbis-720p-30s.webm"):
        await probe(media / name, limits=MediaLimits())


async def test_each_limit_names_itself(media: Path) -> None:
    hd = media / "h264-aac-1080p-10s.mp4"  # 10.04 s, 1920x1080, 251 frames
    cases = [
        (MediaLimits(max_seconds=5), Limit.VIDEO_SECONDS, "lasts 00:00:10.04; the longest video accepted is 00:00:05."),
        (MediaLimits(max_frames=250), Limit.VIDEO_FRAMES, "has more than 250 frames; the most accepted is 250."),
        (
            MediaLimits(max_pixels=1280 * 720),
            Limit.VIDEO_PIXELS,
            "is 1920x1080 pixels (2.1 megapixels); the largest picture accepted is 0.9 megapixels.",
        ),
        (MediaLimits(max_side=1280), Limit.VIDEO_SIDE, "is 1920x1080 pixels; no side may be longer than 1280 pixels."),
        (MediaLimits(min_side=1200), Limit.VIDEO_MIN_SIDE, "is 1920x1080 pixels; each side must be at least 1200"),
        (
            MediaLimits(max_aspect=1.5),
            Limit.VIDEO_ASPECT,
            "1.8 times as long as it is wide; the most accepted is 1.5 to 1",
        ),
    ]
    for limits, limit, words in cases:
        with pytest.raises(LimitExceeded) as err:
            await probe(hd, limits=limits)
        assert err.value.limit == limit and words in err.value.message, err.value.message
        assert err.value.message.startswith("h264-aac-1080p-10s.mp4 ")


def test_check_video_on_the_issues_files() -> None:
    limits = MediaLimits()
    hostile = [
        ((1500.0, 2, 2, 1_500_000), Limit.VIDEO_SECONDS),  # the 19.5 MB file: 25 minutes of 2x2 frames
        ((0.1, 16000, 16000, 3), Limit.VIDEO_PIXELS),  # 751 KB, three 16000x16000 frames
        ((1.0, 1, 30000, 1), Limit.VIDEO_SIDE),
        ((10800.0, 640, 360, 270_000), Limit.VIDEO_SECONDS),  # 139 KB, three hours
        ((60.0, 2, 2, 1500), Limit.VIDEO_MIN_SIDE),
        ((60.0, 4000, 200, 1500), Limit.VIDEO_ASPECT),
        ((60.0, 640, 360, 200_000), Limit.VIDEO_FRAMES),
    ]
    for (duration, width, height, frames), limit in hostile:
        with pytest.raises(LimitExceeded) as err:
            check_video(duration, width, height, frames, limits)
        assert err.value.limit == limit
        assert err.value.message.startswith("The video ")
    # A phone's 4K video, vertical, and an odd-sized one pass (the engine evens sizes where it encodes).
    check_video(60.0, 2160, 3840, 3600, limits)
    check_video(60.0, 641, 359, 1500, limits)


def test_parts_over_the_limit_are_too_many_not_a_bad_number() -> None:
    with pytest.raises(LimitExceeded) as err:
        check_part_count(600.0, 99999999999999999999, 1.0, 60.0, max_parts=60)
    assert err.value.message == "99999999999999999999 parts are too many; the most accepted is 60."
    assert err.value.limit == Limit.PARTS
    # Without the cap the huge count is still a whole number, refused by the length rule.
    with pytest.raises(BadInput, match="too short"):
        check_part_count(600.0, 99999999999999999999, 1.0, 60.0)
    with pytest.raises(LimitExceeded, match="61 parts are too many"):
        plan(600.0, 61, 1, 1.0, 60.0, max_parts=60)
    assert plan(600.0, 60, 60, 1.0, 60.0, max_parts=60).part_duration == 10.0
    assert valid_part_counts(600.0, 1.0, 60.0, max_parts=60) == range(10, 61)
    # A video too long for the most parts of the longest length says so.
    with pytest.raises(BadInput, match=r"too long for 60 parts \(the most accepted\) of at most 60 s"):
        check_part_count(10800.0, 1, 1.0, 60.0, max_parts=60)
    for bad in (float("inf"), float("nan"), 2.5):
        with pytest.raises(BadInput, match="whole number"):
            check_part_count(600.0, bad, 1.0, 60.0, max_parts=60)


@pytest.mark.parametrize("count", ["99999999999999999999", "61"])
def test_cli_split_refuses_too_many_parts_before_any_work(
    media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], count: str
) -> None:
    out = tmp_path / "out"
    status = main(["split", str(media / "h264-aac-1080p-10s.mp4"), "--parts", count, "--out", str(out)])
    _, err = capsys.readouterr()
    assert status == 2
    assert err == (
        f"riffcut: --parts {count} is too many: the most is 60 (MAX_PARTS; --no-limits lifts it for local use).\n"
    )
    assert not out.exists()


def test_cli_split_applies_the_video_limits(
    media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_VIDEO_SECONDS", "5")
    status = main(["split", str(media / "h264-aac-1080p-10s.mp4"), "--parts", "2", "--out", str(tmp_path / "o")])
    _, err = capsys.readouterr()
    assert status == 2
    assert err == (
        "riffcut: h264-aac-1080p-10s.mp4 lasts 00:00:10.04; the longest video accepted is 00:00:05 "
        "(MAX_VIDEO_SECONDS; --no-limits lifts the limits for local use).\n"
    )
    # Lifted for local use, the same video splits.
    status = main(
        ["split", str(media / "h264-aac-1080p-10s.mp4"), "--parts", "2", "--out", str(tmp_path / "o"), "--no-limits"]
    )
    assert status == 0 and len(list((tmp_path / "o").iterdir())) == 2


async def test_probe_refusals_leave_no_ffprobe_running(many_frames: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopping at the frame limit, or at the time limit, kills ffprobe rather than letting it read on."""
    started: list[asyncio.subprocess.Process] = []
    real = asyncio.create_subprocess_exec

    async def spy(*args: str, **kwargs: object) -> asyncio.subprocess.Process:
        proc = await real(*args, **kwargs)  # type: ignore[arg-type]
        started.append(proc)
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    with pytest.raises(LimitExceeded):
        await probe(many_frames, limits=MediaLimits(min_side=2, max_frames=10))
    with pytest.raises(LimitExceeded):
        await probe(many_frames, limits=MediaLimits(min_side=2, max_frames=10**9, probe_seconds=0.05))
    assert started and all(proc.returncode is not None for proc in started)
