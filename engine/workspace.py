"""A job's own folder under TEMPORARY_DIRECTORY.

Created with a fresh, unguessable name and owner-only permissions, so two jobs (or two processes) never share
one. Removing it is offered, not done: results may have to outlive the job until they are delivered, so the
caller decides when.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path


class JobWorkspace:
    """`JobWorkspace.create(root, "42")` -> a new folder `root/job-42-XXXXXXXX/`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, root: str | Path, job_id: str | int | None = None) -> JobWorkspace:
        base = Path(root).expanduser().resolve()
        base.mkdir(parents=True, exist_ok=True)
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", str(job_id))[:40] if job_id is not None else ""
        prefix = f"job-{label}-" if label else "job-"
        return cls(Path(tempfile.mkdtemp(prefix=prefix, dir=base)))  # mode 0o700, name never reused

    def file(self, name: str) -> Path:
        """A path for `name` inside the workspace (a plain name: no folders, no way out)."""
        if not name or Path(name).name != name or name in (".", ".."):
            raise ValueError(f"not a plain file name: {name!r}")
        return self.path / name

    def folder(self, name: str) -> Path:
        """A sub-folder, created if needed."""
        path = self.file(name)
        path.mkdir(exist_ok=True)
        return path

    @property
    def exists(self) -> bool:
        return self.path.is_dir()

    def remove(self) -> None:
        """Delete the folder and everything in it; nothing happens if it is already gone."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __repr__(self) -> str:
        return f"JobWorkspace({str(self.path)!r})"
