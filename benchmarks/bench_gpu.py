"""The GPU figures in one table: the generator on a random pipeline of the real checkpoint's size, fp16.

`--size sd15` (the default) builds Stable Diffusion 1.5's configuration (UNet 320/640/1280/1280 with
cross-attention 768, the 8x VAE 128/256/512/512, a CLIP ViT-L/14 text encoder) with random weights, so speed and
memory are those of `riffusion/riffusion-model-v1` (nothing is downloaded; the sound is noise). `--size tiny` is
the tests' tiny pipeline: on a CPU the whole table takes well under a minute (tests/test_bench_gpu.py runs it
that way, so the script cannot rot). Everything goes through `engine.generator.Generator`, the bot's own code:
windows, batches, classifier-free guidance, the VAE, and the codec (Griffin-Lim) on the same device.

One column per variant: plain, channels_last (the UNet and VAE in NHWC), torch.compile (the UNet's forward;
`--compile-backend`, inductor by default, one compile with dynamic shapes), and both. One row per figure:
- seconds per diffusion step with 1, 2, 4 and 8 windows (512 columns each) in one batch;
- seconds for 10 s of music (two windows) at 25 and 50 steps, start to finish (text encoder, diffusion, VAE
  decode, codec);
- the share of that time (50 steps) outside the UNet, and its parts: the text encoder, the VAE decode, the codec
  and the rest (scheduler, the pipeline's own work), timed with hooks that synchronise the device;
- peak memory: the GPU's allocated peak per variant (on a CPU, the process's peak RSS so far).

Run: python benchmarks/bench_gpu.py [--size sd15|tiny] [--device cuda|cpu] [--variants plain,channels_last,...]
     [--batches 1,2,4,8] [--music-steps 25,50] [--seconds 10] [--step-count 6] [--compile-backend inductor]
On one large GPU (an H100/H200) it is meant to finish in under 4 minutes, the two compiles included.

Needs: torch (fp16 on CUDA), diffusers, transformers, numpy, Pillow, pydantic (engine.options). A GPU machine
without diffusers needs their wheels brought along (`pip download diffusers transformers huggingface_hub
safetensors tokenizers pydantic -d wheels` here, `pip install --no-index --find-links wheels ...` there).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for _name, _value in (("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
    os.environ.setdefault(_name, _value)  # the libraries' chatter off, before they are imported

from engine import spectrogram as sp  # noqa: E402
from engine.generator import (  # noqa: E402
    CROSSFADE_SECONDS,
    GenerationProgress,
    GenerationRequest,
    Generator,
    plan_windows,
)
from engine.options import UserOptions  # noqa: E402
from engine.tiny_model import assemble, char_tokenizer, vae_8x, write_tiny_model  # noqa: E402

VARIANTS = ("plain", "channels_last", "compile", "both")
WIDTH = 512  # columns per window (the bot's MAX_IMAGE_WIDTH)


def sd15_pipeline(device: torch.device) -> Any:
    """Stable Diffusion 1.5's architecture with random weights, fp16 on CUDA."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    dtype = torch.float16 if device.type == "cuda" else torch.float32
    build: Any = device if device.type == "cuda" else contextlib.nullcontext()
    torch.manual_seed(0)
    with build:  # initialise on the GPU directly where there is one (much faster than on the CPU)
        unet = UNet2DConditionModel(
            sample_size=64,
            in_channels=4,
            out_channels=4,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
            block_out_channels=(320, 640, 1280, 1280),
            layers_per_block=2,
            cross_attention_dim=768,
            attention_head_dim=8,
        )
        vae = vae_8x((128, 256, 512, 512), layers_per_block=2)
        text_encoder = CLIPTextModel(
            CLIPTextConfig(
                vocab_size=49408,
                hidden_size=768,
                intermediate_size=3072,
                num_hidden_layers=12,
                num_attention_heads=12,
                max_position_embeddings=77,
                hidden_act="quick_gelu",
            )
        )
    return assemble(unet, vae, text_encoder, char_tokenizer()).to(device=device, dtype=dtype)


def tiny_pipeline(device: torch.device, folder: Path) -> Any:
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline.from_pretrained(str(write_tiny_model(folder / "tiny"))).to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class Clock:
    """Seconds spent inside the timed modules (forward hooks that synchronise the device first)."""

    device: torch.device
    spent: dict[str, float] = field(default_factory=dict)
    _open: dict[str, float] = field(default_factory=dict)

    def watch(self, name: str, module: torch.nn.Module) -> None:
        def before(*_: Any) -> None:
            sync(self.device)
            self._open[name] = time.perf_counter()

        def after(*_: Any) -> None:
            sync(self.device)
            self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - self._open.pop(name)

        module.register_forward_pre_hook(before)
        module.register_forward_hook(after)

    def wrap(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            sync(self.device)
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                sync(self.device)
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

        return timed

    @contextlib.contextmanager
    def fresh(self) -> Iterator[dict[str, float]]:
        self.spent = {}
        yield self.spent


def seconds_for_windows(count: int) -> float:
    """A duration the generator makes as exactly `count` windows of WIDTH columns, all in one batch."""
    return count * sp.seconds_for_columns(WIDTH) - (count - 1) * CROSSFADE_SECONDS - 0.05


async def generate(generator: Generator, seconds: float, steps: int) -> tuple[float, list[float]]:
    """Wall time of one generation, and the gaps between its diffusion steps."""
    stamps: list[float] = []

    def on_progress(progress: GenerationProgress) -> None:
        stamps.append(time.perf_counter())

    request = GenerationRequest("lofi hip hop beat", seconds, UserOptions(steps=steps), seed=1)
    sync(generator.device)
    started = time.perf_counter()
    await generator.generate(request, on_progress)
    sync(generator.device)
    return time.perf_counter() - started, [b - a for a, b in itertools.pairwise(stamps)]


def peak_memory(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB"
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB RSS"


def prepare_variant(pipe: Any, variant: str, backend: str, originals: dict[str, Any]) -> None:
    """Put the pipeline in the variant's form (from its plain form, which `originals` keeps)."""
    pipe.unet.forward = originals["unet_forward"]
    memory = torch.channels_last if variant in ("channels_last", "both") else torch.contiguous_format
    pipe.unet.to(memory_format=memory)
    pipe.vae.to(memory_format=memory)
    if variant in ("compile", "both"):
        pipe.unet.forward = torch.compile(originals["unet_forward"], backend=backend, dynamic=True)


def measure(args: argparse.Namespace, generator: Generator, clock: Clock, variant: str) -> dict[str, str]:
    device = generator.device
    row: dict[str, str] = {}
    started = time.perf_counter()
    for seconds in (seconds_for_windows(1), args.seconds):  # warm-up, and the compile where there is one (each shape)
        asyncio.run(generate(generator, seconds, 2))
    warm = time.perf_counter() - started
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for count in args.batches:
        _, gaps = asyncio.run(generate(generator, seconds_for_windows(count), args.step_count))
        row[f"s per step, {count} window{'s' if count > 1 else ''}"] = f"{statistics.median(gaps[1:] or gaps):.4f}"
    shares: dict[str, str] = {}
    for steps in args.music_steps:
        with clock.fresh() as spent:
            total, _ = asyncio.run(generate(generator, args.seconds, steps))
        row[f"s for {args.seconds:g} s of music, {steps} steps"] = f"{total:.2f}"
        if steps == max(args.music_steps):
            unet = spent.get("unet", 0.0)
            parts = {name: spent.get(name, 0.0) for name in ("text encoder", "VAE decode", "codec")}
            parts["other"] = max(0.0, total - unet - sum(parts.values()))
            shares[f"outside the UNet ({steps} steps)"] = f"{100 * (1 - unet / total):.0f} %"
            shares.update({f"  {name}": f"{100 * value / total:.0f} %" for name, value in parts.items()})
    row.update(shares)
    row["peak memory"] = peak_memory(device)
    row["warm-up (compile) s"] = f"{warm:.1f}"
    print(f"  {variant}: done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return row


def print_table(columns: dict[str, dict[str, str]]) -> None:
    names = list(columns)
    rows = list(next(iter(columns.values())))
    label = max(len(r) for r in rows) + 2
    widths = {n: max(len(n), *(len(columns[n][r]) for r in rows)) + 2 for n in names}
    print("".ljust(label) + "".join(n.rjust(widths[n]) for n in names))
    for r in rows:
        print(r.ljust(label) + "".join(columns[n][r].rjust(widths[n]) for n in names))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=("sd15", "tiny"), default="sd15")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--batches", default="1,2,4,8", help="windows per batch for the per-step figures")
    parser.add_argument("--music-steps", default="25,50")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of music for the whole-music figures")
    parser.add_argument("--step-count", type=int, default=6, help="steps per per-step run (the first is dropped)")
    parser.add_argument("--compile-backend", default="inductor", help="torch.compile's backend (eager: no codegen)")
    args = parser.parse_args(argv)
    args.batches = [int(x) for x in args.batches.split(",")]
    args.music_steps = [int(x) for x in args.music_steps.split(",")]
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")

    import diffusers
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.disable_progress_bar()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        pipe = sd15_pipeline(device) if args.size == "sd15" else tiny_pipeline(device, Path(tmp))
    pipe.set_progress_bar_config(disable=True)
    dtype = next(pipe.unet.parameters()).dtype
    params = sum(p.numel() for p in pipe.unet.parameters()) / 1e6
    print(f"torch {torch.__version__}, diffusers {diffusers.__version__}, {name}; {args.size} pipeline ({dtype}, "
          f"UNet {params:.1f} M parameters) built in {time.perf_counter() - started:.1f} s")  # fmt: skip

    generator = Generator(pipe, device, WIDTH, f"random {args.size}")
    clock = Clock(device)
    clock.watch("unet", pipe.unet)
    clock.watch("text encoder", pipe.text_encoder)
    pipe.vae.decode = clock.wrap("VAE decode", pipe.vae.decode)
    sp.images_to_audio = clock.wrap("codec", sp.images_to_audio)
    originals = {"unet_forward": pipe.unet.forward}
    asyncio.run(generate(generator, seconds_for_windows(1), 2))  # first use: allocator, the codec's filterbanks
    columns: dict[str, dict[str, str]] = {}
    for variant in variants:
        prepare_variant(pipe, variant, args.compile_backend, originals)
        columns[variant] = measure(args, generator, clock, variant)
    windows = plan_windows(args.seconds, WIDTH).count
    print(f"{args.seconds:g} s of music: {windows} windows of at most {WIDTH} columns, made in one batch; every step "
          "runs the UNet on twice the batch (classifier-free guidance)")  # fmt: skip
    print_table(columns)
    print(f"whole run: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
