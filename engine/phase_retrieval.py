"""Phase for a magnitude spectrogram: phase-gradient integration (PGHI), then fast Griffin-Lim.

A Riffusion image holds magnitudes only. The phase is rebuilt in two steps, plain torch on any device, batched
over the leading dimension (one signal per window or channel):

1. `pghi_phase`: phase-gradient integration after Prusa, Balazs and Sondergaard, "A noniterative method for
   reconstruction of phase from STFT magnitude" (IEEE/ACM TASLP 25(5), 2017). For a Gaussian window of
   lambda (samples^2) the phase's derivatives follow from the log-magnitude's: along time, the instantaneous
   frequency is the bin's own plus (1 / lambda) d log|S| / d omega; across frequency, the phase slope is
   -lambda d log|S| / d tau. The Hann window is taken as the Gaussian of lambda = 0.25645 L^2 (the paper's fit).
   The paper integrates these with a heap, bin by bin from the loudest reached so far. Here they are integrated
   frame by frame, vectorised over the bins: in each frame a spectral peak carries its bin's phase from the
   frame before (turned by the instantaneous frequency), and every other bin takes its peak's phase plus the
   slope integrated across frequency; a bin belongs to the peak it climbs towards. Where a peak's bin was much
   quieter a frame before (an onset), the time direction says little, so its bins follow the nearest steady
   peak of the frame, or the frame's loudest bin, across frequency, as the heap would. Bins more than 100 dB
   below the loudest get a random phase, and the whole spectrogram is turned by one random angle: both from
   the seed, so a seed gives the same sound every time and another seed another (equally good) sound.
2. `griffin_lim`: the fast Griffin-Lim of Perraudin, Balazs and Sondergaard (2013) from a given start.

`random_phase` is the start the decoder used before PGHI (torchaudio's: uniform random complex numbers), kept
so that the old recipe can still be run beside the new one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from engine.stft import StftGeometry, istft, stft

HANN_GAUSSIAN_LAMBDA = 0.25645  # lambda / L^2 of the Gaussian that best fits a Hann window of L samples
PGHI_FLOOR = 1e-5  # bins quieter than this, relative to the loudest (amplitude: -100 dB), get a random phase
ONSET_RATIO = 0.7  # a peak whose bin was quieter than this a frame before (-3 dB) is an onset


def _generator(seed: int) -> torch.Generator:
    return torch.Generator(device="cpu").manual_seed(seed % (2**63))


def _seeds(seed: int | Sequence[int], count: int) -> list[int]:
    """One seed per signal: the same for all, or one each."""
    if isinstance(seed, int):
        return [seed] * count
    if len(seed) != count:
        raise ValueError(f"{len(seed)} seeds for {count} signals")
    return [int(one) for one in seed]


def random_phase(shape: tuple[int, ...], seed: int | Sequence[int]) -> torch.Tensor:
    """Uniform random complex numbers on the CPU (the same on every device), one seed for all or one per signal.

    This is torchaudio's Griffin-Lim start (not of unit modulus), which the decoder used before PGHI.
    """
    if isinstance(seed, int):
        return torch.rand(shape, dtype=torch.complex64, generator=_generator(seed))
    return torch.stack([random_phase(shape[1:], one) for one in _seeds(seed, shape[0])])


def _centred_difference(values: torch.Tensor, dim: int) -> torch.Tensor:
    """(x[i + 1] - x[i - 1]) / 2 along `dim`, one-sided at the ends."""
    size = values.shape[dim]
    if size < 3:
        return torch.zeros_like(values)
    forward = values.narrow(dim, 1, size - 1) - values.narrow(dim, 0, size - 1)  # x[i + 1] - x[i]
    inner = (forward.narrow(dim, 1, size - 2) + forward.narrow(dim, 0, size - 2)) / 2
    return torch.cat([forward.narrow(dim, 0, 1), inner, forward.narrow(dim, size - 2, 1)], dim=dim)


def _running_integral(rate: torch.Tensor, dim: int) -> torch.Tensor:
    """Trapezoidal running integral along `dim` of a per-step rate, 0 at the first index."""
    size = rate.shape[dim]
    zero = torch.zeros_like(rate.narrow(dim, 0, 1))
    if size < 2:
        return zero
    steps = (rate.narrow(dim, 1, size - 1) + rate.narrow(dim, 0, size - 1)) / 2
    return torch.cat([zero, torch.cumsum(steps, dim=dim)], dim=dim)


def _last_and_next(mask: torch.Tensor, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per bin (last dim), the index of the last bin at or below it where `mask` holds (-1: none), and of the
    next one at or above it (the size: none)."""
    size = mask.shape[-1]
    last = torch.cummax(torch.where(mask, index, -1), dim=-1).values
    following = torch.cummin(torch.where(mask, index, size).flip(-1), dim=-1).values.flip(-1)
    return last, following


def _owners(magnitude: torch.Tensor, audible: torch.Tensor) -> torch.Tensor:
    """(signals, frames, freqs) index of the bin whose phase each bin follows across frequency in its frame.

    `magnitude` and `audible` are (signals, frames, freqs): frequency last, so every scan runs along memory.
    """
    signals, frames, freqs = magnitude.shape
    index = torch.arange(freqs, device=magnitude.device).expand(signals, frames, freqs)
    edge = torch.full_like(magnitude[..., :1], -1.0)
    below = torch.cat([edge, magnitude[..., :-1]], dim=-1)
    above = torch.cat([magnitude[..., 1:], edge], dim=-1)
    is_peak = (magnitude >= below) & (magnitude > above) & audible

    # A bin belongs to the peak it climbs towards: rising bins to the next peak, falling ones to the last.
    last_peak, next_peak = _last_and_next(is_peak, index)
    owner = torch.where((above > magnitude) & (next_peak < freqs), next_peak, last_peak)
    owner = torch.where(owner < 0, torch.where(next_peak < freqs, next_peak, index), owner)

    # An onset peak hands its bins to the nearest steady peak of the frame, or to the frame's loudest bin.
    earlier = torch.cat([torch.zeros_like(magnitude[:, :1]), magnitude[:, :-1]], dim=1)
    steady = is_peak & (earlier >= ONSET_RATIO * magnitude)
    last_steady, next_steady = _last_and_next(steady, index)
    use_last = (last_steady >= 0) & ((next_steady >= freqs) | (index - last_steady <= next_steady - index))
    nearest = torch.where(use_last, last_steady, next_steady)
    loudest = magnitude.argmax(dim=-1, keepdim=True).expand(signals, frames, freqs)
    nearest = torch.where(nearest >= freqs, loudest, nearest)
    return torch.where(torch.gather(steady, -1, owner), owner, torch.gather(nearest, -1, owner))


def pghi_phase(magnitude: torch.Tensor, geometry: StftGeometry, seed: int | Sequence[int]) -> torch.Tensor:
    """Unit complex phases (signals, freqs, frames) for `magnitude` (signals, freqs, frames) of `geometry`.

    The phases are in `torch.stft`'s convention (a frame's phase measured from the start of its FFT frame).
    """
    signals, freqs, frames = magnitude.shape
    device, dtype = magnitude.device, magnitude.dtype
    hop, n_fft = geometry.hop, geometry.n_fft
    lam = HANN_GAUSSIAN_LAMBDA * geometry.win**2

    by_frame = magnitude.transpose(1, 2).contiguous()  # (signals, frames, freqs): a frame is a row
    floor = by_frame.amax(dim=(1, 2), keepdim=True) * PGHI_FLOOR
    audible = by_frame > floor
    log_mag = torch.log(torch.maximum(by_frame, floor).clamp(min=1e-30))

    # The derivatives, for phases measured from each window's centre. Along time: the instantaneous frequency
    # less the bin's own, in radians per frame. Across frequency: radians per bin, integrated from bin 0.
    deviation = (hop * n_fft / lam) * _centred_difference(log_mag, dim=2)
    across = _running_integral((-lam / (n_fft * hop)) * _centred_difference(log_mag, dim=1), dim=2)

    owner = _owners(by_frame, audible)
    owner_across = torch.gather(across, 2, owner)
    # A bin's own frequency turns it by 2 pi k hop / n_fft per frame: exactly, as k modulo n_fft / hop.
    period = n_fft // hop
    k = torch.arange(freqs, device=device)
    own_turn = (k % period).to(dtype) * (2 * math.pi / period)
    mean_deviation = torch.cat([torch.zeros_like(deviation[:, :1]), deviation[:, 1:] + deviation[:, :-1]], dim=1)
    advance = own_turn + mean_deviation / 2
    start = across - owner_across  # the part of each bin's phase that does not depend on the frame before

    phase = torch.empty_like(by_frame)
    current = torch.zeros((signals, freqs), dtype=dtype, device=device)
    for frame in range(frames):
        carried = current + advance[:, frame]
        current = torch.remainder(torch.gather(carried, 1, owner[:, frame]) + start[:, frame], 2 * math.pi)
        phase[:, frame] = current
    # torch.stft measures from the start of the FFT frame, n_fft / 2 before the window's centre: (-1)^k.
    phase += math.pi * (k % 2).to(dtype)

    noise, turn = [], []
    for one in _seeds(seed, signals):
        rng = _generator(one)
        turn.append(float(torch.rand((), generator=rng)))
        noise.append(torch.rand((freqs, frames), generator=rng))
    random_angle = (2 * math.pi) * torch.stack(noise).to(device).transpose(1, 2)
    turn_angle = (2 * math.pi) * torch.tensor(turn, dtype=dtype, device=device).view(signals, 1, 1)
    phase = torch.where(audible, phase + turn_angle, random_angle)
    return torch.polar(torch.ones_like(phase), phase).transpose(1, 2).contiguous()


def griffin_lim(
    magnitude: torch.Tensor,
    angles: torch.Tensor,
    geometry: StftGeometry,
    *,
    iterations: int,
    momentum: float,
) -> torch.Tensor:
    """`magnitude` (signals, freqs, frames) times the phase after `iterations` of fast Griffin-Lim from `angles`.

    `angles` is complex, of the same shape. The result's inverse STFT is the sound.
    """
    length = geometry.samples_for_columns(magnitude.shape[-1])
    alpha = momentum / (1 + momentum)
    previous = torch.zeros((), dtype=torch.complex64, device=magnitude.device)
    for _ in range(iterations):
        rebuilt = stft(istft(magnitude * angles, geometry, length), geometry)
        angles = torch.sgn(rebuilt - previous * alpha)  # unit modulus (0 stays 0)
        previous = rebuilt
    return magnitude * angles
