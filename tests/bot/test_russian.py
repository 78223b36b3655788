"""A Russian member sees no English sentence in a whole job: the menus, the card, refusals from the bot, the
engine and the settings, the progress message, the takes, the results and their buttons."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.bot.bot_harness import BotUnderTest, wait_for_zip
from tests.fake_telegram import FakeTelegram, ViewMessage

pytestmark = pytest.mark.slow  # a whole job

PROMPT = "calm piano"
# Words that are the same in every language: names, commands and values typed as they are, the example prompt.
KEPT = (
    PROMPT, "lo-fi beat with soft piano", "Split-n-Generate", "Riffusion", "Bot API", "Telegram", "seed", "zip",
    "MP4, MOV, WebM", "UTC", "guidance", "random", "auto", "on", "off", "batch, chained",
    "dpm, ddim, euler, euler_a, pndm", "DPM-Solver++", "lo-fi", "en, ru",
)  # fmt: skip
TAGS = re.compile(r"<[^>]+>")
CODE = re.compile(r"<code>.*?</code>", re.S)
COMMAND = re.compile(r"/[a-z_]+(@\w+)?")
ENGLISH_RUN = re.compile(r"[A-Za-z]+(?:[ ,'’-]+[A-Za-z]+){2,}")  # three English words in a row


def english_in(text: str) -> list[str]:
    plain = COMMAND.sub(" ", TAGS.sub(" ", CODE.sub(" ", html.unescape(text))))
    for kept in sorted(KEPT, key=len, reverse=True):
        plain = plain.replace(kept, " ")
    return ENGLISH_RUN.findall(plain)


def words_of(message: ViewMessage) -> list[str]:
    return [message.content, *message.button_texts]


async def test_a_russian_member_sees_no_english(bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path) -> None:
    ivan = tg.add_user("Иван", language_code="ru")
    seen: list[str] = []
    for command in ("/start", "/help", "/settings", "/set steps много", "/set takes 2", "/set steps 2", "/parts 3"):
        await bot.say(ivan, command)
    tg.send_document(ivan, b"%PDF-1.4 not a video", file_name="notes.pdf", mime_type="application/pdf")
    sent = tg.send_video(ivan, tiny_video, caption=PROMPT)
    card = await bot.answer_to(sent, lambda m: "Готово" in m.content, wait_s=60)
    for command in ("/parts много", "/parts 99", "/part 7", "/prompt", "/status", "/history", "/frobnicate"):
        await bot.say(ivan, command)
    tg.press(ivan, card, "✂️ +")
    await tg.wait_until(lambda: "2 части" in " ".join(tg.message(ivan, card.message_id).button_texts))
    since = tg.mark()
    query = tg.press(ivan, card, "Split-n-Generate")
    await tg.wait_until(lambda: tg.callback_answer(query))
    await tg.wait_for_bot_message(ivan, lambda m: "дубля" in m.content, timeout=180)
    take = next(m for m in tg.bot_messages(ivan) if "Дубль 1" in m.content)
    tg.press(ivan, take, "Взять этот дубль")
    await wait_for_zip(tg, ivan.id, since)
    await bot.settled()
    await bot.say(ivan, "/history")

    for message in tg.bot_messages(ivan):
        seen += words_of(message)
    seen += [str(answer.get("text") or "") for answer in tg.callback_answers.values()]
    found = {text: english_in(text) for text in seen if english_in(text)}
    assert found == {}, found
    assert sum(1 for text in seen if re.search("[а-яё]", text.lower())) > 20  # and it was Russian that was said
    commands = tg.commands_for("all_private_chats", "ru")
    assert commands and all(not english_in(c["description"]) for c in commands)
    assert tg.descriptions[("description", "ru")] and not english_in(tg.descriptions[("description", "ru")])
