"""Riffusion spectrogram images <-> audio, in torch (runs on the GPU when given one).

Every number follows `../shared/riffusion-format.md`, the format `riffusion/riffusion-model-v1` was trained on:
44.1 kHz, one column per 10 ms (hop 441), Hann window of 4410 samples, FFT of 17640 samples, 512 HTK mel
bands over 0..10 kHz without filter normalisation, pixel = 255 - 255 * (S / max S) ^ 0.25, low frequencies at
the bottom. Mono images carry the same value in R, G and B; stereo images have R = 0, G = left, B = right.

Image to audio inverts the mel scale with a pseudo-inverse of the filterbank (clamped at zero) and recovers the
phase with Griffin-Lim (32 iterations, momentum 0.99, random initial phase from the given seed), then
normalises the peak cleanly (no clipping).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.errors import BadInput

SAMPLE_RATE = 44100
HOP_LENGTH = 441  # 10 ms: one image column
WIN_LENGTH = 4410  # 100 ms
N_FFT = 17640  # 400 ms
N_FREQS = N_FFT // 2 + 1  # 8821
N_MELS = 512  # the image height
MIN_HZ = 0.0
MAX_HZ = 10000.0
POWER_FOR_IMAGE = 0.25
GRIFFIN_LIM_ITERS = 32
GRIFFIN_LIM_MOMENTUM = 0.99
DEFAULT_MAX_VALUE = 30e6  # used when an image does not say
INT16_SCALE = 32767.0  # audio is analysed as int16-range floats
COLUMNS_PER_SECOND = SAMPLE_RATE // HOP_LENGTH  # 100
PEAK_DBFS = -1.0  # clean peak normalisation target


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
        exif[ExifTag.SAMPLE_RATE] = SAMPLE_RATE
        exif[ExifTag.STEREO] = int(self.stereo)
        exif[ExifTag.STEP_MS] = 1000 * HOP_LENGTH // SAMPLE_RATE
        exif[ExifTag.WINDOW_MS] = 1000 * WIN_LENGTH // SAMPLE_RATE
        exif[ExifTag.PADDED_MS] = 1000 * N_FFT // SAMPLE_RATE
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
            ExifTag.SAMPLE_RATE: SAMPLE_RATE,
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
                raise BadInput(
                    f"This spectrogram was made with other parameters (EXIF tag {tag} is {exif[tag]}, "
                    f"expected {want}); only the Riffusion format can be decoded."
                )
        max_value = float(exif.get(ExifTag.MAX_VALUE, DEFAULT_MAX_VALUE))
        if not (math.isfinite(max_value) and max_value > 0):
            max_value = DEFAULT_MAX_VALUE
        return cls(stereo=bool(int(exif.get(ExifTag.STEREO, 0))), max_value=max_value)


# --- width and duration ---------------------------------------------------------------------------


def samples_for_columns(columns: int) -> int:
    """An image `columns` wide decodes to this many samples (441 per column, less one column)."""
    return HOP_LENGTH * max(columns - 1, 0)


def seconds_for_columns(columns: int) -> float:
    return samples_for_columns(columns) / SAMPLE_RATE


def columns_for_seconds(seconds: float) -> int:
    """The narrowest image width (a multiple of 8) that covers `seconds` of sound."""
    if seconds <= 0:
        raise ValueError("duration must be positive")
    # round() first so that float noise (e.g. 100 * 1.1 = 110.00000000000001) does not add a column
    columns = math.ceil(round(COLUMNS_PER_SECOND * seconds, 6)) + 1
    return math.ceil(columns / 8) * 8


def samples_for_seconds(seconds: float) -> int:
    """Samples at 44.1 kHz in `seconds` (rounded to the nearest sample)."""
    return round(seconds * SAMPLE_RATE)


# --- the filterbank -------------------------------------------------------------------------------


def _hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def _mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


@lru_cache(maxsize=1)
def _filterbank_cpu() -> torch.Tensor:
    """(N_FREQS, N_MELS) HTK triangles over 0..10 kHz, each peaking at 1 (no normalisation), float64."""
    all_freqs = torch.linspace(0, SAMPLE_RATE // 2, N_FREQS, dtype=torch.float64)
    m_pts = torch.linspace(
        float(_hz_to_mel(torch.tensor(MIN_HZ, dtype=torch.float64))),
        float(_hz_to_mel(torch.tensor(MAX_HZ, dtype=torch.float64))),
        N_MELS + 2,
        dtype=torch.float64,
    )
    f_pts = _mel_to_hz(m_pts)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)  # (N_FREQS, N_MELS + 2)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.minimum(down, up), min=0.0)


@lru_cache(maxsize=1)
def _inverse_filterbank_cpu() -> torch.Tensor:
    """(N_FREQS, N_MELS) pseudo-inverse of the mel projection, float64."""
    fb = _filterbank_cpu()  # A = fb.T (N_MELS x N_FREQS); pinv(A) = A.T pinv(A A.T), a 512 x 512 problem
    return fb @ torch.linalg.pinv(fb.T @ fb, hermitian=True)


_device_cache: dict[tuple[str, str], torch.Tensor] = {}


def _on(device: torch.device, name: str) -> torch.Tensor:
    key = (str(device), name)
    tensor = _device_cache.get(key)
    if tensor is None:
        source = _filterbank_cpu() if name == "fb" else _inverse_filterbank_cpu()
        tensor = source.to(device=device, dtype=torch.float32)
        _device_cache[key] = tensor
    return tensor


def _window(device: torch.device) -> torch.Tensor:
    key = (str(device), "window")
    window = _device_cache.get(key)
    if window is None:
        window = torch.hann_window(WIN_LENGTH, periodic=True, dtype=torch.float32, device=device)
        _device_cache[key] = window
    return window


def default_device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


# --- audio to image -------------------------------------------------------------------------------


def _stft(waveform: torch.Tensor) -> torch.Tensor:
    return torch.stft(
        waveform,
        n_fft=N_FFT,
        hop_length=HOP_LENGTH,
        win_length=WIN_LENGTH,
        window=_window(waveform.device),
        center=True,
        pad_mode="reflect",
        normalized=False,
        onesided=True,
        return_complex=True,
    )


def mel_spectrogram(audio: np.ndarray, device: torch.device | None = None) -> np.ndarray:
    """(channels, N_MELS, columns) mel amplitudes of float audio in -1..1 (analysed in int16 range)."""
    device = device or default_device()
    samples = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    if samples.shape[-1] < 2:
        raise BadInput("The audio is too short to make a spectrogram of.")
    waveform = torch.from_numpy(samples * INT16_SCALE).to(device)
    if waveform.shape[-1] <= N_FFT // 2:  # reflect padding needs more samples than half the FFT
        waveform = torch.nn.functional.pad(waveform, (0, N_FFT // 2 + 1 - waveform.shape[-1]))
    with torch.no_grad():
        magnitude = _stft(waveform).abs()  # (channels, N_FREQS, frames)
        mel = torch.einsum("fm,cft->cmt", _on(device, "fb"), magnitude)
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


def audio_to_image(audio: np.ndarray, *, stereo: bool = False, device: torch.device | None = None) -> Image.Image:
    """A spectrogram image of 44.1 kHz float audio, shape (samples,) or (channels, samples).

    Mono averages the channels; stereo packs the first two channels as G and B (a mono input is duplicated).
    """
    samples = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    if stereo:
        samples = samples[:2] if samples.shape[0] >= 2 else np.repeat(samples[:1], 2, axis=0)
    else:
        samples = samples.mean(axis=0, keepdims=True)
    return image_from_mel(mel_spectrogram(samples, device), stereo)


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
        raise BadInput("This image is not a spectrogram: it needs three colour channels.")
    if rgb.shape[0] != N_MELS:
        raise BadInput(
            f"This image is not a Riffusion spectrogram: it is {rgb.shape[0]} pixels high, "
            f"and a spectrogram is {N_MELS} high."
        )
    if rgb.shape[1] < 2:
        raise BadInput("This spectrogram is too narrow to decode: it needs at least 2 columns.")
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


def _initial_phase(shape: tuple[int, ...], seed: int | Sequence[int]) -> torch.Tensor:
    """Random complex phase on the CPU (the same on every device): one seed for all, or one per leading item."""
    if isinstance(seed, int):
        rng = torch.Generator(device="cpu").manual_seed(seed % (2**63))
        return torch.rand(shape, dtype=torch.complex64, generator=rng)
    if len(seed) != shape[0]:
        raise ValueError(f"{len(seed)} seeds for {shape[0]} signals")
    return torch.stack([_initial_phase(shape[1:], int(one)) for one in seed])


def griffin_lim(
    magnitude: torch.Tensor,
    *,
    seed: int | Sequence[int],
    iterations: int = GRIFFIN_LIM_ITERS,
    momentum: float = GRIFFIN_LIM_MOMENTUM,
) -> torch.Tensor:
    """Waveform (signals, 441 * (columns - 1)) whose STFT magnitude approaches `magnitude` (signals, freqs, columns).

    The fast Griffin-Lim of Perraudin et al. as torchaudio runs it, with a seeded random initial phase: one seed
    for all the signals, or one seed each (a signal then decodes the same alone or in a batch).
    """
    device = magnitude.device
    window = _window(device)
    length = samples_for_columns(magnitude.shape[-1])
    angles = _initial_phase(tuple(magnitude.shape), seed).to(device)
    alpha = momentum / (1 + momentum)
    previous = torch.zeros((), dtype=torch.complex64, device=device)

    def istft(spec: torch.Tensor) -> torch.Tensor:
        return torch.istft(
            spec, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH, window=window, length=length
        )

    for _ in range(iterations):
        inverse = istft(magnitude * angles)
        rebuilt = _stft(inverse)
        angles = rebuilt - previous * alpha
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    return istft(magnitude * angles)


def normalize_peak(audio: np.ndarray, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    """Scale so the loudest sample sits at `peak_dbfs`; silence stays silence. Never clips."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-9:
        return np.zeros_like(audio, dtype=np.float32)
    return (audio * (10 ** (peak_dbfs / 20) / peak)).astype(np.float32)


def audio_from_mel(mel: np.ndarray, *, seed: int = 0, device: torch.device | None = None) -> np.ndarray:
    """(channels, samples) float32 audio at 44.1 kHz of mel amplitudes (channels, N_MELS, columns)."""
    device = device or default_device()
    with torch.no_grad():
        mel_t = torch.from_numpy(np.ascontiguousarray(mel, dtype=np.float32)).to(device)
        linear = torch.einsum("fm,cmt->cft", _on(device, "inv"), mel_t).clamp_(min=0.0)
        waveform = griffin_lim(linear, seed=seed)
    return normalize_peak(waveform.cpu().numpy())


def images_to_audio(
    images: Sequence[np.ndarray], seeds: Sequence[int], *, device: torch.device | None = None
) -> list[np.ndarray]:
    """Mono float32 audio of several model outputs (512 x W x 3 uint8, one width), decoded together.

    One Griffin-Lim run for all (one seed each): on a GPU this is much faster than one image at a time, and
    each result is the same as `image_to_audio(image, seed=its seed, stereo=False)[0]` up to float rounding.
    """
    if not images:
        return []
    device = device or default_device()
    mels = np.concatenate([mel_from_image(image, stereo=False)[0] for image in images])  # (n, N_MELS, W)
    with torch.no_grad():
        mel_t = torch.from_numpy(mels).to(device)
        linear = torch.einsum("fm,cmt->cft", _on(device, "inv"), mel_t).clamp_(min=0.0)
        waveforms = griffin_lim(linear, seed=list(seeds)).cpu().numpy()
    return [normalize_peak(waveform) for waveform in waveforms]


def image_to_audio(
    image: Image.Image | np.ndarray,
    *,
    seed: int = 0,
    device: torch.device | None = None,
    stereo: bool | None = None,
) -> np.ndarray:
    """(channels, samples) float32 audio at 44.1 kHz of a spectrogram image: 1 channel, or 2 for stereo.

    A W-column image gives 441 * (W - 1) samples. The same seed gives the same audio.
    """
    mel, _ = mel_from_image(image, stereo=stereo)
    return audio_from_mel(mel, seed=seed, device=device)


def load_image(path: Path) -> Image.Image:
    """Open an image file, refusing what is not an image with one clear line."""
    try:
        with warnings.catch_warnings():
            # Over Pillow's pixel limit (MAX_IMAGE_PIXELS) is refused, not only warned about, before decoding.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
        image.load()
    except FileNotFoundError:
        raise BadInput(f"There is no file {path}.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadInput(
            f"{path.name} is too large an image to open: more than {Image.MAX_IMAGE_PIXELS:,} pixels "
            "(Pillow's limit against decompression bombs)."
        ) from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path.name} is not an image that can be read ({exc}).") from None
    return image
