"""Music from a prompt with Riffusion: Stable Diffusion on spectrogram images, through diffusers.

`Generator.load(model, device, max_image_width)` loads the pipeline once per process (a Hugging Face id, by
default `riffusion/riffusion-model-v1`, downloaded into the Hugging Face cache on first use, or a local folder
such as the one `riffcut tiny-model` writes), without a safety checker, in fp16 on CUDA and fp32 on CPU. The
img2img pipeline shares its modules and dtype (built from `pipe.components`, never cast).

`await generator.generate(request, on_progress)` returns mono float32 audio at `sp.OUTPUT_RATE` (48 kHz) of
exactly the requested duration:
- the sound is made in windows no wider than `max_image_width` columns (10 ms each), joined by a 0.2 s
  equal-power crossfade; independent windows (seeds seed, seed + 1, ...) run as one batch, or, in chained mode
  (the original demo's way), each window is img2img from the one before at strength 0.9;
- remix mode starts each window from the spectrogram of the part's own sound (img2img at the given strength);
- the same seed and settings give the same audio (the codec's phase is seeded too);
- a guidance scale of 1 or less turns classifier-free guidance off, and with it the negative prompt: diffusers
  ignores the negative prompt then (`negative_prompt_ignored` says when, for the bot and the CLI to show).

Blocking work (diffusion and Griffin-Lim) runs in a worker thread; one asyncio lock keeps two jobs off the
accelerator at once. Cancelling the task that awaits `generate` stops the diffusion at the next step, waits for
the worker thread, frees the GPU memory and lets `CancelledError` through. Running out of GPU memory raises
`OutOfGpuMemory` and leaves the generator usable.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine import refusals
from engine import spectrogram as sp
from engine.errors import BadInput, EngineFailure, ModelNotFound, OutOfGpuMemory
from engine.options import SCHEDULERS, SEED_MAX, SPECS_BY_NAME, UserOptions, min_steps_for_strength
from engine.prompt_check import PromptCheck

log = logging.getLogger(__name__)

CROSSFADE_SECONDS = 0.2
CHAIN_STRENGTH = 0.9  # the original demo's img2img strength from one window to the next
BATCH_WINDOWS = 8  # windows diffused together at most (memory grows with the batch)
DEFAULT_MODEL = "riffusion/riffusion-model-v1"
HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")  # owner/name on the hub


def negative_prompt_ignored(guidance: float, negative: str) -> bool:
    """True when a negative prompt is set but has no effect: guidance 1 or less turns guidance (and it) off."""
    return bool(negative.strip()) and guidance <= 1.0


class PartSound(StrEnum):
    """The part's own sound, which remix mode starts from."""

    OK = "ok"
    NONE = "none"  # no audio stream
    SILENT = "silent"

    @classmethod
    def of(cls, audio: np.ndarray | None) -> PartSound:
        if audio is None or audio.size == 0:
            return cls.NONE
        return cls.SILENT if float(np.max(np.abs(audio))) < 1e-6 else cls.OK


@dataclass(frozen=True)
class GenerationRequest:
    """What to make: the prompt, how long, with which of the user's settings (negative prompt, steps, guidance,
    scheduler, windows, remix; the seed is `seed`, never `options.seed`). `source_audio` (mono float32 at
    `sp.OUTPUT_RATE`) is the part's own sound, for remix mode."""

    prompt: str
    duration: float  # seconds of audio wanted
    options: UserOptions = field(default_factory=UserOptions)
    seed: int = 0
    source_audio: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def samples(self) -> int:
        return sp.samples_for_seconds(self.duration)


@dataclass(frozen=True)
class GenerationProgress:
    """Reported after every diffusion step.

    `step` of `total` (the scheduler's actual timesteps for this pass), while making `window` of `windows`
    (in a batch pass, `window` is the last window of the batch: they are all made together); `done` and
    `planned` count steps over the whole request, for one progress bar.
    """

    step: int
    total: int
    window: int
    windows: int
    done: int
    planned: int
    first_window: int = 0  # the first window of a batch pass (0: `window` alone)

    @property
    def fraction(self) -> float:
        return min(self.done / self.planned, 1.0) if self.planned else 0.0

    @property
    def window_words(self) -> str:
        """ "window 2 of 3" for one window, "windows 1-2 of 2" for a batch made together."""
        first = self.first_window or self.window
        if first < self.window:
            return f"windows {first}-{self.window} of {self.windows}"
        return f"window {self.window} of {self.windows}"


ProgressCallback = Callable[[GenerationProgress], None]

TAKE_SEED_STEP = 1_000_003  # take t starts from seed + t x this (a take's windows use seed, seed + 1, ...)


def take_seed(seed: int, take: int) -> int:
    """The seed of take `take` (from 0) of a request made with `seed`: with it, takes=1 makes that take again."""
    return (seed + take * TAKE_SEED_STEP) % (SEED_MAX + 1)


@dataclass(frozen=True)
class MadeMusic:
    """One take: its audio, the spectrogram image of its first window (the music's picture), its seed."""

    audio: np.ndarray = field(repr=False)
    image: np.ndarray = field(repr=False)  # N_MELS x width x 3, uint8
    seed: int


@dataclass(frozen=True)
class WindowPlan:
    """How a duration is cut into windows: `count` windows of `width` columns, overlapping by `overlap` samples."""

    count: int
    width: int
    overlap: int
    samples: int  # the requested length

    @property
    def window_samples(self) -> int:
        return sp.samples_for_columns(self.width)

    @property
    def hop(self) -> int:
        return self.window_samples - self.overlap

    def start(self, index: int) -> int:
        return index * self.hop


def plan_windows(duration: float, max_image_width: int) -> WindowPlan:
    """The fewest equal windows, each at most `max_image_width` columns, covering `duration` with crossfades."""
    if not duration > 0:
        raise BadInput(refusals.MUSIC_TOO_SHORT)
    samples = sp.samples_for_seconds(duration)
    width = sp.columns_for_seconds(duration)
    if width <= max_image_width:
        return WindowPlan(1, width, 0, samples)
    overlap = round(CROSSFADE_SECONDS * sp.OUTPUT_RATE)
    longest = sp.samples_for_columns(max_image_width)
    if longest <= 2 * overlap:
        raise BadInput(refusals.IMAGE_WIDTH_TOO_NARROW, width=max_image_width)
    count = math.ceil((samples - overlap) / (longest - overlap))
    while True:
        each = math.ceil((samples + (count - 1) * overlap) / count)
        width = sp.columns_for_seconds(each / sp.OUTPUT_RATE)
        if width <= max_image_width:
            return WindowPlan(count, width, overlap, samples)
        count += 1


def join_windows(pieces: list[np.ndarray], plan: WindowPlan) -> np.ndarray:
    """Overlap-add the windows with an equal-power crossfade, trimmed or padded to the exact sample count."""
    out = np.zeros(plan.start(len(pieces) - 1) + plan.window_samples, dtype=np.float32)
    n = plan.overlap
    ramp = np.linspace(0.0, np.pi / 2, n, dtype=np.float32) if n else np.zeros(0, np.float32)
    fade_in, fade_out = np.sin(ramp), np.cos(ramp)
    for index, piece in enumerate(pieces):
        piece = np.asarray(piece, dtype=np.float32)[: plan.window_samples].copy()
        if n and index > 0:
            piece[:n] *= fade_in
        if n and index < len(pieces) - 1:
            piece[-n:] *= fade_out
        start = plan.start(index)
        out[start : start + len(piece)] += piece
    if len(out) >= plan.samples:
        return out[: plan.samples]
    return np.pad(out, (0, plan.samples - len(out)))


def check_remix(options: UserOptions, sound: PartSound) -> None:
    """Remix mode's refusals, which need nothing but the settings and whether the part has sound: a part without
    sound (or silent), and too few steps for the strength."""
    remix = options.remix
    if remix is None:
        return
    if sound is PartSound.NONE:
        raise BadInput(refusals.REMIX_NO_SOUND)
    if sound is PartSound.SILENT:
        raise BadInput(refusals.REMIX_SILENT)
    if int(options.steps * remix) < 1:
        raise BadInput(
            refusals.REMIX_TOO_FEW_STEPS, strength=remix, steps=options.steps, min_steps=min_steps_for_strength(remix)
        )


# --- schedulers -----------------------------------------------------------------------------------


def _scheduler(name: str, config: Any) -> Any:
    import diffusers

    classes = {
        "dpm": "DPMSolverMultistepScheduler",
        "ddim": "DDIMScheduler",
        "euler": "EulerDiscreteScheduler",
        "euler_a": "EulerAncestralDiscreteScheduler",
        "pndm": "PNDMScheduler",
    }
    if name not in classes:
        raise BadInput(
            refusals.SETTING_NOT_A_CHOICE, setting="scheduler", title="Scheduler", allowed=", ".join(SCHEDULERS)
        )
    return getattr(diffusers, classes[name]).from_config(config)


# --- the generator --------------------------------------------------------------------------------


class _Stopped(Exception):
    """Raised from the step callback to stop the diffusion when the job is cancelled."""


def _is_oom(exc: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def resolve_device(wanted: str) -> torch.device:
    """The device to run on: `wanted` when it is there, else the CPU (with a warning in the log)."""
    name = (wanted or "cpu").strip().lower()
    if name.startswith("cuda"):
        if torch.cuda.is_available():
            return torch.device(name)
        log.warning("DEVICE is %s but no CUDA device is available: running on the CPU (slow)", wanted)
        return torch.device("cpu")
    if name == "mps":
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        log.warning("DEVICE is mps but MPS is not available: running on the CPU (slow)")
        return torch.device("cpu")
    if name != "cpu":
        log.warning("DEVICE %r is not known: running on the CPU", wanted)
    return torch.device("cpu")


def _dtype_kwargs(dtype: torch.dtype) -> dict[str, Any]:
    import diffusers

    major, minor = (int(part) for part in diffusers.__version__.split(".")[:2])
    return {"dtype": dtype} if (major, minor) >= (0, 40) else {"torch_dtype": dtype}


DOWNLOAD_LOG_SECONDS = 10.0


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
    return total


@contextlib.contextmanager
def download_progress_in_log(model: str, every: float = DOWNLOAD_LOG_SECONDS) -> Iterator[None]:
    """While the block runs, log every `every` s how much of `model` is in the Hugging Face cache."""
    try:
        from huggingface_hub.constants import HF_HUB_CACHE
    except ImportError:  # pragma: no cover - huggingface_hub always comes with diffusers
        yield
        return
    folder = Path(HF_HUB_CACHE) / f"models--{model.replace('/', '--')}"
    done = threading.Event()

    def watch() -> None:
        last = -1
        started = time.monotonic()
        while not done.wait(every):
            size = _folder_bytes(folder) if folder.is_dir() else 0
            if size != last:
                log.info("downloading %s: %.0f MB in the cache after %.0f s", model, size / 2**20,
                         time.monotonic() - started)  # fmt: skip
                last = size

    watcher = threading.Thread(target=watch, name="model-download-log", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def hub_cache() -> str:
    """Where the Hugging Face hub keeps downloaded models (HF_HOME / HF_HUB_CACHE move it)."""
    from huggingface_hub.constants import HF_HUB_CACHE

    return str(HF_HUB_CACHE)


def _first_sentence(text: str, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    cut = line.split(". ")[0].rstrip(".")
    return cut if len(cut) <= limit else cut[: limit - 1] + "…"


def locate_model(model: str) -> str:
    """Where `model` will load from, checked without loading it: a folder holding a diffusers pipeline, or a
    Hugging Face id that is in the cache or may be downloaded. ModelNotFound (one sentence) otherwise."""
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.constants import HF_HUB_OFFLINE

    local = Path(model).expanduser()
    cache = hub_cache()
    if local.is_dir():
        if not (local / "model_index.json").is_file():
            raise ModelNotFound(model, cache, f"the folder {local} holds no diffusers pipeline (no model_index.json)")
        return str(local)
    if not HUB_ID.fullmatch(model) or "--" in model or ".." in model:
        raise ModelNotFound(model, cache, f"there is no folder {local}, and it is not a Hugging Face id")
    if isinstance(try_to_load_from_cache(model, "model_index.json"), str):
        return model
    if HF_HUB_OFFLINE:
        raise ModelNotFound(model, cache, f"it is not in the Hugging Face cache at {cache}, and HF_HUB_OFFLINE is set")
    return model  # downloaded into the cache on first use


def load_pipeline(model: str, device: torch.device) -> Any:
    """The text-to-image pipeline of `model` (hub id or folder) on `device`, without a safety checker."""
    from diffusers import StableDiffusionPipeline

    dtype = torch.float16 if device.type == "cuda" else torch.float32
    source = locate_model(model)
    started = time.monotonic()
    watch: contextlib.AbstractContextManager[None]
    if Path(source).is_dir():
        watch = contextlib.nullcontext()
        log.info("loading the model from %s", source)
    else:
        watch = download_progress_in_log(model)
        log.info(
            "loading the model %s from the Hugging Face hub: the first use downloads it (a few GB) into the "
            "Hugging Face cache, with its progress in this log",
            model,
        )
    try:
        with watch:
            pipe = StableDiffusionPipeline.from_pretrained(
                source,
                safety_checker=None,
                feature_extractor=None,
                requires_safety_checker=False,
                low_cpu_mem_usage=True,  # through accelerate (diffusers[torch]): no random init of the weights
                **_dtype_kwargs(dtype),
            )
    except OSError as exc:  # not on the hub, no network, a file missing from the cache
        log.debug("loading %s failed", model, exc_info=True)
        raise ModelNotFound(model, hub_cache(), f"it could not be loaded ({_first_sentence(str(exc))})") from exc
    except ValueError as exc:
        raise EngineFailure(f"The music model {model} could not be loaded: {_first_sentence(str(exc))}") from exc
    if device.type != "cpu":  # loaded on the CPU already
        pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    log.info("model %s ready on %s (%s) in %.1f s", model, device, dtype, time.monotonic() - started)
    return pipe


class Generator:
    """One Riffusion pipeline per process; `generate` is safe to call from many tasks (they take turns)."""

    _loaded: dict[tuple[str, str, int], Generator] = {}  # noqa: RUF012 - a process-wide cache on purpose
    _loading = threading.Lock()

    def __init__(self, pipe: Any, device: torch.device, max_image_width: int = 512, model: str = "") -> None:
        from diffusers import StableDiffusionImg2ImgPipeline

        self.model = model
        self.device = device
        self.max_image_width = max_image_width
        self.pipe = pipe
        self.prompts = PromptCheck(pipe.tokenizer)
        # Shares every module of `pipe` (no second copy) and keeps its dtype. Not `from_pipe`: it always ends
        # with `.to(dtype)` on the shared modules (float32 unless told otherwise, which would turn the fp16
        # pipeline on CUDA into an fp32 one of twice the memory), and that cast makes diffusers warn that
        # modules "should be kept in float32" on every start; the dtype was already chosen at from_pretrained.
        img2img_class: Any = StableDiffusionImg2ImgPipeline  # diffusers' stubs lack its pipeline methods
        self.img2img = img2img_class(**{**pipe.components, "requires_safety_checker": False})
        self.img2img.set_progress_bar_config(disable=True)
        self._scheduler_config = pipe.scheduler.config
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def load(cls, model: str = DEFAULT_MODEL, device: str = "cuda", max_image_width: int = 512) -> Generator:
        """The process's generator for this model and device, loaded on first use (blocking: call it in a thread)."""
        resolved = resolve_device(device)
        key = (model, str(resolved), max_image_width)
        with cls._loading:  # two callers at once still load it once
            generator = cls._loaded.get(key)
            if generator is None:
                generator = cls(load_pipeline(model, resolved), resolved, max_image_width, model)
                cls._loaded[key] = generator
        return generator

    @property
    def busy(self) -> bool:
        """True while a generation holds the accelerator."""
        return self._lock is not None and self._lock.locked()

    def _gpu_lock(self) -> asyncio.Lock:
        """The lock for the running event loop (a process normally has one; tests make one per test)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or (self._lock_loop is not loop and not self._lock.locked()):
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def check_prompt(self, text: str) -> str:
        """The prompt, stripped; BadInput when empty or longer than the text encoder takes (never truncated)."""
        return self.prompts(text)

    def check_request(self, request: GenerationRequest) -> WindowPlan:
        """Every refusal `generate` would make, made up front: returns the window plan."""
        return self.check(request.prompt, request.duration, request.options, PartSound.of(request.source_audio))

    def check(self, prompt: str, duration: float, options: UserOptions, sound: PartSound = PartSound.OK) -> WindowPlan:
        """The refusals of a request before any work: prompt and negative prompt, steps and guidance, the
        duration, remix of a part without sound, the remix and chained step counts, the scheduler."""
        self.check_prompt(prompt)
        if options.negative.split():
            self.prompts(options.negative, too_long=refusals.NEGATIVE_TOO_LONG)
        steps, remix = options.steps, options.remix
        SPECS_BY_NAME["steps"].check(steps)
        SPECS_BY_NAME["guidance"].check(options.guidance)
        plan = plan_windows(duration, self.max_image_width)
        check_remix(options, sound)
        if remix is None and options.windows == "chained" and plan.count > 1 and int(steps * CHAIN_STRENGTH) < 1:
            raise BadInput(
                refusals.CHAINED_TOO_FEW_STEPS,
                strength=CHAIN_STRENGTH,
                min_steps=min_steps_for_strength(CHAIN_STRENGTH),
            )
        _scheduler(options.scheduler, self._scheduler_config)
        return plan

    async def generate(self, request: GenerationRequest, on_progress: ProgressCallback | None = None) -> np.ndarray:
        """Mono float32 audio at `sp.OUTPUT_RATE`, exactly `request.duration` long (in samples).

        `on_progress` is called on the event loop after every diffusion step. Cancelling the awaiting task stops
        the diffusion at the next step; the worker thread is waited for and the GPU memory freed before
        `CancelledError` goes on.
        """
        return (await self.generate_takes(request, 1, on_progress))[0].audio

    async def generate_takes(
        self, request: GenerationRequest, takes: int = 1, on_progress: ProgressCallback | None = None
    ) -> list[MadeMusic]:
        """`takes` versions of the music, their seeds `take_seed(request.seed, t)`, diffused together: every
        take's windows go into the same batches (at most BATCH_WINDOWS images each), so two takes of a
        one-window part are one diffusion call. Cancelling works as for `generate`."""
        plan = self.check_request(request)
        seeds = [take_seed(request.seed, take) for take in range(max(1, takes))]
        loop = asyncio.get_running_loop()
        stop = threading.Event()

        def report(progress: GenerationProgress) -> None:
            if on_progress is not None and not stop.is_set():
                loop.call_soon_threadsafe(on_progress, progress)

        async with self._gpu_lock():
            future = loop.run_in_executor(None, self._generate_blocking, request, plan, seeds, report, stop)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                stop.set()
                await _wait_through_cancellation(future)
                self._free_memory()
                raise

    # --- worker thread ---------------------------------------------------------------------------

    def _generate_blocking(
        self,
        request: GenerationRequest,
        plan: WindowPlan,
        seeds: list[int],
        report: Callable[[GenerationProgress], None],
        stop: threading.Event,
    ) -> list[MadeMusic]:
        try:
            with torch.inference_mode():
                images = self._diffuse(request, plan, seeds, report, stop)
                if stop.is_set():
                    raise _Stopped
                every = [(take, index) for take in range(len(seeds)) for index in range(plan.count)]
                pieces: dict[tuple[int, int], np.ndarray] = {}
                for first in range(0, len(every), BATCH_WINDOWS):  # a batch of windows to sound at once
                    batch = every[first : first + BATCH_WINDOWS]
                    made = sp.images_to_audio(
                        [images[t][i] for t, i in batch], [seeds[t] + i for t, i in batch], device=self.device
                    )
                    pieces.update(zip(batch, made, strict=True))
            return [
                MadeMusic(join_windows([pieces[(t, i)] for i in range(plan.count)], plan), images[t][0], seed)
                for t, seed in enumerate(seeds)
            ]
        except Exception as exc:
            if _is_oom(exc):
                self._free_memory()
                raise OutOfGpuMemory(
                    "The GPU ran out of memory making this music; try a shorter part or try again later."
                ) from exc
            raise
        finally:
            if self.device.type == "cuda":
                torch.cuda.empty_cache()

    def _diffuse(
        self,
        request: GenerationRequest,
        plan: WindowPlan,
        seeds: list[int],
        report: Callable[[GenerationProgress], None],
        stop: threading.Event,
    ) -> list[list[np.ndarray]]:
        """Each take's windows' images (512 x width x 3, uint8), in order: `images[take][window]`."""
        options = request.options
        common: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": options.negative.strip() or None,
            "num_inference_steps": options.steps,
            "guidance_scale": options.guidance,
            "output_type": "np",
        }
        every = [(take, index) for take in range(len(seeds)) for index in range(plan.count)]
        batches = [every[i : i + BATCH_WINDOWS] for i in range(0, len(every), BATCH_WINDOWS)]
        chained = options.remix is None and options.windows == "chained"
        if options.remix is not None:
            sources = self._remix_sources(request, plan)
            passes, per_pass = batches, int(options.steps * options.remix)
        elif chained:  # window by window, every take's window in one batch
            passes = [[(take, index) for take in range(len(seeds))] for index in range(plan.count)]
            per_pass = options.steps
        else:
            passes, per_pass = batches, options.steps
        planned = per_pass * len(passes)  # an estimate until each pass knows its real timesteps
        images: list[list[np.ndarray]] = [[] for _ in seeds]
        done = 0
        for number, items in enumerate(passes):
            generators = [torch.Generator(device="cpu").manual_seed(seeds[t] + i) for t, i in items]
            first, last = min(i for _, i in items) + 1, max(i for _, i in items) + 1

            def on_step(
                pipe: Any,
                step: int,
                timestep: Any,
                tensors: dict[str, Any],
                first: int = first,
                last: int = last,
                number: int = number,
            ) -> Any:
                nonlocal done, planned
                if stop.is_set():
                    raise _Stopped
                total = int(getattr(pipe, "num_timesteps", 0) or getattr(pipe, "_num_timesteps", 0) or per_pass)
                if step == 0:
                    planned = done + total * (len(passes) - number)
                done += 1
                report(GenerationProgress(step + 1, total, last, plan.count, done, planned, first))
                return tensors

            kwargs = dict(common, generator=generators, callback_on_step_end=on_step)
            self._set_scheduler(options.scheduler)
            if options.remix is not None:
                result = self.img2img(
                    image=[sources[i] for _, i in items],
                    strength=options.remix,
                    num_images_per_prompt=1,
                    **_batched(kwargs, len(items)),
                )
            elif chained and number > 0:
                previous = [_to_pil(images[t][i - 1]) for t, i in items]
                result = self.img2img(
                    image=previous if len(previous) > 1 else previous[0],
                    strength=CHAIN_STRENGTH,
                    **_batched(kwargs, len(items)),
                )
            else:
                result = self.pipe(height=sp.N_MELS, width=plan.width, **_batched(kwargs, len(items)))
            for (take, _), array in zip(items, result.images, strict=True):
                images[take].append(np.clip(np.round(np.asarray(array) * 255.0), 0, 255).astype(np.uint8))
            if stop.is_set():
                raise _Stopped
        return images

    def _remix_sources(self, request: GenerationRequest, plan: WindowPlan) -> list[Any]:
        assert request.source_audio is not None
        audio = np.asarray(request.source_audio, dtype=np.float32).reshape(-1)
        sources = []
        for index in range(plan.count):
            start = plan.start(index)
            segment = audio[start : start + plan.window_samples]
            if len(segment) < plan.window_samples:
                segment = np.pad(segment, (0, plan.window_samples - len(segment)))
            sources.append(sp.audio_to_image(segment, device=self.device))
        return sources

    def _set_scheduler(self, name: str) -> None:
        scheduler = _scheduler(name, self._scheduler_config)
        self.pipe.scheduler = scheduler
        self.img2img.scheduler = scheduler

    def _free_memory(self) -> None:
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()


def _batched(kwargs: dict[str, Any], count: int) -> dict[str, Any]:
    """Prompts repeated once per window (one generator each)."""
    out = dict(kwargs)
    out["prompt"] = [kwargs["prompt"]] * count
    if kwargs.get("negative_prompt"):
        out["negative_prompt"] = [kwargs["negative_prompt"]] * count
    out["generator"] = kwargs["generator"][:count] if count > 1 else kwargs["generator"][0]
    return out


def _to_pil(image: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(image, mode="RGB")


async def _wait_through_cancellation(future: asyncio.Future[Any]) -> None:
    """Wait for a worker thread's future to finish, even if the waiting task is cancelled again meanwhile."""
    while not future.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([future])
    with contextlib.suppress(BaseException):
        future.result()
