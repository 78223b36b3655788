"""Fixtures for the runner's tests: the real render work on the shared tiny-model generator, and runners that
are stopped at each test's end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine.generator import Generator
from jobs.local_runner import JobRunner
from jobs.work import JobWork
from tests.runner.runner_helpers import work_of


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
    return work_of(generator)
