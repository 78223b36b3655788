"""Helpers for the runner's tests: configuration, fetching the sample videos, jobs, an event log."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.generator import Generator
from engine.media_config import MediaConfig
from engine.options import UserOptions
from jobs.config import RunnerConfig
from jobs.events import AnyEvent, StageStarted, StateChanged, Subscription
from jobs.local_runner import JobRunner
from jobs.render_work import render_work
from jobs.work import FetchVideo, JobWork
from storage import Database
from storage.jobs_repo import JobRequest, QueueLimits, create_job
from storage.models import Job, JobState
from storage.video_ref import VideoRef

WAIT_S = 240.0  # only a guard against hanging forever; nothing is timed


def config(tmp_path: Path, **overrides: Any) -> RunnerConfig:
    values: dict[str, Any] = {
        "temporary_directory": tmp_path / "jobs",
        "data_dir": tmp_path / "data",
        "concurrent_jobs": 3,
        "job_time_limit_seconds": 600.0,
        "min_free_disk_mb": 1,
        "limits": QueueLimits(max_jobs_per_user=2, max_queue=50),
    }
    values.update(overrides)
    return RunnerConfig(**values)


def copy_fetch(videos: dict[str, Path] | None = None, default: Path | None = None) -> FetchVideo:
    """A fetch that copies the job's video (by its file id, else `default`) into the job's folder."""

    async def fetch(video: VideoRef, dest_dir: Path) -> Path:
        source = (videos or {}).get(video.file_id, default)
        assert source is not None
        target = dest_dir / f"input{source.suffix}"
        await asyncio.to_thread(shutil.copyfile, source, target)
        return target

    return fetch


def work_of(generator: Generator) -> JobWork:
    """The real work: the whole render pipeline on the tiny model."""
    return render_work(generator, MediaConfig())


async def make_job(
    db: Database,
    user: int,
    prompt: str = "jazz",
    *,
    steps: int = 2,
    parts: int = 2,
    part: int = 1,
    video: str | None = None,
    **options: Any,
) -> Job:
    """A queued job of `user` (chat 1000 + user) on the video whose file id is `video` (default video-of-<user>)."""
    request = JobRequest(
        user_id=user,
        chat_id=1000 + user,
        video=VideoRef(video or f"video-of-{user}"),
        prompt=prompt,
        parts=parts,
        part=part,
        options=UserOptions(**{"steps": steps, "seed": 7, "previews": 1, **options}),
    )
    return (await create_job(db, request, QueueLimits(2, 50))).job


@dataclass
class EventLog:
    """Every event of one subscription, read as they come, with a way to wait for one."""

    subscription: Subscription
    events: list[AnyEvent] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _task: asyncio.Task[None] | None = None

    def start(self) -> EventLog:
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for event in self.subscription:
            self.events.append(event)
            async with self._changed:
                self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[AnyEvent], bool]) -> AnyEvent:
        async with asyncio.timeout(WAIT_S), self._changed:
            while True:
                found = next((event for event in self.events if predicate(event)), None)
                if found is not None:
                    return found
                await self._changed.wait()

    async def wait_state(self, job_id: int, state: JobState) -> StateChanged:
        event = await self.wait_for(lambda e: isinstance(e, StateChanged) and e.job_id == job_id and e.state == state)
        assert isinstance(event, StateChanged)
        return event

    def states(self) -> list[tuple[int, JobState]]:
        return [(e.job_id, e.state) for e in self.events if isinstance(e, StateChanged)]

    def stages(self, job_id: int) -> list[str]:
        return [e.stage for e in self.events if isinstance(e, StageStarted) and e.job_id == job_id]

    def close(self) -> None:
        self.subscription.close()
        if self._task is not None:
            self._task.cancel()


def new_runner(made: list[JobRunner], db: Database, fetch: FetchVideo, work: JobWork, cfg: RunnerConfig) -> JobRunner:
    runner = JobRunner(db, fetch, work, cfg)
    made.append(runner)
    return runner


def leftovers(tmp_path: Path, job_id: int | None = None) -> list[Path]:
    """Job folders left in TEMPORARY_DIRECTORY (of one job, or of any)."""
    root = tmp_path / "jobs"
    pattern = "*" if job_id is None else f"job-{job_id}-*"
    return sorted(root.glob(pattern)) if root.is_dir() else []


def files_exist(paths: list[str]) -> bool:
    return bool(paths) and all(Path(path).is_file() for path in paths)
