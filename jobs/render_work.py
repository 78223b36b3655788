"""The runner's work on a job: `engine.render.render` on the job's video, its results as the runner's files.

Used by whoever owns the runner (the composition root, the runner tests, the benchmark). Files kept, each a
`JobFile` row:
- `result`: the chosen part with its new music, as a video Telegram plays inline (the render's preview of it,
  which is the part itself when it already is H.264/AAC MP4), with width, height, duration and thumbnail;
- `music`: the music as an M4A (AAC) for Telegram's player, with its duration, title and cover (the music's
  spectrogram, square, at most 320 px); `preview`: every other part's preview, when previews are on (the chosen
  part is not among them: it is the `result`); `full_cut` when asked, with where the chosen part starts in it
  and a frame of that part for its cover; `zip`.
With several takes (the `takes` setting) and none picked yet, the work is `render_takes`: one `take` file per take
(its clip of the chosen part, its number as `part`, its seed, music and cover in `meta`), and the job then waits
for its member's choice; run again with the take picked (`JobSpec.take`), it is `render` on that music.
The `result` and the `music` are handed to the runner's `early` as soon as the render has them (before the
previews, full cut and zip), to be delivered while the rest is made. Each stage's start and end go to the runner
(the split and the music overlap). Diffusion steps go with the music's window count. Windows made together (a
batch) count their steps once; in chained mode each window is its own pass, so step k of window w counts as
(w - 1) x steps + k and the report names the window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.generator import Generator
from engine.media_config import MediaConfig
from engine.preview import Preview
from engine.render import (
    FirstResult,
    GivenMusic,
    RenderEvent,
    RenderRequest,
    RenderResult,
    TakesResult,
    render,
    render_takes,
)
from jobs.work import FIRST_RESULT_KIND, JobOutput, JobSpec, JobWork, KeepEarly, OutputFile, Progress, ProgressReport
from storage.jobs_repo import TAKE_KIND


def preview_meta(preview: Preview) -> dict[str, Any]:
    return {
        "width": preview.width,
        "height": preview.height,
        "duration": round(preview.duration, 3),
        "thumbnail": preview.thumbnail,
    }


def to_progress(event: RenderEvent, chained: bool) -> Progress:
    if event.step is None or not event.total:
        return Progress(event.stage, event.fraction, ended=event.done)
    windows = event.windows or 1
    if chained and windows > 1:
        window = event.window or 1
        return Progress(
            event.stage,
            event.fraction,
            step=(window - 1) * event.total + event.step,
            total_steps=event.total * windows,
            windows=windows,
            window=window,
        )
    return Progress(event.stage, event.fraction, step=event.step, total_steps=event.total, windows=windows)


def first_files(first: FirstResult, part: int) -> list[OutputFile]:
    """The results a user may have before the job ends: the chosen part with its new music, and the music."""
    chosen = first.preview
    music_meta: dict[str, Any] = {"duration": round(chosen.duration, 3), "title": first.prompt}
    if first.cover is not None:
        music_meta["cover"] = first.cover
    return [
        OutputFile(FIRST_RESULT_KIND, chosen.path, part, preview_meta(chosen)),
        OutputFile("music", first.music, part, music_meta),
    ]


def render_work(generator: Generator, media_config: MediaConfig) -> JobWork:
    async def work(
        spec: JobSpec, video: Path, workdir: Path, report: ProgressReport, early: KeepEarly | None = None
    ) -> JobOutput:
        job = spec.request
        chained = job.options.windows == "chained" and job.options.remix is None

        def on_event(event: RenderEvent) -> None:
            report(to_progress(event, chained))

        async def first_result(first: FirstResult) -> None:
            if early is not None:
                await early(first_files(first, job.part), first.seed)

        take = spec.take
        if take is None and job.options.takes > 1:
            request = RenderRequest(prompt=job.prompt, parts=job.parts, part=job.part, options=job.options)
            made = await render_takes(video, workdir / "render", request, generator, media_config, on_event)
            return JobOutput(take_files(made), seed=made.seed, choosing=True)
        music = GivenMusic(take.music, take.seed, take.cover) if take is not None else None
        request = RenderRequest(prompt=job.prompt, parts=job.parts, part=job.part, options=job.options, music=music)
        result = await render(
            video, workdir / "render", request, generator, media_config, on_event, on_first_result=first_result
        )
        return JobOutput(result_files(result, job.part), seed=result.seed)

    return work


def take_files(made: TakesResult) -> list[OutputFile]:
    return [
        OutputFile(
            TAKE_KIND,
            take.clip.path,
            take.index,
            {
                **preview_meta(take.clip),
                "seed": take.seed,
                "music": take.music_wav,
                "cover": take.cover,
                "takes": len(made.takes),
            },
        )
        for take in made.takes
    ]


def result_files(result: RenderResult, part: int) -> list[OutputFile]:
    files = first_files(result.first_result(), part)
    for index, preview in enumerate(result.part_previews, start=1):
        if index != part:
            files.append(OutputFile("preview", preview.path, index, preview_meta(preview)))
    if result.full_cut is not None:
        start, _ = result.plan.chosen_range
        meta = {"width": result.info.width, "height": result.info.height, "duration": result.info.duration}
        files.append(OutputFile("full_cut", result.full_cut, None, {**meta, "start": round(start, 3)}))
    files.append(OutputFile("zip", result.zip, None, {"parts": result.plan.parts}))
    return files
