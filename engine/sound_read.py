"""Reading sound as numpy float32 (channels, samples) in -1..1: 16-bit PCM WAV with the stdlib `wave`, and any
audio or video file, whole or a stretch of it, through ffmpeg.

Apart from `engine.audio_io` (which brings the spectrogram codec, and torch, with it) so that the remux and the
CLI's media commands read sound without loading torch.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from engine import refusals
from engine.errors import BadInput, FfmpegError
from engine.ffmpeg_process import AUDIO_FORMATS, DEFAULT_TIMEOUT, ffmpeg_args, open_input, run


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(audio (channels, samples) float32, sample rate) of a 16-bit PCM WAV."""
    try:
        with wave.open(str(path), "rb") as src:
            if src.getsampwidth() != 2:
                raise BadInput(refusals.WAV_NOT_16_BIT, name=Path(path).name)
            channels, rate = src.getnchannels(), src.getframerate()
            data = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
    except (wave.Error, EOFError) as exc:
        raise BadInput(refusals.WAV_UNREADABLE, name=Path(path).name, detail=str(exc)) from None
    return (data.reshape(-1, channels).T.astype(np.float32) / 32767.0), rate


async def decode_sound(
    path: str | Path,
    *,
    channels: int = 1,
    stream: str = "a:0",
    start: float | None = None,
    duration: float | None = None,
    rate: int,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    formats: str = AUDIO_FORMATS,
) -> np.ndarray:
    """The sound of any audio or video file as (channels, samples) float32 at `rate` (ffmpeg resamples).

    With `start` and/or `duration`, only that stretch, in seconds on ffmpeg's time line of the file (which counts
    from the file's earliest stream: see `VideoInfo.container_start`): ffmpeg seeks and cuts the audio stream
    alone, decoding nothing else. Sample 0 is the moment `start` (silence is put in front when the sound begins
    later), and with `duration` there are exactly round(duration * rate) samples (silence after the end).

    BadInput when the file has no sound or cannot be read.
    """
    name = Path(path).name
    seek: dict[str, Any] = {}
    if start is not None and start > 0:
        seek["ss"] = f"{start:.6f}"
    if duration is not None:
        seek["t"] = f"{duration:.6f}"
    source = open_input(path, formats=formats, **seek)[stream]
    # Time 0 of the output is `start`: silence fills in when the first sound comes later.
    aligned = source.filter("aresample", rate, **{"async": 1, "first_pts": 0})
    out = ffmpeg.output(aligned, "pipe:", f="f32le", ac=channels, ar=rate, acodec="pcm_f32le")
    try:
        raw = await run(ffmpeg_args(out), timeout)
    except FfmpegError as exc:
        if "matches no streams" in exc.stderr or "Stream map" in exc.stderr:
            raise BadInput(refusals.NO_SOUND, name=name) from None
        raise BadInput(refusals.AUDIO_UNREADABLE, name=name) from None
    data = np.frombuffer(raw, dtype="<f4")
    if data.size == 0 and duration is None:
        raise BadInput(refusals.NO_SOUND, name=name)
    samples = np.ascontiguousarray(data[: data.size - data.size % channels].reshape(-1, channels).T)
    if duration is not None:
        samples = fit_length(samples, round(duration * rate))
    return samples


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """`samples` (channels, n) cut or padded with silence to exactly `length` samples."""
    if samples.shape[1] >= length:
        return np.ascontiguousarray(samples[:, :length])
    padded = np.zeros((samples.shape[0], length), dtype=samples.dtype)
    padded[:, : samples.shape[1]] = samples
    return padded
