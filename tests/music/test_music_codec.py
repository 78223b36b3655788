"""The spectrogram codec on real sound: tones, a chord, a sweep, silence, stereo; EXIF and refusals.

Sound goes in and comes out at the engine's rate (`sp.OUTPUT_RATE`, 48 kHz); images are the format's (44.1 kHz
in their EXIF) whatever the rate of the sound they were made of.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine import spectrogram as sp
from engine.errors import BadInput
from engine.stft import FORMAT, StftGeometry

RATE = sp.OUTPUT_RATE


def tone(freqs: list[float], seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    audio: np.ndarray = np.sum([level * np.sin(2 * np.pi * f * t) for f in freqs], axis=0).astype(np.float32)
    return audio


def band_of(hz: float) -> int:
    """The mel band whose centre is nearest `hz`."""
    fb = sp.filterbank().numpy()  # one row every 2.5 Hz
    return int(np.argmax(fb[round(hz / 2.5)]))


def bands_over_time(audio: np.ndarray) -> np.ndarray:
    """The loudest mel band of every column."""
    bands: np.ndarray = sp.mel_spectrogram(audio)[0].argmax(axis=0)
    return bands


def strongest_bands(audio: np.ndarray, count: int) -> list[int]:
    """The `count` loudest mel bands that are local peaks at least 3 bands apart."""
    energy = sp.mel_spectrogram(audio)[0].sum(axis=1)
    peaks: list[int] = []
    for band in np.argsort(energy)[::-1]:
        if all(abs(int(band) - p) > 3 for p in peaks):
            peaks.append(int(band))
        if len(peaks) == count:
            break
    return sorted(peaks)


def round_trip(audio: np.ndarray, seed: int = 0) -> tuple[Image.Image, np.ndarray]:
    image = sp.audio_to_image(audio)
    return image, sp.image_to_audio(image, seed=seed)


def test_pure_tone_keeps_its_frequency_and_length() -> None:
    audio = tone([440.0], 1.0)
    image, back = round_trip(audio)
    assert image.size == (101, 512)
    assert back.shape == (1, sp.samples_for_columns(101)) == (1, 48000)
    assert abs(int(np.median(bands_over_time(back[0]))) - band_of(440.0)) <= 1
    spectrum = np.abs(np.fft.rfft(back[0]))
    peak_hz = spectrum.argmax() * RATE / back.shape[1]
    assert abs(peak_hz - 440.0) < 10.0
    assert np.max(np.abs(back)) <= 1.0


def test_chord_keeps_its_three_notes() -> None:
    notes = [261.63, 329.63, 392.0]  # C major
    _, back = round_trip(tone(notes, 1.0, level=0.2))
    found = strongest_bands(back[0], 3)
    for want, got in zip([band_of(f) for f in notes], found, strict=True):
        assert abs(want - got) <= 1, (found, notes)


def test_sweep_follows_the_frequency_over_time() -> None:
    seconds = 1.5
    t = np.arange(round(seconds * RATE)) / RATE
    f0, f1 = 300.0, 3000.0
    sweep = (0.3 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds)))).astype(np.float32)
    _, back = round_trip(sweep)
    want = bands_over_time(sweep)[20:-20]
    got = bands_over_time(back[0])[20:-20]
    assert np.median(np.abs(want.astype(int) - got.astype(int))) <= 1
    assert got[-1] > got[0] + 100  # it rises


def test_length_is_the_format_sample_count_for_any_input_length() -> None:
    audio = tone([1000.0], 0.567)
    image, back = round_trip(audio)
    assert image.width == 1 + len(audio) // (RATE // 100)
    assert back.shape[1] == sp.samples_for_columns(image.width)


def test_silence_stays_silence() -> None:
    image, back = round_trip(np.zeros(RATE // 2, dtype=np.float32))
    assert np.asarray(image).min() == 255  # white
    assert not np.any(back)


def test_stereo_packs_channels_and_is_not_read_as_mono(tmp_path: Path) -> None:
    left, right = tone([300.0], 1.0), tone([2000.0], 1.0)
    image = sp.audio_to_image(np.stack([left, right]), stereo=True)
    pixels = np.asarray(image)
    assert pixels[..., 0].max() == 0  # R = 0: cyan
    assert pixels[..., 1].min() < 128 and pixels[..., 2].min() < 128
    # Without EXIF (as a model output would be), R = 0 everywhere still says stereo.
    back = sp.image_to_audio(pixels, seed=1)
    assert back.shape[0] == 2
    assert abs(int(np.median(bands_over_time(back[0]))) - band_of(300.0)) <= 1
    assert abs(int(np.median(bands_over_time(back[1]))) - band_of(2000.0)) <= 1
    # Reading R as mono would give full loudness in every band: the detected decode does not.
    assert np.mean(sp.mel_spectrogram(back[0])[0] > 0.5 * sp.mel_spectrogram(back[0]).max()) < 0.05


def test_mono_averages_channels() -> None:
    stereo = np.stack([tone([500.0], 1.0), np.zeros(RATE, dtype=np.float32)])
    pixels = np.asarray(sp.audio_to_image(stereo))
    assert np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 1], pixels[..., 2])


def test_exif_round_trip(tmp_path: Path) -> None:
    audio = tone([440.0], 0.5)
    image = sp.audio_to_image(np.stack([audio, audio]), stereo=True)
    path = tmp_path / "spec.png"
    sp.save_image(image, path)
    loaded = sp.load_image(path)
    params = sp.SpectrogramParams.from_image(loaded)
    assert params is not None and params.stereo
    exif = loaded.getexif()
    assert exif[sp.ExifTag.SAMPLE_RATE] == 44100
    assert exif[sp.ExifTag.NUM_MEL_BANDS] == 512
    assert exif[sp.ExifTag.MAX_HZ] == 10000
    assert exif[sp.ExifTag.STEP_MS] == 10 and exif[sp.ExifTag.WINDOW_MS] == 100 and exif[sp.ExifTag.PADDED_MS] == 400
    assert float(exif[sp.ExifTag.POWER]) == 0.25
    expected_max = float(sp.mel_spectrogram(np.stack([audio, audio])).max())
    assert params.max_value == pytest.approx(expected_max, rel=1e-5)


def test_same_seed_same_audio_other_seed_other_phase() -> None:
    image = sp.audio_to_image(tone([440.0, 880.0], 0.3))
    a, b, c = (sp.image_to_audio(image, seed=s) for s in (7, 7, 8))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_an_image_of_the_wrong_height_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("RGB", (300, 256), "gray").save(path)
    with pytest.raises(BadInput, match=r"256 pixels high.*512"):
        sp.image_to_audio(sp.load_image(path))


def test_a_file_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(BadInput, match="not an image"):
        sp.load_image(path)


def test_an_image_with_other_format_numbers_is_refused() -> None:
    image = Image.new("RGB", (64, 512), "white")
    exif = sp.SpectrogramParams().exif()
    exif[sp.ExifTag.NUM_MEL_BANDS] = 256
    image.info["exif"] = exif.tobytes()
    buffer = Path("spec.png")
    image.save(buffer, exif=exif)
    with pytest.raises(BadInput, match="other parameters"):
        sp.image_to_audio(sp.load_image(buffer))


@pytest.mark.parametrize(
    ("seconds", "columns"), [(5.11, 512), (1.0, 104), (1.1, 112), (2.0, 208), (0.05, 8), (10.0, 1008)]
)
def test_columns_cover_the_duration_in_multiples_of_8(seconds: float, columns: int) -> None:
    assert sp.columns_for_seconds(seconds) == columns
    assert sp.samples_for_columns(columns) >= sp.samples_for_seconds(seconds)


def test_a_batch_decodes_like_each_image_alone() -> None:
    images = [np.asarray(sp.audio_to_image(tone([f], 0.3))) for f in (300.0, 900.0)]
    together = sp.images_to_audio(images, [4, 5])
    alone = [sp.image_to_audio(image, seed=seed, stereo=False)[0] for image, seed in zip(images, [4, 5], strict=True)]
    for a, b in zip(together, alone, strict=True):
        assert a.shape == b.shape
        assert np.allclose(a, b, atol=1e-4)


def test_the_decoder_writes_the_output_rate_and_the_old_one_the_formats() -> None:
    image = sp.audio_to_image(tone([440.0], 0.5))
    assert sp.DECODE.output_rate == sp.OUTPUT_RATE == 48000
    assert sp.image_to_audio(image).shape == (1, 480 * (image.width - 1))
    assert sp.image_to_audio(image, recipe=sp.LEGACY_DECODE).shape == (1, 441 * (image.width - 1))
    assert sp.samples_for_columns(image.width, sp.FORMAT_RATE) == 441 * (image.width - 1)


def test_every_rate_sees_the_same_512_bands_up_to_10_khz() -> None:
    reference = sp.filterbank(FORMAT)  # 44.1 kHz, FFT 17640: a row every 2.5 Hz
    assert reference.shape == (8821, 512)
    at_48k = sp.filterbank(StftGeometry(48000))
    assert at_48k.shape == (9601, 512)
    assert torch.allclose(at_48k[:8821], reference) and not at_48k[4001:].any()  # nothing above 10 kHz
    coarse = sp.filterbank(StftGeometry(24000, fft_windows=1))  # the decoder's phase grid: a row every 10 Hz
    assert coarse.shape == (1201, 512)
    assert torch.allclose(coarse, reference[: 4 * 1201 : 4])


@pytest.mark.parametrize("rate", [24000, 44100, 48000])
def test_an_image_is_the_same_whatever_the_rate_of_the_sound(rate: int) -> None:
    def chord_and_sweep(at: int) -> np.ndarray:
        """A sweep over a chord, faded in and out (so the ends, where frames reflect the edge, stay quiet)."""
        t = np.arange(round(1.2 * at)) / at
        sweep = 0.2 * np.sin(2 * np.pi * (200 * t + 2000 * t**2))
        notes = 0.1 * np.sin(2 * np.pi * 523.25 * t) + 0.05 * np.sin(2 * np.pi * 7000 * t)
        faded: np.ndarray = ((sweep + notes) * np.sin(np.pi * t / 1.2) ** 2).astype(np.float32)
        return faded

    format_image = np.asarray(sp.audio_to_image(chord_and_sweep(44100), rate=44100)).astype(int)
    image = sp.audio_to_image(chord_and_sweep(rate), rate=rate)
    params = sp.SpectrogramParams.from_image(image)
    assert image.size == (121, 512) and params is not None
    difference = np.abs(np.asarray(image).astype(int) - format_image)
    assert np.percentile(difference, 99.9) <= 1 and difference.mean() < 0.05
    expected_max = float(sp.mel_spectrogram(chord_and_sweep(44100), rate=44100).max())
    assert params.max_value == pytest.approx(expected_max, rel=1e-2)
