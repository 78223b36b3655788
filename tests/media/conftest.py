"""Fixtures for the media engine's tests (real videos from tests/data); measuring helpers are in measure.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


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
