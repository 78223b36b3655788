"""The database a storage or runner test uses: a SQLite file in its temporary folder, or a fresh PostgreSQL one.

Unset, RIFFCUT_TEST_DATABASE_URL changes nothing: every test gets its own SQLite file. Set to a PostgreSQL URL
(postgresql+asyncpg://postgres@127.0.0.1:5432/riffcut_test), every test gets a database of its own on that
server, created empty before the test and dropped after it, so tests stay independent there too. The URL's
user must be allowed to create databases; the database it names need not exist (its name is the prefix).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

TEST_DATABASE_ENV = "RIFFCUT_TEST_DATABASE_URL"


def _server_url() -> URL | None:
    value = os.environ.get(TEST_DATABASE_ENV, "").strip()
    if not value:
        return None
    url = make_url(value)
    if url.get_backend_name() != "postgresql":
        raise RuntimeError(f"{TEST_DATABASE_ENV} must be a PostgreSQL URL (postgresql+asyncpg://...), not {value!r}")
    return url


async def _administer(server: URL, statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction; the maintenance database always exists.
    engine = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A URL to an empty database for one test; a PostgreSQL one is dropped when the test ends."""
    server = _server_url()
    if server is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'riffcut.db'}"
        return
    name = f"{server.database or 'riffcut_test'}_{uuid.uuid4().hex[:12]}"
    await _administer(server, f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await _administer(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
