"""Deliveries survive the network: dropped connections, a long 429 flood, a delivery held up for a while.

Each result is counted as the member sees it: one message per upload (a file sent again is a second upload with a
new file id, so it counts twice).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.bot_harness import BotUnderTest, ready_card, uploads, wait_for_zip
from tests.fake_telegram import FakeTelegram, FakeUser

pytestmark = pytest.mark.slow

# What one job sends with the default settings for 2 parts: the part with its music, the music, the other part's
# preview and the zip.
UPLOADS_PER_JOB = 4


def apologies(tg: FakeTelegram, user: FakeUser) -> list[str]:
    return [m.content for m in tg.bot_messages(user) if "went wrong" in m.content or "❌" in m.content]


def each_once(tg: FakeTelegram, user: FakeUser) -> None:
    """Every result reached the member exactly once, and no one was told something went wrong."""
    sent = uploads(tg, user)
    assert len(sent) == UPLOADS_PER_JOB and set(sent.values()) == {1}, sent
    assert not apologies(tg, user)


async def delivered_job(bot: BotUnderTest, tg: FakeTelegram, user: FakeUser, card: Any) -> None:
    """Press Split-n-Generate and wait until the job's progress message says it is done."""
    tg.press(user, card, "Split-n-Generate")
    await tg.wait_for_bot_message(user, lambda m: "done in" in m.content, timeout=240, after=card)
    await bot.settled()


@pytest.fixture
async def patient_bot(tg: FakeTelegram, bot_settings: dict[str, Any]) -> AsyncIterator[BotUnderTest]:
    """The bot with a held-up delivery tried again after 1 s and one file's flood wait capped at 2 s."""
    async with BotUnderTest(tg, {**bot_settings, "delivery_retry_seconds": 1, "max_flood_wait_seconds": 2}) as bot:
        yield bot


async def test_a_dropped_connection_on_the_first_upload_loses_nothing(
    bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path
) -> None:
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video)
    tg.drop("sendVideo")  # the connection closes mid-request: nothing reached Telegram
    await delivered_job(bot, tg, ann, card)
    each_once(tg, ann)
    assert any(c.status == 0 for c in tg.calls_of("sendVideo"))


async def test_an_answer_lost_after_telegram_took_the_file_repeats_that_file_only(
    bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path
) -> None:
    """The one window Telegram leaves (no idempotency key): the music arrived but its answer was lost."""
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video)
    tg.drop("sendAudio", handled=True)
    await delivered_job(bot, tg, ann, card)
    sent = uploads(tg, ann)
    music = [name for name in sent if name.endswith((".mp3", ".m4a", ".wav", ".ogg"))]
    assert len(music) == 1 and sent[music[0]] == 2, sent
    assert all(count == 1 for name, count in sent.items() if name not in music), sent
    assert not apologies(tg, ann)


async def test_errors_on_every_kind_of_upload_are_retried_file_by_file(
    bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path
) -> None:
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video)
    tg.fail("sendVideo", error_code=502, description="Bad Gateway")
    tg.fail("sendAudio", error_code=500, description="Internal Server Error", times=2)
    tg.drop("sendMediaGroup")
    tg.fail("sendDocument", error_code=503, description="Service Unavailable")
    await delivered_job(bot, tg, ann, card)
    each_once(tg, ann)


async def test_a_flood_longer_than_the_old_retries_is_waited_out(
    bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path
) -> None:
    """26 429s in a row on the zip, each asking to wait 1 s (layer gave up after 24: 4 tries of the rate
    limiter's 6): the bot waits them all out and the zip arrives once."""
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    tg.flood("sendDocument", times=26, retry_after=1)
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    await wait_for_zip(tg, ann.id, since, wait_s=240)
    await bot.settled()
    assert sum(c.status == 429 for c in tg.calls_of("sendDocument")) == 26
    assert [c.ok for c in tg.calls_of("sendDocument")].count(True) == 1
    assert not apologies(tg, ann)


def still_sending(call: Any) -> bool:
    return bool(call.method == "editMessageText" and call.ok and "still sending" in (call.text or ""))


@pytest.mark.parametrize("trouble", ["dropped 5 times", "flooded past the cap"])
async def test_a_held_up_delivery_says_still_sending_and_resumes(
    patient_bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path, trouble: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The zip's tries run out (5 dropped connections), or its flood outlasts the 2 s cap: the member is told the
    bot is still sending, not sorry; the delivery starts again by itself a second later and sends only the zip."""
    ann = tg.add_user("Ann")
    card = await ready_card(patient_bot, ann, tiny_video)
    if trouble == "dropped 5 times":
        tg.drop("sendDocument", times=5)
    else:  # the rate limiter tries 6 times (5 s of 429s), then the bot would wait past its 2 s cap
        tg.flood("sendDocument", times=8, retry_after=1)
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    await tg.wait_for(still_sending, timeout=240, since=since)
    await wait_for_zip(tg, ann.id, since, wait_s=120)
    await tg.wait_for_bot_message(ann, lambda m: "done in" in m.content, timeout=60, after=card)
    each_once(tg, ann)
    assert any("delivery paused" in r.getMessage() for r in caplog.records)
