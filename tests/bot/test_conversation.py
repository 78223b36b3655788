"""A private chat: /start, /help, a video, the status card and its buttons, /prompt, /parts, /part."""

from __future__ import annotations

from pathlib import Path

from engine.probe import probe
from engine.words import format_time
from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram


async def test_start_help_and_commands_registered(bot: BotUnderTest, tg: FakeTelegram) -> None:
    ann = tg.add_user("Ann")
    assert "Send me a video first" in (await bot.say(ann, "hello")).content
    answer = await bot.say(ann, "/start")
    assert "Send me a video" in answer.content
    help_answer = await bot.say(ann, "/help")
    text = help_answer.text or ""
    for word in ("/prompt", "/parts", "/part", "/generate", "/set", "/forget", "steps", "seed", "24 h"):
        assert word in text
    assert any("generate" in str(c) for c in tg.commands.values())


async def test_video_card_buttons_and_commands(bot: BotUnderTest, tg: FakeTelegram, video: Path) -> None:
    length = (await probe(video)).duration
    half = length / 2
    ann = tg.add_user("Ann")
    sent = tg.send_video(ann, video)
    card = await bot.answer_to(sent, lambda m: "Parts" in m.content)
    assert f"{length:.2f} s" in card.content and "320×240" in card.content
    assert "none yet" in card.content and "Split-n-Generate" not in str(card.reply_markup)
    # the prompt, by a reply to the bot's question
    tg.press(ann, card, "Set the prompt")
    question = await bot.answer_to(card, lambda m: "What music" in m.content)
    reply = tg.send_text(ann, "calm piano", reply_to=question)
    card2 = await bot.answer_to(reply, lambda m: "Prompt set" in m.content)
    assert "calm piano" in card2.content and "Split-n-Generate" in str(card2.reply_markup)
    # parts + on the card: 2 parts, part 1 from 00:00:00
    tg.press(ann, card2, "✂️ +")
    card_id = card2.message_id
    await tg.wait_until(lambda: "2 × " in tg.message(ann, card_id).content)
    card2 = tg.message(ann, card_id)
    assert f"{half:.2f} s" in card2.content and f"00:00:00 – {format_time(half)}" in card2.content
    answer = await bot.say(ann, "/part 2")
    assert "Chosen part: 2 of 2" in answer.content and f"{format_time(half)} – {format_time(length)}" in (
        answer.content
    )
    answer = await bot.say(ann, "/parts 50")
    assert "too short" in answer.content and "1 to 6" in answer.content
    answer = await bot.say(ann, "/part 3")
    assert "1 to 2" in answer.content
    answer = await bot.say(ann, "/prompt " + "piano " * 200)
    assert "token" in answer.content.lower()
    answer = await bot.say(ann, "/status")
    assert "calm piano" in answer.content and "Chosen part: 2 of 2" in answer.content
    answer = await bot.say(ann, "warm analog synth")  # plain text in a private chat is the prompt
    assert "Prompt set" in answer.content and "warm analog synth" in answer.content
