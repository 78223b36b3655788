"""The chosen part with its new music reaches the member while the job still makes the previews and the zip;
each file is sent once, after a restart in between too; the progress message shows the stages under way."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from engine import split
from engine.generator import Generator
from engine.stages import Stage
from jobs.events import FirstResultsReady, StageStarted
from storage.jobs_repo import get_job
from storage.models import JobState
from tests.bot.bot_harness import WAIT_S, BotUnderTest, next_event, ready_card, wait_for_zip
from tests.fake_telegram import FakeTelegram
from tests.holds import hold

pytestmark = pytest.mark.slow  # whole jobs


def seed_in(caption: str | None) -> str:
    found = re.search(r"seed\D*(\d+)", caption or "")
    assert found, caption
    return found.group(1)


async def test_the_result_arrives_while_the_job_still_runs_and_each_file_once(
    bot: BotUnderTest, tg: FakeTelegram, video: Path, held_zip: asyncio.Event
) -> None:
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, video, previews=1)
    events = bot.events()
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    ready = await next_event(events, lambda e: isinstance(e, FirstResultsReady))
    result = await tg.wait_until(
        lambda: next((c for c in tg.calls_of("sendVideo", chat=ann.id, ok=True) if "seed" in (c.text or "")), None),
        timeout=WAIT_S,
        what="the chosen part with its new music",
    )
    music = await tg.wait_for_call("sendAudio", chat=ann.id, since=since, timeout=WAIT_S)
    job = await get_job(bot.services.db, ready.job_id)
    assert job is not None and job.state == JobState.RUNNING  # the zip is not made yet
    assert not tg.calls_of("sendDocument", chat=ann.id)

    held_zip.set()
    await wait_for_zip(tg, ann.id, since)
    await bot.settled()
    assert await bot.delivered(ready.job_id)
    results = [c for c in tg.calls_of("sendVideo", chat=ann.id, ok=True) if "seed" in (c.text or "")]
    assert results == [result]
    assert [c for c in tg.calls_of("sendAudio", chat=ann.id) if c.ok] == [music]
    assert len([c for c in tg.calls_of("sendDocument", chat=ann.id) if c.ok]) == 1
    previews = [c for c in tg.calls_of("sendVideo", chat=ann.id, ok=True) if c is not result]
    assert len(previews) == 1  # part 1's preview; part 2's is the result, not sent twice
    assert result.index < previews[0].index


async def test_a_restart_after_the_first_result_sends_each_file_once(
    bot: BotUnderTest, tg: FakeTelegram, video: Path, held_zip: asyncio.Event
) -> None:
    ann = tg.add_user("Ann")
    await bot.say(ann, "/set seed random")
    card = await ready_card(bot, ann, video, previews=0)
    events = bot.events()
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    ready = await next_event(events, lambda e: isinstance(e, FirstResultsReady))
    await tg.wait_for_call("sendAudio", chat=ann.id, since=since, timeout=WAIT_S)  # the result, then the music
    await bot.stop()  # cut short before its zip: queued again for the next start

    held_zip.set()
    await bot.start()
    await wait_for_zip(tg, ann.id, since)
    await bot.settled()
    assert await bot.delivered(ready.job_id)
    results = [c for c in tg.calls_of("sendVideo", chat=ann.id, ok=True) if "seed" in (c.text or "")]
    assert len(results) == 1
    assert len([c for c in tg.calls_of("sendAudio", chat=ann.id) if c.ok]) == 1
    assert len([c for c in tg.calls_of("sendDocument", chat=ann.id) if c.ok]) == 1
    job = await get_job(bot.services.db, ready.job_id)
    assert job is not None and str(job.seed) == seed_in(results[0].text)  # the zip was made with that seed


async def test_the_progress_message_shows_the_stages_under_way(
    bot: BotUnderTest, tg: FakeTelegram, video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the music is made beside the split, the message says both; the split and the music are held open until
    it does (the tiny model's music takes less than a chat's edit slot)."""
    release = hold(monkeypatch, "engine.render.split_video", split.split_video)
    release_music = hold(monkeypatch, "engine.generator.Generator.generate_takes", Generator.generate_takes)
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, video, steps=20, previews=0)
    events = bot.events()
    tg.press(ann, card, "Split-n-Generate")
    both = await next_event(events, lambda e: isinstance(e, StageStarted) and len(e.running) > 1)
    assert isinstance(both, StageStarted) and set(both.running) >= {Stage.SPLIT, Stage.GENERATE}

    def both_shown() -> bool:
        beside = "splitting the video into 2 parts at the same time"
        return any("generating music" in (m.text or "") and beside in (m.text or "") for m in tg.bot_messages(ann))

    await tg.wait_until(both_shown, timeout=WAIT_S, what="the progress message naming both stages")
    release.set()
    release_music.set()
    await bot.settled()
