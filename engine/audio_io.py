"""Audio in and out for the music engine: 16-bit WAV with the stdlib `wave`, anything else through ffmpeg.

Audio is float32 in -1..1, shaped (channels, samples).
"""

from __future__ import annotations

import wave
from pathlib import Path

import ffmpeg
import numpy as np

from engine import refusals
from engine.errors import BadInput, FfmpegError
from engine.ffmpeg_process import AUDIO_FORMATS, DEFAULT_TIMEOUT, ffmpeg_args, open_input, run
from engine.spectrogram import SAMPLE_RATE


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
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


async def decode_audio(
    path: str | Path,
    *,
    channels: int = 1,
    stream: str = "a:0",
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    formats: str = AUDIO_FORMATS,
) -> np.ndarray:
    """The sound of any audio or video file as (channels, samples) float32 at 44.1 kHz (ffmpeg resamples).

    BadInput when the file has no sound or cannot be read.
    """
    source = open_input(path, formats=formats)[stream]
    args = ffmpeg_args(ffmpeg.output(source, "pipe:", f="f32le", ac=channels, ar=SAMPLE_RATE, acodec="pcm_f32le"))
    try:
        raw = await run(args, timeout)
    except FfmpegError as exc:
        if "matches no streams" in exc.stderr or "Stream map" in exc.stderr:
            raise BadInput(refusals.NO_SOUND, name=Path(path).name) from None
        raise BadInput(refusals.AUDIO_UNDECODABLE, name=Path(path).name, detail=exc.message) from None
    data = np.frombuffer(raw, dtype="<f4")
    if data.size == 0:
        raise BadInput(refusals.NO_SOUND, name=Path(path).name)
    return np.ascontiguousarray(data[: data.size - data.size % channels].reshape(-1, channels).T)
