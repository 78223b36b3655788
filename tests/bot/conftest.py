"""Fixtures for the bot's tests: the real bot (riffcut.wiring's) on the tiny model, over the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.bot_harness import SHORT_VIDEO, BotUnderTest
from tests.fake_telegram import FakeTelegram


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
