"""A job's results, moved out of the job's folder (removed when the job ends) into its results folder
(DATA_DIR/results/<job id>/, kept until delivery and RESULT_RETENTION_HOURS after).

Each file goes to `folder/<kind>/<its name>`; a file named by several results is moved once. Moves are renames
where the two folders share a file system, else a copy in chunks; the event loop never waits on the disk
(aiofiles runs each call in a worker thread). Results kept while the job still runs (its first results) are
copied instead, as hard links where the file system allows, since the job may still need them; the folder is
then not emptied again when the rest is kept.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from pathlib import Path

import aiofiles
import aiofiles.os
import aiofiles.ospath

from jobs.work import OutputFile
from storage.jobs_repo import NewJobFile
from storage.results import remove_tree

CHUNK_BYTES = 1 << 20


async def keep_results(
    folder: Path, files: Sequence[OutputFile], *, fresh: bool = True, copy: bool = False
) -> list[NewJobFile]:
    """Move (`copy`: copy) `files` into `folder`, emptied first when `fresh`; what storage records of them."""
    if fresh:
        await remove_tree(folder)
    await aiofiles.os.makedirs(folder, exist_ok=True)
    moved: dict[Path, Path] = {}
    kept: list[NewJobFile] = []
    for item in files:
        target = await _move_into(folder / item.kind, Path(item.path), moved, copy)
        meta = {
            key: str(await _move_into(folder / item.kind, value, moved, copy)) if isinstance(value, Path) else value
            for key, value in item.meta.items()
        }
        size = (await aiofiles.os.stat(target)).st_size
        kept.append(NewJobFile(item.kind, str(target), item.part, size, meta))
    return kept


async def _move_into(folder: Path, source: Path, moved: dict[Path, Path], copy: bool) -> Path:
    key = Path(await aiofiles.ospath.abspath(source))
    if key in moved:
        return moved[key]
    await aiofiles.os.makedirs(folder, exist_ok=True)
    target = folder / source.name
    counter = 1
    while await aiofiles.ospath.exists(target):
        counter += 1
        target = folder / f"{source.stem}-{counter}{source.suffix}"
    await (copy_file(source, target) if copy else move(source, target))
    moved[key] = target
    return target


async def copy_file(source: Path, target: Path) -> None:
    """A hard link to `source` at `target`, or a copy in chunks where the file systems differ."""
    try:
        await aiofiles.os.link(source, target)
        return
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
    await copy_chunks(source, target)


async def move(source: Path, target: Path) -> None:
    """Rename `source` to `target`, or copy it across file systems and remove the original."""
    try:
        await aiofiles.os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    await copy_chunks(source, target)
    await aiofiles.os.remove(source)


async def copy_chunks(source: Path, target: Path) -> None:
    """Copy `source` to `target` in CHUNK_BYTES chunks, the disk work in aiofiles' worker threads."""
    async with aiofiles.open(source, "rb") as reader, aiofiles.open(target, "wb") as writer:
        while chunk := await reader.read(CHUNK_BYTES):
            await writer.write(chunk)
