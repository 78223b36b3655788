"""Allow lists, admins' /queue and /stats, the daily quota, /history and /forget."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from storage.history import user_history
from tests.bot.bot_harness import BotUnderTest, ready_card, wait_for_zip
from tests.bot.conftest import FLOW
from tests.fake_telegram import FakeTelegram


async def test_allow_list_admins_and_quota(tg: FakeTelegram, bot_settings: dict[str, Any], video: Path) -> None:
    ann, bob, root = tg.add_user("Ann"), tg.add_user("Bob"), tg.add_user("Root")
    bot = BotUnderTest(
        tg, {**bot_settings, "allowed_user_ids": [ann.id], "admin_user_ids": [root.id], "daily_job_quota": 1}
    )
    await bot.start()
    try:
        assert "private" in (await bot.say(bob, "/start")).content
        assert "for the bot's operators" in (await bot.say(ann, "/queue")).content
        await ready_card(bot, ann, video)
        since = tg.mark()
        fetching = tg.hold("getFile")  # the job stays on its download while the admin looks
        await bot.say(ann, "/generate")
        await tg.wait_until(lambda: any(c.method == "getFile" for c in tg.calls[since:]))  # the job is fetching
        queue = await bot.say(root, "/queue")
        jobs = await user_history(bot.services.db, ann.id)
        assert len(jobs) == 1
        assert queue.content.startswith("Queue (1)")
        assert f"#{jobs[0].id} · running · user {ann.id} · chat {ann.id}" in queue.content
        fetching.set()
        await bot.say(ann, "/set seed 7")  # another request: the quota of 1 is used up
        assert "used your 1 job for today" in (await bot.say(ann, "/generate")).content
        stats = await bot.say(root, "/stats")
        assert "users:" in stats.content
    finally:
        await bot.stop()


@pytest.mark.slow  # a whole job
@FLOW
async def test_history_and_forget(bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path) -> None:
    ann = tg.add_user("Ann")
    assert "no jobs yet" in (await bot.say(ann, "/history")).content
    await ready_card(bot, ann, tiny_video, previews=0)
    since = tg.mark()
    await bot.say(ann, "/generate")
    await wait_for_zip(tg, ann.id, since)
    history = await bot.say(ann, "/history")
    assert "calm piano" in history.content and "done" in history.content and "seed" in history.content
    ask = await bot.say(ann, "/forget")
    tg.press(ann, ask, "Keep it")
    await tg.wait_until(lambda: "Nothing was deleted" in tg.message(ann, ask.message_id).content)
    ask = await bot.say(ann, "/forget")
    tg.press(ann, ask, "Yes, delete everything")
    await tg.wait_until(lambda: "kept nothing" in tg.message(ann, ask.message_id).content)
    assert "no jobs yet" in (await bot.say(ann, "/history")).content
    assert "no video here yet" in (await bot.say(ann, "/status")).content
    assert "Diffusion steps: 50" in (await bot.say(ann, "/settings")).content


async def test_a_stranger_is_refused_once_an_hour_not_once_a_message(
    tg: FakeTelegram, bot_settings: dict[str, Any], video: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.access")
    ann, eve = tg.add_user("Ann"), tg.add_user("Eve")
    bot = BotUnderTest(tg, {**bot_settings, "allowed_user_ids": [ann.id]})
    await bot.start()
    try:
        first = await bot.say(eve, "/start")
        assert "private" in first.content
        for text in ("/start", "hello?", "/help", "/parts 3"):
            tg.send_text(eve, text)
        tg.send_video(eve, video)

        def quiet_refusals() -> int:
            return sum("again within the hour" in r.getMessage() for r in caplog.records)

        await tg.wait_until(lambda: quiet_refusals() == 5, what="Eve's five other messages handled")
        assert [m.content for m in tg.bot_messages(eve)] == [first.content]
        assert "Send me a video" in (await bot.say(ann, "/start")).content  # Ann is let in
        query = tg.forge_press(eve, "zzz")  # a press is still answered, silently, so it does not spin
        await tg.wait_until(lambda: query in tg.callback_answers)
        assert "text" not in tg.callback_answers[query]
        other = tg.add_user("Mallory")
        assert "private" in (await bot.say(other, "/start")).content  # one refusal per user, not one in all
    finally:
        await bot.stop()
