"""A migrated database for each test: a SQLite file, and a fresh PostgreSQL one (RIFFCUT_TEST_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from scratch_database import BACKENDS, scratch_database_url

from storage import Database, open_database


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with scratch_database_url(tmp_path, request.param) as url:
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    yield database
    await database.close()
