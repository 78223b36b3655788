"""Audio in and out for the music engine: 16-bit WAV with the stdlib `wave`, anything else through ffmpeg
(the reading itself is `engine.sound_read`, which loads no torch), at the codec's output rate
(`engine.rates.OUTPUT_RATE`) unless told otherwise.

Audio is float32 in -1..1, shaped (channels, samples).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from engine.ffmpeg_process import AUDIO_FORMATS, DEFAULT_TIMEOUT
from engine.rates import OUTPUT_RATE
from engine.sound_read import decode_sound
from engine.sound_read import read_wav as read_wav


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


async def decode_audio(
    path: str | Path,
    *,
    channels: int = 1,
    stream: str = "a:0",
    start: float | None = None,
    duration: float | None = None,
    rate: int = OUTPUT_RATE,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    formats: str = AUDIO_FORMATS,
) -> np.ndarray:
    """`engine.sound_read.decode_sound` at the codec's output rate unless told otherwise: the sound of any audio or
    video file, or a stretch of it, as (channels, samples) float32."""
    return await decode_sound(
        path,
        channels=channels,
        stream=stream,
        start=start,
        duration=duration,
        rate=rate,
        timeout=timeout,
        formats=formats,
    )
