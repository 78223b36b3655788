"""The bot token is part of every Bot API URL: with the logging the entry points set up, it never reaches the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from telegram import Bot

from riffcut import logs
from tests.fake_telegram import FakeTelegram

QUIETED = ("httpx", "httpcore", "telegram.request", "telegram.Bot", "telegram.ext.ExtBot")


@pytest.fixture
def fresh_levels(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The libraries' loggers as a fresh process has them; restored afterwards."""
    before = {name: logging.getLogger(name).level for name in QUIETED}
    for name in QUIETED:
        logging.getLogger(name).setLevel(logging.NOTSET)
    monkeypatch.setattr(logs, "_configured", False)
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


async def lines_with_the_token(tg: FakeTelegram, caplog: pytest.LogCaptureFixture) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):  # an operator's LOG_LEVEL=DEBUG
        async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
            assert (await bot.get_me()).username
    secret = tg.token.split(":", 1)[1]
    return [r.getMessage() for r in caplog.records if secret in r.getMessage()]


async def test_the_token_never_reaches_the_log(
    tg: FakeTelegram, caplog: pytest.LogCaptureFixture, fresh_levels: None
) -> None:
    assert await lines_with_the_token(tg, caplog)  # unconfigured, the libraries do log it at DEBUG
    logs.configure_logging("DEBUG")
    assert await lines_with_the_token(tg, caplog) == []
