"""Fixtures and measuring helpers for the media engine's tests (real videos from ../shared/media)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest


def ffprobe(path: Path, *options: str) -> dict[str, Any]:
    """Plain ffprobe JSON, independent of the engine's own probe."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *options, str(path)], capture_output=True, check=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def streams(path: Path) -> list[dict[str, Any]]:
    return list(ffprobe(path, "-show_streams")["streams"])


def stream_end(path: Path, kind: str) -> float:
    """When the first stream of `kind` ("v" or "a") ends: the end of its last packet, in seconds."""
    packets = ffprobe(path, "-select_streams", f"{kind}:0", "-show_entries", "packet=pts_time,duration_time")["packets"]
    return max(float(p["pts_time"]) + float(p.get("duration_time", 0) or 0) for p in packets)


def frame_count(path: Path) -> int:
    data = ffprobe(path, "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets")
    return int(data["streams"][0]["nb_read_packets"])


def loudness(path: Path) -> float:
    """Integrated loudness (LUFS) of the file's sound, by ffmpeg's ebur128 filter."""
    err = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = err[err.rindex("Summary:") :]
    line = next(line for line in summary.splitlines() if line.strip().startswith("I:"))
    return float(line.split()[1])


@pytest.fixture(scope="session")
def music_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five seconds of quiet two-tone 'music', 44.1 kHz stereo WAV (as the generator writes)."""
    path = tmp_path_factory.mktemp("music") / "music.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=5:r=44100",
         "-f", "lavfi", "-i", "sine=f=660:d=5:r=44100", "-filter_complex", "[0][1]amerge=inputs=2,volume=-20dB",
         "-y", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def short_music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """0.5 s of sound: shorter than any part, so it must be padded."""
    path = tmp_path_factory.mktemp("music") / "short.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=f=330:d=0.5", "-y", str(path)], check=True
    )
    return path
