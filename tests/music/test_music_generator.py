"""The generator with the tiny model: exact lengths, seeds, refusals, modes, progress, cancellation, the lock."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from engine import spectrogram as sp
from engine.errors import BadInput, ModelNotFound, OutOfGpuMemory
from engine.generator import (
    CHAIN_STRENGTH,
    GenerationProgress,
    GenerationRequest,
    Generator,
    _scheduler,
    download_progress_in_log,
    join_windows,
    load_pipeline,
    locate_model,
    negative_prompt_ignored,
    plan_windows,
)
from engine.options import UserOptions

NARROW = 128  # windows of 1.27 s: several windows for short, cheap durations


@pytest.fixture(scope="module")
def generator(tiny_pipe: Any) -> Generator:
    """The session's tiny pipeline with narrow windows (several windows for short durations)."""
    return Generator(tiny_pipe, torch.device("cpu"), NARROW)


def request(
    duration: float = 0.5,
    *,
    prompt: str = "lofi piano beat",
    seed: int = 11,
    source_audio: np.ndarray | None = None,
    **options: Any,
) -> GenerationRequest:
    """A request of 2 steps unless `options` (UserOptions fields) say otherwise."""
    return GenerationRequest(prompt, duration, UserOptions(**{"steps": 2, **options}), seed, source_audio)


def expected_timesteps(generator: Generator, name: str, steps: int, strength: float = 1.0) -> int:
    scheduler = _scheduler(name, generator.pipe.scheduler.config)
    scheduler.set_timesteps(steps)
    if strength < 1.0:
        start = steps - min(int(steps * strength), steps)
        return len(scheduler.timesteps[start * scheduler.order :])
    return len(scheduler.timesteps)


@pytest.mark.parametrize("duration", [0.37, 1.3, pytest.param(2.9, marks=pytest.mark.slow)])
async def test_audio_has_exactly_the_requested_duration(generator: Generator, duration: float) -> None:
    events: list[GenerationProgress] = []
    audio = await generator.generate(request(duration), events.append)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == round(duration * sp.OUTPUT_RATE)
    assert 0.1 < np.max(np.abs(audio)) <= 1.0
    windows = plan_windows(duration, NARROW).count
    assert events[-1].windows == windows
    assert windows == (1 if duration < 1.2 else 2 if duration < 2.4 else 3)


async def test_same_seed_gives_the_same_audio_and_other_seeds_do_not(generator: Generator) -> None:
    first = await generator.generate(request(seed=5))
    again = await generator.generate(request(seed=5))
    other = await generator.generate(request(seed=6))
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)


def test_a_prompt_too_long_is_refused_with_the_count(generator: Generator) -> None:
    text = "drums " * 20  # a character tokenizer: 5 letters + 1 per word, 120 in all
    count = generator.prompts.tokens(text.strip())
    assert count > 77
    with pytest.raises(BadInput, match=f"{count} tokens.*at most 77"):
        generator.check_prompt(text)
    with pytest.raises(BadInput, match="empty"):
        generator.check_prompt("   ")
    assert generator.check_prompt("  jazz   trio ") == "jazz trio"


async def test_a_refused_prompt_is_never_truncated(generator: Generator) -> None:
    with pytest.raises(BadInput, match="too long"):
        await generator.generate(request(prompt="x" * 200))
    with pytest.raises(BadInput, match="negative prompt is too long"):
        await generator.generate(request(negative="y" * 200))


def test_steps_and_guidance_out_of_range_are_refused(generator: Generator) -> None:
    too_few = UserOptions.model_construct(**{**UserOptions().model_dump(), "steps": 0})  # as if not checked before
    with pytest.raises(BadInput, match="Diffusion steps must be") as refused:
        generator.check_request(GenerationRequest("jazz", 0.5, too_few))
    assert refused.value.code == "setting_out_of_range" and refused.value.values["setting"] == "steps"
    too_much = UserOptions.model_construct(**{**UserOptions().model_dump(), "guidance": 50.0})
    with pytest.raises(BadInput, match="Guidance scale must be"):
        generator.check_request(GenerationRequest("jazz", 0.5, too_much))


async def test_progress_counts_match_the_scheduler_timesteps(generator: Generator) -> None:
    for name, steps in (("dpm", 3), ("pndm", 3), ("euler_a", 2)):
        events: list[GenerationProgress] = []
        await generator.generate(request(steps=steps, scheduler=name), events.append)
        total = expected_timesteps(generator, name, steps)
        assert [e.step for e in events] == list(range(1, total + 1)), name
        assert {e.total for e in events} == {total}
        assert events[-1].done == events[-1].planned == total


async def test_windows_run_as_one_batch(generator: Generator) -> None:
    events: list[GenerationProgress] = []
    audio = await generator.generate(request(2.0, steps=3), events.append)
    assert len(audio) == 2 * sp.OUTPUT_RATE
    assert len(events) == 3  # three steps for both windows together
    assert events[-1].window == events[-1].windows == 2


async def test_chained_mode_makes_each_window_from_the_one_before(generator: Generator) -> None:
    events: list[GenerationProgress] = []
    audio = await generator.generate(request(2.0, steps=3, windows="chained"), events.append)
    assert len(audio) == 2 * sp.OUTPUT_RATE
    later = expected_timesteps(generator, "dpm", 3, CHAIN_STRENGTH)
    assert [(e.window, e.step) for e in events] == [(1, 1), (1, 2), (1, 3)] + [(2, s) for s in range(1, later + 1)]
    assert events[-1].done == events[-1].planned == 3 + later


async def test_remix_starts_from_the_parts_own_sound(generator: Generator) -> None:
    source = (0.3 * np.sin(2 * np.pi * 220 * np.arange(72000) / sp.OUTPUT_RATE)).astype(np.float32)  # 1.5 s
    events: list[GenerationProgress] = []
    audio = await generator.generate(request(1.5, steps=4, remix=0.5, source_audio=source), events.append)
    assert len(audio) == 72000
    total = expected_timesteps(generator, "dpm", 4, 0.5)
    assert total == 2
    assert [e.step for e in events] == [1, 2]  # both windows in one img2img batch
    assert {e.total for e in events} == {2}


async def test_remix_refusals(generator: Generator) -> None:
    source = np.full(sp.OUTPUT_RATE, 0.1, dtype=np.float32)
    with pytest.raises(BadInput, match="use at least 4 steps"):
        await generator.generate(request(steps=3, remix=0.3, source_audio=source))
    with pytest.raises(BadInput, match="cannot be remixed"):
        await generator.generate(request(remix=0.5, source_audio=None))
    with pytest.raises(BadInput, match="silent, so it cannot be remixed"):
        await generator.generate(request(remix=0.5, source_audio=np.zeros(sp.OUTPUT_RATE, np.float32)))


async def test_cancelling_stops_at_the_next_step_and_the_generator_still_works(generator: Generator) -> None:
    events: list[GenerationProgress] = []
    task: asyncio.Task[np.ndarray] | None = None

    def on_progress(progress: GenerationProgress) -> None:
        events.append(progress)
        if progress.step == 2 and task is not None:
            task.cancel()

    task = asyncio.create_task(generator.generate(request(steps=40), on_progress))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not generator.busy  # the worker thread was waited for and the lock let go
    assert 2 <= len(events) < 10
    audio = await generator.generate(request(0.5))
    assert len(audio) == sp.OUTPUT_RATE // 2


async def test_the_lock_keeps_two_generations_apart(generator: Generator) -> None:
    log: list[str] = []
    first = generator.generate(request(steps=3, seed=1), lambda p: log.append("a"))
    second = generator.generate(request(steps=3, seed=2), lambda p: log.append("b"))
    a, b = await asyncio.gather(first, second)
    assert len(a) == len(b) == sp.OUTPUT_RATE // 2
    assert "".join(log) in ("aaabbb", "bbbaaa")


async def test_out_of_gpu_memory_is_reported_and_the_generator_stays_usable(
    generator: Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_out(*args: object, **kwargs: object) -> object:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    with monkeypatch.context() as patch:
        patch.setattr(generator, "_diffuse", run_out)
        with pytest.raises(OutOfGpuMemory, match="ran out of memory"):
            await generator.generate(request())
    assert len(await generator.generate(request(0.25))) == sp.OUTPUT_RATE // 4


def test_guidance_of_one_or_less_ignores_the_negative_prompt() -> None:
    assert negative_prompt_ignored(1.0, "drums")
    assert negative_prompt_ignored(0.0, "drums")
    assert not negative_prompt_ignored(1.5, "drums")
    assert not negative_prompt_ignored(0.5, "  ")


def test_the_model_is_loaded_once_per_process(tiny_model: Path) -> None:
    loaded = Generator.load(str(tiny_model), "cpu", NARROW)
    assert Generator.load(str(tiny_model), "cpu", NARROW) is loaded
    assert loaded.img2img.unet is loaded.pipe.unet  # img2img shares the weights


def test_img2img_shares_an_fp16_pipeline_without_casting_it(tiny_model: Path) -> None:
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(tiny_model), dtype=torch.float16)
    generator = Generator(pipe, torch.device("cpu"), NARROW)
    assert generator.pipe.unet.dtype == generator.img2img.unet.dtype == torch.float16
    assert generator.img2img.vae is pipe.vae


def test_sharing_the_pipeline_casts_nothing(tiny_model: Path, caplog: pytest.LogCaptureFixture) -> None:
    """No "modules ... should be kept in float32 ... set torch_dtype" warning: the dtype is set at loading."""
    import diffusers.utils.logging as diffusers_logging
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(tiny_model), dtype=torch.float32)
    diffusers_logging.enable_propagation()
    try:
        with caplog.at_level(logging.WARNING):
            generator = Generator(pipe, torch.device("cpu"), NARROW)
    finally:
        diffusers_logging.disable_propagation()
    assert generator.img2img.unet is pipe.unet
    assert "kept in float32" not in caplog.text
    assert generator.img2img.safety_checker is None


def test_a_missing_cuda_device_falls_back_to_the_cpu(tiny_model: Path, caplog: pytest.LogCaptureFixture) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with caplog.at_level(logging.WARNING, logger="engine.generator"):
        generator = Generator.load(str(tiny_model), "cuda", NARROW)
    assert generator.device.type == "cpu"
    assert "no CUDA device is available: running on the CPU" in caplog.text


def test_a_hub_model_that_cannot_be_fetched_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # as HF_HUB_OFFLINE=1 (tests set it)
    with pytest.raises(ModelNotFound) as caught:
        load_pipeline("riffusion/riffusion-model-v1", torch.device("cpu"))
    error = caught.value
    assert error.model == "riffusion/riffusion-model-v1" and error.cache == huggingface_hub.constants.HF_HUB_CACHE
    assert "not in the Hugging Face cache" in error.message and "HF_HUB_OFFLINE" in error.message
    assert "\n" not in error.message and len(error.message) < 300


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("{tmp}/missing-model", "there is no folder"),
        ("{tmp}", "holds no diffusers pipeline (no model_index.json)"),
        ("not a/hub id/at all", "not a Hugging Face id"),
    ],
)
def test_a_model_that_is_not_there_is_named_before_anything_loads(tmp_path: Path, name: str, words: str) -> None:
    with pytest.raises(ModelNotFound) as caught:
        locate_model(name.format(tmp=tmp_path))
    assert words in caught.value.message and "\n" not in caught.value.message


def test_a_tiny_model_folder_is_found(tiny_model: Path) -> None:
    assert locate_model(str(tiny_model)) == str(tiny_model)


def test_download_progress_goes_to_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    blobs = tmp_path / "models--someone--music" / "blobs"
    with caplog.at_level(logging.INFO, logger="engine.generator"), download_progress_in_log("someone/music", 0.05):
        blobs.mkdir(parents=True)
        (blobs / "abc.incomplete").write_bytes(b"x" * 3 * 2**20)
        deadline = time.monotonic() + 30  # the watcher looks every 0.05 s: wait for its line, not a fixed time
        while "3 MB in the cache" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
    assert "downloading someone/music: 3 MB in the cache" in caplog.text


def test_windows_are_planned_at_the_output_rate() -> None:
    plan = plan_windows(12.345, 512)
    assert plan.samples == round(12.345 * sp.OUTPUT_RATE)
    assert plan.overlap == round(0.2 * sp.OUTPUT_RATE)  # the 0.2 s crossfade
    assert plan.window_samples == 480 * (plan.width - 1)
    assert plan.start(plan.count - 1) + plan.window_samples >= plan.samples


@pytest.mark.parametrize("duration", [0.3, 5.0, 5.2, 12.345, 60.0])
def test_windows_cover_the_duration_within_the_width_limit(duration: float) -> None:
    plan = plan_windows(duration, 512)
    assert plan.width <= 512 and plan.width % 8 == 0
    assert plan.start(plan.count - 1) + plan.window_samples >= plan.samples
    pieces = [np.ones(plan.window_samples, np.float32) for _ in range(plan.count)]
    joined = join_windows(pieces, plan)
    assert len(joined) == sp.samples_for_seconds(duration)
    assert np.min(joined) > 0.99  # no gap at a join (equal power: at most +3 dB where the windows overlap)
