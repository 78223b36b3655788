"""The whole job: probe, split, make the chosen part's music, put it on the part, previews, full cut, zip.

Used by `riffcut render` and by the job runner. Every refusal that can be made before any work is made first
(prompt, part count and choice, remix of a part without sound, step counts, the original sound's level), so a
bad request costs nothing. `on_event` is called on the event loop (diffusion progress is handed over from the
worker thread by the generator) for every stage and every diffusion step: keep it cheap.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine import audio_io, refusals
from engine.archive import write_zip_async
from engine.errors import BadInput
from engine.ffmpeg_process import gather_or_cancel
from engine.fullcut import join_parts
from engine.generator import GenerationProgress, GenerationRequest, Generator, PartSound, negative_prompt_ignored
from engine.media_config import MediaConfig
from engine.options import SEED_MAX, UserOptions
from engine.parts import PartPlan, plan
from engine.preview import Preview, make_preview
from engine.probe import VideoInfo, probe
from engine.remux import check_keep_db, replace_audio
from engine.split import SplitResult, part_name, split_video
from engine.stages import Stage
from engine.words import format_time

log = logging.getLogger(__name__)


PREVIEW_CONCURRENCY = 2  # ffmpeg previews at once (re-encodes use every core they get)


# Rough shares of a job's time (CPU machine, default steps) for one progress bar over the whole job.
STAGE_WEIGHTS: dict[Stage, float] = {
    Stage.PROBE: 0.01,
    Stage.SPLIT: 0.05,
    Stage.GENERATE: 0.75,
    Stage.REMUX: 0.05,
    Stage.PREVIEW: 0.08,
    Stage.FULL_CUT: 0.04,
    Stage.ZIP: 0.02,
}


@dataclass(frozen=True)
class RenderEvent:
    """A stage starting (step None), a diffusion step (generate), or a stage done (`done` True)."""

    stage: Stage
    step: int | None = None
    total: int | None = None
    window: int | None = None
    windows: int | None = None
    message: str = ""
    fraction: float = 0.0  # of the whole job, 0..1
    done: bool = False


EventCallback = Callable[[RenderEvent], None]


@dataclass(frozen=True)
class RenderRequest:
    prompt: str
    parts: int
    part: int  # from 1
    options: UserOptions = field(default_factory=UserOptions)


@dataclass
class RenderResult:
    prompt: str
    options: UserOptions
    info: VideoInfo
    plan: PartPlan
    split: SplitResult
    music_wav: Path
    new_part: Path  # the chosen part with its new music (MP4)
    new_part_preview: Preview
    part_previews: list[Preview]  # every part in order, the chosen one with its new music; empty with previews 0
    full_cut: Path | None
    zip: Path
    seed: int
    timings: dict[str, float]  # seconds per stage that ran
    model: str = ""

    @property
    def total_seconds(self) -> float:
        return sum(self.timings.values())

    def summary(self) -> str:
        """The original demo's status card, and the seconds each stage took."""
        chosen = self.split.parts[self.plan.chosen - 1]
        durations = ", ".join(f"{p.duration:.2f}" for p in self.split.parts)
        opts = self.options
        lines = [
            f"Video: {format_time(self.info.duration)} ({self.info.width}x{self.info.height})",
            f"Prompt: {self.prompt}",
            f"Number of parts: {self.plan.parts} ({self.plan.part_duration:.2f} seconds/part)",
            f"Chosen part: {self.plan.chosen}",
            f"Duration of each part (s): {durations}",
            f"Time range of the chosen part: {self.plan.chosen_range_text()}",
            f"Music: {chosen.duration:.2f} s, seed {self.seed}, {opts.steps} steps, guidance {opts.guidance:g}, "
            f"scheduler {opts.scheduler}"
            + (f", remix {opts.remix:g}" if opts.remix is not None else "")
            + (", chained windows" if opts.windows == "chained" else ""),
        ]
        if opts.negative:
            ignored = (
                " (ignored: guidance is 1 or less)" if negative_prompt_ignored(opts.guidance, opts.negative) else ""
            )
            lines.append(f"Negative prompt: {opts.negative}{ignored}")
        if self.split.fell_back:
            lines.append("The fast split was uneven, so the video was split exactly.")
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.timings.items())
        lines.append(f"Seconds per stage: {stages}; total {self.total_seconds:.1f} s")
        return "\n".join(lines)

    def job_info(self) -> dict[str, Any]:
        return job_info(self.prompt, self.options, self.plan, self.split, self.seed, self.timings, self.model)


def job_info(
    prompt: str,
    options: UserOptions,
    part_plan: PartPlan,
    split: SplitResult,
    seed: int,
    timings: dict[str, float],
    model: str,
) -> dict[str, Any]:
    """What `job.json` in the zip says: enough to make the same music again."""
    settings = options.model_dump(exclude={"language"})
    settings["seed"] = seed
    return {
        "prompt": prompt,
        "parts": part_plan.parts,
        "chosen_part": part_plan.chosen,
        "video_duration": round(part_plan.duration, 3),
        "part_ranges": [[round(a, 3), round(b, 3)] for a, b in part_plan.ranges],
        "part_durations": [round(p.duration, 3) for p in split.parts],
        "split_mode": split.mode,
        "seed": seed,
        "settings": settings,
        "model": model,
        "seconds_per_stage": {k: round(v, 2) for k, v in timings.items()},
    }


class _Reporter:
    """Stage timing and events, with the job's overall fraction."""

    def __init__(self, on_event: EventCallback | None, stages: list[Stage]) -> None:
        self.on_event = on_event
        weights = {stage: STAGE_WEIGHTS[stage] for stage in stages}
        whole = sum(weights.values())
        self.starts: dict[Stage, float] = {}
        acc = 0.0
        self.shares: dict[Stage, tuple[float, float]] = {}
        for stage in stages:
            share = weights[stage] / whole
            self.shares[stage] = (acc, share)
            acc += share
        self.timings: dict[str, float] = {}

    def emit(self, event: RenderEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # a broken listener must not break the job
            log.exception("render event listener failed")

    def fraction(self, stage: Stage, within: float) -> float:
        start, share = self.shares.get(stage, (0.0, 0.0))
        return round(min(1.0, start + share * min(max(within, 0.0), 1.0)), 4)

    @contextmanager
    def stage(self, stage: Stage, message: str = "") -> Iterator[None]:
        started = time.monotonic()
        self.emit(RenderEvent(stage, message=message, fraction=self.fraction(stage, 0.0)))
        yield
        self.timings[stage.value] = time.monotonic() - started
        self.emit(RenderEvent(stage, message=message, fraction=self.fraction(stage, 1.0), done=True))

    def diffusion(self, progress: GenerationProgress) -> None:
        self.emit(
            RenderEvent(
                Stage.GENERATE,
                step=progress.step,
                total=progress.total,
                window=progress.window,
                windows=progress.windows,
                message=f"window {progress.window}/{progress.windows}, step {progress.step}/{progress.total}",
                fraction=self.fraction(Stage.GENERATE, progress.fraction),
            )
        )


def new_seed() -> int:
    return secrets.randbelow(SEED_MAX + 1)


async def render(
    video: str | Path,
    workdir: str | Path,
    request: RenderRequest,
    generator: Generator,
    media_config: MediaConfig,
    on_event: EventCallback | None = None,
    *,
    zip_path: str | Path | None = None,
    full_cut_path: str | Path | None = None,
) -> RenderResult:
    """Run the whole job on `video` inside `workdir` (created if missing); the outputs stay in `workdir`
    unless `zip_path` / `full_cut_path` name other places. A full cut is made when the options ask for one or
    `full_cut_path` is given. Raises BadInput for a request that cannot be done, before any work where it can.
    """
    options = request.options
    folder = Path(workdir)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    want_full_cut = options.full_cut or full_cut_path is not None
    stages = [Stage.PROBE, Stage.SPLIT, Stage.GENERATE, Stage.REMUX, Stage.PREVIEW]
    stages += [Stage.FULL_CUT] if want_full_cut else []
    stages += [Stage.ZIP]
    report = _Reporter(on_event, stages)
    timeout, threads = media_config.timeout, media_config.threads

    # Refusals that need nothing from the video.
    check_request(request)
    prompt = generator.check_prompt(request.prompt)
    check_keep_db(options.keep_original_db)

    limits = media_config.limits
    with report.stage(Stage.PROBE):
        info = await probe(video, timeout, limits=limits)
        part_plan = plan(
            info.duration,
            request.parts,
            request.part,
            media_config.min_part_seconds,
            media_config.max_part_seconds,
            limits.max_parts,
        )
        generator.check(prompt, part_plan.part_duration, options, PartSound.OK if info.has_audio else PartSound.NONE)

    with report.stage(Stage.SPLIT, f"{part_plan.parts} parts"):
        split = await split_video(
            video, info, part_plan.parts, folder / "parts", exact=options.exact, threads=threads, timeout=timeout
        )
    chosen = split.parts[part_plan.chosen - 1]

    seed = options.seed if options.seed is not None else new_seed()
    with report.stage(Stage.GENERATE, f"{chosen.duration:.2f} s of music"):
        source: np.ndarray | None = None
        if options.remix is not None:
            # The part's sound straight from the source: the audio stream alone, seeked and cut.
            at = info.timeline_start + chosen.start
            source = (
                await audio_io.decode_audio(video, channels=1, start=at, duration=chosen.duration, timeout=timeout)
            )[0]
        gen_request = GenerationRequest(prompt, chosen.duration, options, seed, source)
        audio = await generator.generate(gen_request, report.diffusion)
        music_wav = await asyncio.to_thread(audio_io.write_wav, folder / "music.wav", audio)

    with report.stage(Stage.REMUX):
        new_name = part_name(chosen.index, part_plan.parts, ".mp4", "new-music")
        new_part = await replace_audio(
            chosen.path,
            music_wav,
            folder / new_name,
            info=chosen.info,
            keep_original_db=options.keep_original_db,
            loudness_lufs=media_config.loudness_lufs,
            threads=threads,
            timeout=timeout,
        )

    with report.stage(Stage.PREVIEW):
        previews_dir = folder / "previews"
        limit = asyncio.Semaphore(PREVIEW_CONCURRENCY)

        async def preview_of(path: Path) -> Preview:
            async with limit:
                return await make_preview(path, previews_dir, threads=threads, timeout=timeout)

        new_preview = await preview_of(new_part)
        others = [p for p in split.parts if p.index != chosen.index] if options.previews > 0 else []
        made = await gather_or_cancel([preview_of(p.path) for p in others])
        by_index = {p.index: pv for p, pv in zip(others, made, strict=True)}
        part_previews = (
            [new_preview if p.index == chosen.index else by_index[p.index] for p in split.parts]
            if options.previews > 0
            else []
        )

    full_cut: Path | None = None
    joined_parts = [new_part if p.index == chosen.index else p.path for p in split.parts]
    if want_full_cut:
        with report.stage(Stage.FULL_CUT):
            target = Path(full_cut_path) if full_cut_path is not None else folder / "full-cut.mp4"
            full_cut = await join_parts(joined_parts, target, threads=threads, timeout=timeout)

    model = generator.model
    with report.stage(Stage.ZIP):
        zip_target = Path(zip_path) if zip_path is not None else folder / f"{Path(video).stem}-riffcut.zip"
        info_json = job_info(prompt, options, part_plan, split, seed, report.timings, model)
        archive = await write_zip_async(zip_target, [p.path for p in split.parts], chosen.index, new_part, info_json)

    return RenderResult(
        prompt=prompt,
        options=options,
        info=info,
        plan=part_plan,
        split=split,
        music_wav=music_wav,
        new_part=new_part,
        new_part_preview=new_preview,
        part_previews=part_previews,
        full_cut=full_cut,
        zip=archive,
        seed=seed,
        timings=dict(report.timings),
        model=model,
    )


def check_request(request: RenderRequest) -> None:
    """Cheap checks of the numbers alone (the part count against the video is checked after the probe)."""
    if request.parts < 1:
        raise BadInput(refusals.PARTS_AT_LEAST_ONE)
    if not 1 <= request.part <= request.parts:
        raise BadInput(refusals.PART_OUT_OF_RANGE, parts=request.parts, part=request.part)
