"""A member's messages are handled in the order they were sent; nobody else waits for them."""

from __future__ import annotations

from pathlib import Path

from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram


async def test_a_command_sent_while_the_video_is_checked_waits_for_it(
    bot: BotUnderTest, tg: FakeTelegram, video: Path
) -> None:
    ann, bob = tg.add_user("Ann"), tg.add_user("Bob")
    tg.slow("getFile", delay=2.0, times=1)  # Ann's video takes a while to check
    sent = tg.send_video(ann, video, caption="calm piano")
    parts = tg.send_text(ann, "/parts 3")
    hello = tg.send_text(bob, "/start")
    card = await bot.answer_to(sent, lambda m: "Ready" in m.content or "Parts" in m.content)
    answer = await tg.wait_for_bot_message(ann, lambda m: "Parts: 3." in m.content, after=parts)
    assert "Send me a video first" not in answer.content and "3 × 2.32 s" in answer.content
    assert answer.message_id > card.message_id  # answered after the video's card, as sent
    await bot.answer_to(hello)
    welcome_call = next(c for c in tg.calls if c.chat_id == bob.id and c.method == "sendMessage")
    card_call = next(c for c in tg.calls if c.chat_id == ann.id and "Ready" in (c.text or "") and c.ok)
    assert welcome_call.index < card_call.index  # Bob did not wait for Ann's video
    assert [m.content for m in tg.bot_messages(ann) if "first" in m.content] == []
