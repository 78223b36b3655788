"""With WEBHOOK_URL set the bot takes updates on a webhook that checks the secret header."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram
from tests.net import free_port


async def test_webhook_with_secret(tg: FakeTelegram, bot_settings: dict[str, Any]) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/riffcut-hook"
    bot = BotUnderTest(
        tg,
        {
            **bot_settings,
            "webhook_url": url,
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
            "webhook_secret": "s3cret-token",
        },
    )
    await bot.start()
    try:
        assert tg.webhook["url"] == url and tg.webhook["secret_token"] == "s3cret-token"
        ann = tg.add_user("Ann")
        assert "Send me a video" in (await bot.say(ann, "/start")).content
        async with aiohttp.ClientSession() as session:
            update = {
                "update_id": 999999,
                "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/start"},
            }
            async with session.post(url, json=update) as response:  # no secret header
                assert response.status == 403
            async with session.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                assert r.status == 403
    finally:
        await bot.stop()
