"""The whole job: probe, split, make the chosen part's music, put it on the part, previews, full cut, zip.

Used by `riffcut render` and by the job runner. Every refusal that can be made before any work is made first
(prompt, part count and choice, remix of a part without sound, step counts, the original sound's level), so a
bad request costs nothing: `prepare` makes those that need no model (the CLI runs it before loading one).

No stage waits for what it does not need:

    probe ─┬─ split ──────────────┬─ (previews of the other parts, beside the music on a GPU host) ─┐
           └─ (lengths) generate ─┴─ remux + its preview ─> first result ─ previews ─ full cut ─ zip ─┘

The music needs only the chosen part's length: the split tells it as soon as it is known (after the fast split's
stream copy, or before the exact split's encode: `split_video(on_spans=...)`), and the diffusion runs while the
parts are still being made; remix mode's sound is cut from the source, not from a part. As soon as the chosen
part has its new music (and its preview), `on_first_result` is awaited with it, so a caller can deliver it while
the previews, the full cut and the zip are made. On a CPU-only host the previews of the other parts wait for
the music (ffmpeg and the diffusion would share the same cores); on a GPU host they run beside it.

`on_event` is called on the event loop (diffusion progress is handed over from the worker thread by the
generator) when each stage starts and ends, stages that overlap included, and for every diffusion step: keep it
cheap. Its `fraction` is of the whole job, each stage counted by its share of the work done.

The music comes out as a WAV (for the zip's tools), an M4A for Telegram's player (`engine.music_file`) and a
cover, the spectrogram of the music itself. With several takes, `render_takes` makes them in one diffusion batch
(beside the split, too) and puts each on the chosen part as a clip; the chosen take then goes through `render` as
`GivenMusic`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

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
    check_remix,
    negative_prompt_ignored,
)
from engine.media_config import MediaConfig
from engine.music_file import encode_m4a, spectrogram_cover
from engine.options import SEED_MAX, UserOptions
from engine.parts import PartPlan, plan
from engine.preview import Preview, make_preview
from engine.probe import VideoInfo, probe
from engine.rates import OUTPUT_RATE
from engine.remux import check_keep_db, replace_audio
from engine.split import PartSpan, SplitPart, SplitResult, part_name, split_video
from engine.stages import Stage
from engine.words import format_time

log = logging.getLogger(__name__)


PREVIEW_CONCURRENCY = 2  # ffmpeg previews at once (re-encodes use every core they get)
MUSIC_ARTIST = "Riffcut (Riffusion)"  # the music file's artist tag, and its performer in Telegram's player
T = TypeVar("T")


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
    """A stage starting (step None), a diffusion step (generate), or a stage done (`done` True). Stages may
    overlap (the split and the music): each has its own start and done."""

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


@dataclass(frozen=True)
class Prepared:
    """What the checks before any work found: the video as probed, the plan of its parts, the prompt (its words
    joined by single spaces; its length in tokens is the generator's to check)."""

    info: VideoInfo
    plan: PartPlan
    prompt: str

    @property
    def sound(self) -> PartSound:
        return PartSound.OK if self.info.has_audio else PartSound.NONE


@dataclass(frozen=True)
class FirstResult:
    """The chosen part with its new music, made before the previews, the full cut and the zip."""

    new_part: Path  # MP4
    preview: Preview  # what plays in a chat (the part itself when it already plays inline)
    music: Path  # the music alone, as an M4A for Telegram's player
    cover: Path | None  # the music's spectrogram (None: music given without one)
    seed: int
    prompt: str


FirstResultCallback = Callable[[FirstResult], Awaitable[None]]


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
    timings: dict[str, float]  # seconds per stage that ran (stages overlap: they add up to more than the wall time)
    model: str = ""
    wall_seconds: float = 0.0  # from the start to the zip
    first_result_seconds: float = 0.0  # from the start until the chosen part had its new music

    @property
    def total_seconds(self) -> float:
        return self.wall_seconds or sum(self.timings.values())

    def first_result(self) -> FirstResult:
        return FirstResult(
            self.new_part, self.new_part_preview, self.music_m4a, self.music_cover, self.seed, self.prompt
        )

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
        lines.append(
            f"Seconds per stage: {stages} (the split and the music at the same time); "
            f"first result after {self.first_result_seconds:.1f} s, total {self.total_seconds:.1f} s"
        )
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
    """Stage timing and events, with the job's overall fraction: each stage's share times how much of it is done
    (stages that overlap both count)."""

    def __init__(self, on_event: EventCallback | None, stages: list[Stage]) -> None:
        self.on_event = on_event
        weights = {stage: STAGE_WEIGHTS[stage] for stage in stages}
        whole = sum(weights.values())
        self.shares = {stage: weight / whole for stage, weight in weights.items()}
        self.done: dict[Stage, float] = {}
        self.timings: dict[str, float] = {}

    def emit(self, event: RenderEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # a broken listener must not break the job
            log.exception("render event listener failed")

    def advance(self, stage: Stage, within: float) -> float:
        """Note that `within` (0..1) of `stage` is done; the whole job's fraction."""
        self.done[stage] = max(self.done.get(stage, 0.0), min(max(within, 0.0), 1.0))
        whole = sum(self.shares.get(name, 0.0) * part for name, part in self.done.items())
        return round(min(1.0, whole), 4)

    @contextmanager
    def stage(self, stage: Stage, message: str = "") -> Iterator[None]:
        started = time.monotonic()
        self.emit(RenderEvent(stage, message=message, fraction=self.advance(stage, 0.0)))
        yield
        self.timings[stage.value] = self.timings.get(stage.value, 0.0) + time.monotonic() - started
        self.emit(RenderEvent(stage, message=message, fraction=self.advance(stage, 1.0), done=True))

    def diffusion(self, progress: GenerationProgress) -> None:
        self.emit(
            RenderEvent(
                Stage.GENERATE,
                step=progress.step,
                total=progress.total,
                window=progress.window,
                windows=progress.windows,
                message=f"{progress.window_words}, step {progress.step}/{progress.total}",
                fraction=self.advance(Stage.GENERATE, progress.fraction),
            )
        )


def new_seed() -> int:
    return secrets.randbelow(SEED_MAX + 1)


async def prepare(video: str | Path, request: RenderRequest, media_config: MediaConfig) -> Prepared:
    """Every refusal that needs no model: the numbers, the prompt not empty, the original sound's level, then
    the video (probed within the operator's limits), the part length rule against it, and remix of a part
    without sound. The prompt's length in tokens and the window plan are the generator's (`Generator.check`)."""
    options = request.options
    check_request(request)
    prompt = " ".join(request.prompt.split())
    if not prompt:
        raise BadInput(refusals.PROMPT_EMPTY)
    check_keep_db(options.keep_original_db)
    limits = media_config.limits
    info = await probe(video, media_config.timeout, limits=limits)
    part_plan = plan(
        info.duration,
        request.parts,
        request.part,
        media_config.min_part_seconds,
        media_config.max_part_seconds,
        limits.max_parts,
    )
    prepared = Prepared(info, part_plan, prompt)
    if request.music is None:  # music given (a take picked before) is not remixed again
        check_remix(options, prepared.sound)
    return prepared


def fit_music(audio: np.ndarray, seconds: float) -> np.ndarray:
    """The music cut (or padded with silence) to exactly `seconds`, at the engine's rate."""
    length = round(seconds * OUTPUT_RATE)
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    return audio[:length] if len(audio) >= length else np.pad(audio, (0, length - len(audio)))


async def _checked(
    video: str | Path,
    request: RenderRequest,
    prepared: Prepared | None,
    generator: Generator,
    media_config: MediaConfig,
    report: _Reporter,
) -> Prepared:
    """The probe stage: `prepare`'s checks (unless made already), then the generator's (the prompt in tokens)."""
    with report.stage(Stage.PROBE):
        job = prepared if prepared is not None else await prepare(video, request, media_config)
        if request.music is None:
            generator.check(job.prompt, job.plan.part_duration, request.options, job.sound)
        else:
            generator.check_prompt(job.prompt)
    return job


async def _split_beside(
    video: str | Path,
    job: Prepared,
    options: UserOptions,
    folder: Path,
    config: MediaConfig,
    report: _Reporter,
    music: Callable[[float, float], Awaitable[T]],
    then: Callable[[SplitResult], Awaitable[None]] | None = None,
) -> tuple[SplitResult, T]:
    """The split, and beside it `music(start, seconds)` of the chosen part, begun as soon as the split knows the
    part's length; `then(split)` follows the split while the music may still be made. A failure of either stops
    the other."""
    spans: asyncio.Future[tuple[PartSpan, ...]] = asyncio.get_running_loop().create_future()

    def lengths_known(found: tuple[PartSpan, ...]) -> None:
        if not spans.done():
            spans.set_result(found)

    async def split_parts() -> SplitResult:
        with report.stage(Stage.SPLIT, f"{job.plan.parts} parts"):
            split = await split_video(
                video, job.info, job.plan.parts, folder / "parts", exact=options.exact, threads=config.threads,
                timeout=config.timeout, on_spans=lengths_known,
            )  # fmt: skip
        if then is not None:
            await then(split)
        return split

    async def make_music() -> T:
        start, seconds = (await spans)[job.plan.chosen - 1]
        return await music(start, seconds)

    made_split, made_music = await gather_or_cancel([split_parts(), make_music()])
    return cast(SplitResult, made_split), cast(T, made_music)


async def _made_music(
    video: str | Path,
    job: Prepared,
    start: float,
    seconds: float,
    options: UserOptions,
    seed: int,
    takes: int,
    generator: Generator,
    config: MediaConfig,
    report: _Reporter,
) -> list[MadeMusic]:
    """`takes` takes of `seconds` of music for the part that starts at `start`."""
    with report.stage(Stage.GENERATE, f"{seconds:.2f} s of music"):
        source: np.ndarray | None = None
        if options.remix is not None:
            # The part's sound straight from the source: the audio stream alone, seeked and cut.
            at = job.info.timeline_start + start
            decoded = await audio_io.decode_audio(video, channels=1, start=at, duration=seconds, timeout=config.timeout)
            source = decoded[0]
        request = GenerationRequest(job.prompt, seconds, options, seed, source)
        return await generator.generate_takes(request, takes, report.diffusion)


def _previews(folder: Path, config: MediaConfig) -> Callable[[Path], Coroutine[Any, Any, Preview]]:
    """A preview maker into `folder` that runs at most PREVIEW_CONCURRENCY at once."""
    limit = asyncio.Semaphore(PREVIEW_CONCURRENCY)

    async def preview_of(path: Path) -> Preview:
        async with limit:
            return await make_preview(path, folder, threads=config.threads, timeout=config.timeout)

    return preview_of


async def _music_on_part(chosen: SplitPart, wav: Path, out: Path, options: UserOptions, config: MediaConfig) -> Path:
    """The chosen part with `wav` as its sound (`out`)."""
    return await replace_audio(
        chosen.path,
        wav,
        out,
        info=chosen.info,
        keep_original_db=options.keep_original_db,
        loudness_lufs=config.loudness_lufs,
        threads=config.threads,
        timeout=config.timeout,
    )


async def render(
    video: str | Path,
    workdir: str | Path,
    request: RenderRequest,
    generator: Generator,
    media_config: MediaConfig,
    on_event: EventCallback | None = None,
    *,
    prepared: Prepared | None = None,
    on_first_result: FirstResultCallback | None = None,
    previews_beside_music: bool | None = None,
    zip_path: str | Path | None = None,
    full_cut_path: str | Path | None = None,
) -> RenderResult:
    """Run the whole job on `video` inside `workdir` (created if missing); the outputs stay in `workdir`
    unless `zip_path` / `full_cut_path` name other places. A full cut is made when the options ask for one or
    `full_cut_path` is given. With `request.music` (a take chosen before) there is no diffusion: that music goes
    on the part. Raises BadInput for a request that cannot be done, before any work where it can.

    `prepared` is what `prepare` found, when the caller ran it already. `on_first_result` is awaited once the
    chosen part has its new music, before the previews, full cut and zip are made. `previews_beside_music`
    makes the other parts' previews while the music is made (default: when the generator is not on the CPU).
    """
    options = request.options
    folder = Path(workdir)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    want_full_cut = options.full_cut or full_cut_path is not None
    want_previews = options.previews > 0
    beside = generator.device.type != "cpu" if previews_beside_music is None else previews_beside_music
    stages = [Stage.PROBE, Stage.SPLIT, *([Stage.GENERATE] if request.music is None else []), Stage.REMUX]
    stages += [Stage.PREVIEW] if want_previews else []
    stages += [Stage.FULL_CUT] if want_full_cut else []
    stages += [Stage.ZIP]
    report = _Reporter(on_event, stages)
    timeout, threads = media_config.timeout, media_config.threads
    started = time.monotonic()

    job = await _checked(video, request, prepared, generator, media_config, report)
    part_plan = job.plan
    preview_of = _previews(folder / "previews", media_config)
    others: dict[int, Preview] = {}

    async def previews_of_others(split: SplitResult) -> None:
        todo = [p for p in split.parts if p.index != part_plan.chosen and p.index not in others]
        with report.stage(Stage.PREVIEW):
            made = await gather_or_cancel([preview_of(p.path) for p in todo])
        others.update({p.index: preview for p, preview in zip(todo, made, strict=True)})

    if request.music is not None:
        seed, music_wav, cover = request.music.seed, request.music.wav, None
        if request.music.cover is not None:  # a copy: the job's outputs are all in its own folder
            cover = folder / "music-cover.jpg"
            await asyncio.to_thread(shutil.copyfile, request.music.cover, cover)

        async def no_music(start: float, seconds: float) -> None:
            return None

        split, _ = await _split_beside(video, job, options, folder, media_config, report, no_music)
    else:
        seed = options.seed if options.seed is not None else new_seed()

        async def music(start: float, seconds: float) -> MadeMusic:
            made = await _made_music(video, job, start, seconds, options, seed, 1, generator, media_config, report)
            return made[0]

        then = previews_of_others if want_previews and beside else None
        split, made = await _split_beside(video, job, options, folder, media_config, report, music, then)
        chosen = split.parts[part_plan.chosen - 1]
        music_wav = await asyncio.to_thread(
            audio_io.write_wav, folder / "music.wav", fit_music(made.audio, chosen.duration)
        )
        cover = await spectrogram_cover(made.image, folder / "music-cover.jpg")
    chosen = split.parts[part_plan.chosen - 1]

    with report.stage(Stage.REMUX):
        new_name = part_name(chosen.index, part_plan.parts, ".mp4", "new-music")
        new_part, music_m4a = await gather_or_cancel(
            [
                _music_on_part(chosen, music_wav, folder / new_name, options, media_config),
                encode_m4a(music_wav, folder / "music.m4a", title=job.prompt, artist=MUSIC_ARTIST, timeout=timeout),
            ]
        )
        new_preview = await preview_of(new_part)
    first_result_seconds = time.monotonic() - started
    if on_first_result is not None:
        await on_first_result(FirstResult(new_part, new_preview, music_m4a, cover, seed, job.prompt))

    part_previews: list[Preview] = []
    if want_previews:
        await previews_of_others(split)
        part_previews = [new_preview if p.index == chosen.index else others[p.index] for p in split.parts]

    full_cut: Path | None = None
    joined_parts = [new_part if p.index == chosen.index else p.path for p in split.parts]
    if want_full_cut:
        with report.stage(Stage.FULL_CUT):
            target = Path(full_cut_path) if full_cut_path is not None else folder / "full-cut.mp4"
            full_cut = await join_parts(joined_parts, target, threads=threads, timeout=timeout)

    model = generator.model
    with report.stage(Stage.ZIP):
        zip_target = Path(zip_path) if zip_path is not None else folder / f"{Path(video).stem}-riffcut.zip"
        info_json = job_info(job.prompt, options, part_plan, split, seed, report.timings, model)
        archive = await write_zip_async(zip_target, [p.path for p in split.parts], chosen.index, new_part, info_json)

    return RenderResult(
        prompt=job.prompt,
        options=options,
        info=job.info,
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
        wall_seconds=time.monotonic() - started,
        first_result_seconds=first_result_seconds,
    )


async def render_takes(
    video: str | Path,
    workdir: str | Path,
    request: RenderRequest,
    generator: Generator,
    media_config: MediaConfig,
    on_event: EventCallback | None = None,
) -> TakesResult:
    """`request.options.takes` takes of the chosen part's music, made in one diffusion batch (beside the split),
    each put on the part as a clip to listen to; the rest of the job (`render` with the take as `GivenMusic`)
    waits for a choice.
    """
    options = request.options
    folder = Path(workdir)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    report = _Reporter(on_event, [Stage.PROBE, Stage.SPLIT, Stage.GENERATE, Stage.REMUX, Stage.PREVIEW])
    job = await _checked(video, request, None, generator, media_config, report)
    seed = options.seed if options.seed is not None else new_seed()

    async def music(start: float, seconds: float) -> list[MadeMusic]:
        return await _made_music(video, job, start, seconds, options, seed, options.takes, generator, media_config,
                                 report)  # fmt: skip

    split, made = await _split_beside(video, job, options, folder, media_config, report, music)
    chosen = split.parts[job.plan.chosen - 1]

    takes_dir = folder / "takes"
    await asyncio.to_thread(takes_dir.mkdir, parents=True, exist_ok=True)
    with report.stage(Stage.REMUX):

        async def clip_of(index: int, music: MadeMusic) -> tuple[Path, Path, Path]:
            audio = fit_music(music.audio, chosen.duration)
            wav = await asyncio.to_thread(audio_io.write_wav, takes_dir / f"take-{index}.wav", audio)
            cover = await spectrogram_cover(music.image, takes_dir / f"take-{index}-cover.jpg")
            clip = await _music_on_part(chosen, wav, takes_dir / f"take-{index}.mp4", options, media_config)
            return wav, cover, clip

        made_clips = await gather_or_cancel([clip_of(i, music) for i, music in enumerate(made, start=1)])
    with report.stage(Stage.PREVIEW):
        preview_of = _previews(takes_dir / "previews", media_config)
        clips = await gather_or_cancel([preview_of(clip) for _, _, clip in made_clips])
    takes = [
        Take(index, music.seed, wav, cover, clip)
        for index, (music, (wav, cover, _), clip) in enumerate(zip(made, made_clips, clips, strict=True), start=1)
    ]
    return TakesResult(job.prompt, job.info, job.plan, takes, seed, dict(report.timings))


def check_request(request: RenderRequest) -> None:
    """Cheap checks of the numbers alone (the part count against the video is checked after the probe)."""
    if request.parts < 1:
        raise BadInput(refusals.PARTS_AT_LEAST_ONE)
    if not 1 <= request.part <= request.parts:
        raise BadInput(refusals.PART_OUT_OF_RANGE, parts=request.parts, part=request.part)
