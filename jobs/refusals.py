"""Why a job ended failed, by code (see `engine.errors.Refusal`), besides the engine's own refusals."""

from __future__ import annotations

from engine.errors import Refusal

INTERRUPTED_TWICE = Refusal(
    "job_interrupted_twice",
    "This job was interrupted twice while it ran, so it was stopped; please ask for it again.",
)
NO_DISK = Refusal(
    "job_no_disk", "The server is short of disk space right now, so this job could not start; please try again later."
)
INTERNAL = Refusal("job_internal", "Something went wrong on our side while making this job; please try again.")
TIME_LIMIT_MINUTES = Refusal(
    "job_time_limit_minutes",
    "This job took longer than the {minutes:g} minute limit and was stopped; try fewer steps or a shorter part.",
)
TIME_LIMIT_SECONDS = Refusal(
    "job_time_limit_seconds",
    "This job took longer than the {seconds:g} second limit and was stopped; try fewer steps or a shorter part.",
)
RESULTS_NOT_SAVED = Refusal("job_results_not_saved", "The results could not be saved on the server; please try again.")
# Our side failed: the user gets a sentence, never ffmpeg's words or a server path (the operator's log has them).
ENGINE_FAILURE = Refusal(
    "job_engine_failure", "Making this job failed on our side; it is in the operator's log. Please try again."
)
DISK_FULL = Refusal(
    "job_disk_full", "The server ran short of disk space while making this job; please try again later."
)
STORAGE_READ_ONLY = Refusal(
    "job_storage_read_only",
    "The server's storage stopped taking writes while this job ran, so it was stopped; please try again later.",
)
OUT_OF_GPU_MEMORY = Refusal(
    "job_out_of_gpu_memory", "The GPU ran out of memory making this music; try a shorter part or try again later."
)
