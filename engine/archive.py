"""The zip of a job: every part once, the chosen one with its new sound, and `job.json`.

Names are flat and sort in order, padded to the width of N: `part-02-of-04.webm`, the chosen part
`part-02-of-04-new-music.mp4`; each keeps its own container. Stored without recompression (video does not
compress further), never under an absolute path. `write_zip` blocks (it copies megabytes): async code calls
`write_zip_async`, which runs it in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import zipfile
from pathlib import Path
from typing import Any

from engine.split import part_name

JOB_FILE = "job.json"


def zip_names(parts: list[Path], chosen_index: int, new_part: Path) -> list[tuple[Path, str]]:
    """(file, name in the zip) for every part, the chosen one replaced by its new version."""
    count = len(parts)
    if not 1 <= chosen_index <= count:
        raise ValueError(f"chosen part {chosen_index} is not in 1..{count}")
    entries = []
    for index, part in enumerate(parts, start=1):
        if index == chosen_index:
            entries.append((new_part, part_name(index, count, new_part.suffix.lower(), "new-music")))
        else:
            entries.append((part, part_name(index, count, part.suffix.lower())))
    return entries


def write_zip(out: str | Path, parts: list[Path], chosen_index: int, new_part: Path, job_info: dict[str, Any]) -> Path:
    """Write the zip to `out` (through a temporary name, so a reader never sees half a zip)."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            for path, name in zip_names(parts, chosen_index, new_part):
                archive.write(path, arcname=name)
            info = json.dumps(job_info, indent=2, ensure_ascii=False, default=str, sort_keys=True)
            archive.writestr(JOB_FILE, info + "\n")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


async def write_zip_async(
    out: str | Path, parts: list[Path], chosen_index: int, new_part: Path, job_info: dict[str, Any]
) -> Path:
    """`write_zip` in a worker thread, for async callers."""
    return await asyncio.to_thread(write_zip, out, parts, chosen_index, new_part, job_info)
