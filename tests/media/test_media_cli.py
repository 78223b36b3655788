"""`riffcut probe`, `riffcut split`, `riffcut remux`: output shapes and exit codes, as seen from outside."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from riffcut.cli import main
from tests.media.measure import stream_end

PROBE_KEYS = ["duration", "width", "height", "fps", "rotation", "video_codec", "audio_codec", "size_bytes"]
SPLIT_KEYS = ["index", "path", "start", "duration", "mode", "fell_back"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_probe_prints_one_json_object(media: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "probe", str(media / "h264-no-audio-2s.mp4"))
    assert status == 0 and err == ""
    data = json.loads(out)
    assert list(data) == PROBE_KEYS
    assert data["audio_codec"] is None and data["duration"] == pytest.approx(2.0, abs=0.02)
    assert (data["width"], data["height"], data["video_codec"]) == (640, 480, "h264")


def test_split_prints_json_lines_and_writes_the_parts(
    media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = str(media / "h264-aac-1080p-10s.mp4")
    status, out, _ = _run(capsys, "split", src, "--parts", "2", "--out", str(tmp_path))
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [list(line) for line in lines] == [SPLIT_KEYS, SPLIT_KEYS]
    assert [line["index"] for line in lines] == [1, 2]
    assert all(line["mode"] == "fast" and line["fell_back"] is False for line in lines)
    assert [Path(line["path"]).name for line in lines] == ["part-1-of-2.mp4", "part-2-of-2.mp4"]
    assert all(Path(line["path"]).is_file() for line in lines)
    assert lines[0]["start"] == 0 and lines[1]["start"] == pytest.approx(lines[0]["duration"], abs=0.05)


def test_split_exact_and_fallback_say_so(media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = str(media / "h264-no-audio-2s.mp4")
    status, out, _ = _run(capsys, "split", src, "--parts", "2", "--exact", "--out", str(tmp_path / "e"))
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and {(x["mode"], x["fell_back"]) for x in lines} == {("exact", False)}
    assert all(x["duration"] == pytest.approx(1.0, abs=0.04 + 0.05) for x in lines)


def test_remux_replaces_the_sound(
    media: Path, music_wav: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "new.mp4"
    status, out, err = _run(
        capsys, "remux", str(media / "h264-no-audio-2s.mp4"), str(music_wav), "--out", str(out_file),
        "--keep-original-db", "-12",
    )  # fmt: skip
    assert status == 0, err
    assert json.loads(out) == {"path": str(out_file), "duration": pytest.approx(2.0, abs=0.02)}
    assert stream_end(out_file, "a") == pytest.approx(2.0, abs=0.03)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["probe", "{tmp}/missing.mp4"], "There is no file"),
        (["probe", "{tmp}/notes.txt"], "is text, not a video"),
        (["probe", "{media}/truncated-corrupt.mkv"], "damaged or cut off"),
        (["split", "{media}/audio-stream-first-0.07s.mp4", "--parts", "1", "--out", "{tmp}/o"], "too short to split"),
        (["split", "{media}/h264-aac-1080p-10s.mp4", "--parts", "11", "--out", "{tmp}/o"], "use 1 to 10 parts"),
        (["split", "{media}/h264-aac-1080p-10s.mp4", "--parts", "0", "--out", "{tmp}/o"], "at least 1"),
        (["split", "{media}/h264-aac-1080p-10s.mp4", "--parts", "two", "--out", "{tmp}/o"], "whole number"),
        (["split", "{media}/truncated-corrupt.mkv", "--parts", "1", "--out", "{tmp}/o"], "damaged or cut off"),
        (["remux", "{media}/h264-no-audio-2s.mp4", "{tmp}/notes.txt", "--out", "{tmp}/x.mp4"], "not a sound file"),
        (
            [
                "remux",
                "{media}/h264-no-audio-2s.mp4",
                "{media}/h264-aac-320x240-7s.mp4",
                "--out",
                "{tmp}/x.mp4",
                "--keep-original-db",
                "-70",
            ],
            "-60 to 0 dB",
        ),
        (["remux", "{tmp}/notes.txt", "{media}/h264-aac-320x240-7s.mp4", "--out", "{tmp}/x.mp4"], "is text"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    (tmp_path / "notes.txt").write_text("just words")
    args = [a.format(media=media, tmp=tmp_path) for a in argv]
    status, out, err = _run(capsys, *args)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("riffcut: ") and words in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_failure_on_our_side_exits_1(
    media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine import split
    from engine.errors import EngineFailure

    async def broken(*args: object, **kwargs: object) -> None:
        raise EngineFailure("ffmpeg failed: Conversion failed!")

    monkeypatch.setattr(split, "split_video", broken)  # the command imports it when it runs
    src = str(media / "h264-no-audio-2s.mp4")
    status, out, err = _run(capsys, "split", src, "--parts", "2", "--out", str(tmp_path))
    assert status == 1 and out == "" and err == "riffcut: ffmpeg failed: Conversion failed!\n"


def test_remux_of_a_missing_part_exits_2_instead_of_hanging(media: Path, tmp_path: Path) -> None:
    """The part's check fails while the music's ffprobe runs beside it: the run is cancelled in time (it used to
    be left to asyncio.run's final cancellation, which never returned). A separate process, so a hang fails."""
    argv = ["remux", str(tmp_path / "missing.mp4"), str(media / "h264-aac-320x240-7s.mp4"), "--out", "x.mp4"]
    done = subprocess.run([sys.executable, "-m", "riffcut", *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == f"riffcut: There is no file at {tmp_path / 'missing.mp4'}."
