"""What this machine gives the engine, checked once at start-up: FFmpeg's version, and the device for diffusion.

The engine passes `-fps_mode`, which came in FFmpeg 5.1 (Debian 12 has 5.1, Ubuntu 22.04 only 4.4), so an
older ffmpeg is refused at start-up with one line instead of failing on every job. `check_host` logs one line
with ffmpeg's version and one with the GPU (or its absence) that diffusion will use.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from dataclasses import dataclass

import torch

from engine import refusals
from engine.errors import MissingTool
from engine.ffmpeg_process import FFMPEG, FFPROBE, run, tools_available
from engine.generator import resolve_device

log = logging.getLogger(__name__)

MIN_FFMPEG = (5, 1)
# libavutil's version in FFmpeg 5.1: the test for a build from git, which prints no release ("N-113000-g...").
MIN_LIBAVUTIL = (57, 28)
VERSION_TIMEOUT_S = 30.0

_NAME = re.compile(r"^ffmpeg version (\S+)", re.MULTILINE)
_RELEASE = re.compile(r"^n?(\d+)\.(\d+)")  # "5.1.9-0+deb12u1", "n7.1", "7.0.2-static", "6.0"
_LIBAVUTIL = re.compile(r"^libavutil\s+(\d+)\.\s*(\d+)\.", re.MULTILINE)


@dataclass(frozen=True)
class FfmpegVersion:
    """What `ffmpeg -version` says of itself."""

    name: str  # as ffmpeg prints it: "5.1.9-0+deb12u1", "N-113000-gabcdef"
    release: tuple[int, int] | None  # (major, minor); None for a build from git
    libavutil: tuple[int, int] | None

    @property
    def recent_enough(self) -> bool:
        """FFmpeg 5.1 or later (for a build from git: its libavutil is at least 5.1's)."""
        if self.release is not None:
            return self.release >= MIN_FFMPEG
        return self.libavutil is not None and self.libavutil >= MIN_LIBAVUTIL


def parse_ffmpeg_version(output: str) -> FfmpegVersion:
    """The version in the text of `ffmpeg -version`; MissingTool when it is not FFmpeg's."""
    name = _NAME.search(output)
    if name is None:
        raise MissingTool(refusals.FFMPEG_NOT_FFMPEG, tool=FFMPEG)
    release = _RELEASE.match(name.group(1))
    avutil = _LIBAVUTIL.search(output)
    return FfmpegVersion(
        name=name.group(1),
        release=(int(release.group(1)), int(release.group(2))) if release else None,
        libavutil=(int(avutil.group(1)), int(avutil.group(2))) if avutil else None,
    )


async def ffmpeg_version() -> FfmpegVersion:
    """The version of the ffmpeg on PATH; MissingTool when ffmpeg or ffprobe is not installed."""
    if not tools_available():
        raise MissingTool(refusals.FFMPEG_MISSING, ffmpeg=FFMPEG, ffprobe=FFPROBE)
    stdout = await run([FFMPEG, "-version"], timeout=VERSION_TIMEOUT_S)
    return parse_ffmpeg_version(stdout.decode("utf-8", "replace"))


def require_recent(version: FfmpegVersion) -> None:
    """MissingTool, in one line, when `version` is older than FFmpeg 5.1."""
    if not version.recent_enough:
        raise MissingTool(refusals.FFMPEG_TOO_OLD, version=version.name)


def device_line(wanted: str) -> str:
    """One line naming the device diffusion will run on, for DEVICE=`wanted` (starts CUDA: call in a thread)."""
    device = resolve_device(wanted)
    if device.type != "cuda":
        return f"GPU: none, diffusion runs on {device.type} (DEVICE={wanted}, torch {torch.__version__})"
    index = torch.cuda.current_device() if device.index is None else device.index
    count = torch.cuda.device_count()
    if index >= count:
        raise MissingTool(refusals.NO_SUCH_CUDA_DEVICE, device=wanted, count=count, last=count - 1)
    props = torch.cuda.get_device_properties(index)
    return (
        f"GPU: cuda:{index} {props.name}, {props.total_memory / 2**30:.1f} GiB, "
        f"CUDA {torch.version.cuda} (torch {torch.__version__})"
    )


async def check_host(device: str) -> None:
    """Refuse an ffmpeg older than 5.1 (MissingTool); log one line for ffmpeg and one for the GPU."""
    version = await ffmpeg_version()
    require_recent(version)
    log.info("ffmpeg %s (%s)", version.name, shutil.which(FFMPEG))
    log.info("%s", await asyncio.to_thread(device_line, device))
