"""`JobLedger`: how a runner records the jobs it runs in the database, and where their results wait for delivery.

The in-process runner may change any job (`worker_id` None; results in DATA_DIR/results/<job id>). A worker on
another host (RUNNER=celery) changes only the jobs it holds: every change names its `worker_id`, so once another
worker has taken a job over (this one was thought lost), this one's late writes change nothing. Its results go
to SHARED_DIR/results/<job id>, where any worker can read them to finish a delivery or a job run again (the first
results an attempt kept, the takes a member picks from).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.stages import Stage
from storage import jobs_repo
from storage.database import Database
from storage.jobs_repo import NewJobFile
from storage.models import Job, JobState
from storage.results import results_dir


@dataclass(frozen=True)
class JobLedger:
    db: Database
    results_root: Path  # DATA_DIR, or SHARED_DIR for workers on several hosts
    worker_id: int | None = None

    def results_folder(self, job_id: int) -> Path:
        return results_dir(self.results_root, job_id)

    async def take(self, job_id: int) -> Job | None:
        """queued -> running (attempt counted); None when it is no longer queued."""
        return await jobs_repo.mark_running(self.db, job_id)

    async def progress(self, job_id: int, stage: Stage | None, fraction: float) -> bool:
        return await jobs_repo.set_progress(self.db, job_id, stage, fraction, worker_id=self.worker_id)

    async def done(
        self,
        job_id: int,
        *,
        result_dir: Path,
        files: Iterable[NewJobFile],
        stage_seconds: Mapping[Stage, float],
        seed: int | None,
        state: JobState = JobState.DONE,
    ) -> bool:
        return await jobs_repo.finish_done(
            self.db,
            job_id,
            result_dir=str(result_dir),
            files=files,
            stage_seconds=stage_seconds,
            seed=seed,
            state=state,
            worker_id=self.worker_id,
        )

    async def keep_early(self, job_id: int, *, result_dir: Path, files: Iterable[NewJobFile], seed: int | None) -> bool:
        """Record the first results while the job runs."""
        return await jobs_repo.keep_early_files(
            self.db, job_id, result_dir=str(result_dir), files=files, seed=seed, worker_id=self.worker_id
        )

    async def failed(self, job_id: int, message: str, stage_seconds: Mapping[Stage, float] | None = None) -> bool:
        return await jobs_repo.finish_failed(self.db, job_id, message, stage_seconds, worker_id=self.worker_id)

    async def cancelled(self, job_id: int, stage_seconds: Mapping[Stage, float] | None = None) -> bool:
        return await jobs_repo.finish_cancelled(self.db, job_id, stage_seconds, worker_id=self.worker_id)

    async def requeue(self, job_id: int, *, forgive_attempt: bool = False) -> bool:
        return await jobs_repo.requeue(self.db, job_id, forgive_attempt=forgive_attempt, worker_id=self.worker_id)
