"""The runner's order, positions, per-user rule, and the GPU lane shared one job at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.generator import Generator
from jobs.events import PositionChanged
from jobs.local_runner import JobRunner
from jobs.queue_order import Waiting, next_to_start
from jobs.work import JobWork
from storage import Database
from storage.jobs_repo import get_job
from storage.models import JobState
from tests.gpu_lane import GpuLaneWatch
from tests.runner.runner_helpers import EventLog, config, copy_fetch, files_exist, leftovers, make_job, new_runner

pytestmark = pytest.mark.slow


async def test_ten_jobs_from_five_users_run_first_come_first_served(
    db: Database, tmp_path: Path, media: Path, work: JobWork, generator: Generator, runners: list[JobRunner]
) -> None:
    jobs = [await make_job(db, user=1 + n % 5, prompt=f"song {n}") for n in range(10)]
    users = {job.id: job.user_id for job in jobs}
    # User 1 sends the 7 s video (with sound), the others the 2 s one (without): jobs of unequal length.
    fetch = copy_fetch({"video-of-1": media / "h264-aac-320x240-7s.mp4"}, default=media / "h264-no-audio-2s.mp4")
    runner = new_runner(runners, db, fetch, work, config(tmp_path, concurrent_jobs=3))
    log = EventLog(runner.subscribe()).start()
    watch = GpuLaneWatch(generator)

    # Queued before the runner starts: each job's position is the number submitted before it.
    for job in jobs:
        await runner.submit(job.id)
    assert [await runner.position(job.id) for job in jobs] == list(range(10))

    await runner.start()
    for job in jobs:
        await log.wait_state(job.id, JobState.DONE)
    await runner.wait_idle()  # each job's folder is removed just after its DONE event
    watch.detach()
    log.close()

    # Replay the events: every start took the oldest waiting job whose user had nothing running.
    waiting = [Waiting(job.id, job.user_id) for job in jobs]
    running: set[int] = set()
    started: list[int] = []
    most_at_once = 0
    for job_id, state in log.states():
        if state == JobState.RUNNING:
            expected = next_to_start(waiting, {users[j] for j in running})
            assert expected is not None and expected.job_id == job_id
            waiting = [w for w in waiting if w.job_id != job_id]
            running.add(job_id)
            started.append(job_id)
            most_at_once = max(most_at_once, len(running))
        elif state == JobState.DONE:
            running.discard(job_id)
    assert sorted(started) == [job.id for job in jobs]
    assert most_at_once > 1  # CPU stages of several jobs overlapped...
    assert watch.max_concurrent == 1  # ...but the GPU lane never ran two jobs at once
    assert len(watch.intervals) == 10

    # Positions only ever counted down while the jobs waited; none is left once they started.
    for job in jobs:
        seen = [e.position for e in log.events if isinstance(e, PositionChanged) and e.job_id == job.id]
        assert seen == sorted(seen, reverse=True) and seen[0] == jobs.index(job)
        assert await runner.position(job.id) is None
    for job in jobs:
        stored = await get_job(db, job.id)
        assert stored is not None and stored.state == JobState.DONE and stored.attempts == 1
        assert files_exist([f.path for f in stored.files])
        assert {"fetch", "probe", "generate", "keep"} <= set(log.stages(job.id))
    assert leftovers(tmp_path) == []


async def test_a_users_second_job_waits_without_holding_up_others(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner]
) -> None:
    runner = new_runner(
        runners, db, copy_fetch(default=media / "h264-no-audio-2s.mp4"), work, config(tmp_path, concurrent_jobs=2)
    )
    log = EventLog(runner.subscribe()).start()
    first = await make_job(db, user=1, prompt="first")
    second = await make_job(db, user=1, prompt="second")
    other = await make_job(db, user=2, prompt="other")
    for job in (first, second, other):
        await runner.submit(job.id)
    # The other user's job, though sent last, starts before the first user's second job.
    assert [await runner.position(j.id) for j in (first, other, second)] == [0, 1, 2]

    await runner.start()
    for job in (first, second, other):
        await log.wait_state(job.id, JobState.DONE)
    log.close()
    order = log.states()
    assert order.index((other.id, JobState.RUNNING)) < order.index((first.id, JobState.DONE))
    assert order.index((second.id, JobState.RUNNING)) > order.index((first.id, JobState.DONE))


async def test_a_double_submission_runs_one_job(
    db: Database, tmp_path: Path, media: Path, work: JobWork, runners: list[JobRunner]
) -> None:
    runner = new_runner(runners, db, copy_fetch(default=media / "h264-no-audio-2s.mp4"), work, config(tmp_path))
    log = EventLog(runner.subscribe()).start()
    job = await make_job(db, user=1)
    again = await make_job(db, user=1)  # the same request: the same job
    assert again.id == job.id
    assert await runner.submit(job.id) == 0  # first in the queue...
    assert await runner.submit(job.id) == 0  # ...and a second submission finds it there
    assert runner.queued_ids() == [job.id]
    await runner.start()  # takes up the queue from the database too: the job is not added twice
    assert await runner.submit(job.id) is None  # running now: not waiting
    await log.wait_state(job.id, JobState.DONE)
    await runner.wait_idle()
    log.close()
    assert log.states().count((job.id, JobState.RUNNING)) == 1
    assert log.states().count((job.id, JobState.QUEUED)) == 1
    stored = await get_job(db, job.id)
    assert stored is not None and stored.attempts == 1
