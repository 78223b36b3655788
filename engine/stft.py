"""The Riffusion format's short-time Fourier transform at any sample rate, with the same time geometry.

The format (../shared/riffusion-format.md) analyses 44.1 kHz sound with a hop of 10 ms, a Hann window of
100 ms and an FFT of 400 ms. The same durations at another rate give the same frequency grid (one bin every
2.5 Hz) and the same frame times, so the mel bands, which stop at 10 kHz, see the same bins at any rate that
holds 10 kHz. `StftGeometry(rate)` is that geometry; magnitudes are reported on the 44.1 kHz scale (a window
of more samples sums to more), so an image's numbers do not depend on the rate it was analysed at.

`fft_windows=1` keeps the hop and the window but takes the FFT as long as the window (100 ms, a bin every
10 Hz: every 4th bin of the format's grid, whose 4x zero padding only interpolates the spectrum); the decoder
rebuilds phase on that grid. `resynthesize` moves a spectrum to another rate of the same durations by its last
inverse FFT: the codec's one resampling step.

Transforms run in torch on any device, batched over leading dimensions; windows are cached per device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.rates import FORMAT_RATE

MAX_HZ = 10000.0  # the top of the mel bands: a rate must hold this below its Nyquist frequency


@dataclass(frozen=True)
class StftGeometry:
    """Hop 10 ms, Hann window 100 ms, FFT 400 ms (centred frames, reflect padding, one-sided) at `rate` Hz."""

    rate: int
    fft_windows: int = 4  # the FFT's length in windows: 4 in the format (400 ms), 1 for a coarse grid (10 Hz)

    def __post_init__(self) -> None:
        if self.rate % 100 or self.rate < 2 * MAX_HZ:
            raise ValueError(f"a rate of {self.rate} Hz cannot hold the format: use a multiple of 100, at least 20000")

    @property
    def hop(self) -> int:
        return self.rate // 100

    @property
    def win(self) -> int:
        return self.rate // 10

    @property
    def n_fft(self) -> int:
        return self.win * self.fft_windows

    @property
    def n_freqs(self) -> int:
        """One bin every 2.5 Hz from 0 to the Nyquist frequency."""
        return self.n_fft // 2 + 1

    @property
    def magnitude_scale(self) -> float:
        """Multiplies this rate's magnitudes onto the 44.1 kHz scale (the window sum grows with the rate)."""
        return FORMAT_RATE / self.rate

    def samples_for_columns(self, columns: int) -> int:
        """An image `columns` wide decodes to this many samples at this rate."""
        return self.hop * max(columns - 1, 0)


FORMAT = StftGeometry(FORMAT_RATE)

_windows: dict[tuple[int, str], torch.Tensor] = {}


def window(geometry: StftGeometry, device: torch.device) -> torch.Tensor:
    """The periodic Hann window of `geometry` on `device` (cached)."""
    key = (geometry.win, str(device))
    cached = _windows.get(key)
    if cached is None:
        cached = torch.hann_window(geometry.win, periodic=True, dtype=torch.float32, device=device)
        _windows[key] = cached
    return cached


def stft(waveform: torch.Tensor, geometry: StftGeometry) -> torch.Tensor:
    """Complex STFT (..., n_freqs, frames) of real (..., samples); frame m is centred on sample m * hop."""
    return torch.stft(
        waveform,
        n_fft=geometry.n_fft,
        hop_length=geometry.hop,
        win_length=geometry.win,
        window=window(geometry, waveform.device),
        center=True,
        pad_mode="reflect",
        normalized=False,
        onesided=True,
        return_complex=True,
    )


def _overlap_add(frames: torch.Tensor, hop: int) -> torch.Tensor:
    """Overlap-add (..., count, win) frames `hop` apart, win a whole number of hops: (..., (count - 1) * hop + win)."""
    *lead, count, win = frames.shape
    parts = win // hop
    chunks = frames.reshape(*lead, count, parts, hop)
    out = frames.new_zeros((*lead, count + parts - 1, hop))
    for part in range(parts):
        out[..., part : part + count, :] += chunks[..., part, :]
    return out.reshape(*lead, (count + parts - 1) * hop)


_envelopes: dict[tuple[StftGeometry, int, str], torch.Tensor] = {}


def _envelope(geometry: StftGeometry, count: int, device: torch.device) -> torch.Tensor:
    """1 / the overlap-added squared window of `count` frames (cached): istft's normalisation."""
    key = (geometry, count, str(device))
    cached = _envelopes.get(key)
    if cached is None:
        squared = (window(geometry, device) ** 2).expand(count, geometry.win)
        total = _overlap_add(squared, geometry.hop)
        cached = torch.where(total > 1e-11, 1.0 / total, torch.zeros_like(total))
        _envelopes[key] = cached
    return cached


def istft(spectrum: torch.Tensor, geometry: StftGeometry, length: int) -> torch.Tensor:
    """The least-squares inverse of `stft` for this geometry, `length` samples long (as `torch.istft`).

    Only the window's span of each inverse FFT is overlap-added (the rest is zero padding), by whole hops.
    """
    count = spectrum.shape[-1]
    frames = torch.fft.irfft(spectrum.transpose(-1, -2), n=geometry.n_fft, dim=-1)  # (..., count, n_fft)
    left = (geometry.n_fft - geometry.win) // 2
    frames = frames[..., left : left + geometry.win] * window(geometry, spectrum.device)
    signal = _overlap_add(frames, geometry.hop) * _envelope(geometry, count, spectrum.device)
    # Frame m is centred on sample m * hop: the overlap-added span starts half a window before sample 0.
    signal = signal[..., geometry.win // 2 : geometry.win // 2 + length]
    if signal.shape[-1] < length:
        signal = torch.nn.functional.pad(signal, (0, length - signal.shape[-1]))
    return signal


def resynthesize(spectrum: torch.Tensor, source: StftGeometry, target: StftGeometry, length: int) -> torch.Tensor:
    """The sound of a `source`-geometry spectrum at `target`'s rate, `length` samples long.

    Both geometries share the frequency grid and the frame times, so the spectrum moves to the target rate by
    zero bins above the source's Nyquist frequency (or by dropping the bins above the target's): the inverse
    transform then rebuilds the sound band-limited at the new rate. This is the one resampling step, done by the
    last inverse FFT itself; the amplitude is kept (frames of more samples sum to more in the forward transform,
    so the bins are scaled by the ratio of the rates).
    """
    bins = spectrum.shape[-2]
    if bins > target.n_freqs:
        spectrum = spectrum[..., : target.n_freqs, :]
    elif bins < target.n_freqs:
        spectrum = torch.nn.functional.pad(spectrum, (0, 0, 0, target.n_freqs - bins))
    if target.rate != source.rate:
        spectrum = spectrum * (target.rate / source.rate)
    return istft(spectrum, target, length)
