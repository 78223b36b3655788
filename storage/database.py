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

A database that cannot be written (a read-only file or folder, a file system remounted read-only, a PostgreSQL
standby or read-only transaction, an I/O error) is told apart from other errors: `transaction()` raises
`DatabaseUnwritable` (one sentence, the driver's words as its cause) and notes it in `db.health`;
`check_writable()` looks for it before anyone writes (SQLite: the file's and folder's write access; any
database: a table made and rolled back) and notes when it can be written again. `watch_writable` calls it every
few seconds, in every process that writes (nothing else does: without it, unwritable would stay so).
`require_writable(url)` is the start-up check: one line instead of a migration's traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from engine.errors import EngineFailure

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How drivers say a write cannot happen: SQLite's result codes, PostgreSQL's read_only_sql_transaction (25006).
UNWRITABLE_SQLITE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR")
UNWRITABLE_WORDS = ("readonly database", "read-only", "unable to open database file", "disk i/o error")
UNWRITABLE_SQLSTATE = "25006"


class DatabaseUnwritable(EngineFailure):
    """The database cannot be written (read-only, or an I/O error): nothing can be saved until it can."""


def cannot_write(error: BaseException) -> str | None:
    """The driver's words when `error` says the database cannot be written; None for any other error."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    state = str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")
    text = str(orig)
    if (
        name.startswith(UNWRITABLE_SQLITE)
        or state == UNWRITABLE_SQLSTATE
        or any(words in text.lower() for words in UNWRITABLE_WORDS)
    ):
        return text.splitlines()[0] if text else name or state
    return None


@dataclass
class DatabaseHealth:
    """Whether the database can be written, as last found; `problem` says why not."""

    problem: str | None = None

    @property
    def writable(self) -> bool:
        return self.problem is None

    def unwritable(self, where: str, problem: str) -> None:
        if self.problem is None:
            log.error("the database (%s) cannot be written: %s; no new videos or jobs are taken until it can", where,
                      problem)  # fmt: skip
        self.problem = problem

    def writable_again(self, where: str) -> None:
        if self.problem is not None:
            log.warning("the database (%s) can be written again; taking new videos and jobs", where)
        self.problem = None


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


def where(url: str) -> str:
    """The database as the operator knows it, without a password: a SQLite file's path, or the URL."""
    parsed = make_url(url)
    if is_sqlite(url):
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


class _Rollback(Exception):
    pass


@dataclass(frozen=True)
class Database:
    """The engine and a session factory; every query module takes one of these."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    health: DatabaseHealth = field(default_factory=DatabaseHealth)

    @classmethod
    def open(cls, url: str, **engine_kwargs: Any) -> Database:
        engine = create_engine(url, **engine_kwargs)
        return cls(url, engine, async_sessionmaker(engine, expire_on_commit=False))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any exception.

        DatabaseUnwritable (noted in `health`) when the database cannot be written."""
        try:
            async with self.sessions.begin() as session:
                yield session
        except DBAPIError as exc:
            problem = cannot_write(exc)
            if problem is None:
                raise
            self.health.unwritable(where(self.url), problem)
            raise unwritable_error(self.url, problem) from exc

    async def check_writable(self) -> bool:
        """Find out whether the database can be written now (noted in `health`, a change logged once)."""
        problem = await asyncio.to_thread(_file_problem, self.url)
        if problem is None:
            problem = await _write_problem(self.engine)
        if problem is None:
            self.health.writable_again(where(self.url))
        else:
            self.health.unwritable(where(self.url), problem)
        return problem is None

    async def close(self) -> None:
        await self.engine.dispose()


async def watch_writable(db: Database, every_s: float, on_writable: Callable[[], None] | None = None) -> None:
    """Until cancelled: `db.check_writable()` every `every_s` seconds, and `on_writable()` each time it can be
    written. Every process that writes runs it: a database once found unwritable is noted writable again only so."""
    while True:
        await asyncio.sleep(every_s)
        try:
            writable = await db.check_writable()
        except Exception:
            log.exception("checking the database failed")
            continue
        if writable and on_writable is not None:
            on_writable()


async def hold_xact_lock(session: AsyncSession, key: int) -> None:
    """Let one transaction at a time (of those holding `key`) go on from here, until it ends. SQLite's `BEGIN
    IMMEDIATE` already holds the database's write lock; on PostgreSQL, where READ COMMITTED transactions would go on
    side by side, a transaction-level advisory lock on `key` does it."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(key)))


def unwritable_error(url: str, problem: str) -> DatabaseUnwritable:
    return DatabaseUnwritable(
        f"The database ({where(url)}) cannot be written ({problem}); make it writable, then start again."
    )


def _file_problem(url: str) -> str | None:
    """A SQLite file (or its folder, where its journal goes) this process may not write; None when it may."""
    path = _sqlite_file(url) if is_sqlite(url) else None
    if path is None:
        return None
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    for item in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if item.exists() and not os.access(item, os.W_OK):
            return f"{item} is read-only"
    if not os.access(folder, os.W_OK):
        return f"{folder} is read-only"
    return None


async def _write_problem(engine: AsyncEngine) -> str | None:
    """Make a table and roll it back: the driver's words when the database refuses, else None."""
    try:
        async with engine.connect() as connection, connection.begin():
            await connection.exec_driver_sql("CREATE TABLE riffcut_write_check (checked INTEGER)")
            raise _Rollback
    except _Rollback:
        return None
    except DBAPIError as exc:
        problem = cannot_write(exc)
        if problem is None:
            raise
        return problem


async def require_writable(url: str) -> None:
    """The start-up check: DatabaseUnwritable, in one line, when the database (or the folder for a new SQLite
    file) cannot be written."""
    problem = await asyncio.to_thread(_file_problem, url)
    if problem is None:
        try:
            db = Database.open(url)
        except OSError as exc:  # the folder for a new SQLite file could not be made
            problem = exc.strerror or str(exc)
        else:
            try:
                problem = await _write_problem(db.engine)
            finally:
                await db.close()
    if problem is not None:
        raise unwritable_error(url, problem)
