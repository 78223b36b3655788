"""With a local Bot API server (TELEGRAM_LOCAL_MODE) the 20 MB download limit is lifted and files go by path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.bot.bot_harness import BotUnderTest, ready_card, wait_for_zip
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow  # each test runs whole jobs


async def test_local_mode(
    tmp_path_factory: pytest.TempPathFactory, bot_settings: dict[str, Any], tiny_video: Path
) -> None:
    async with FakeTelegram(root=tmp_path_factory.mktemp("local-telegram"), local_mode=True) as tg:
        bot = BotUnderTest(tg, {**bot_settings, "telegram_local_mode": True})
        await bot.start()
        try:
            ann = tg.add_user("Ann")
            sent = tg.send_video(ann, tiny_video, caption="calm piano", file_size=300 * 1024 * 1024)
            card = await bot.answer_to(sent, lambda m: "Checking" not in m.content)
            assert "Ready" in card.content  # no 20 MB refusal
            await ready_card(bot, ann, tiny_video, previews=2)
            await bot.say(ann, "/set full_cut on")
            since = tg.mark()
            await bot.say(ann, "/generate")
            zip_call = await wait_for_zip(tg, ann.id, since)
            assert zip_call.files["document"].data[:2] == b"PK"
            assert not tg.calls_of("sendMediaGroup", chat=ann.id)  # 2 parts: the other part alone, not an album
            full_cut = [c for c in tg.calls_of("sendVideo", chat=ann.id) if "whole video" in c.content]
            assert full_cut and full_cut[0].ok and full_cut[0].params["duration"] == 2
            # Single files went by path (file://, read by the server itself), not as bytes in the request.
            singles = [c for c in tg.calls[since:] if c.method in ("sendVideo", "sendAudio", "sendDocument") and c.ok]
            fields = {"sendVideo": "video", "sendAudio": "audio", "sendDocument": "document"}
            # the result, the music, the other part's preview, the full cut, the zip
            assert len(singles) == 5, [c.method for c in singles]
            for call in singles:
                path = str(call.params[fields[call.method]])
                assert path.startswith("file://") and "/results/" in path, (call.method, path)
        finally:
            await bot.stop()
