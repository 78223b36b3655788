"""Takes not picked in time are dropped in one step (cancelled, files marked removed, then removed), and only while
the job still waits for a pick: a take picked meanwhile keeps its files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import Database
from storage.jobs_repo import choose_take, get_job
from storage.models import JobState
from storage.retention import drop_unchosen_takes
from tests.storage.test_storage_takes import choosing_job


async def test_unpicked_takes_are_dropped_in_one_step(db: Database, tmp_path: Path) -> None:
    job_id = await choosing_job(db, tmp_path / "results")
    assert await drop_unchosen_takes(db, job_id)
    job = await get_job(db, job_id)
    assert job is not None and job.state is JobState.CANCELLED and job.results_removed_at is not None
    assert not await asyncio.to_thread((tmp_path / "results").exists)
    assert not await drop_unchosen_takes(db, job_id)  # once


async def test_a_take_picked_before_the_drop_keeps_its_files(db: Database, tmp_path: Path) -> None:
    job_id = await choosing_job(db, tmp_path / "results")
    assert await choose_take(db, job_id, 1) is not None  # picked between retention's look and its drop
    assert not await drop_unchosen_takes(db, job_id)
    job = await get_job(db, job_id)
    assert job is not None and job.state is JobState.QUEUED and job.results_removed_at is None
    assert await asyncio.to_thread((tmp_path / "results" / "take-1.mp4").exists)
