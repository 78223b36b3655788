"""Schema migrations (Alembic, kept in storage/migrations), applied from inside the running event loop.

`await upgrade_database(url)` brings any database to the newest schema; the application calls it at start-up and
`riffcut db upgrade` calls it from the command line. Alembic runs synchronously on the async connection through
`run_sync`, so no second event loop is started and logging is left as configured. Processes starting together
(front ends and workers on one database) upgrade one at a time: SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory
lock for the transaction; the later ones find the schema new already.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 0x72696668  # PostgreSQL advisory lock held while one process upgrades


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _with_engine(url_or_engine: str | AsyncEngine) -> tuple[AsyncEngine, bool]:
    if isinstance(url_or_engine, AsyncEngine):
        return url_or_engine, False
    return create_engine(url_or_engine), True


async def upgrade_database(url_or_engine: str | AsyncEngine, revision: str = "head") -> str | None:
    """Apply every migration up to `revision` in one transaction; returns the revision the database is at."""
    engine, owned = await _with_engine(url_or_engine)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            await connection.run_sync(_upgrade, revision)
            return await connection.run_sync(_current)
    finally:
        if owned:
            await engine.dispose()


async def current_revision(url_or_engine: str | AsyncEngine) -> str | None:
    """The revision the database is at (None: no schema yet)."""
    engine, owned = await _with_engine(url_or_engine)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current)
    finally:
        if owned:
            await engine.dispose()
