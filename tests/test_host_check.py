"""Start-up check of the machine: FFmpeg 5.1 or later (the engine passes -fps_mode), and the GPU in one line."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from engine.errors import MissingTool
from engine.host_check import check_host, ffmpeg_version, parse_ffmpeg_version, require_recent
from riffcut.cli import main

UBUNTU_2204 = """ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021 the FFmpeg developers
built with gcc 11 (Ubuntu 11.2.0-19ubuntu1)
libavutil      56. 70.100 / 56. 70.100
libavcodec     58.134.100 / 58.134.100
"""


@pytest.mark.parametrize(
    ("output", "name", "recent"),
    [
        ("ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026\nlibavutil      57. 28.100 / 57. 28.100\n",
         "5.1.9-0+deb12u1", True),
        (UBUNTU_2204, "4.4.2-0ubuntu0.22.04.1", False),
        ("ffmpeg version 5.0.3 Copyright\nlibavutil      57. 17.100 / 57. 17.100\n", "5.0.3", False),
        ("ffmpeg version n7.1 Copyright\n", "n7.1", True),
        ("ffmpeg version 7.0.2-static https://johnvansickle.com/ffmpeg/  Copyright\n", "7.0.2-static", True),
        # builds from git print no release: their libavutil tells
        ("ffmpeg version N-113000-gabc Copyright\nlibavutil      58. 29.100 / 58. 29.100\n", "N-113000-gabc", True),
        ("ffmpeg version N-100000-g123 Copyright\nlibavutil      56. 51.100 / 56. 51.100\n", "N-100000-g123", False),
    ],
)  # fmt: skip
def test_version_is_read_from_ffmpeg_version(output: str, name: str, recent: bool) -> None:
    version = parse_ffmpeg_version(output)
    assert version.name == name
    assert version.recent_enough is recent


def test_too_old_is_one_line_that_names_what_to_install() -> None:
    with pytest.raises(MissingTool) as caught:
        require_recent(parse_ffmpeg_version(UBUNTU_2204))
    assert "4.4.2" in caught.value.message and "5.1 or later" in caught.value.message
    assert "\n" not in caught.value.message


def test_not_ffmpeg_at_all() -> None:
    with pytest.raises(MissingTool, match="does not say it is FFmpeg"):
        parse_ffmpeg_version("avconv version 12\n")


async def test_this_machines_ffmpeg() -> None:
    version = await ffmpeg_version()
    first_line = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout  # noqa: ASYNC221
    assert first_line.startswith(f"ffmpeg version {version.name} ")
    assert version.recent_enough and version.release is not None and version.release >= (5, 1)


async def test_check_logs_one_line_for_ffmpeg_and_one_for_the_gpu(caplog: pytest.LogCaptureFixture) -> None:
    version = await ffmpeg_version()
    with caplog.at_level(logging.INFO, logger="engine.host_check"):
        await check_host("cpu")
    lines = [r.getMessage() for r in caplog.records if r.name == "engine.host_check"]
    assert len(lines) == 2
    assert lines[0].startswith(f"ffmpeg {version.name} (") and lines[0].endswith("/ffmpeg)")
    assert lines[1].startswith("GPU: none, diffusion runs on cpu (DEVICE=cpu, torch 2.")


def _fake_ffmpeg(folder: Path, output: str) -> None:
    folder.mkdir()
    for tool in ("ffmpeg", "ffprobe"):
        script = folder / tool
        script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}EOF\n")
        script.chmod(0o755)


def test_bot_refuses_an_old_ffmpeg_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[object] = []
    monkeypatch.setattr("bot.app.run", started.append)
    _fake_ffmpeg(tmp_path / "old", UBUNTU_2204)
    monkeypatch.setenv("PATH", f"{tmp_path / 'old'}:{Path('/usr/bin')}:{Path('/bin')}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert main(["bot"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err]
    assert "ffmpeg 4.4.2-0ubuntu0.22.04.1 is too old" in err and "FFmpeg 5.1 or later" in err
    assert started == []


def test_bot_starts_after_the_check(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    started: list[object] = []
    monkeypatch.setattr("bot.app.run", started.append)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("DEVICE", "cuda")  # no GPU here: the line says so
    with caplog.at_level(logging.INFO):
        assert main(["bot"]) == 0
    assert len(started) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "engine.host_check"]
    assert [line.split(" ")[0] for line in lines] == ["ffmpeg", "GPU:"]
    assert "GPU: none, diffusion runs on cpu (DEVICE=cuda" in lines[1]
