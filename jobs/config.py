"""The job runner's settings, handed down by the composition root (riffcut.wiring builds them from Settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storage.jobs_repo import QueueLimits


@dataclass(frozen=True)
class RunnerConfig:
    temporary_directory: Path  # each job's working folder goes under it (TEMPORARY_DIRECTORY)
    data_dir: Path  # results wait for delivery in DATA_DIR/results/<job id>
    concurrent_jobs: int = 3  # jobs whose CPU stages may run at once (CONCURRENT_JOBS)
    job_time_limit_seconds: float = 1800.0
    min_free_disk_mb: int = 500
    result_retention_hours: float = 24.0
    limits: QueueLimits = field(default_factory=QueueLimits)  # MAX_JOBS_PER_USER, MAX_QUEUE
    max_attempts: int = 2  # a job interrupted this many times while running ends failed
    retention_check_seconds: float = 900.0
    database_check_seconds: float = 10.0  # how often the runner looks whether the database can be written
