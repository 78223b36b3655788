"""A part's sound straight from the source (seek and cut the audio alone), and the new sound made in numpy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from engine import soundtrack
from engine.errors import BadInput
from engine.probe import probe
from engine.sound_read import decode_sound

RATE = 48000


@pytest.fixture(scope="module")
def clicks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """6 s of video whose sound is a 1 ms click on every whole second, in MP4, and in MPEG-TS (clock at 1.4 s)."""
    folder = tmp_path_factory.mktemp("clicks")
    mp4, ts = folder / "clicks.mp4", folder / "clicks.ts"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x120:r=25:d=6",
         "-f", "lavfi", "-i", r"aevalsrc=if(lt(mod(t\,1)\,0.001)\,0.9\,0):s=48000:d=6",
         "-c:v", "libx264", "-c:a", "aac", str(mp4)],
        check=True,
    )  # fmt: skip
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(mp4), "-c", "copy", str(ts)], check=True)
    return {"mp4": mp4, "ts": ts}


def _onset(samples: np.ndarray) -> int:
    return int(np.argmax(np.abs(samples) > 0.3))


@pytest.mark.parametrize("kind", ["mp4", "ts"])
@pytest.mark.parametrize("start", [0.0, 2.5, 3.7])
async def test_a_stretch_of_the_sound_starts_where_asked(clicks: dict[str, Path], kind: str, start: float) -> None:
    info = await probe(clicks[kind])
    sound = await decode_sound(clicks[kind], start=info.timeline_start + start, duration=1.0, rate=RATE, channels=2)
    assert sound.shape == (2, RATE)  # exactly the duration asked for
    # The next click comes when it should, to within a millisecond.
    expected = round((np.ceil(start) - start) * RATE)
    assert abs(_onset(sound[0]) - expected) <= RATE // 1000


async def test_past_the_end_of_the_sound_is_silence_of_the_length_asked(clicks: dict[str, Path]) -> None:
    sound = await decode_sound(clicks["mp4"], start=5.5, duration=2.0, rate=RATE)
    assert sound.shape == (1, 2 * RATE)
    assert not np.any(sound[0, RATE:])
    # The whole file, without a stretch: every click, at its second.
    whole = (await decode_sound(clicks["mp4"], rate=RATE))[0]
    starts = np.flatnonzero(np.diff((np.abs(whole) > 0.3).astype(int)) == 1) + 1
    assert [round(s / RATE, 2) for s in starts] == [1.0, 2.0, 3.0, 4.0, 5.0]


async def test_a_video_without_sound_has_none_to_cut(media: Path) -> None:
    with pytest.raises(BadInput, match="has no sound in it"):
        await decode_sound(media / "h264-no-audio-2s.mp4", start=0.5, duration=1.0, rate=RATE)


def _tone(seconds: float, rate: int = RATE, level: float = 0.1, freq: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)[None, :]


def test_the_track_has_the_loudness_and_exact_length_asked() -> None:
    music = _tone(5.0, 44100)
    track = soundtrack.make_track(music, 44100, 110_000, -14.0)
    assert track.shape == (1, 110_000)  # mono music stays mono
    assert soundtrack.loudness(track, 44100) == pytest.approx(-14.0, abs=0.1)
    # Faded in and out against clicks.
    assert track[0, 0] == 0.0 and abs(track[0, -1]) < 1e-6


def test_peaks_the_gain_would_push_over_are_limited() -> None:
    # Sparse clicks: to reach -14 LUFS their peaks would go far over full scale.
    clicks = np.zeros((2, 5 * RATE), dtype=np.float32)
    clicks[:, :: RATE // 4] = 0.5
    clicks[1] *= 0.5  # two different channels stay two
    track = soundtrack.make_track(clicks, RATE, 5 * RATE, -14.0)
    assert track.shape[0] == 2
    assert float(np.abs(track).max()) <= 10 ** (soundtrack.PEAK_CEILING_DB / 20) + 1e-6
    # A steady tone needs no limiting and reaches the target.
    tone = soundtrack.make_track(_tone(3.0), RATE, 3 * RATE, -14.0)
    assert soundtrack.loudness(tone, RATE) == pytest.approx(-14.0, abs=0.1)


def test_silence_stays_silence_and_the_own_sound_sits_below_the_music() -> None:
    silent = soundtrack.make_track(np.zeros((1, RATE), dtype=np.float32), RATE, RATE, -14.0)
    assert not np.any(silent)
    music = _tone(4.0)
    own = np.repeat(_tone(4.0, freq=1000.0, level=0.3), 2, axis=0)
    mixed = soundtrack.make_track(music, RATE, 4 * RATE, -14.0, own=own, keep_db=-10.0)
    assert mixed.shape == (2, 4 * RATE)  # stereo once the own sound is in
    # The own sound's share: 10 dB under the music (the two tones measured apart by their frequencies).
    spectrum = np.abs(np.fft.rfft(mixed[0]))
    freqs = np.fft.rfftfreq(mixed.shape[1], 1 / RATE)
    music_peak = spectrum[np.argmin(np.abs(freqs - 440))]
    own_peak = spectrum[np.argmin(np.abs(freqs - 1000))]
    # (K-weighting counts 1 kHz some 0.7 dB louder than 440 Hz, so in amplitude the own sound is a little lower.)
    assert 20 * np.log10(own_peak / music_peak) == pytest.approx(-10.7, abs=0.3)
