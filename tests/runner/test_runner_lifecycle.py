"""Cancelling, failing, time limits, disk space, restarts: each ends one job clearly and the runner goes on."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from engine.workspace import JobWorkspace
from jobs import refusals
from jobs.events import ReadyToDeliver, StepDone
from jobs.local_runner import JobRunner, time_limit
from jobs.work import JobWork
from storage import Database
from storage.forget import forget_user
from storage.jobs_repo import NewJobFile, finish_done, get_job, mark_delivered, mark_running, requeue
from storage.models import JobState, utcnow
from storage.results import results_dir
from storage.video_ref import VideoRef
from tests.runner.runner_helpers import (
    WAIT_S,
    EventLog,
    config,
    copy_fetch,
    files_exist,
    leftovers,
    make_job,
    new_runner,
)

pytestmark = pytest.mark.slow


def results_left(tmp_path: Path) -> list[Path]:
    root = tmp_path / "data" / "results"
    return sorted(root.iterdir()) if root.is_dir() else []


async def test_cancelled_waiting_and_running_jobs_end_cancelled_with_no_files_left(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner]
) -> None:
    runner = new_runner(
        runners, db, copy_fetch(default=media / "h264-aac-320x240-7s.mp4"), work, config(tmp_path, concurrent_jobs=1)
    )
    log = EventLog(runner.subscribe()).start()
    long = await make_job(db, user=1, prompt="long", steps=12)
    waiting = await make_job(db, user=2, prompt="waiting")
    after = await make_job(db, user=3, prompt="after")
    await runner.start()
    for job in (long, waiting, after):
        await runner.submit(job.id)
    assert [await runner.position(waiting.id), await runner.position(after.id)] == [0, 1]

    assert await runner.cancel(waiting.id)  # a waiting job leaves the queue at once
    assert (await get_job(db, waiting.id)).state == JobState.CANCELLED  # type: ignore[union-attr]
    assert await runner.position(after.id) == 0

    await log.wait_for(lambda e: isinstance(e, StepDone) and e.job_id == long.id)  # diffusing now
    assert await runner.cancel(long.id)
    assert long.id in runner.running_ids()  # asked, not waited for: the job stops at its next step
    await log.wait_state(long.id, JobState.CANCELLED)
    stored = await get_job(db, long.id)
    assert stored is not None and stored.state == JobState.CANCELLED and not stored.files

    await log.wait_state(after.id, JobState.DONE)  # the next job starts and finishes
    await runner.wait_idle()
    log.close()
    assert leftovers(tmp_path) == []
    assert (waiting.id, JobState.RUNNING) not in log.states()
    assert results_left(tmp_path) == [results_dir(tmp_path / "data", after.id)]
    assert not await runner.cancel(after.id)  # already done: nothing to cancel


async def test_a_job_that_fails_leaves_the_runner_working(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner]
) -> None:
    corrupt = await make_job(db, user=1, prompt="corrupt")
    broken = await make_job(db, user=2, prompt="fetch raises")
    good = await make_job(db, user=3, prompt="good")
    fetch_good = copy_fetch(
        {"video-of-1": media / "truncated-corrupt.mkv", "video-of-3": media / "h264-no-audio-2s.mp4"}
    )

    async def fetch(video: VideoRef, dest_dir: Path) -> Path:
        if video.file_id == "video-of-2":
            raise RuntimeError("the network went away")
        return await fetch_good(video, dest_dir)

    runner = new_runner(runners, db, fetch, work, config(tmp_path, concurrent_jobs=1))
    log = EventLog(runner.subscribe()).start()
    await runner.start()
    for job in (corrupt, broken, good):
        await runner.submit(job.id)
    failed_corrupt = await log.wait_state(corrupt.id, JobState.FAILED)
    failed_broken = await log.wait_state(broken.id, JobState.FAILED)
    await log.wait_state(good.id, JobState.DONE)
    await runner.wait_idle()
    log.close()

    assert failed_broken.reason is not None and failed_broken.reason.code == refusals.INTERNAL.code
    assert failed_corrupt.reason is not None and failed_corrupt.reason.code == "video_truncated"  # the probe's own
    values = failed_corrupt.reason.values
    assert values["name"] == "input.mkv" and isinstance(values["stated"], float) and values["stated"] > 1000
    stored = await get_job(db, corrupt.id)
    assert stored is not None and stored.error == failed_corrupt.reason.message
    assert "cut off" in stored.error and "Traceback" not in stored.error
    assert leftovers(tmp_path) == []
    assert results_left(tmp_path) == [results_dir(tmp_path / "data", good.id)]


async def test_the_time_limit_and_a_full_disk_end_the_job_with_a_reason(
    db: Database, tmp_path: Path, work: JobWork, runners: list[JobRunner]
) -> None:
    async def slow_fetch(video: VideoRef, dest_dir: Path) -> Path:
        (dest_dir / "partial.mp4").write_bytes(b"x" * 1000)
        await asyncio.sleep(60)
        raise AssertionError("the time limit did not stop the job")

    runner = new_runner(runners, db, slow_fetch, work, config(tmp_path, job_time_limit_seconds=0.5))
    log = EventLog(runner.subscribe()).start()
    slow = await make_job(db, user=1)
    await runner.start()
    await runner.submit(slow.id)
    event = await log.wait_state(slow.id, JobState.FAILED)
    assert event.reason == time_limit(0.5) and "0.5 second limit" in event.reason.message
    assert time_limit(1800).message.startswith("This job took longer than the 30 minute limit")
    await runner.wait_idle()
    assert leftovers(tmp_path) == []

    full = new_runner(runners, db, slow_fetch, work, config(tmp_path, min_free_disk_mb=10**12))
    full_log = EventLog(full.subscribe()).start()
    await full.start()
    job = await make_job(db, user=2)
    await full.submit(job.id)
    reason = (await full_log.wait_state(job.id, JobState.FAILED)).reason
    assert reason is not None and reason.code == refusals.NO_DISK.code
    log.close()
    full_log.close()


async def test_a_restart_finishes_queued_and_running_jobs_and_offers_undelivered_results(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner]
) -> None:
    # What a process that died left in the database.
    queued = await make_job(db, user=1, prompt="was queued")
    running = await make_job(db, user=2, prompt="was running")
    await mark_running(db, running.id)
    twice = await make_job(db, user=3, prompt="interrupted twice")
    await mark_running(db, twice.id)
    await requeue(db, twice.id)
    await mark_running(db, twice.id)
    delivered_later = await make_job(db, user=4, prompt="finished, not delivered")
    await mark_running(db, delivered_later.id)
    folder = results_dir(tmp_path / "data", delivered_later.id)
    folder.mkdir(parents=True)
    (folder / "result.zip").write_bytes(b"PK")
    await finish_done(
        db,
        delivered_later.id,
        result_dir=str(folder),
        files=[NewJobFile("zip", str(folder / "result.zip"), size_bytes=2)],
    )
    long_delivered = await make_job(db, user=5, prompt="delivered two days ago")
    await mark_running(db, long_delivered.id)
    old_folder = results_dir(tmp_path / "data", long_delivered.id)
    old_folder.mkdir(parents=True)
    await finish_done(db, long_delivered.id, result_dir=str(old_folder), files=[])
    await mark_delivered(db, long_delivered.id, when=utcnow() - timedelta(hours=48))
    stale = tmp_path / "jobs" / "job-2-left-by-the-dead-process"
    stale.mkdir(parents=True)
    os.utime(stale, (0, 0))

    runner = new_runner(runners, db, copy_fetch(default=media / "h264-no-audio-2s.mp4"), work, config(tmp_path))
    log = EventLog(runner.subscribe()).start()
    assert await runner.start() == [delivered_later.id]
    assert not stale.exists() and not old_folder.exists()  # what the dead process left is cleaned up
    assert (await get_job(db, long_delivered.id)).results_removed_at is not None  # type: ignore[union-attr]
    offered = await log.wait_for(lambda e: isinstance(e, ReadyToDeliver))
    assert offered.job_id == delivered_later.id and offered.chat_id == 1004
    failed = await log.wait_state(twice.id, JobState.FAILED)
    assert failed.reason is not None and failed.reason.code == refusals.INTERRUPTED_TWICE.code
    await log.wait_state(queued.id, JobState.DONE)
    await log.wait_state(running.id, JobState.DONE)
    log.close()
    retried = await get_job(db, running.id)
    assert retried is not None and retried.attempts == 2 and files_exist([f.path for f in retried.files])
    assert (await get_job(db, twice.id)).error == refusals.INTERRUPTED_TWICE.english  # type: ignore[union-attr]


async def test_a_graceful_stop_queues_the_running_job_for_the_next_start(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner]
) -> None:
    fetch = copy_fetch(default=media / "h264-no-audio-2s.mp4")
    first = new_runner(runners, db, fetch, work, config(tmp_path))
    log = EventLog(first.subscribe()).start()
    job = await make_job(db, user=1, steps=12)
    await first.start()
    await first.submit(job.id)
    await log.wait_for(lambda e: isinstance(e, StepDone) and e.job_id == job.id)
    await first.stop()
    stopped = await get_job(db, job.id)
    assert stopped is not None and (stopped.state, stopped.attempts) == (JobState.QUEUED, 0)
    assert leftovers(tmp_path) == []

    second = new_runner(runners, db, fetch, work, config(tmp_path))
    log2 = EventLog(second.subscribe()).start()
    await second.start()
    await log2.wait_state(job.id, JobState.DONE)
    log.close()
    log2.close()
    assert (await get_job(db, job.id)).attempts == 1  # type: ignore[union-attr]


async def test_a_user_forgotten_while_their_job_runs_leaves_no_results(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner]
) -> None:
    runner = new_runner(runners, db, copy_fetch(default=media / "h264-no-audio-2s.mp4"), work, config(tmp_path))
    log = EventLog(runner.subscribe()).start()
    job = await make_job(db, user=1, steps=4)
    await runner.start()
    await runner.submit(job.id)
    await log.wait_for(lambda e: isinstance(e, StepDone) and e.job_id == job.id)
    await forget_user(db, 1)
    await runner.wait_idle()
    log.close()
    assert await get_job(db, job.id) is None
    assert leftovers(tmp_path) == [] and results_left(tmp_path) == []


async def test_a_cancel_while_the_jobs_folder_is_made_stops_it_before_any_work(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The root of the Cancel button that hung on a loaded machine: a cancel that came after the job was marked
    running but before its work had started (its folder is made in a worker thread, which can be slow to come)
    was only noticed once the whole job had run, and the button waited for all of it."""
    made = threading.Event()
    release = threading.Event()
    create = JobWorkspace.create

    def slow_create(root: str | Path, job_id: str | int | None = None) -> JobWorkspace:
        made.set()
        release.wait(WAIT_S)
        return create(root, job_id)

    monkeypatch.setattr(JobWorkspace, "create", staticmethod(slow_create))
    fetched: list[str] = []
    fetch_video = copy_fetch(default=media / "h264-no-audio-2s.mp4")

    async def fetch(video: VideoRef, dest_dir: Path) -> Path:
        fetched.append(video.file_id)
        return await fetch_video(video, dest_dir)

    runner = new_runner(runners, db, fetch, work, config(tmp_path))
    log = EventLog(runner.subscribe()).start()
    job = await make_job(db, user=1, steps=100)
    await runner.start()
    await runner.submit(job.id)
    await asyncio.to_thread(made.wait, WAIT_S)  # marked running, its folder on its way
    assert await runner.cancel(job.id)
    release.set()
    await log.wait_state(job.id, JobState.CANCELLED)
    await runner.wait_idle()
    log.close()
    assert fetched == [] and log.stages(job.id) == []  # nothing of the job ran
    assert (await get_job(db, job.id)).state == JobState.CANCELLED  # type: ignore[union-attr]
    assert leftovers(tmp_path) == []
