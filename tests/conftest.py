"""Fixtures shared by every test module: the sample media, the tiny model and one generator on it, a migrated
database, the fake Telegram server, a render's zip held (held_zip), and a test's own temporary folders and environment.

Tests that take more than a few seconds are marked `slow`; `scripts/test -m "not slow"` runs the rest.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.generator import Generator, load_pipeline, resolve_device
from storage import Database, open_database
from tests.fake_telegram import FakeTelegram
from tests.scratch_database import BACKENDS, scratch_database_url

ROOT = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("RIFFCUT_TEST_MEDIA") or ROOT / "tests" / "data").resolve()


@pytest.fixture(scope="session")
def media() -> Path:
    """The real sample videos in tests/data (origins and licences in its SOURCES.md), or RIFFCUT_TEST_MEDIA."""
    if not MEDIA.is_dir():
        pytest.fail(f"sample media not found at {MEDIA} (set RIFFCUT_TEST_MEDIA)")
    return MEDIA


def _service_url(variable: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        pytest.skip(f"{variable} is not set: scripts/test starts Redis and PostgreSQL for the tests (scripts/services)")
    return value


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server of this test run (redis://127.0.0.1:PORT/0), started by scripts/test."""
    return _service_url("RIFFCUT_TEST_REDIS_URL")


@pytest.fixture
def broker_url(redis_url: str) -> str:
    """The test run's Redis as the Celery broker, emptied for this test."""
    from tests.workers import flush_redis

    flush_redis(redis_url)
    return redis_url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server of this test run (postgresql+asyncpg://postgres@127.0.0.1:PORT/riffcut_test, a user
    that may create databases), started by scripts/test; tests/scratch_database.py gives a test its own database."""
    return _service_url("RIFFCUT_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised Stable Diffusion pipeline on disk, built once per test session."""
    from engine.tiny_model import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_pipe(tiny_model: Path) -> Any:
    """The tiny pipeline, loaded once per session through the code that loads the real checkpoint."""
    return load_pipeline(str(tiny_model), resolve_device("cpu"))


@pytest.fixture(scope="session")
def generator(tiny_pipe: Any, tiny_model: Path) -> Generator:
    """One generator on the tiny model, windows up to 512 columns (its GPU lock follows each test's loop)."""
    return Generator(tiny_pipe, resolve_device("cpu"), max_image_width=512, model=str(tiny_model))


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the test's own, once per backend: SQLite, and PostgreSQL too where
    RIFFCUT_TEST_DATABASE_URL is set (scripts/test sets it; see tests/scratch_database.py)."""
    backend: str = request.param
    async with scratch_database_url(tmp_path, backend) as url:
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The test's database, migrated to the newest schema (on each backend in turn: see `database_url`)."""
    database = await open_database(database_url)
    yield database
    await database.close()


@pytest.fixture
async def tg(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FakeTelegram]:
    """A started fake Bot API server on 127.0.0.1 (tests.fake_telegram)."""
    async with FakeTelegram(root=tmp_path_factory.mktemp("fake-telegram")) as server:
        yield server


@pytest.fixture
def held_zip(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The render's zip waits until the test lets it go (tests/holds.py): the job surely runs until then."""
    from engine import archive
    from tests.holds import hold

    return hold(monkeypatch, "engine.render.write_zip_async", archive.write_zip_async, after=False)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's .env or writes outside its own temporary folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEMPORARY_DIRECTORY", str(tmp_path / "jobs"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield
