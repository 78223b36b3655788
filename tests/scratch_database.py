"""The database a storage or runner test uses: a SQLite file in its temporary folder, and a fresh PostgreSQL one.

Those tests run once per backend in `BACKENDS`: SQLite always, PostgreSQL too where RIFFCUT_TEST_DATABASE_URL is
set (scripts/test starts a server and sets it: scripts/services). On PostgreSQL every test gets a database of its
own on that server (postgresql+asyncpg://postgres@127.0.0.1:5432/riffcut_test), created empty before the test and
dropped after it, so tests stay independent there too. The URL's user must be allowed to create databases; the
database it names is only the prefix of their names.
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


BACKENDS = ["sqlite", "postgresql"] if _server_url() else ["sqlite"]


async def _administer(server: URL, statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction; the maintenance database always exists.
    engine = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_database_url(tmp_path: Path, backend: str = "sqlite") -> AsyncIterator[str]:
    """A URL to an empty database of `backend` (one of BACKENDS) for one test; a PostgreSQL one is dropped after."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'riffcut.db'}"
        return
    server = _server_url()
    if server is None:
        raise RuntimeError(f"{TEST_DATABASE_ENV} is not set: no PostgreSQL server to test on")
    name = f"{server.database or 'riffcut_test'}_{uuid.uuid4().hex[:12]}"
    await _administer(server, f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await _administer(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
