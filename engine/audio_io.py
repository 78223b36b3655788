"""Audio in and out for the music engine: 16-bit WAV with the stdlib `wave`, anything else through ffmpeg.

Audio is float32 in -1..1, shaped (channels, samples).
"""

from __future__ import annotations

import wave
from pathlib import Path

import ffmpeg
import numpy as np

from engine.errors import BadInput
from engine.ffmpeg_process import AUDIO_FORMATS, DEFAULT_TIMEOUT, FfmpegError, ffmpeg_args, open_input, run
from engine.rates import OUTPUT_RATE


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = OUTPUT_RATE) -> Path:
    """Write 16-bit PCM WAV; `audio` is (samples,) or (channels, samples) floats in -1..1 (clipped there)."""
    samples = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    target = Path(path)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(pcm.shape[0])
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(np.ascontiguousarray(pcm.T).tobytes())
    return target


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(audio (channels, samples) float32, sample rate) of a 16-bit PCM WAV."""
    try:
        with wave.open(str(path), "rb") as src:
            if src.getsampwidth() != 2:
                raise BadInput(f"{Path(path).name} is not 16-bit PCM WAV.")
            channels, rate = src.getnchannels(), src.getframerate()
            data = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
    except (wave.Error, EOFError) as exc:
        raise BadInput(f"{Path(path).name} is not a WAV file that can be read ({exc}).") from None
    return (data.reshape(-1, channels).T.astype(np.float32) / 32767.0), rate


async def decode_audio(
    path: str | Path,
    *,
    channels: int = 1,
    stream: str = "a:0",
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    formats: str = AUDIO_FORMATS,
    sample_rate: int = OUTPUT_RATE,
) -> np.ndarray:
    """The sound of any audio or video file as (channels, samples) float32 at `sample_rate` (ffmpeg resamples).

    BadInput when the file has no sound or cannot be read.
    """
    source = open_input(path, formats=formats)[stream]
    args = ffmpeg_args(ffmpeg.output(source, "pipe:", f="f32le", ac=channels, ar=sample_rate, acodec="pcm_f32le"))
    try:
        raw = await run(args, timeout)
    except FfmpegError as exc:
        if "matches no streams" in exc.stderr or "Stream map" in exc.stderr:
            raise BadInput(f"{Path(path).name} has no sound in it.") from None
        raise BadInput(f"{Path(path).name} could not be read as audio: {exc.message}") from None
    data = np.frombuffer(raw, dtype="<f4")
    if data.size == 0:
        raise BadInput(f"{Path(path).name} has no sound in it.")
    return np.ascontiguousarray(data[: data.size - data.size % channels].reshape(-1, channels).T)
