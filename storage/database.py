"""The database connection: one async engine and session factory per process.

`Database.open(url)` works for SQLite (aiosqlite) and PostgreSQL (asyncpg) URLs alike. SQLite gets the settings
a busy bot needs: write-ahead logging (readers never wait for the writer), foreign keys enforced, a busy timeout
(a second writer waits instead of failing), and transactions that take the write lock when they begin
(`BEGIN IMMEDIATE`) so that two read-then-write transactions cannot deadlock or lose an update. This follows
SQLAlchemy's recipe for the sqlite3/aiosqlite drivers: the driver's own BEGIN is switched off on connect and
SQLAlchemy's `begin` event emits ours. PostgreSQL gets none of this (its row locks, `FOR UPDATE`, do the job);
where a count must not race, as the queue limits in `jobs_repo.create_job`, a transaction-level advisory lock
stands in for SQLite's database-wide write lock.

PostgreSQL was checked with Debian's postgresql 15 and asyncpg 0.32: every test in tests/storage and tests/runner
passes there as on SQLite, each test in a database of its own made and dropped by tests/scratch_database.py, and
the migrations were compared with the models' own `create_all` schema (the same, partial unique index included).
Rerun with RIFFCUT_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/riffcut_test scripts/test
tests/storage tests/runner (asyncpg is the `postgres` extra; the URL's user must be allowed to create databases).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver (it would BEGIN lazily, and DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`; SQLite files get their folder created and the settings above."""
    if is_sqlite(url):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


@dataclass(frozen=True)
class Database:
    """The engine and a session factory; every query module takes one of these."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def open(cls, url: str, **engine_kwargs: Any) -> Database:
        engine = create_engine(url, **engine_kwargs)
        return cls(url, engine, async_sessionmaker(engine, expire_on_commit=False))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any exception."""
        async with self.sessions.begin() as session:
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
