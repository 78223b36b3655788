"""Fixtures for the bot's tests: the real bot (riffcut.wiring's) on the tiny model, over the fake server.

The bot runs its jobs in its own process; a flow test marked `@FLOW` runs twice, the second time as a front end
(RUNNER=celery) of a real `riffcut worker` process on the CPU, over the test run's Redis.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from riffcut.logs import quiet_http_clients
from tests.bot.bot_harness import SHORT_VIDEO, BotUnderTest
from tests.fake_telegram import FakeTelegram
from tests.leaks import secrets_in
from tests.scratch_database import scratch_database_url
from tests.workers import FLEET_BACKEND, Workers, fleet

RUNNERS = ("local", "celery")
FLOW = pytest.mark.parametrize("runner", RUNNERS, indirect=True)


@pytest.fixture
def runner(request: pytest.FixtureRequest) -> str:
    """local (the default) or celery (a test parametrised with FLOW)."""
    return str(getattr(request, "param", "local"))


@pytest.fixture(autouse=True)
def _never_the_token(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every bot test, failures and faults included: with the logging the entry points set up, no log line,
    traceback or message to a user carries the token (a real process's whole output is checked the same way,
    tests/bot/bot_process.py)."""
    quiet_http_clients()
    tg: FakeTelegram | None = request.getfixturevalue("tg") if "tg" in request.fixturenames else None
    yield
    if tg is None:
        return
    logged = [record.getMessage() for record in caplog.records] + [caplog.text]
    said = [str(call.params) for call in tg.calls if call.method != "getUpdates"]
    assert secrets_in(logged + said, tg.token) == []


@pytest.fixture
def bot_settings(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("RIFFUSION_MODEL", str(tiny_model))
    monkeypatch.setenv("DEVICE", "cpu")
    return {}


@pytest.fixture
async def bot(
    tg: FakeTelegram,
    bot_settings: dict[str, Any],
    runner: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[BotUnderTest]:
    async with contextlib.AsyncExitStack() as stack:
        workers: Workers | None = None
        if runner == "celery":
            broker_url = request.getfixturevalue("broker_url")  # skipped without the test run's Redis
            database_url = await stack.enter_async_context(scratch_database_url(tmp_path, FLEET_BACKEND))
            workers = fleet(
                monkeypatch, tmp_path, tg, database_url=database_url, broker_url=broker_url, model=tiny_model
            )
            stack.push_async_callback(workers.stop)
            starting = workers.spawn("w1")
        under_test = BotUnderTest(tg, bot_settings, workers)
        stack.push_async_callback(under_test.stop)
        await under_test.start()
        if workers is not None:
            await workers.wait_ready(starting)
        yield under_test


@pytest.fixture
def video(media: Path) -> Path:
    return media / SHORT_VIDEO


@pytest.fixture
def tiny_video(media: Path) -> Path:
    """2 s, no sound: cut in 2, each part's music is quick to make on a CPU."""
    return media / "h264-no-audio-2s.mp4"
