"""The whole job: probe, split, make the chosen part's music, put it on the part, previews, full cut, zip.

Used by `riffcut render` and by the job runner. Every refusal that can be made before any work is made first
(prompt, part count and choice, remix of a part without sound, step counts, the original sound's level), so a
bad request costs nothing. `on_event` is called on the event loop (diffusion progress is handed over from the
worker thread by the generator) for every stage and every diffusion step: keep it cheap.

The music comes out as a WAV (for the zip's tools), an M4A for Telegram's player (`engine.music_file`) and a
cover, the spectrogram of the music itself. With several takes, `render_takes` makes them in one diffusion batch
and puts each on the chosen part as a clip; the chosen take then goes through `render` as `GivenMusic`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
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
from engine.generator import (
    GenerationProgress,
    GenerationRequest,
    Generator,
    MadeMusic,
    PartSound,
    negative_prompt_ignored,
)
from engine.media_config import MediaConfig
from engine.music_file import encode_m4a, spectrogram_cover
from engine.options import SEED_MAX, UserOptions
from engine.parts import PartPlan, plan
from engine.preview import Preview, make_preview
from engine.probe import VideoInfo, probe
from engine.remux import check_keep_db, replace_audio
from engine.split import SplitPart, SplitResult, part_name, split_video
from engine.stages import Stage
from engine.words import format_time

log = logging.getLogger(__name__)


PREVIEW_CONCURRENCY = 2  # ffmpeg previews at once (re-encodes use every core they get)
MUSIC_ARTIST = "Riffcut (Riffusion)"  # the music file's artist tag, and its performer in Telegram's player


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
class GivenMusic:
    """Music made before (the take a user chose): its WAV, its seed, its cover (the spectrogram's JPEG)."""

    wav: Path
    seed: int
    cover: Path | None = None


@dataclass(frozen=True)
class RenderRequest:
    prompt: str
    parts: int
    part: int  # from 1
    options: UserOptions = field(default_factory=UserOptions)
    music: GivenMusic | None = None  # made before: no diffusion, this music goes on the part


@dataclass(frozen=True)
class Take:
    """One take of the music for the chosen part, with a clip of the part that plays it."""

    index: int  # from 1
    seed: int  # with takes=1 and this seed, the same music again
    music_wav: Path
    cover: Path  # the take's spectrogram, square, at most 320 px
    clip: Preview  # the chosen part with this take's music, playable in the chat


@dataclass
class TakesResult:
    """`render_takes`' result: the takes to choose from (nothing else is made until one is chosen)."""

    prompt: str
    info: VideoInfo
    plan: PartPlan
    takes: list[Take]
    seed: int
    timings: dict[str, float]


@dataclass
class RenderResult:
    prompt: str
    options: UserOptions
    info: VideoInfo
    plan: PartPlan
    split: SplitResult
    music_wav: Path
    music_m4a: Path  # the same music for Telegram's player (AAC), its title the prompt
    music_cover: Path | None  # the music's spectrogram, square, at most 320 px (None: music given without one)
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


async def _planned(
    video: str | Path,
    request: RenderRequest,
    generator: Generator,
    media_config: MediaConfig,
    report: _Reporter,
) -> tuple[str, VideoInfo, PartPlan]:
    """Every refusal that can be made before any work, then the probe and the plan (the probe stage)."""
    options = request.options
    check_request(request)
    prompt = generator.check_prompt(request.prompt)
    check_keep_db(options.keep_original_db)
    limits = media_config.limits
    with report.stage(Stage.PROBE):
        info = await probe(video, media_config.timeout, limits=limits)
        part_plan = plan(
            info.duration,
            request.parts,
            request.part,
            media_config.min_part_seconds,
            media_config.max_part_seconds,
            limits.max_parts,
        )
        if request.music is None:
            sound = PartSound.OK if info.has_audio else PartSound.NONE
            generator.check(prompt, part_plan.part_duration, options, sound)
    return prompt, info, part_plan


async def _split(
    video: str | Path, info: VideoInfo, part_plan: PartPlan, options: UserOptions, folder: Path, config: MediaConfig,
    report: _Reporter,
) -> SplitResult:  # fmt: skip
    with report.stage(Stage.SPLIT, f"{part_plan.parts} parts"):
        return await split_video(
            video, info, part_plan.parts, folder / "parts", exact=options.exact, threads=config.threads,
            timeout=config.timeout,
        )  # fmt: skip


async def _made_music(
    video: str | Path,
    info: VideoInfo,
    prompt: str,
    chosen: SplitPart,
    options: UserOptions,
    seed: int,
    takes: int,
    generator: Generator,
    config: MediaConfig,
    report: _Reporter,
) -> list[MadeMusic]:
    with report.stage(Stage.GENERATE, f"{chosen.duration:.2f} s of music"):
        source: np.ndarray | None = None
        if options.remix is not None:
            # The part's sound straight from the source: the audio stream alone, seeked and cut.
            at = info.timeline_start + chosen.start
            decoded = await audio_io.decode_audio(
                video, channels=1, start=at, duration=chosen.duration, timeout=config.timeout
            )
            source = decoded[0]
        request = GenerationRequest(prompt, chosen.duration, options, seed, source)
        return await generator.generate_takes(request, takes, report.diffusion)


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
    `full_cut_path` is given. With `request.music` (a take chosen before) there is no diffusion: that music goes
    on the part. Raises BadInput for a request that cannot be done, before any work where it can.
    """
    options = request.options
    folder = Path(workdir)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    want_full_cut = options.full_cut or full_cut_path is not None
    stages = [Stage.PROBE, Stage.SPLIT, *([Stage.GENERATE] if request.music is None else []), Stage.REMUX]
    stages += [Stage.PREVIEW, *([Stage.FULL_CUT] if want_full_cut else []), Stage.ZIP]
    report = _Reporter(on_event, stages)
    timeout, threads = media_config.timeout, media_config.threads

    prompt, info, part_plan = await _planned(video, request, generator, media_config, report)
    split = await _split(video, info, part_plan, options, folder, media_config, report)
    chosen = split.parts[part_plan.chosen - 1]

    if request.music is not None:
        seed, music_wav, cover = request.music.seed, request.music.wav, None
        if request.music.cover is not None:  # a copy: the job's outputs are all in its own folder
            cover = folder / "music-cover.jpg"
            await asyncio.to_thread(shutil.copyfile, request.music.cover, cover)
    else:
        seed = options.seed if options.seed is not None else new_seed()
        made = (await _made_music(video, info, prompt, chosen, options, seed, 1, generator, media_config, report))[0]
        music_wav = await asyncio.to_thread(audio_io.write_wav, folder / "music.wav", made.audio)
        cover = await spectrogram_cover(made.image, folder / "music-cover.jpg")

    with report.stage(Stage.REMUX):
        new_name = part_name(chosen.index, part_plan.parts, ".mp4", "new-music")
        new_part, music_m4a = await gather_or_cancel(
            [
                replace_audio(
                    chosen.path,
                    music_wav,
                    folder / new_name,
                    info=chosen.info,
                    keep_original_db=options.keep_original_db,
                    loudness_lufs=media_config.loudness_lufs,
                    threads=threads,
                    timeout=timeout,
                ),
                encode_m4a(music_wav, folder / "music.m4a", title=prompt, artist=MUSIC_ARTIST, timeout=timeout),
            ]
        )

    with report.stage(Stage.PREVIEW):
        previews_dir = folder / "previews"
        limit = asyncio.Semaphore(PREVIEW_CONCURRENCY)

        async def preview_of(path: Path) -> Preview:
            async with limit:
                return await make_preview(path, previews_dir, threads=threads, timeout=timeout)

        new_preview = await preview_of(new_part)
        others = [p for p in split.parts if p.index != chosen.index] if options.previews > 0 else []
        made_previews = await gather_or_cancel([preview_of(p.path) for p in others])
        by_index = {p.index: pv for p, pv in zip(others, made_previews, strict=True)}
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
        music_m4a=music_m4a,
        music_cover=cover,
        new_part=new_part,
        new_part_preview=new_preview,
        part_previews=part_previews,
        full_cut=full_cut,
        zip=archive,
        seed=seed,
        timings=dict(report.timings),
        model=model,
    )


async def render_takes(
    video: str | Path,
    workdir: str | Path,
    request: RenderRequest,
    generator: Generator,
    media_config: MediaConfig,
    on_event: EventCallback | None = None,
) -> TakesResult:
    """`request.options.takes` takes of the chosen part's music, made in one diffusion batch, each put on the
    part as a clip to listen to; the rest of the job (`render` with the take as `GivenMusic`) waits for a choice.
    """
    options = request.options
    folder = Path(workdir)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    report = _Reporter(on_event, [Stage.PROBE, Stage.SPLIT, Stage.GENERATE, Stage.REMUX, Stage.PREVIEW])
    timeout, threads = media_config.timeout, media_config.threads
    prompt, info, part_plan = await _planned(video, request, generator, media_config, report)
    split = await _split(video, info, part_plan, options, folder, media_config, report)
    chosen = split.parts[part_plan.chosen - 1]
    seed = options.seed if options.seed is not None else new_seed()
    made = await _made_music(video, info, prompt, chosen, options, seed, options.takes, generator, media_config, report)

    takes_dir = folder / "takes"
    await asyncio.to_thread(takes_dir.mkdir, parents=True, exist_ok=True)
    with report.stage(Stage.REMUX):

        async def clip_of(index: int, music: MadeMusic) -> tuple[Path, Path, Path]:
            wav = await asyncio.to_thread(audio_io.write_wav, takes_dir / f"take-{index}.wav", music.audio)
            cover = await spectrogram_cover(music.image, takes_dir / f"take-{index}-cover.jpg")
            clip = await replace_audio(
                chosen.path,
                wav,
                takes_dir / f"take-{index}.mp4",
                info=chosen.info,
                keep_original_db=options.keep_original_db,
                loudness_lufs=media_config.loudness_lufs,
                threads=threads,
                timeout=timeout,
            )
            return wav, cover, clip

        made_clips = await gather_or_cancel([clip_of(i, music) for i, music in enumerate(made, start=1)])
    with report.stage(Stage.PREVIEW):
        limit = asyncio.Semaphore(PREVIEW_CONCURRENCY)

        async def preview_of(path: Path) -> Preview:
            async with limit:
                return await make_preview(path, takes_dir / "previews", threads=threads, timeout=timeout)

        clips = await gather_or_cancel([preview_of(clip) for _, _, clip in made_clips])
    takes = [
        Take(index, music.seed, wav, cover, clip)
        for index, (music, (wav, cover, _), clip) in enumerate(zip(made, made_clips, clips, strict=True), start=1)
    ]
    return TakesResult(prompt, info, part_plan, takes, seed, dict(report.timings))


def check_request(request: RenderRequest) -> None:
    """Cheap checks of the numbers alone (the part count against the video is checked after the probe)."""
    if request.parts < 1:
        raise BadInput(refusals.PARTS_AT_LEAST_ONE)
    if not 1 <= request.part <= request.parts:
        raise BadInput(refusals.PART_OUT_OF_RANGE, parts=request.parts, part=request.part)
