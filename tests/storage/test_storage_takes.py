"""A job with several takes in the database: it waits in "choosing" holding nothing, a pick queues it again once,
and takes not picked within the retention time are dropped with the job's files."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from engine.options import UserOptions
from storage import Database
from storage.jobs_repo import (
    TAKE_KIND,
    JobRequest,
    NewJobFile,
    QueueLimits,
    choose_take,
    create_job,
    finish_done,
    get_job,
    mark_delivered,
    mark_running,
    undelivered_jobs,
)
from storage.models import JobState, utcnow
from storage.retention import remove_expired_results
from storage.video_ref import VideoRef


def write_clips(folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    clips = [folder / f"take-{number}.mp4" for number in (1, 2)]
    for clip in clips:
        clip.write_bytes(b"clip")
    return clips


async def choosing_job(db: Database, folder: Path) -> int:
    request = JobRequest(1, 1, VideoRef("file", "unique", "v.mp4", 10, 4.0, 32, 32, True), "jazz", 2, 1,
                         UserOptions(takes=2))  # fmt: skip
    job = (await create_job(db, request, QueueLimits())).job
    await mark_running(db, job.id)
    clips = write_clips(folder)
    takes = [
        NewJobFile(TAKE_KIND, str(clip), number, 4, {"seed": 7 + number, "music": str(clip)})
        for number, clip in enumerate(clips, start=1)
    ]
    assert await finish_done(db, job.id, result_dir=str(folder), files=takes, seed=7, state=JobState.CHOOSING)
    return job.id


async def test_a_pick_queues_the_job_again_once(db: Database, tmp_path: Path) -> None:
    job_id = await choosing_job(db, tmp_path / "results")
    assert [job.id for job in await undelivered_jobs(db)] == [job_id]  # its takes wait to be sent
    assert await mark_delivered(db, job_id)
    assert await choose_take(db, job_id, 3) is None  # there is no take 3
    picked = await choose_take(db, job_id, 2)
    assert picked is not None and picked.state == JobState.QUEUED and picked.chosen_take == 2
    assert picked.delivered_at is None  # the take's results are delivered next
    assert await choose_take(db, job_id, 1) is None  # a second pick changes nothing


async def test_takes_not_picked_in_time_are_dropped(db: Database, tmp_path: Path) -> None:
    job_id = await choosing_job(db, tmp_path / "results")
    assert await remove_expired_results(db, 24, now=utcnow() + timedelta(hours=23)) == []
    assert await remove_expired_results(db, 24, now=utcnow() + timedelta(hours=25)) == [job_id]
    job = await get_job(db, job_id)
    assert job is not None and job.state == JobState.CANCELLED and job.results_removed_at is not None
    assert not await asyncio.to_thread((tmp_path / "results").exists)
    assert await choose_take(db, job_id, 1) is None
