"""The runner's work on a job: `engine.render.render` on the job's video, its results as the runner's files.

Used by whoever owns the runner (the composition root, the runner tests, the benchmark). Files kept, each a
`JobFile` row:
- `result`: the chosen part with its new music, as a video Telegram plays inline (the render's preview of it,
  which is the part itself when it already is H.264/AAC MP4), with width, height, duration and thumbnail;
- `music`: the generated music (WAV); `preview`: every other part's preview, when previews are on (the chosen
  part's slot in an album reuses the `result` upload); `full_cut` when asked; `zip`.
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
from engine.render import FirstResult, RenderEvent, RenderRequest, render
from jobs.work import JobOutput, JobSpec, JobWork, KeepEarly, OutputFile, Progress, ProgressReport


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
    return [
        OutputFile("result", chosen.path, part, preview_meta(chosen)),
        OutputFile("music", first.music, part, {"duration": round(chosen.duration, 3)}),
    ]


def render_work(generator: Generator, media_config: MediaConfig) -> JobWork:
    async def work(
        spec: JobSpec, video: Path, workdir: Path, report: ProgressReport, early: KeepEarly | None = None
    ) -> JobOutput:
        job = spec.request
        chained = job.options.windows == "chained" and job.options.remix is None

        async def first_result(first: FirstResult) -> None:
            if early is not None:
                await early(first_files(first, job.part), first.seed)

        result = await render(
            video,
            workdir / "render",
            RenderRequest(prompt=job.prompt, parts=job.parts, part=job.part, options=job.options),
            generator,
            media_config,
            lambda event: report(to_progress(event, chained)),
            on_first_result=first_result,
        )
        files = first_files(
            FirstResult(result.new_part, result.new_part_preview, result.music_wav, result.seed), job.part
        )
        for index, preview in enumerate(result.part_previews, start=1):
            if index != job.part:
                files.append(OutputFile("preview", preview.path, index, preview_meta(preview)))
        if result.full_cut is not None:
            files.append(
                OutputFile(
                    "full_cut",
                    result.full_cut,
                    None,
                    {"width": result.info.width, "height": result.info.height, "duration": result.info.duration},
                )
            )
        files.append(OutputFile("zip", result.zip, None, {"parts": job.parts}))
        return JobOutput(files, seed=result.seed)

    return work
