"""A database that cannot be written is told apart from every other failure, in one sentence, and noticed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage import open_database
from storage.database import Database, DatabaseUnwritable, require_writable
from storage.options_repo import ensure_user, get_options


async def test_a_read_only_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "riffcut.db"
    db = await open_database(f"sqlite+aiosqlite:///{path}")
    await ensure_user(db, 7, telegram_language="en")
    assert await db.check_writable() and db.health.writable
    await db.close()

    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"  # as a file system remounted read-only gives it
    with pytest.raises(DatabaseUnwritable) as refused:
        await require_writable(read_only)
    assert refused.value.message == (
        f"The database (file:{path}) cannot be written (attempt to write a readonly database); make it writable, "
        "then start again."
    )
    db = Database.open(read_only)
    try:
        assert (await get_options(db, 7)).steps  # reading still works
        with pytest.raises(DatabaseUnwritable):
            await ensure_user(db, 8, telegram_language="en")
        assert not db.health.writable and "readonly" in (db.health.problem or "")
        assert not await db.check_writable()
    finally:
        await db.close()


async def test_a_new_database_in_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(DatabaseUnwritable) as refused:
        await require_writable(f"sqlite+aiosqlite:///{blocker}/data/riffcut.db")
    assert "cannot be written" in refused.value.message and "\n" not in refused.value.message


async def test_other_errors_are_not_taken_for_a_read_only_database(db: Database) -> None:
    with pytest.raises(Exception) as failed:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO no_such_table VALUES (1)"))
    assert not isinstance(failed.value, DatabaseUnwritable) and db.health.writable
