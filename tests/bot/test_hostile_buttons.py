"""Forged, stale and repeated button presses: every one is answered (no spinning button), none is an error in the
operator's log, and no one is told that something went wrong."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.callbacks import Answer, CardAction, CardPress, ForgetPress, video_tag
from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram, FakeUser, ViewMessage


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


def tracebacks_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info]


async def answered(tg: FakeTelegram, query_id: str) -> str:
    """What the bot answered the press with ("" when it answered silently)."""
    await tg.wait_until(lambda: query_id in tg.callback_answers, timeout=30, what="the press's answer")
    return str(tg.callback_answers[query_id].get("text", ""))


async def card_of(bot: BotUnderTest, user: FakeUser, video: Path) -> ViewMessage:
    sent = bot.tg.send_video(user, video, caption="calm piano")
    return await bot.answer_to(sent, lambda m: "Ready" in m.content)


def label(card: ViewMessage) -> str:
    """The card's button that only shows a value (the number of parts)."""
    return next(
        data
        for row in card.buttons
        for button in row
        if CardPress.matches(data := str(button.get("callback_data")))
        and CardPress.decode(data).action is CardAction.LABEL
    )


def quiet(tg: FakeTelegram, user: FakeUser, caplog: pytest.LogCaptureFixture) -> None:
    """No error and no traceback in the operator's log; nothing went wrong for the member."""
    assert errors_logged(caplog) == [] and tracebacks_logged(caplog) == []
    assert [m.content for m in tg.bot_messages(user) if "went wrong" in m.content] == []


@pytest.mark.parametrize("data", ["k|n|abc", "j|c", "zzz", "k|n|3|t|1|x|y", "s|1|nope", "f|1|maybe", None])
async def test_forged_button_data_is_answered_and_logged_without_a_traceback(
    bot: BotUnderTest, tg: FakeTelegram, video: Path, data: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    ann = tg.add_user("Ann")
    card = await card_of(bot, ann, video)
    caplog.set_level(logging.INFO)
    query = tg.forge_press(ann, data, card)
    assert "not one I know" in await answered(tg, query)
    assert any("button" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)
    quiet(tg, ann, caplog)


async def test_a_press_without_a_message_is_answered(
    bot: BotUnderTest, tg: FakeTelegram, video: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A button on an inline message, or on a message too old for Telegram to send along: valid data, no message."""
    ann = tg.add_user("Ann")
    card = await card_of(bot, ann, video)
    data = card.button("Split-n-Generate")["callback_data"]
    for press in (data, CardPress(CardAction.PARTS, 3, video_tag("x"), ann.id).encode(), "zzz"):
        query = tg.forge_press(ann, press)
        assert "/status" in await answered(tg, query)
    quiet(tg, ann, caplog)


async def test_forget_confirmed_twice_and_a_stale_card_after_it(
    bot: BotUnderTest, tg: FakeTelegram, video: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ann = tg.add_user("Ann")
    card = await card_of(bot, ann, video)
    ask = await bot.say(ann, "/forget")
    first = tg.press(ann, ask, "Yes")
    await answered(tg, first)
    await tg.wait_for_bot_message(ann, lambda m: "kept nothing" in m.content, after=card)
    again = tg.forge_press(ann, ForgetPress(ann.id, Answer.YES).encode(), ask)  # a second tap, as it was
    await answered(tg, again)
    for data in (card.button("✂️ +")["callback_data"], card.button("Split-n-Generate")["callback_data"], label(card)):
        query = tg.forge_press(ann, data, card)  # the card about the video /forget deleted, as it was
        assert "no video" in (await answered(tg, query)).lower()
    assert "no video here" in tg.message(ann, card.message_id).content
    quiet(tg, ann, caplog)


async def test_a_press_that_changes_nothing_is_not_an_error(
    bot: BotUnderTest, tg: FakeTelegram, video: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram answers "message is not modified" when an edit changes nothing: that is fine, not an error."""
    ann = tg.add_user("Ann")
    card = await card_of(bot, ann, video)
    for _ in range(2):  # the label button: the card is shown again as it is
        await answered(tg, tg.forge_press(ann, label(card), card))
    ask = await bot.say(ann, "/forget")
    no = ForgetPress(ann.id, Answer.NO).encode()
    for _ in range(2):  # "Keep it" twice: the second edit changes nothing
        await answered(tg, tg.forge_press(ann, no, ask))
    menu = await bot.say(ann, "/settings")
    home = menu.buttons[-1][-1]["callback_data"].replace("close", "home")
    for _ in range(2):
        await answered(tg, tg.forge_press(ann, home, menu))
    assert any("not modified" in (c.error or "") for c in tg.calls_of("editMessageText"))
    quiet(tg, ann, caplog)
