"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
