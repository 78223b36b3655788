"""The spectrogram codec on this machine: CPU seconds per second of audio, and quality, old decoder against new.

Decodes the reference app's own test clip (tests/music/data: riffusion/riffusion's image of "Tired traveler",
5.68 s) with each recipe side by side in one run:
- old: `sp.LEGACY_DECODE`, the decoder before issue 11: 32 fast Griffin-Lim iterations from random phase at
  44.1 kHz with the format's 17640-point FFT, 44.1 kHz out (the remux then resampled it to 48 kHz);
- new: `sp.DECODE`: phase on a 24 kHz grid with a 2400-point FFT (10 Hz bins), started by phase-gradient
  integration, 20 iterations, the last inverse FFT taken at 48 kHz (the remux's rate: no second resampling);
- new, random start: the same with the old random start, to show what the PGHI start is worth.
For each: process CPU seconds per second of audio (best of --repeat, torch on --threads threads, default one),
spectral convergence to the image's magnitudes and mel distance to the original clip (engine/codec_quality.py:
lower is better). Then the new decoder on a batch of 512-column windows (as the generator decodes them), and the
encoder (sound to image) at 44.1 and 48 kHz. CPU time, not wall time: this machine is shared.

Run: .venv/bin/python benchmarks/bench_codec.py [--repeat 3] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import audio_io  # noqa: E402
from engine import codec_quality as quality  # noqa: E402
from engine import spectrogram as sp  # noqa: E402

DATA = ROOT / "tests" / "music" / "data"
CLIP = DATA / "tired-traveler-clip-2.wav"
IMAGE = DATA / "tired-traveler-clip-2.png"
MEDIA = ROOT / "tests" / "data" / "vp8-vorbis-720p-30s.webm"


def best_cpu(fn: Callable[[], object], repeat: int) -> float:
    """The least process CPU seconds of `repeat` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def describe(recipe: sp.DecodeRecipe) -> str:
    fft = recipe.phase_geometry.n_fft
    return (
        f"{recipe.phase_rate / 1000:g} kHz, FFT {fft}, {recipe.start.value} start, {recipe.iterations} it, "
        f"out {recipe.output_rate / 1000:g} kHz"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    args = parser.parse_args()

    clip, clip_rate = audio_io.read_wav(CLIP)
    original = clip[0]  # the reference image was made of the left channel
    image = sp.load_image(IMAGE)
    target = quality.target_magnitude(image)
    seconds = sp.seconds_for_columns(image.width)
    device = torch.device("cpu")
    recipes = {
        "old": sp.LEGACY_DECODE,
        "new": sp.DECODE,
        "new, random start": dataclasses.replace(sp.DECODE, start=sp.PhaseStart.RANDOM),
    }
    for recipe in recipes.values():  # one-off set-up (filterbanks, pseudo-inverse), not part of a decode
        sp.linear_magnitude(torch.zeros(1, sp.N_MELS, 2), recipe.phase_geometry)

    print(f"torch {torch.__version__}, CPU; {image.width} columns = {seconds:.2f} s of audio; best of {args.repeat}")
    print(f"{'decoder':<18} {'recipe':<50} {'threads':>7} {'CPU s / audio s':>15} {'spectral conv':>13} "
          f"{'mel dist':>9}")  # fmt: skip
    figures: dict[str, tuple[float, float]] = {}
    for name, recipe in recipes.items():
        sound = sp.image_to_audio(image, seed=0, device=device, recipe=recipe, stereo=False)[0]
        figures[name] = (
            quality.spectral_convergence(sound, recipe.output_rate, target),
            quality.mel_distance(sound, recipe.output_rate, original, clip_rate),
        )
        for threads in args.threads:
            torch.set_num_threads(threads)
            decode = functools.partial(sp.image_to_audio, image, seed=0, device=device, recipe=recipe)
            cpu = best_cpu(decode, args.repeat if name != "old" else min(args.repeat, 2))
            print(f"{name:<18} {describe(recipe):<50} {threads:7d} {cpu / seconds:15.3f} "
                  f"{figures[name][0]:13.4f} {figures[name][1]:9.4f}")  # fmt: skip
    old, new = figures["old"], figures["new"]
    print(f"new vs old: spectral convergence {new[0] / old[0]:.2f}x, mel distance {new[1] / old[1]:.2f}x "
          f"(below 1: better)")  # fmt: skip

    # The generator decodes its windows in batches (one call, one seed each): 4 windows of 512 columns.
    sound = asyncio.run(audio_io.decode_audio(MEDIA, channels=1))[0]
    window = sp.samples_for_columns(512)
    windows = [np.asarray(sp.audio_to_image(sound[i * window : (i + 1) * window])) for i in range(4)]
    for threads in args.threads:
        torch.set_num_threads(threads)
        cpu = best_cpu(lambda: sp.images_to_audio(windows, [0, 1, 2, 3], device=device), args.repeat)
        print(f"new, batch of 4 x 512 columns ({4 * sp.seconds_for_columns(512):.2f} s), {threads} thread(s): "
              f"{cpu / (4 * sp.seconds_for_columns(512)):.3f} CPU s / audio s")  # fmt: skip

    torch.set_num_threads(args.threads[0])
    at_48k = asyncio.run(audio_io.decode_audio(CLIP, channels=1))[0]
    for rate, audio in ((clip_rate, original), (sp.OUTPUT_RATE, at_48k)):
        cpu = best_cpu(functools.partial(sp.audio_to_image, audio, device=device, rate=rate), args.repeat)
        print(f"encoder (sound to image) at {rate / 1000:g} kHz: {cpu / (len(audio) / rate):.3f} CPU s / audio s")


if __name__ == "__main__":
    main()
