"""A storm of 429s during a job, the bot stopped mid-job, and a double tap on Generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.events import StepDone
from storage.history import user_history
from tests.bot.bot_harness import BotUnderTest, next_event, ready_card, wait_for_zip
from tests.bot.conftest import FLOW
from tests.fake_telegram import DOWNLOAD, FakeTelegram, FakeUser

pytestmark = pytest.mark.slow


def zips(tg: FakeTelegram, user: FakeUser) -> list[object]:
    """The zips the user received (each job sends one)."""
    return [c for c in tg.calls_of("sendDocument", chat=user.id) if c.ok]


@FLOW
async def test_storm_of_429s_during_a_job(bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path) -> None:
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    tg.flood(seconds=4.0, retry_after=1)  # every method but getUpdates, for 4 s
    since = tg.mark()
    query = tg.press(ann, card, "Split-n-Generate")
    await tg.wait_until(lambda: tg.callback_answer(query), timeout=30)
    await wait_for_zip(tg, ann.id, since)
    assert any(c.status == 429 for c in tg.calls)
    await tg.wait_for_bot_message(ann, lambda m: "done in" in m.content, timeout=60)
    assert "Ready" in (await bot.say(ann, "/status")).content  # the bot still answers


async def test_stopped_mid_job_delivers_once_after_restart(
    bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path
) -> None:
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video, steps=40, previews=0)
    events = bot.events()
    query = tg.press(ann, card, "Split-n-Generate")
    await tg.wait_until(lambda: tg.callback_answer(query), timeout=30)
    # The job is diffusing: the queue's own event says so. (The progress message is throttled: it may never show
    # "generating" before the job is past it, which is what the old wait for that edit raced against.)
    step = await next_event(events, lambda e: isinstance(e, StepDone))
    await bot.stop()
    assert not zips(tg, ann)
    await bot.start()  # the job interrupted by the stop runs again and is delivered
    await tg.wait_until(lambda: zips(tg, ann), timeout=240, what="the zip after the restart")
    await bot.settled()  # the queue idle, the delivery over, the last word on the progress message
    assert await bot.delivered(step.job_id)
    assert len(zips(tg, ann)) == 1
    assert any("done in" in m.content for m in tg.bot_messages(ann))
    await bot.restart()  # a second restart offers nothing again
    await bot.settled()
    assert len(zips(tg, ann)) == 1


@FLOW
async def test_double_tap_makes_one_job(bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path) -> None:
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    since = tg.mark()
    first = tg.press(ann, card, "Split-n-Generate")
    second = tg.press(ann, card, "Split-n-Generate")
    answers = [
        await tg.wait_until(lambda: tg.callback_answer(first), timeout=30),
        await tg.wait_until(lambda: tg.callback_answer(second), timeout=30),
    ]
    assert sum("already on its way" in a.get("text", "") for a in answers) == 1
    await wait_for_zip(tg, ann.id, since)
    await bot.settled()
    assert len(zips(tg, ann)) == 1
    assert len(await user_history(bot.services.db, ann.id)) == 1


@FLOW
async def test_results_over_the_upload_limit(bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path) -> None:
    """The server refuses big uploads (413): each refused file gets a sentence, what fits is still sent."""
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    tg.upload_limit = 100_000  # the part (85 kB) and the music (88 kB) fit, the zip (119 kB) does not
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    await tg.wait_for_bot_message(ann, lambda m: "done in" in m.content, timeout=180, after=card)
    uploads = [c for c in tg.calls[since:] if c.method in ("sendVideo", "sendAudio", "sendDocument")]
    refused = [c for c in uploads if c.status == 413]
    assert refused and any(c.ok for c in uploads), [(c.method, c.status) for c in uploads]
    notices = [m.text or "" for m in tg.bot_messages(ann) if "too large" in m.content]
    assert len(notices) == len(refused) and all("local Bot API server" in n for n in notices)


@FLOW
async def test_member_who_blocked_the_bot(bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path) -> None:
    """Blocked during the job: the delivery ends quietly, the job counts as delivered, the bot goes on."""
    ann, bob = tg.add_user("Ann"), tg.add_user("Bob")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    query = tg.press(ann, card, "Split-n-Generate")
    await tg.wait_until(lambda: tg.callback_answer(query), timeout=30)
    tg.block_bot(ann)
    jobs = await user_history(bot.services.db, ann.id)
    await tg.wait_until(lambda: any(c.status == 403 for c in tg.calls_of("sendVideo", chat=ann.id)), timeout=180)

    await bot.settled()
    assert len(jobs) == 1 and await bot.delivered(jobs[0].id)  # counted as delivered: not offered again
    assert not [c for c in tg.calls_of("sendDocument", chat=ann.id) if c.ok]
    assert "Send me a video" in (await bot.say(bob, "/start")).content


async def test_a_job_whose_progress_message_failed_still_runs(
    bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path
) -> None:
    """The job is saved before its progress message: a failed send leaves an apology and the job still runs."""
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    tg.fail("sendMessage", error_code=500, description="Internal Server Error", chat=ann)
    since = tg.mark()
    query = tg.press(ann, card, "Split-n-Generate")
    answer = await tg.wait_until(lambda: tg.callback_answer(query), timeout=30)
    assert "went wrong" in answer.get("text", "")
    await wait_for_zip(tg, ann.id, since)
    jobs = await user_history(bot.services.db, ann.id)
    assert len(jobs) == 1 and jobs[0].state == "done"


async def test_telegram_failing_while_a_video_is_checked_leaves_a_sentence_not_a_checking_message(
    bot: BotUnderTest, tg: FakeTelegram, video: Path
) -> None:
    """getFile answers 500 on every try: after its retries the member gets one sentence, no apology, and the
    "Checking your video…" message does not stay as if still at work."""
    ann = tg.add_user("Ann")
    tg.fail("getFile", error_code=500, description="Internal Server Error", times=None)
    sent = tg.send_video(ann, video)
    answer = await bot.answer_to(sent, lambda m: "did not hand me the video" in m.content, wait_s=60)
    assert [m.text for m in tg.bot_messages(ann)] == [answer.text]
    assert len(tg.calls_of("getFile")) == 5


async def test_transient_trouble_on_downloads_is_retried(bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path) -> None:
    """getFile 500s and a dropped download, when the video arrives and again when its job fetches it: no one
    notices."""
    ann = tg.add_user("Ann")
    tg.fail("getFile", error_code=500, description="Internal Server Error", times=2)
    tg.drop(DOWNLOAD)
    card = await ready_card(bot, ann, tiny_video, previews=0)
    assert "Ready" in card.content
    tg.fail("getFile", error_code=502, description="Bad Gateway")
    tg.fail(DOWNLOAD, error_code=500, description="Internal Server Error")
    tg.drop(DOWNLOAD)
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    await wait_for_zip(tg, ann.id, since)
    assert [status for _, status in tg.failed_downloads] == [0, 500, 0]
    assert not [m for m in tg.bot_messages(ann) if "went wrong" in m.content or "❌" in m.content]
