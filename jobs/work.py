"""What a job runner is given and what it gets back: a job's spec, the fetch that brings its video, the work.

- `JobSpec`: the job's id and the request it was made from (`storage.jobs_repo.JobRequest`: whose, which video,
  prompt, parts, settings), read from its row once.
- `FetchVideo`: `await fetch(video, dest_dir) -> Path` brings the video into the job's folder (the bot downloads
  it from Telegram; a test copies a sample).
- `JobWork`: `await work(spec, video_path, workdir, report, early) -> JobOutput` does the job (`jobs.render_work`:
  the render pipeline), calling `report(Progress(...))` as it goes (from the event loop or a worker thread: each
  stage's start, and its end with `ended`, since stages may overlap), awaiting `early(files, seed)` with the
  results its user may have before the job ends (the chosen part with its new music, the music; these are in
  the final `JobOutput` too, and stay where they are: the work may still need them), and raising BadInput or
  EngineFailure for a failure its user should read about.
- A job run again after an interruption that had kept early results is given the seed they were made with
  (`JobSpec.of`), so that the rest matches what its user may already have.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from engine.stages import Stage
from storage.jobs_repo import TAKE_KIND, JobRequest
from storage.models import Job
from storage.video_ref import VideoRef

FIRST_RESULT_KIND = "result"  # the chosen part with its new music: the first result a job keeps


@dataclass(frozen=True)
class ChosenTake:
    """The take a member picked, kept from the job's first run: its number, seed, music and cover."""

    index: int
    seed: int
    music: Path
    cover: Path | None


@dataclass(frozen=True)
class JobSpec:
    job_id: int
    request: JobRequest
    take: ChosenTake | None = None  # with several takes: the one picked (None: the takes are still to make)

    @classmethod
    def of(cls, job: Job) -> JobSpec:
        request = JobRequest.of(job)
        early = any(file.kind == FIRST_RESULT_KIND for file in job.files)  # kept by an earlier attempt
        if early and job.seed is not None and request.options.seed is None:
            request = replace(request, options=request.options.model_copy(update={"seed": job.seed}))
        return cls(job.id, request, chosen_take(job))


def chosen_take(job: Job) -> ChosenTake | None:
    """The take the job's member picked, from the job's take files; None when none was picked."""
    if job.chosen_take is None:
        return None
    for file in job.files:
        if file.kind == TAKE_KIND and file.part == job.chosen_take:
            meta = file.meta or {}
            cover = meta.get("cover")
            return ChosenTake(
                job.chosen_take, int(meta["seed"]), Path(str(meta["music"])), Path(cover) if cover else None
            )
    return None


FetchVideo = Callable[[VideoRef, Path], Awaitable[Path]]


@dataclass(frozen=True)
class Progress:
    """A job's progress as its work reports it: a stage, and for a diffusion step, which step of which window."""

    stage: Stage
    fraction: float | None = None  # of the whole job, 0..1
    step: int | None = None  # diffusion step, when this report is one
    total_steps: int | None = None
    windows: int = 1
    window: int | None = None  # the window being made, when windows are made one after another
    ended: bool = False  # the stage is over (others may still be under way)


ProgressReport = Callable[[Progress], None]


@dataclass(frozen=True)
class OutputFile:
    """A result to keep. Paths among `meta`'s values (a preview's thumbnail) are kept along with it."""

    kind: str  # result, music, preview, full_cut, zip; or take (a take's clip, its part the take's number)
    path: Path
    part: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobOutput:
    files: Sequence[OutputFile]
    seed: int | None = None
    choosing: bool = False  # the files are takes to pick from: the job waits (state choosing), holding nothing


KeepEarly = Callable[[Sequence[OutputFile], int | None], Awaitable[None]]
"""`await early(files, seed)`: results the job's user may have now, before the job ends, and their seed."""


class JobWork(Protocol):
    """The work on one job once its video is in `workdir`; raises BadInput/EngineFailure for a clear failure."""

    async def __call__(
        self, spec: JobSpec, video: Path, workdir: Path, report: ProgressReport, early: KeepEarly | None = None
    ) -> JobOutput: ...
