"""A tiny, randomly initialised Stable Diffusion pipeline for tests and demos (its output is noise).

`write_tiny_model(DIR)` saves it with `save_pretrained`, so `RIFFUSION_MODEL=DIR` loads it through exactly the
code that loads `riffusion/riffusion-model-v1`. The layout is the real one at a fraction of the size: a UNet of
two small blocks with cross-attention, a four-block VAE (the usual 8x latent scale, 64 x 64 latents for a
512 x 512 image), a CLIP text encoder of width 32, and a CLIP tokenizer built from a small character
vocabulary with `model_max_length` 77. About 4 MB on disk; a 512 x 512 image takes about a second on a CPU.
The weights come from a fixed seed, so every copy is the same.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch

SEED = 1234
MODEL_MAX_LENGTH = 77
TEXT_VOCAB_SIZE = 1000


def _byte_chars() -> list[str]:
    """The 256 printable characters CLIP's byte-level BPE uses for the bytes 0..255 (GPT-2's table)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    chars = list(keep)
    extra = 0
    for byte in range(256):
        if byte not in keep:
            chars.append(256 + extra)
            extra += 1
    return [chr(code) for code in chars]


def _write_tokenizer_files(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    chars = _byte_chars()
    tokens = chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"]
    vocab = {token: index for index, token in enumerate(tokens)}
    vocab_file = folder / "vocab.json"
    merges_file = folder / "merges.txt"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    merges_file.write_text("#version: 0.2\n", encoding="utf-8")
    return vocab_file, merges_file


def vae_8x(widths: tuple[int, int, int, int], layers_per_block: int, norm_num_groups: int = 32) -> Any:
    """A four-block VAE: the usual 8x latent scale (64 x 64 latents for a 512 x 512 image)."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=widths,
        layers_per_block=layers_per_block,
        latent_channels=4,
        norm_num_groups=norm_num_groups,
        sample_size=512,
    )


def char_tokenizer() -> Any:
    """A CLIP tokenizer over single characters, `model_max_length` 77 (ids below 514)."""
    from transformers import CLIPTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        vocab_file, _ = _write_tokenizer_files(Path(tmp))
        # from_pretrained reads vocab.json + merges.txt in every transformers version (the constructor's
        # argument names changed in 5.0)
        return CLIPTokenizer.from_pretrained(str(vocab_file.parent), model_max_length=MODEL_MAX_LENGTH)


def assemble(unet: Any, vae: Any, text_encoder: Any, tokenizer: Any) -> Any:
    """A Stable Diffusion pipeline of these parts with SD 1.5's scheduler settings and no safety checker."""
    from diffusers import PNDMScheduler, StableDiffusionPipeline

    scheduler = PNDMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        skip_prk_steps=True,
        steps_offset=1,
        set_alpha_to_one=False,
    )
    return StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def write_tiny_model(directory: Path) -> Path:
    """Write the tiny pipeline into `directory` (created if missing) and return it."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    unet = UNet2DConditionModel(
        sample_size=64,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=32,
    )
    torch.manual_seed(SEED + 1)
    vae = vae_8x((8, 16, 16, 16), layers_per_block=1, norm_num_groups=8)
    torch.manual_seed(SEED + 2)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=TEXT_VOCAB_SIZE,
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=MODEL_MAX_LENGTH,
            bos_token_id=0,
            eos_token_id=2,
            pad_token_id=1,
        )
    )
    pipe = assemble(unet, vae, text_encoder, char_tokenizer())
    pipe.save_pretrained(directory, safe_serialization=True)
    (directory / "README.txt").write_text(
        "A tiny randomly initialised Stable Diffusion pipeline written by `riffcut tiny-model`.\n"
        "It exercises the whole code path of riffusion/riffusion-model-v1 but its output is noise.\n",
        encoding="utf-8",
    )
    return directory
