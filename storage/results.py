"""Where a job's results wait for delivery: DATA_DIR/results/<job id>/, outside the job's temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiofiles.os
import aiofiles.ospath

_rmtree = aiofiles.os.wrap(shutil.rmtree)  # in a worker thread, like every aiofiles call


def results_dir(data_dir: Path, job_id: int) -> Path:
    return Path(data_dir) / "results" / str(job_id)


async def remove_tree(path: str | Path | None) -> bool:
    """Remove a results folder if it is there; True when something was removed."""
    if not path:
        return False
    target = Path(path)
    if not await aiofiles.ospath.exists(target):
        return False
    await _rmtree(target, ignore_errors=True)
    return not await aiofiles.ospath.exists(target)
