"""Running ffmpeg and ffprobe: asyncio subprocesses from argument lists, never a shell.

Every command gets `-nostdin` (ffmpeg), a time limit, and its stderr kept for the error message. Inputs are
absolute paths (so a name starting with a dash is never read as an option) and are opened with
`-protocol_whitelist file` and a `-format_whitelist` of real containers, so that a playlist or a URL dressed
up as a video cannot make ffmpeg open anything else. If the awaiting task is cancelled or the time runs out,
the process is killed before the error goes up.

ffmpeg command lines are built with ffmpeg-python and turned into lists with `compile()` (see `ffmpeg_args`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import ffmpeg

from engine import refusals
from engine.errors import BadInput, EngineFailure, FfmpegError

log = logging.getLogger(__name__)

T = TypeVar("T")

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
DEFAULT_TIMEOUT = 600.0

# Demuxer names (ffmpeg matches any of the comma-separated names a demuxer has): QuickTime/MP4 and 3GP,
# Matroska/WebM, AVI, MPEG-TS, FLV, Ogg.
VIDEO_FORMATS = "mov,mp4,3gp,matroska,webm,avi,mpegts,flv,ogg"
# For the music put on a part: the generator's WAV and what people commonly have.
AUDIO_FORMATS = VIDEO_FORMATS + ",wav,w64,mp3,flac,aac,aiff"

STDERR_TAIL = 2000


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= STDERR_TAIL else "..." + text[-STDERR_TAIL:]


def last_line(stderr: str) -> str:
    """The last non-empty line of ffmpeg's stderr: usually the reason it stopped."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def input_path(path: str | Path) -> str:
    """An existing regular file as an absolute path string; BadInput when it is missing or not a file."""
    p = Path(path).expanduser()
    if not p.exists():
        raise BadInput(refusals.NO_SUCH_FILE, path=str(path))
    if not p.is_file():
        raise BadInput(refusals.NOT_A_FILE, path=str(path))
    return str(p.resolve())


def output_path(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


def open_input(path: str | Path, *, formats: str = VIDEO_FORMATS, **options: Any) -> Any:
    """An ffmpeg-python input node for `path`, locked to local files of the given container formats."""
    return ffmpeg.input(input_path(path), protocol_whitelist="file", format_whitelist=formats, **options)


def ffmpeg_args(stream: Any, *, loglevel: str = "error") -> list[str]:
    """The argument list of an ffmpeg-python graph, with our global options first."""
    args: list[str] = ffmpeg.compile(stream, cmd=FFMPEG, overwrite_output=True)
    return [args[0], "-nostdin", "-hide_banner", "-nostats", "-loglevel", loglevel, *args[1:]]


def probe_args(path: str | Path, *options: str, formats: str = VIDEO_FORMATS) -> list[str]:
    """An ffprobe argument list reading `path` with the same whitelists as ffmpeg, JSON out."""
    return [
        FFPROBE, "-hide_banner", "-loglevel", "error",
        "-protocol_whitelist", "file", "-format_whitelist", formats,
        "-of", "json", *options, input_path(path),
    ]  # fmt: skip


async def run_full(args: list[str], timeout: float = DEFAULT_TIMEOUT) -> tuple[bytes, str]:  # noqa: ASYNC109
    """Run `args`; return (stdout, stderr). FfmpegError on a non-zero exit, EngineFailure on a timeout.

    Cancelling the awaiting task kills the process (and waits for it) before CancelledError goes up.
    """
    if not args or args[0] not in (FFMPEG, FFPROBE):
        raise ValueError(f"not an ffmpeg command: {args[:1]}")
    log.debug("run %s", args)
    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise EngineFailure(f"{args[0]} is not installed on this machine.") from None
    try:
        stdout, stderr_bytes = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        await _kill(proc)
        raise EngineFailure(f"{args[0]} took longer than {timeout:g} s and was stopped.") from None
    except BaseException:  # CancelledError above all: never leave the process running
        await _kill(proc)
        raise
    stderr = stderr_bytes.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise FfmpegError(f"{args[0]} failed: {last_line(stderr)}", proc.returncode, _tail(stderr))
    return stdout, stderr


async def run(args: list[str], timeout: float = DEFAULT_TIMEOUT) -> bytes:  # noqa: ASYNC109
    """Run `args` and return its stdout (see `run_full`)."""
    stdout, _ = await run_full(args, timeout)
    return stdout


async def gather_or_cancel(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """All results in order; when one fails, the others are cancelled (their ffmpeg killed) before it goes up.

    Plain `gather` leaves the siblings of a failed task running: their ffmpeg writes into a folder about to be
    removed, and under `asyncio.run` (the CLI) the loop's final cancellation of a pending ffmpeg run hangs.
    """
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    # Shielded so that a second cancellation cannot leave a zombie behind.
    with contextlib.suppress(Exception):
        await asyncio.shield(proc.wait())
