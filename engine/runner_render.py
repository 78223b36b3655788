"""The runner's work on a job: the whole render pipeline (`engine.render.render`), its results named for delivery.

Result kinds, each a `JobFile` row once kept (`part` is the 1-based part number where the file is one part's):
- `zip`: every part with the chosen one replaced, and job.json; meta: `summary` (the demo's status card)
- `part`: the chosen part with its new music (MP4)
- `preview`: a part ready to play in the chat, one per part (only the chosen one when previews are 0);
  meta: width, height, duration, thumbnail (a JPEG path), chosen (True for the part with new music)
- `music`: the new music alone (WAV)
- `full_cut`: all parts joined back into one video, when the user asked for it
A file may back several rows (the chosen part is often its own preview); it is kept once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.generator import Generator
from engine.media_config import MediaConfig
from engine.preview import Preview
from engine.render import RenderEvent, RenderRequest, RenderResult, render
from engine.runner import JobOutput, JobWork, OutputFile, Progress, ProgressReport
from storage.jobs_repo import job_options
from storage.models import Job


def render_work(generator: Generator, media_config: MediaConfig) -> JobWork:
    """The runner's `work`: render the job's request on `video` inside the job's folder."""

    async def work(job: Job, video: Path, workdir: Path, report: ProgressReport) -> JobOutput:
        def on_event(event: RenderEvent) -> None:
            report(Progress(event.stage.value, event.fraction, event.step, event.total))

        request = RenderRequest(job.prompt, job.parts, job.part, job_options(job))
        result = await render(video, workdir / "render", request, generator, media_config, on_event)
        return JobOutput(outputs_of(result), seed=result.seed)

    return work


def _preview_file(preview: Preview, part: int, chosen: bool) -> OutputFile:
    meta: dict[str, Any] = {
        "width": preview.width,
        "height": preview.height,
        "duration": preview.duration,
        "thumbnail": preview.thumbnail,
        "chosen": chosen,
    }
    return OutputFile("preview", preview.path, part, meta)


def outputs_of(result: RenderResult) -> list[OutputFile]:
    chosen = result.plan.chosen
    files = [
        OutputFile("zip", result.zip, None, {"summary": result.summary()}),
        OutputFile("part", result.new_part, chosen),
    ]
    if result.part_previews:
        files += [_preview_file(p, n, n == chosen) for n, p in enumerate(result.part_previews, start=1)]
    else:
        files.append(_preview_file(result.new_part_preview, chosen, True))
    files.append(OutputFile("music", result.music_wav, chosen))
    if result.full_cut is not None:
        files.append(OutputFile("full_cut", result.full_cut))
    return files
