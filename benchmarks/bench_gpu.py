"""The generator with a randomly initialised pipeline of the real checkpoint's size (no download needed).

`--size sd15` builds Stable Diffusion 1.5's configuration (UNet 320/640/1280/1280 with cross-attention 768, the
8x VAE 128/256/512/512, a CLIP ViT-L/14 text encoder) with random weights, so the speed and memory are those of
`riffusion/riffusion-model-v1`; the sound is noise. `--size tiny` uses the tests' tiny pipeline. It runs the
same `engine.generator.Generator` code as the bot (windows, batch, Griffin-Lim on the same device) and prints:
seconds per diffusion step, seconds per 10 s of music (diffusion + Griffin-Lim), and peak GPU memory.

Needs: torch (any 2.x the machine has: fp16 on CUDA), diffusers >= 0.27 (for `from_pipe`), transformers, numpy,
Pillow, pydantic (engine.options). A GPU machine without diffusers needs their wheels brought along, e.g.
`pip download diffusers transformers huggingface_hub safetensors tokenizers pydantic -d wheels` here (for the
machine's Python), then there: `pip install --no-index --find-links wheels diffusers transformers pydantic`.

Run: python benchmarks/bench_gpu.py [--size sd15|tiny] [--device cuda|cpu] [--seconds 10] [--steps 50]
     (on a CPU, try: --size sd15 --device cpu --seconds 2 --steps 2; it is slow)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.generator import GenerationProgress, GenerationRequest, Generator  # noqa: E402
from engine.options import UserOptions  # noqa: E402
from engine.tiny_model import assemble, char_tokenizer, vae_8x, write_tiny_model  # noqa: E402


def sd15_pipeline(device: torch.device) -> Any:
    """Stable Diffusion 1.5's architecture with random weights, fp16 on CUDA."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    dtype = torch.float16 if device.type == "cuda" else torch.float32
    on_gpu = device.type == "cuda" and hasattr(torch.device, "__enter__")  # torch >= 2.0: a device context
    build: Any = device if on_gpu else contextlib.nullcontext()
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
    pipe = assemble(unet, vae, text_encoder, char_tokenizer())
    pipe = pipe.to(device=device, dtype=dtype)
    pipe.set_progress_bar_config(disable=True)
    return pipe


async def timed(generator: Generator, seconds: float, steps: int, windows: str) -> tuple[float, list[float]]:
    stamps: list[float] = []

    def on_progress(progress: GenerationProgress) -> None:
        stamps.append(time.perf_counter())

    options = UserOptions(steps=steps, windows="chained" if windows == "chained" else "batch")
    request = GenerationRequest("lofi hip hop beat", seconds, options, seed=1)
    started = time.perf_counter()
    await generator.generate(request, on_progress)
    if generator.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started, [b - a for a, b in zip([started, *stamps], stamps, strict=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("sd15", "tiny"), default="sd15")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--windows", choices=("batch", "chained"), default="batch")
    parser.add_argument("--max-width", type=int, default=512)
    args = parser.parse_args()

    import diffusers

    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"torch {torch.__version__}, diffusers {diffusers.__version__}, {name}, size {args.size}")
    built = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.size == "sd15":
            pipe = sd15_pipeline(device)
        else:
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained(str(write_tiny_model(Path(tmp) / "tiny"))).to(device)
            pipe.set_progress_bar_config(disable=True)
    generator = Generator(pipe, device, args.max_width, f"random {args.size}")
    params = sum(p.numel() for p in pipe.unet.parameters()) / 1e6
    print(f"pipeline built in {time.perf_counter() - built:.1f} s (UNet {params:.0f} M parameters)")

    asyncio.run(timed(generator, 1.0, 2, "batch"))  # warm-up: kernels, allocator, filterbank
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    total, gaps = asyncio.run(timed(generator, args.seconds, args.steps, args.windows))
    steady = gaps[1:] or gaps
    per_step = sum(steady) / len(steady)
    diffusion = sum(gaps)
    print(f"{args.seconds:g} s of music, {args.steps} steps, {args.windows} windows, at most {args.max_width} wide")
    print(f"  seconds per diffusion step (all windows of a pass together): {per_step:.3f}")
    print(f"  diffusion {diffusion:.2f} s + decoding (VAE tail, Griffin-Lim) {total - diffusion:.2f} s = {total:.2f} s")
    print(f"  seconds per 10 s of music: {total * 10 / args.seconds:.2f}")
    if device.type == "cuda":
        print(f"  peak GPU memory: {torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB allocated, "
              f"{torch.cuda.max_memory_reserved(device) / 2**30:.2f} GiB reserved")  # fmt: skip


if __name__ == "__main__":
    main()
