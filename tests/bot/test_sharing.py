"""Sharing a result anywhere with inline mode: only the asking member's results, by the file ids Telegram keeps,
the "Share" button under a result, and nothing of a member who used /forget."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.bot_harness import BotUnderTest, ready_card, wait_for_zip
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow  # a whole job


async def test_inline_lists_my_results_only_and_never_a_forgotten_one(
    bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path
) -> None:
    ann, bob = tg.add_user("Ann"), tg.add_user("Bob")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    await wait_for_zip(tg, ann.id, since)
    await bot.settled()
    result = next(c for c in tg.calls_of("sendVideo", chat=ann.id, ok=True) if c.index > since)
    music = next(c for c in tg.calls_of("sendAudio", chat=ann.id, ok=True) if c.index > since)
    video_id, music_id = result.result["video"]["file_id"], music.result["audio"]["file_id"]

    share = next(b for row in result.params["reply_markup"]["inline_keyboard"] for b in row if "Share" in b["text"])
    job_tag = share["switch_inline_query"]
    assert job_tag.startswith("#")

    uploads = len(tg.calls_of("sendVideo")) + len(tg.calls_of("sendAudio"))
    answer = await tg.inline_answer(tg.send_inline_query(ann, job_tag, chat_type="group"))
    listed = answer["results"]
    assert {r["type"] for r in listed} == {"video", "audio"}
    assert [r["video_file_id"] for r in listed if r["type"] == "video"] == [video_id]  # cached: no new upload
    assert [r["audio_file_id"] for r in listed if r["type"] == "audio"] == [music_id]
    assert answer["is_personal"] is True
    assert len(tg.calls_of("sendVideo")) + len(tg.calls_of("sendAudio")) == uploads
    assert len((await tg.inline_answer(tg.send_inline_query(ann, "calm")))["results"]) == 2
    assert (await tg.inline_answer(tg.send_inline_query(ann, "no such prompt")))["results"] == []

    assert (await tg.inline_answer(tg.send_inline_query(bob, "")))["results"] == []  # Ann's are hers alone
    assert (await tg.inline_answer(tg.send_inline_query(bob, job_tag)))["results"] == []

    ask = await bot.say(ann, "/forget")
    tg.press(ann, ask, "Yes")
    await tg.wait_until(lambda: "kept nothing" in tg.message(ann, ask.message_id).content)
    assert (await tg.inline_answer(tg.send_inline_query(ann, "")))["results"] == []
