"""Probing the real sample videos, refusing what is not a video, and the ffmpeg process's manners."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

import engine.ffmpeg_process as ffmpeg_process
from engine.errors import BadInput, EngineFailure, FfmpegError
from engine.probe import probe
from tests.media.measure import streams

# name: (duration, width, height, fps, rotation, video codec, audio codec)
EXPECTED = {
    "h264-aac-320x240-7s.mp4": (6.974, 320, 240, 29.97, 0, "h264", "aac"),
    "h264-aac-1080p-10s.mp4": (10.04, 1920, 1080, 25.0, 0, "h264", "aac"),
    "vp8-vorbis-720p-30s.webm": (30.0, 1280, 720, 24.0, 0, "vp8", "vorbis"),
    "vp9-opus-no-container-duration.webm": (4.94, 1280, 720, 14.985, 0, "vp9", "opus"),
    "h264-no-audio-2s.mp4": (2.0, 640, 480, 25.0, 0, "h264", None),
    "h264-aac-rotated-vertical-10s.mp4": (10.01, 544, 1280, 23.976, -90, "h264", "aac"),
    "mjpeg-pcm-1.5s.mov": (1.5, 640, 480, 10.0, 0, "mjpeg", "pcm_u8"),
    "audio-stream-first-0.07s.mp4": (0.067, 640, 356, 15.003, 0, "h264", "aac"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_probe_values(media: Path, name: str) -> None:
    duration, width, height, fps, rotation, vcodec, acodec = EXPECTED[name]
    info = await probe(media / name)
    assert info.duration == pytest.approx(duration, abs=0.02)
    assert (info.width, info.height, info.rotation) == (width, height, rotation)
    assert info.fps == pytest.approx(fps, abs=0.01)
    assert (info.video_codec, info.audio_codec) == (vcodec, acodec)
    assert info.has_audio is (acodec is not None)
    assert info.size_bytes == (media / name).stat().st_size
    assert not info.truncated


async def test_video_stream_found_by_type_not_position(media: Path) -> None:
    info = await probe(media / "audio-stream-first-0.07s.mp4")
    assert (info.video_index, info.audio_index) == (1, 0)


async def test_duration_without_any_stated_length(media: Path) -> None:
    info = await probe(media / "vp9-opus-no-container-duration.webm")
    assert info.stated_duration is None
    assert 4.8 < info.duration < 5.0


async def test_truncated_file_is_refused_with_what_it_claims(media: Path) -> None:
    with pytest.raises(BadInput) as err:
        await probe(media / "truncated-corrupt.mkv")
    message = err.value.message
    assert "damaged or cut off" in message and "00:18:52" in message and "1.5" in message
    info = await probe(media / "truncated-corrupt.mkv", allow_truncated=True)
    assert info.truncated and info.stated_duration == pytest.approx(1132.048)
    assert info.duration < 2


def test_cover_art_is_not_a_video(tmp_path: Path) -> None:
    # A song in an MP4 with its cover picture: the picture is a "video" stream marked attached_pic.
    cover = tmp_path / "cover.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=red:s=100x100", "-frames:v", "1", str(cover)], check=True
    )
    song = tmp_path / "song-with-cover.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", "-i", str(cover), "-map", "0", "-map", "1",
         "-c:a", "aac", "-c:v", "copy", "-disposition:v:0", "attached_pic", str(song)],
        check=True,
    )  # fmt: skip
    assert any(s["codec_type"] == "video" for s in streams(song))
    with pytest.raises(BadInput, match="sound only"):
        asyncio.run(probe(song))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.mp4", b"", "is empty"),
        ("notes.txt", b"hello, this is text\n", "is text, not a video"),
        ("list.m3u", b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n", "playlist"),
        ("disguised.mp4", b"#EXTM3U\n#EXTINF:10,\nhttp://example.com/a.ts\n", "playlist"),
        ("junk.mkv", bytes(range(256)) * 8, "cannot be read|not a video file that can be read"),
    ],
)
async def test_not_a_video(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    with pytest.raises(BadInput, match=words):
        await probe(_write(tmp_path / name, content))


def test_image_and_sound_are_not_videos(tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    sound = tmp_path / "song.wav"
    m4a = tmp_path / "song.mp4"
    make = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i"]
    subprocess.run([*make, "color=s=64x64", "-frames:v", "1", str(image)], check=True)
    subprocess.run([*make, "sine=d=1", str(sound)], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(sound), "-c:a", "aac", str(m4a)], check=True)
    with pytest.raises(BadInput, match="is an image, not a video"):
        asyncio.run(probe(image))
    with pytest.raises(BadInput, match="is a sound file, not a video"):
        asyncio.run(probe(sound))
    # Sound alone in a video container is not a video either.
    with pytest.raises(BadInput, match="sound only"):
        asyncio.run(probe(m4a))


async def test_missing_file_and_dash_names(tmp_path: Path, media: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BadInput, match="There is no file"):
        await probe(tmp_path / "nothing.mp4")
    with pytest.raises(BadInput, match="not a file"):
        await probe(tmp_path)
    # A name that starts with a dash is passed as an absolute path, never as an option.
    dashed = tmp_path / "-y.mp4"
    dashed.write_bytes((media / "h264-no-audio-2s.mp4").read_bytes())
    monkeypatch.chdir(tmp_path)
    info = await probe("-y.mp4")
    assert info.duration == pytest.approx(2.0, abs=0.02)


class Recorder:
    """Every process the engine starts, so a test can see it was killed."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []
        self.started = asyncio.Event()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    real = asyncio.create_subprocess_exec

    async def spy(*args: str, **kwargs: object) -> asyncio.subprocess.Process:
        proc = await real(*args, **kwargs)  # type: ignore[arg-type]
        recorder.procs.append(proc)
        recorder.started.set()
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    return recorder


ENDLESS = ["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc=s=64x64", "-f", "null", "-"]


async def test_cancelling_kills_ffmpeg(recorded: Recorder) -> None:
    task = asyncio.create_task(ffmpeg_process.run(ENDLESS, timeout=60))
    await asyncio.wait_for(recorded.started.wait(), 10)
    assert recorded.procs[0].returncode is None  # running (it plays a test source in real time, for ever)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert recorded.procs[0].returncode is not None  # killed and reaped, not left running


async def test_timeout_kills_ffmpeg(recorded: Recorder) -> None:
    with pytest.raises(EngineFailure, match=r"longer than 0\.5 s"):
        await ffmpeg_process.run(ENDLESS, timeout=0.5)
    assert recorded.procs[0].returncode is not None


async def test_failure_keeps_ffmpeg_message() -> None:
    args = ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "nosuchsource", "-f", "null", "-"]
    with pytest.raises(FfmpegError) as err:
        await ffmpeg_process.run(args, timeout=30)
    assert err.value.returncode != 0 and "nosuchsource" in err.value.stderr


def test_only_ffmpeg_tools_run() -> None:
    with pytest.raises(ValueError):
        asyncio.run(ffmpeg_process.run(["sh", "-c", "true"]))
