"""The bot rides out a network that is not there yet at start-up: it tries the Bot API again with backoff, one
log line per try and no traceback, and starts once the server answers (a local Bot API server that comes up
late, a proxy answering 502 meanwhile). A token the server refuses is one sentence, without the token."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot import app as bot_app
from engine.errors import Unreachable
from riffcut.settings import load_settings
from riffcut.wiring import build_bot
from storage.migrate import upgrade_database
from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram
from tests.net import free_port

WAIT_S = 120.0


class Lines(logging.Handler):
    """bot.app's log records as they come, with an event for the next one."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.changed.set()

    async def wait_for(self, words: str) -> logging.LogRecord:
        async with asyncio.timeout(WAIT_S):
            while True:
                found = next((r for r in self.records if words in r.getMessage()), None)
                if found is not None:
                    return found
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
def lines() -> Any:
    handler = Lines()
    logger = logging.getLogger("bot.app")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


async def test_a_bot_api_server_that_comes_up_late(
    bot_settings: dict[str, Any], lines: Lines, tmp_path_factory: pytest.TempPathFactory
) -> None:
    port = free_port()
    late = FakeTelegram(root=tmp_path_factory.mktemp("late-telegram"))
    settings = load_settings(
        telegram_bot_token=late.token,
        telegram_api_base_url=f"http://127.0.0.1:{port}/bot",
        telegram_file_base_url=f"http://127.0.0.1:{port}/file/bot",
    )
    await upgrade_database(settings.resolved_database_url)  # as `riffcut bot`'s preflight does
    application = build_bot(settings, poll_timeout=1)
    starting = asyncio.create_task(bot_app.start(application))
    try:
        await lines.wait_for("; try 3 in")  # two tries failed: the server is not up yet
        await late.start(port=port)
        await lines.wait_for("answered on try")
        async with asyncio.timeout(WAIT_S):
            await starting
        ann = late.add_user("Ann")
        sent = late.send_text(ann, "/start")
        assert await late.wait_for_bot_message(ann, after=sent, timeout=60)
    finally:
        if not starting.done():
            starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        if application.bot_data.started:
            await bot_app.stop(application)
        await late.stop()
    tries = [r for r in lines.records if "cannot be reached" in r.getMessage()]
    assert len(tries) >= 2 and all(r.exc_info is None and r.levelno == logging.WARNING for r in tries)
    assert [int(r.getMessage().split("; try ")[1].split()[0]) for r in tries] == list(range(2, len(tries) + 2))


async def test_a_proxy_answering_502_meanwhile(tg: FakeTelegram, bot_settings: dict[str, Any], lines: Lines) -> None:
    tg.fail("getMe", error_code=502, description="Bad Gateway", times=2)
    bot = BotUnderTest(tg, bot_settings)
    await bot.start()
    try:
        assert "answered on try 3" in (await lines.wait_for("answered on try")).getMessage()
        assert len([r for r in lines.records if "(Bad Gateway); try" in r.getMessage()]) == 2
    finally:
        await bot.stop()


async def test_a_token_the_server_refuses_is_one_sentence_without_it(
    tg: FakeTelegram, bot_settings: dict[str, Any], tmp_path: Path
) -> None:
    wrong = "654321:AAthisIsNotTheRightToken"
    application = build_bot(
        load_settings(
            telegram_bot_token=wrong, telegram_api_base_url=tg.base_url, telegram_file_base_url=tg.base_file_url
        )
    )
    with pytest.raises(Unreachable) as refused:
        await bot_app.start(application)
    assert refused.value.refused and "refused the bot's token" in refused.value.message
    assert wrong not in refused.value.message and "\n" not in refused.value.message
    assert not tg.calls_of("setMyCommands")  # nothing went on after the refusal
