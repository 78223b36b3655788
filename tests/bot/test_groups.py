"""Two members of a group work at once with /riff; only the starter or an admin can cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.events import StateChanged, StepDone
from storage.models import JobState
from tests.bot.bot_harness import BotUnderTest, next_event
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow


async def test_two_members_at_once(bot: BotUnderTest, tg: FakeTelegram, video: Path, media: Path) -> None:
    ann, bob, cat = tg.add_user("Ann"), tg.add_user("Bob"), tg.add_user("Cat")
    group = tg.add_group(members=[ann, bob], admins=[cat])
    for user in (ann, bob):
        await bot.say(user, "/set steps 2", chat=group)
    await bot.say(bob, "/set previews 0", chat=group)
    # Ann replies to her own video with /riff; Bob sends a video captioned /riff@Bot
    ann_video = tg.send_video(ann, media / "h264-no-audio-2s.mp4", chat=group)
    since = tg.mark()
    tg.send_text(ann, "/riff calm piano", chat=group, reply_to=ann_video)
    bob_video = tg.send_video(bob, media / "mjpeg-pcm-1.5s.mov", chat=group, caption="/riff@RiffcutTestBot drums")
    ann_zip = await tg.wait_for(
        lambda c: (
            c.method == "sendDocument"
            and c.params.get("reply_parameters", {}).get("message_id") == ann_video.message_id
        ),
        timeout=180,
        since=since,
    )
    bob_zip = await tg.wait_for(
        lambda c: (
            c.method == "sendDocument"
            and c.params.get("reply_parameters", {}).get("message_id") == bob_video.message_id
        ),
        timeout=180,
        since=since,
    )
    assert ann_zip.ok and bob_zip.ok
    captions = [c.text or "" for c in tg.calls_of("sendVideo", chat=group.id) if c.index > since]
    assert any("calm piano" in c for c in captions) and any("drums" in c for c in captions)
    # Bob asked for no previews, Ann has the default (an album of her 1 part is a single video)
    assert not [c for c in tg.calls_of("sendMediaGroup", chat=group.id) if c.index > since]
    # each member's state stayed their own
    assert "calm piano" in (await bot.say(ann, "/status", chat=group)).content
    assert "drums" in (await bot.say(bob, "/status", chat=group)).content


async def test_cancel_rights(bot: BotUnderTest, tg: FakeTelegram, media: Path) -> None:
    ann, bob, cat = tg.add_user("Ann"), tg.add_user("Bob"), tg.add_user("Cat")
    group = tg.add_group(members=[ann, bob], admins=[cat])
    await bot.say(ann, "/set steps 100", chat=group)
    ann_video = tg.send_video(ann, media / "h264-no-audio-2s.mp4", chat=group)
    riff = tg.send_text(ann, "/riff slow strings", chat=group, reply_to=ann_video)
    events = bot.events()
    progress = await bot.answer_to(riff, lambda m: "Cancel" in str(m.reply_markup), wait_s=60)
    query = tg.press(bob, progress, "Cancel")
    answer = await tg.wait_until(lambda: tg.callback_answer(query))
    assert "Only the member who started" in answer.get("text", "")
    # /cancel in reply to the progress message means that job, with the same rights as the button
    refusal = await bot.say(bob, "/cancel", chat=group, reply_to=progress)
    assert "Only the member who started" in refusal.content
    step = await next_event(events, lambda e: isinstance(e, StepDone))  # the job is diffusing
    query = tg.press(cat, progress, "Cancel")
    # Answered at once (the default wait, 10 s), whatever the job still has to do: the queue is asked to cancel
    # and the answer does not wait for the job to stop (it used to, for the whole job when the cancel came
    # while the job's folder was being made).
    answer = await tg.wait_until(lambda: tg.callback_answer(query))
    assert "cancelled" in answer.get("text", "")
    ended = await next_event(events, lambda e: isinstance(e, StateChanged) and e.job_id == step.job_id)
    assert isinstance(ended, StateChanged) and ended.state is JobState.CANCELLED
    await bot.settled()
    assert "cancelled" in tg.message(group, progress.message_id).content
    assert (await bot.runner.position(step.job_id), bot.runner.running_ids()) == (None, [])
