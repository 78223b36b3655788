"""Riffusion spectrogram images <-> audio, in torch (runs on the GPU when given one).

Every number follows `../shared/riffusion-format.md`, the format `riffusion/riffusion-model-v1` was trained on:
one column per 10 ms, Hann window of 100 ms, FFT of 400 ms (at the format's 44.1 kHz: hop 441, window 4410, FFT
17640), 512 HTK mel bands over 0..10 kHz without filter normalisation, pixel = 255 - 255 * (S / max S) ^ 0.25,
low frequencies at the bottom. Mono images carry the same value in R, G and B; stereo images have R = 0,
G = left, B = right.

The transforms keep those durations at any rate (engine/stft.py): the bins fall on the same 2.5 Hz grid and the
mel bands see the same ones, so sound at `OUTPUT_RATE` (48 kHz, the engine's rate) is analysed as it is, and an
image decodes straight to it.

Audio to image (`audio_to_image`) gives the format's image of sound at any such rate (44.1 kHz included); its
EXIF says 44100, the format's rate.

Image to audio follows a `DecodeRecipe`. `DECODE` (the default): the mel scale is inverted with a pseudo-inverse
of the filterbank (clamped at zero) onto a 24 kHz grid (nothing in an image is above 10 kHz), the phase starts
from phase-gradient integration and has 20 fast Griffin-Lim iterations with the FFT as long as the window (the
format's 4x zero padding only interpolates the spectrum), and the last inverse FFT is taken at 48 kHz: the one
resampling step. `LEGACY_DECODE` is the decoder as it was before (44.1 kHz, 32 iterations from random phase),
kept for the benchmark and the quality test. Either way the peak is normalised cleanly (no clipping) and a seed
gives the same sound every time.
"""

from __future__ import annotations

import enum
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine import phase_retrieval, refusals
from engine.errors import BadInput
from engine.rates import FORMAT_RATE, OUTPUT_RATE
from engine.stft import FORMAT, MAX_HZ, StftGeometry, resynthesize, stft

__all__ = ["FORMAT", "FORMAT_RATE", "OUTPUT_RATE"]  # re-exported: callers name the rates through this module

N_MELS = 512  # the image height
MIN_HZ = 0.0
POWER_FOR_IMAGE = 0.25
DEFAULT_MAX_VALUE = 30e6  # used when an image does not say
INT16_SCALE = 32767.0  # audio is analysed as int16-range floats
COLUMNS_PER_SECOND = 100
PEAK_DBFS = -1.0  # clean peak normalisation target


class PhaseStart(enum.Enum):
    """Where Griffin-Lim starts: phase-gradient integration, or uniform random numbers (the old way)."""

    PGHI = "pghi"
    RANDOM = "random"


@dataclass(frozen=True)
class DecodeRecipe:
    """How an image's magnitudes become sound: the phase's rate and grid, its start and iterations, the output rate."""

    phase_rate: int
    fft_windows: int  # the phase's FFT in windows: 1 (10 Hz bins, the window's own grid) or 4 (the format's)
    start: PhaseStart
    iterations: int
    momentum: float
    output_rate: int

    @property
    def phase_geometry(self) -> StftGeometry:
        return StftGeometry(self.phase_rate, self.fft_windows)

    @property
    def output_geometry(self) -> StftGeometry:
        return StftGeometry(self.output_rate, self.fft_windows)


DECODE = DecodeRecipe(24000, 1, PhaseStart.PGHI, 20, 0.99, OUTPUT_RATE)
LEGACY_DECODE = DecodeRecipe(FORMAT_RATE, 4, PhaseStart.RANDOM, 32, 0.99, FORMAT_RATE)  # before issue 11


class ExifTag:
    """The reference tool's integer EXIF tags."""

    SAMPLE_RATE = 11000
    STEREO = 11005
    STEP_MS = 11010
    WINDOW_MS = 11020
    PADDED_MS = 11030
    NUM_MEL_BANDS = 11040
    MIN_HZ = 11050
    MAX_HZ = 11060
    POWER = 11070
    MAX_VALUE = 11080


@dataclass(frozen=True)
class SpectrogramParams:
    """The parameters written into (and read from) an image's EXIF."""

    stereo: bool = False
    max_value: float = DEFAULT_MAX_VALUE

    def exif(self) -> Image.Exif:
        exif = Image.Exif()
        exif[ExifTag.SAMPLE_RATE] = FORMAT_RATE
        exif[ExifTag.STEREO] = int(self.stereo)
        exif[ExifTag.STEP_MS] = 1000 * FORMAT.hop // FORMAT_RATE
        exif[ExifTag.WINDOW_MS] = 1000 * FORMAT.win // FORMAT_RATE
        exif[ExifTag.PADDED_MS] = 1000 * FORMAT.n_fft // FORMAT_RATE
        exif[ExifTag.NUM_MEL_BANDS] = N_MELS
        exif[ExifTag.MIN_HZ] = int(MIN_HZ)
        exif[ExifTag.MAX_HZ] = int(MAX_HZ)
        exif[ExifTag.POWER] = float(POWER_FOR_IMAGE)
        exif[ExifTag.MAX_VALUE] = float(self.max_value)
        return exif

    @classmethod
    def from_image(cls, image: Image.Image) -> SpectrogramParams | None:
        """The parameters an image carries, or None when it has none (model outputs carry none).

        An image whose EXIF names other format numbers than ours is refused: decoding it would give the
        wrong sound.
        """
        exif = image.getexif()
        if ExifTag.SAMPLE_RATE not in exif and ExifTag.MAX_VALUE not in exif:
            return None
        expected = {
            ExifTag.SAMPLE_RATE: FORMAT_RATE,
            ExifTag.STEP_MS: 10,
            ExifTag.WINDOW_MS: 100,
            ExifTag.PADDED_MS: 400,
            ExifTag.NUM_MEL_BANDS: N_MELS,
            ExifTag.MIN_HZ: 0,
            ExifTag.MAX_HZ: 10000,
            ExifTag.POWER: POWER_FOR_IMAGE,
        }
        for tag, want in expected.items():
            if tag in exif and not math.isclose(float(exif[tag]), float(want)):
                raise BadInput(refusals.SPECTROGRAM_OTHER_PARAMETERS, tag=int(tag), found=str(exif[tag]), expected=want)
        max_value = float(exif.get(ExifTag.MAX_VALUE, DEFAULT_MAX_VALUE))
        if not (math.isfinite(max_value) and max_value > 0):
            max_value = DEFAULT_MAX_VALUE
        return cls(stereo=bool(int(exif.get(ExifTag.STEREO, 0))), max_value=max_value)


# --- width and duration ---------------------------------------------------------------------------


def samples_for_columns(columns: int, rate: int = OUTPUT_RATE) -> int:
    """An image `columns` wide decodes to this many samples at `rate` (one hop per column, less one column)."""
    return StftGeometry(rate).samples_for_columns(columns)


def seconds_for_columns(columns: int) -> float:
    return max(columns - 1, 0) / COLUMNS_PER_SECOND


def columns_for_seconds(seconds: float) -> int:
    """The narrowest image width (a multiple of 8) that covers `seconds` of sound."""
    if seconds <= 0:
        raise ValueError("duration must be positive")
    # round() first so that float noise (e.g. 100 * 1.1 = 110.00000000000001) does not add a column
    columns = math.ceil(round(COLUMNS_PER_SECOND * seconds, 6)) + 1
    return math.ceil(columns / 8) * 8


def samples_for_seconds(seconds: float, rate: int = OUTPUT_RATE) -> int:
    """Samples at `rate` in `seconds` (rounded to the nearest sample)."""
    return round(seconds * rate)


# --- the filterbank -------------------------------------------------------------------------------


def _hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def _mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def filterbank(geometry: StftGeometry = FORMAT) -> torch.Tensor:
    """(freqs, N_MELS) HTK triangles over 0..10 kHz at `geometry`'s bins, each peaking at 1, float64 on the CPU.

    The bins below 10 kHz lie on the format's 2.5 Hz grid (or every 4th of it), so every geometry's rows are the
    format's rows at the same frequencies: the same 512 bands.
    """
    all_freqs = torch.arange(geometry.n_freqs, dtype=torch.float64) * (geometry.rate / geometry.n_fft)
    m_pts = torch.linspace(
        float(_hz_to_mel(torch.tensor(MIN_HZ, dtype=torch.float64))),
        float(_hz_to_mel(torch.tensor(MAX_HZ, dtype=torch.float64))),
        N_MELS + 2,
        dtype=torch.float64,
    )
    f_pts = _mel_to_hz(m_pts)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)  # (freqs, N_MELS + 2)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.minimum(down, up), min=0.0)


@lru_cache(maxsize=1)
def _gram_pinv() -> torch.Tensor:
    """pinv(fb.T fb) (N_MELS x N_MELS) of the format's filterbank fb, float64."""
    fb = filterbank(FORMAT)
    gram_pinv: torch.Tensor = torch.linalg.pinv(fb.T @ fb, hermitian=True)
    return gram_pinv


@lru_cache(maxsize=8)
def inverse_filterbank(geometry: StftGeometry = FORMAT) -> torch.Tensor:
    """(freqs, N_MELS) pseudo-inverse of the format's mel projection, read at `geometry`'s bins, float64.

    pinv(A) for A = fb.T (N_MELS x 8821) is fb pinv(fb.T fb), a 512 x 512 problem; its rows at other bins come
    from the same triangles, so every geometry inverts onto the same (piecewise linear) spectrum.
    """
    return filterbank(geometry) @ _gram_pinv()


_device_cache: dict[tuple[str, str, StftGeometry], torch.Tensor] = {}


def _on(device: torch.device, name: str, geometry: StftGeometry) -> torch.Tensor:
    key = (str(device), name, geometry)
    tensor = _device_cache.get(key)
    if tensor is None:
        source = filterbank(geometry) if name == "fb" else inverse_filterbank(geometry)
        tensor = source.to(device=device, dtype=torch.float32)
        _device_cache[key] = tensor
    return tensor


def default_device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


# --- audio to image -------------------------------------------------------------------------------


def mel_spectrogram(audio: np.ndarray, device: torch.device | None = None, *, rate: int = OUTPUT_RATE) -> np.ndarray:
    """(channels, N_MELS, columns) mel amplitudes of float audio in -1..1 at `rate` (analysed in int16 range).

    The amplitudes are on the format's 44.1 kHz scale whatever the rate, so images and their EXIF agree.
    """
    device = device or default_device()
    geometry = StftGeometry(rate)
    samples = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    if samples.shape[-1] < 2:
        raise BadInput(refusals.AUDIO_TOO_SHORT_FOR_SPECTROGRAM)
    waveform = torch.from_numpy(samples * INT16_SCALE).to(device)
    if waveform.shape[-1] <= geometry.n_fft // 2:  # reflect padding needs more samples than half the FFT
        waveform = torch.nn.functional.pad(waveform, (0, geometry.n_fft // 2 + 1 - waveform.shape[-1]))
    with torch.no_grad():
        magnitude = stft(waveform, geometry).abs()  # (channels, freqs, frames)
        mel = torch.einsum("fm,cft->cmt", _on(device, "fb", geometry), magnitude)
        if rate != FORMAT_RATE:
            mel = mel * geometry.magnitude_scale
    return mel.cpu().numpy()


def image_from_mel(mel: np.ndarray, stereo: bool) -> Image.Image:
    """The Riffusion image of mel amplitudes (channels, N_MELS, columns), with its EXIF parameters set."""
    max_value = float(mel.max()) if mel.size else 0.0
    scaled = np.power(mel / max_value, POWER_FOR_IMAGE) if max_value > 0 else np.zeros_like(mel)
    pixels = (255.0 - scaled * 255.0).clip(0, 255).astype(np.uint8)[:, ::-1, :]  # low frequencies at the bottom
    if stereo:
        left, right = pixels[0], pixels[-1]
        rgb = np.stack([np.zeros_like(left), left, right], axis=-1)
    else:
        mono = pixels[0]
        rgb = np.stack([mono, mono, mono], axis=-1)
    image = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")
    image.info["exif"] = SpectrogramParams(stereo=stereo, max_value=max_value or DEFAULT_MAX_VALUE).exif().tobytes()
    return image


def audio_to_image(
    audio: np.ndarray, *, stereo: bool = False, device: torch.device | None = None, rate: int = OUTPUT_RATE
) -> Image.Image:
    """The spectrogram image of float audio at `rate`, shape (samples,) or (channels, samples).

    Mono averages the channels; stereo packs the first two channels as G and B (a mono input is duplicated).
    """
    samples = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    if stereo:
        samples = samples[:2] if samples.shape[0] >= 2 else np.repeat(samples[:1], 2, axis=0)
    else:
        samples = samples.mean(axis=0, keepdims=True)
    return image_from_mel(mel_spectrogram(samples, device, rate=rate), stereo)


def save_image(image: Image.Image, path: Path) -> None:
    """Save as PNG with the EXIF parameters kept."""
    exif = image.info.get("exif")
    if exif is None:
        image.save(path, format="PNG")
    else:
        image.save(path, format="PNG", exif=exif)


# --- image to audio -------------------------------------------------------------------------------


def is_stereo_image(rgb: np.ndarray, params: SpectrogramParams | None) -> bool:
    """Stereo when the EXIF says so, or (no EXIF) when R is 0 everywhere while G or B carries something."""
    if params is not None:
        return params.stereo
    red = rgb[..., 0]
    return bool(red.max() == 0 and (rgb[..., 1].max() > 0 or rgb[..., 2].max() > 0))


def _pixels(image: Image.Image | np.ndarray) -> tuple[np.ndarray, SpectrogramParams | None]:
    if isinstance(image, Image.Image):
        params = SpectrogramParams.from_image(image)
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGB")
        rgb = np.asarray(image)
    else:
        params = None
        rgb = np.asarray(image)
    if rgb.ndim == 2:  # greyscale: mono
        rgb = np.stack([rgb, rgb, rgb], axis=-1)
    if rgb.ndim != 3 or rgb.shape[-1] < 3:
        raise BadInput(refusals.IMAGE_NOT_RGB)
    if rgb.shape[0] != N_MELS:
        raise BadInput(refusals.IMAGE_WRONG_HEIGHT, height=int(rgb.shape[0]), expected=N_MELS)
    if rgb.shape[1] < 2:
        raise BadInput(refusals.SPECTROGRAM_TOO_NARROW)
    if rgb.dtype != np.uint8:
        rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    return rgb[..., :3], params


def mel_from_image(image: Image.Image | np.ndarray, *, stereo: bool | None = None) -> tuple[np.ndarray, bool]:
    """(channels, N_MELS, columns) mel amplitudes of an image, and whether it is stereo.

    `stereo` None detects it (EXIF, else R = 0 everywhere); the generator passes False for model outputs.
    """
    rgb, params = _pixels(image)
    if stereo is None:
        stereo = is_stereo_image(rgb, params)
    channels = [rgb[..., 1], rgb[..., 2]] if stereo else [rgb[..., 0]]
    data = np.stack(channels).astype(np.float32)[:, ::-1, :]  # low frequencies back at index 0
    max_value = params.max_value if params is not None else DEFAULT_MAX_VALUE
    mel = max_value * np.power((255.0 - data) / 255.0, 1.0 / POWER_FOR_IMAGE)
    return np.ascontiguousarray(mel, dtype=np.float32), stereo


def normalize_peak(audio: np.ndarray, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    """Scale so the loudest sample sits at `peak_dbfs`; silence stays silence. Never clips."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-9:
        return np.zeros_like(audio, dtype=np.float32)
    return (audio * (10 ** (peak_dbfs / 20) / peak)).astype(np.float32)


def linear_magnitude(mel: torch.Tensor, geometry: StftGeometry = FORMAT) -> torch.Tensor:
    """Linear magnitudes (signals, freqs, columns) at `geometry`'s bins and scale of mel (signals, N_MELS, columns).

    The pseudo-inverse of the mel projection, clamped at zero: what Griffin-Lim aims at.
    """
    linear = torch.einsum("fm,cmt->cft", _on(mel.device, "inv", geometry), mel).clamp_(min=0.0)
    if geometry.rate != FORMAT_RATE:
        linear = linear / geometry.magnitude_scale
    return linear


def _decode(mel: torch.Tensor, seed: int | Sequence[int], recipe: DecodeRecipe) -> torch.Tensor:
    """(signals, samples) waveforms at `recipe.output_rate` of mel amplitudes (signals, N_MELS, columns).

    One seed for all the signals (an image's channels) decodes them together; one seed each (the generator's
    windows) decodes them as one batch on an accelerator and one after another on the CPU, where a batch's
    working set outgrows the caches and costs more per second of sound (measured: about 1.4x for 4 windows).
    """
    if isinstance(seed, int) or mel.device.type != "cpu":
        return _decode_batch(mel, seed, recipe)
    seeds = list(seed)
    return torch.cat([_decode_batch(mel[i : i + 1], seeds[i : i + 1], recipe) for i in range(mel.shape[0])])


def _decode_batch(mel: torch.Tensor, seed: int | Sequence[int], recipe: DecodeRecipe) -> torch.Tensor:
    geometry = recipe.phase_geometry
    magnitude = linear_magnitude(mel, geometry)
    if recipe.start is PhaseStart.PGHI:
        angles = phase_retrieval.pghi_phase(magnitude, geometry, seed)
    else:
        angles = phase_retrieval.random_phase(tuple(magnitude.shape), seed).to(mel.device)
    spectrum = phase_retrieval.griffin_lim(
        magnitude, angles, geometry, iterations=recipe.iterations, momentum=recipe.momentum
    )
    output = recipe.output_geometry
    return resynthesize(spectrum, geometry, output, output.samples_for_columns(mel.shape[-1]))


def audio_from_mel(
    mel: np.ndarray, *, seed: int = 0, device: torch.device | None = None, recipe: DecodeRecipe = DECODE
) -> np.ndarray:
    """(channels, samples) float32 audio at `recipe.output_rate` of mel amplitudes (channels, N_MELS, columns)."""
    device = device or default_device()
    with torch.no_grad():
        mel_t = torch.from_numpy(np.ascontiguousarray(mel, dtype=np.float32)).to(device)
        waveform = _decode(mel_t, seed, recipe)
    return normalize_peak(waveform.cpu().numpy())


def images_to_audio(
    images: Sequence[np.ndarray],
    seeds: Sequence[int],
    *,
    device: torch.device | None = None,
    recipe: DecodeRecipe = DECODE,
) -> list[np.ndarray]:
    """Mono float32 audio at `recipe.output_rate` of several model outputs (512 x W x 3 uint8, one width).

    One batched decode for all (one seed each): on a GPU this is much faster than one image at a time, and
    each result is the same as `image_to_audio(image, seed=its seed, stereo=False)[0]` up to float rounding.
    """
    if not images:
        return []
    device = device or default_device()
    mels = np.concatenate([mel_from_image(image, stereo=False)[0] for image in images])  # (n, N_MELS, W)
    with torch.no_grad():
        waveforms = _decode(torch.from_numpy(mels).to(device), list(seeds), recipe).cpu().numpy()
    return [normalize_peak(waveform) for waveform in waveforms]


def image_to_audio(
    image: Image.Image | np.ndarray,
    *,
    seed: int = 0,
    device: torch.device | None = None,
    stereo: bool | None = None,
    recipe: DecodeRecipe = DECODE,
) -> np.ndarray:
    """(channels, samples) float32 audio at `recipe.output_rate` of a spectrogram image: 1 channel, or 2 for stereo.

    A W-column image gives W - 1 hops of samples (480 per column at 48 kHz). The same seed gives the same audio.
    """
    mel, _ = mel_from_image(image, stereo=stereo)
    return audio_from_mel(mel, seed=seed, device=device, recipe=recipe)


def load_image(path: Path) -> Image.Image:
    """Open an image file, refusing what is not an image with one clear line."""
    try:
        with warnings.catch_warnings():
            # Over Pillow's pixel limit (MAX_IMAGE_PIXELS) is refused, not only warned about, before decoding.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
        image.load()
    except FileNotFoundError:
        raise BadInput(refusals.IMAGE_MISSING, path=str(path)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadInput(refusals.IMAGE_TOO_LARGE, name=path.name, limit=Image.MAX_IMAGE_PIXELS) from None
    except (OSError, ValueError) as exc:
        raise BadInput(refusals.IMAGE_UNREADABLE, name=path.name, detail=str(exc)) from None
    return image
