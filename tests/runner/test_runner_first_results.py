"""The runner keeps a job's first results (the chosen part with its new music, and the music) while the job goes
on, announces them, and keeps them once: a job run again after an interruption does not make them twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.stages import Stage
from jobs.events import FirstResultsReady, ReadyToDeliver, StageEnded, StageStarted
from jobs.local_runner import JobRunner
from jobs.work import JobWork
from storage import Database
from storage.jobs_repo import get_job
from storage.models import JobStageTime, JobState
from tests.runner.runner_helpers import EventLog, config, copy_fetch, files_exist, make_job, new_runner

pytestmark = pytest.mark.slow  # whole jobs on the tiny model


async def test_first_results_are_kept_and_announced_while_the_job_runs(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner], held_zip: asyncio.Event
) -> None:
    runner = new_runner(runners, db, copy_fetch(default=media / "h264-aac-320x240-7s.mp4"), work, config(tmp_path))
    log = EventLog(runner.subscribe()).start()
    await runner.start()
    job = await make_job(db, 1, exact=True)  # the exact split: long enough for the music to start beside it
    await runner.submit(job.id)

    await log.wait_for(lambda e: isinstance(e, FirstResultsReady) and e.job_id == job.id)
    running = await get_job(db, job.id)
    assert running is not None and running.state == JobState.RUNNING
    assert sorted(f.kind for f in running.files) == ["music", "result"]
    assert files_exist([f.path for f in running.files])
    assert all(str(tmp_path / "data" / "results") in f.path for f in running.files)
    assert running.seed == 7

    held_zip.set()
    await log.wait_state(job.id, JobState.DONE)
    await log.wait_for(lambda e: isinstance(e, ReadyToDeliver) and e.job_id == job.id)
    done = await get_job(db, job.id)
    assert done is not None
    assert sorted(f.kind for f in done.files) == ["music", "preview", "result", "zip"]
    assert files_exist([f.path for f in done.files])
    kinds = [type(e) for e in log.events if e.job_id == job.id]
    assert kinds.index(FirstResultsReady) < kinds.index(ReadyToDeliver)
    # The split and the music were under way at the same time, and the events said so.
    starts = [e for e in log.events if isinstance(e, StageStarted) and e.job_id == job.id]
    ends = [e for e in log.events if isinstance(e, StageEnded) and e.job_id == job.id]
    assert any({Stage.SPLIT, Stage.GENERATE} <= set(e.running) for e in starts)
    assert {e.stage for e in ends} >= {Stage.FETCH, Stage.PROBE, Stage.SPLIT, Stage.GENERATE, Stage.REMUX}
    assert not ends[-1].running or ends[-1].running == (Stage.KEEP,)
    async with db.sessions() as session:
        rows = (await session.execute(select(JobStageTime).where(JobStageTime.job_id == job.id))).scalars().all()
    seconds = {row.stage: row.seconds for row in rows}
    assert seconds[Stage.SPLIT] > 0 and seconds[Stage.GENERATE] > 0
    log.close()


async def test_a_job_run_again_keeps_its_first_results_once_with_their_seed(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner], held_zip: asyncio.Event
) -> None:
    fetch = copy_fetch(default=media / "h264-aac-320x240-7s.mp4")
    first = new_runner(runners, db, fetch, work, config(tmp_path))
    log = EventLog(first.subscribe()).start()
    await first.start()
    job = await make_job(db, 1, seed=None)  # a new random seed: the second run must take the first one's
    await first.submit(job.id)
    await log.wait_for(lambda e: isinstance(e, FirstResultsReady) and e.job_id == job.id)
    kept = await get_job(db, job.id)
    assert kept is not None and kept.seed is not None
    early = {f.kind: f.path for f in kept.files}
    await first.stop()  # the job is cut short before its zip and queued again
    log.close()

    held_zip.set()
    second = new_runner(runners, db, fetch, work, config(tmp_path))
    log = EventLog(second.subscribe()).start()
    await second.start()
    await log.wait_state(job.id, JobState.DONE)
    done = await get_job(db, job.id)
    assert done is not None and done.seed == kept.seed
    assert sorted(f.kind for f in done.files) == ["music", "preview", "result", "zip"]
    assert {f.kind: f.path for f in done.files if f.kind in early} == early
    assert files_exist([f.path for f in done.files])
    assert any(isinstance(e, FirstResultsReady) and e.job_id == job.id for e in log.events)  # offered again
    log.close()
