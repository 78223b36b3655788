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
import inspect
import logging
import shutil
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import ffmpeg

from engine import refusals
from engine.errors import BadInput, EngineFailure, FfmpegError, FfmpegTimeout

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
READ_CHUNK = 1 << 16


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


def tools_available() -> bool:
    return shutil.which(FFMPEG) is not None and shutil.which(FFPROBE) is not None


async def _start(args: list[str], stdin: bool) -> asyncio.subprocess.Process:
    if not args or args[0] not in (FFMPEG, FFPROBE):
        raise ValueError(f"not an ffmpeg command: {args[:1]}")
    log.debug("run %s", args)
    try:
        return await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise EngineFailure(f"{args[0]} is not installed on this machine.") from None


def _timed_out(args: list[str], timeout: float) -> FfmpegTimeout:
    return FfmpegTimeout(f"{args[0]} took longer than {timeout:g} s and was stopped.")


async def run_full(
    args: list[str],
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    *,
    stdin: bytes | Awaitable[bytes] | None = None,
) -> tuple[bytes, str]:
    """Run `args`; return (stdout, stderr). FfmpegError on a non-zero exit, FfmpegTimeout (an EngineFailure) on a
    timeout.

    `stdin` feeds an input `pipe:0`: bytes, or an awaitable of them, awaited while the process starts up (so the
    work of making them overlaps ffmpeg's own start); if it fails, the process is killed and its error goes up.
    Cancelling the awaiting task kills the process (and waits for it) before CancelledError goes up.
    """
    try:
        proc = await _start(args, stdin is not None)
    except BaseException:
        if inspect.iscoroutine(stdin):
            stdin.close()  # never to be awaited
        raise
    if stdin is None or isinstance(stdin, bytes):
        talk: Awaitable[tuple[bytes, bytes]] = proc.communicate(stdin)
    else:
        talk = _communicate_feeding(proc, stdin)
    try:
        stdout, stderr_bytes = await asyncio.wait_for(talk, timeout)
    except TimeoutError:
        await _kill(proc)
        raise _timed_out(args, timeout) from None
    except BaseException:  # CancelledError above all: never leave the process running
        await _kill(proc)
        raise
    stderr = stderr_bytes.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise FfmpegError(f"{args[0]} failed: {last_line(stderr)}", proc.returncode, _tail(stderr))
    return stdout, stderr


async def _communicate_feeding(proc: asyncio.subprocess.Process, data: Awaitable[bytes]) -> tuple[bytes, bytes]:
    """Read the process's output while `data` is awaited and then written to its stdin."""
    assert proc.stdin is not None
    pipe = proc.stdin

    async def feed() -> None:
        try:
            payload = await data
        except BaseException:
            pipe.close()
            raise
        try:
            pipe.write(payload)
            await pipe.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the process stopped reading; its exit status and stderr say why
        finally:
            pipe.close()

    results = await gather_or_cancel([feed(), proc.communicate()])
    output = results[1]
    assert output is not None
    return output


async def run_lines(
    args: list[str],
    consume: Callable[[list[bytes]], bool],
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> bool:
    """Run `args` and hand its stdout to `consume` a batch of whole lines at a time, as they come, so that a long
    output is never held whole. `consume` returns False to stop: the process is then killed and run_lines
    returns False (True when the output ran to its end). Only the tail of stderr is kept.

    FfmpegError on a non-zero exit (unless stopped), FfmpegTimeout on a timeout; cancelling kills the process.
    """
    proc = await _start(args, False)
    assert proc.stdout is not None and proc.stderr is not None
    stdout, stderr = proc.stdout, proc.stderr
    errors = bytearray()

    async def drain_stderr() -> None:
        # Read on its own, or a chatty process would fill the pipe and stall; keep only the tail.
        while chunk := await stderr.read(READ_CHUNK):
            errors.extend(chunk)
            del errors[: max(0, len(errors) - 2 * STDERR_TAIL)]

    async def read_stdout() -> bool:
        rest = b""
        while chunk := await stdout.read(READ_CHUNK):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            if not consume(lines):
                return False
        return consume([rest]) if rest else True

    drain = asyncio.ensure_future(drain_stderr())
    try:
        async with asyncio.timeout(timeout):
            finished = await read_stdout()
            if finished:
                await proc.wait()
                await drain
    except TimeoutError:
        await _kill(proc)
        raise _timed_out(args, timeout) from None
    except BaseException:
        await _kill(proc)
        raise
    finally:
        if not drain.done():
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drain
    if not finished:
        await _kill(proc)
        return False
    text = errors.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise FfmpegError(f"{args[0]} failed: {last_line(text)}", proc.returncode, _tail(text))
    return True


async def run(
    args: list[str],
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    *,
    stdin: bytes | Awaitable[bytes] | None = None,
) -> bytes:
    """Run `args` and return its stdout (see `run_full`)."""
    stdout, _ = await run_full(args, timeout, stdin=stdin)
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
