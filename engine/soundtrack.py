"""The new sound of a part, made in numpy: the music at a set loudness, the part's own sound under it if asked,
fades, and exactly the length of the part's video.

- The sound stays at the music's own rate (the remux's ffmpeg resamples it to 48 kHz as it encodes). It is
  mono when the music is (or both its channels are the same) and nothing is mixed in, stereo otherwise: no
  second channel is encoded for nothing.
- Loudness is integrated loudness per EBU R128 / ITU-R BS.1770 (pyloudnorm), measured on the stretch of music
  that is used and set to the target with one gain. Where that gain would push a peak over -1.5 dBFS, a
  look-ahead limiter takes the peaks down, and the gain is topped up (a few rounds at most) for the loudness
  the limiter took. Silence (below -70 LUFS) is left as it is.
- The part's own sound, when kept, is set `keep_db` below the target the same way (its own limiter catching the
  peaks a large gain would raise) and added, not renormalised: at 0 dB the sum is up to 3 LU louder than the
  music alone. The sum goes through the limiter again.
- A 10 ms fade-in and a 30 ms fade-out against clicks; padded with silence or cut to the exact length.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from engine.sound_read import fit_length

FADE_IN_S = 0.010
FADE_OUT_S = 0.030
PEAK_CEILING_DB = -1.5
# Quieter than this (LUFS) counts as silence: no gain is applied to it.
SILENCE_LUFS = -70.0
# pyloudnorm measures in 400 ms blocks; shorter sound is measured repeated to that length.
LOUDNESS_BLOCK_S = 0.4
# The limiter looks this far ahead and releases over as long.
LIMITER_WINDOW_S = 0.005
# After limiting, the gain is raised at most this many times while the sound is this far below its target.
TOP_UP_ROUNDS = 4
TOP_UP_TOLERANCE_LU = 0.2
MAX_GAIN_DB = 60.0


def with_channels(samples: np.ndarray, channels: int) -> np.ndarray:
    """(c, n) float32 as (`channels`, n): mono copied to every channel; anything else averaged first when the
    count differs."""
    audio = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    if audio.shape[0] != channels:
        audio = np.repeat(audio.mean(axis=0, keepdims=True), channels, axis=0)
    return np.ascontiguousarray(audio)


def is_mono(samples: np.ndarray) -> bool:
    """One channel, or channels that are all the same."""
    audio = np.atleast_2d(samples)
    return bool(audio.shape[0] == 1 or all(np.array_equal(audio[0], channel) for channel in audio[1:]))


def loudness(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of (channels, n) audio; -inf for silence."""
    block = math.ceil(LOUDNESS_BLOCK_S * rate)
    data = audio.T.astype(np.float64)
    if data.shape[0] == 0:
        return -math.inf
    if data.shape[0] <= block:
        data = np.tile(data, (block // data.shape[0] + 1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyloudnorm warns about clipped samples; they are measured all the same
        value = float(pyloudnorm.Meter(rate).integrated_loudness(data))
    return value if math.isfinite(value) else -math.inf


def is_silent(lufs: float) -> bool:
    return not math.isfinite(lufs) or lufs <= SILENCE_LUFS


def _db(gain_db: float) -> float:
    return float(10.0 ** (gain_db / 20.0))


def limit(audio: np.ndarray, rate: int, ceiling_db: float = PEAK_CEILING_DB) -> tuple[np.ndarray, bool]:
    """(`audio` with its peaks brought down to `ceiling_db` dBFS by a smooth gain the same on every channel,
    whether there were any).

    The gain each sample needs is taken as the least over a window around it (so it falls before a peak
    arrives) and then averaged over half that window: the average of values that are each at most the need at
    this sample is itself at most that need, so no sample ends up above the ceiling.
    """
    ceiling = _db(ceiling_db)
    peak = np.max(np.abs(audio), axis=0)
    if audio.size == 0 or float(peak.max()) <= ceiling:
        return audio, False
    need = np.minimum(1.0, ceiling / np.maximum(peak, 1e-12))
    reach = max(1, round(LIMITER_WINDOW_S * rate))
    gain = minimum_filter1d(need, size=2 * reach + 1, mode="nearest")
    gain = uniform_filter1d(gain, size=reach | 1, mode="nearest")
    return (audio * np.minimum(gain, need)).astype(np.float32), True


def set_loudness(audio: np.ndarray, rate: int, target_lufs: float) -> np.ndarray:
    """`audio` at `target_lufs`; silence is returned as it is."""
    measured = loudness(audio, rate)
    if is_silent(measured):
        return audio
    gain = target_lufs - measured
    out, limited = limit(audio * _db(gain), rate)
    # The limiter takes loudness with the peaks (much of it from sparse, peaky sound): top the gain up a few
    # times. Below the gate of -70 LUFS nothing can be measured.
    for _ in range(TOP_UP_ROUNDS):
        if not limited or gain >= MAX_GAIN_DB:
            break
        after = loudness(out, rate)
        if is_silent(after) or target_lufs - after <= TOP_UP_TOLERANCE_LU:
            break
        gain = min(MAX_GAIN_DB, gain + target_lufs - after)
        out, limited = limit(audio * _db(gain), rate)
    return out


def fade(audio: np.ndarray, rate: int) -> np.ndarray:
    """A linear fade-in of FADE_IN_S and fade-out of FADE_OUT_S (shortened to fit very short sound)."""
    out = audio.copy()
    length = out.shape[1]
    fade_in = min(round(FADE_IN_S * rate), length)
    fade_out = min(round(FADE_OUT_S * rate), length)
    if fade_in:
        out[:, :fade_in] *= np.linspace(0.0, 1.0, fade_in, endpoint=False, dtype=np.float32)
    if fade_out:
        out[:, length - fade_out :] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)
    return out


def track_channels(music: np.ndarray, keep_own: bool) -> int:
    """How many channels the new sound has: 1 for mono music alone, 2 otherwise."""
    return 1 if not keep_own and is_mono(music) else 2


def make_track(
    music: np.ndarray,
    rate: int,
    length: int,
    target_lufs: float,
    own: np.ndarray | None = None,
    keep_db: float | None = None,
) -> np.ndarray:
    """The part's new sound: (`track_channels` channels, `length`) float32 at `rate`, the music's rate.

    `music` is (channels, n); `own`, the part's sound aligned with its video at the same rate, is mixed `keep_db`
    below the target when both are given.
    """
    keep_own = own is not None and keep_db is not None
    channels = track_channels(music, keep_own)
    track = set_loudness(fit_length(with_channels(music, channels), length), rate, target_lufs)
    if own is not None and keep_db is not None:
        # Set on its own first (limited where the gain would push its peaks over), then added: the sum of two
        # sounds each under the ceiling needs little more limiting.
        own = set_loudness(fit_length(with_channels(own, channels), length), rate, target_lufs + keep_db)
        track, _ = limit(track + own, rate)
    return fade(track, rate)
