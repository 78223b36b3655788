"""What a job's user reads when the job fails on our side: a sentence by code, never the failure's own words.

`failure_reason(error)` turns any exception a job raised into its `FailureReason`: the user's refusal as it is
(`BadInput`), a full disk (`engine.errors.disk_full`: ENOSPC anywhere, or ffmpeg saying so) as "the server ran
short of disk space", the GPU running out of memory as such, and everything else (ffmpeg's errors, whose words
carry server paths, and bugs) as one apology. The operator's log keeps the detail: the runner logs the error
itself before the job ends.
"""

from __future__ import annotations

from engine.errors import BadInput, OutOfGpuMemory, disk_full
from jobs import refusals
from jobs.events import FailureReason


def failure_reason(error: BaseException) -> FailureReason:
    if isinstance(error, BadInput):
        return FailureReason.of_error(error)
    if disk_full(error):
        return FailureReason.of(refusals.DISK_FULL)
    if isinstance(error, OutOfGpuMemory):
        return FailureReason.of(refusals.OUT_OF_GPU_MEMORY)
    return FailureReason.of(refusals.ENGINE_FAILURE)
