"""The spectrogram codec's cost on this machine: CPU seconds per second of audio, both directions.

Image to audio (pseudo-inverse mel + 32 Griffin-Lim iterations) is the slow direction. Measured on the sound of
tests/data/vp8-vorbis-720p-30s.webm, with torch on one thread and on all of them, side by side in one run
(on a shared machine, extra threads can cost more than they give).

Run: .venv/bin/python benchmarks/bench_codec.py [--seconds 5 10] [--repeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import audio_io  # noqa: E402
from engine import spectrogram as sp  # noqa: E402

MEDIA = ROOT / "tests" / "data" / "vp8-vorbis-720p-30s.webm"


def measure(fn: object, repeat: int) -> tuple[float, float]:
    """(best CPU seconds, best wall seconds) of `repeat` calls."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()  # type: ignore[operator]
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[5.0, 10.0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    audio = asyncio.run(audio_io.decode_audio(MEDIA, channels=1))[0]
    sp._inverse_filterbank_cpu()  # one-off set-up (0.3 s), not part of a conversion
    device = torch.device("cpu")
    threads_all = torch.get_num_threads()
    print(f"torch {torch.__version__}, CPU, {threads_all} threads available; best of {args.repeat}")
    print(f"{'audio s':>8} {'threads':>7} {'to image CPU s':>15} {'to audio CPU s':>15} {'to audio wall s':>16} "
          f"{'CPU s per audio s':>18}")  # fmt: skip
    for seconds in args.seconds:
        clip = audio[: round(seconds * sp.SAMPLE_RATE)]
        image = sp.audio_to_image(clip, device=device)
        for threads in sorted({1, threads_all}):
            torch.set_num_threads(threads)
            enc_cpu, _ = measure(lambda clip=clip: sp.audio_to_image(clip, device=device), args.repeat)
            decode = lambda image=image: sp.image_to_audio(image, seed=0, device=device)  # noqa: E731
            dec_cpu, dec_wall = measure(decode, args.repeat)
            print(f"{seconds:8.1f} {threads:7d} {enc_cpu:15.2f} {dec_cpu:15.2f} {dec_wall:16.2f} "
                  f"{dec_cpu / seconds:18.2f}")  # fmt: skip
    torch.set_num_threads(threads_all)


if __name__ == "__main__":
    main()
