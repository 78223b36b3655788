"""Fixtures for the bot's tests: the real bot (riffcut.wiring's) on the tiny model, over the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from riffcut.logs import quiet_http_clients
from tests.bot.bot_harness import SHORT_VIDEO, BotUnderTest
from tests.bot.bot_process import secrets_in
from tests.fake_telegram import FakeTelegram


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
    assert secrets_in(logged + said, tg) == []


@pytest.fixture
def bot_settings(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("RIFFUSION_MODEL", str(tiny_model))
    monkeypatch.setenv("DEVICE", "cpu")
    return {}


@pytest.fixture
async def bot(tg: FakeTelegram, bot_settings: dict[str, Any]) -> AsyncIterator[BotUnderTest]:
    under_test = BotUnderTest(tg, bot_settings)
    await under_test.start()
    try:
        yield under_test
    finally:
        await under_test.stop()


@pytest.fixture
def video(media: Path) -> Path:
    return media / SHORT_VIDEO


@pytest.fixture
def tiny_video(media: Path) -> Path:
    """2 s, no sound: cut in 2, each part's music is quick to make on a CPU."""
    return media / "h264-no-audio-2s.mp4"
