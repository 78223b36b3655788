"""Fixtures for the runner's tests: the tiny model, a migrated database (SQLite, and PostgreSQL too where
RIFFCUT_TEST_DATABASE_URL is set; see tests/scratch_database.py), the real render work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from scratch_database import BACKENDS, scratch_database_url

from engine.generator import Generator, load_pipeline, resolve_device
from engine.media_config import MediaConfig
from engine.runner import JobRunner, JobWork
from engine.runner_render import render_work
from storage import Database, open_database


@pytest.fixture(scope="session")
def tiny_pipe(tiny_model: Path) -> Any:
    return load_pipeline(str(tiny_model), resolve_device("cpu"))


@pytest.fixture
def generator(tiny_pipe: Any) -> Generator:
    """A generator of its own per test (its asyncio lock belongs to the test's event loop)."""
    return Generator(tiny_pipe, resolve_device("cpu"), max_image_width=512)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with scratch_database_url(tmp_path, request.param) as url:
        database = await open_database(url)
        yield database
        await database.close()


@pytest.fixture
async def runners() -> AsyncIterator[list[JobRunner]]:
    """Runners a test makes are stopped at its end, whatever happens."""
    made: list[JobRunner] = []
    yield made
    for runner in made:
        await runner.stop()


@pytest.fixture
def work(generator: Generator) -> JobWork:
    """The real work: the whole render pipeline on the tiny model."""
    return render_work(generator, MediaConfig())
