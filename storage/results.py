"""Where a job's results wait for delivery: DATA_DIR/results/<job id>/, outside the job's temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path


def results_dir(data_dir: Path, job_id: int) -> Path:
    return Path(data_dir) / "results" / str(job_id)


def remove_tree(path: str | Path | None) -> bool:
    """Remove a results folder if it is there; True when something was removed."""
    if not path:
        return False
    target = Path(path)
    if not target.exists():
        return False
    shutil.rmtree(target, ignore_errors=True)
    return not target.exists()
