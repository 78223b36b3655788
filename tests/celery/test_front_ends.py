"""Front ends with RUNNER=celery (the real bot, its jobs on real workers): /cancel of a job running on a worker and
of one no worker has taken, the admins' /queue with the workers online, and one Telegram update sent to two front
ends (a webhook repeated behind a load balancer) making one job."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from engine.stages import Stage
from storage.history import user_history
from storage.models import JobState
from tests.bot.bot_harness import BotUnderTest, ready_card
from tests.fake_telegram import FakeTelegram
from tests.net import free_port
from tests.workers import Workers, eventually, fleet

TINY_VIDEO = "h264-no-audio-2s.mp4"
SECRET = "front-end-secret"


@dataclass
class FrontEnds:
    tg: FakeTelegram
    workers: Workers
    stack: contextlib.AsyncExitStack

    async def start(self, **overrides: object) -> BotUnderTest:
        bot = BotUnderTest(self.tg, dict(overrides), self.workers)
        self.stack.push_async_callback(bot.stop)
        await bot.start()
        return bot


@pytest.fixture
async def front_ends(
    tg: FakeTelegram,
    fleet_database_url: str,
    broker_url: str,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[FrontEnds]:
    url = fleet_database_url
    workers = fleet(monkeypatch, tmp_path, tg, database_url=url, broker_url=broker_url, model=tiny_model)
    monkeypatch.setenv("ADMIN_USER_IDS", "4242")
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(workers.stop)
        yield FrontEnds(tg, workers, stack)


@pytest.mark.slow  # a real worker and a job
async def test_cancel_a_job_running_on_a_worker(front_ends: FrontEnds, media: Path) -> None:
    tg = front_ends.tg
    await front_ends.workers.start("w1")
    bot = await front_ends.start()
    ann, admin = tg.add_user("Ann"), tg.add_user("Admin", user_id=4242)
    card = await ready_card(bot, ann, media / TINY_VIDEO, steps=300, previews=0)
    query = tg.press(ann, card, "Split-n-Generate")
    await tg.wait_until(lambda: tg.callback_answer(query), timeout=30)
    job = await bot.wait_for_job(lambda j: j.stage is Stage.GENERATE, "the job diffusing on the worker")

    queue = (await bot.say(admin, "/queue")).text or ""  # the admins see the worker, its job, and the queue
    assert "Workers online (1)" in queue and "Queue (1)" in queue, queue
    assert f"w1 · cpu on {socket.gethostname()} · job #{job.id} · 0 done" in queue, queue

    answer = await bot.say(ann, "/cancel")
    assert "cancelled" in (answer.text or "")
    stopped = await bot.wait_for_job(lambda j: j.id == job.id and j.state is JobState.CANCELLED, "cancelled")
    assert stopped.progress < 0.5  # stopped mid-diffusion, not left to finish
    await bot.settled()  # the worker is free again, the progress message has its last word
    assert job.progress_message_id is not None
    assert "cancelled" in (tg.message(ann, job.progress_message_id).text or "")
    assert not [c for c in tg.calls_of("sendDocument", chat=ann.id) if c.ok]


@pytest.mark.slow  # a real worker
async def test_cancel_a_job_no_worker_took(front_ends: FrontEnds, media: Path) -> None:
    tg = front_ends.tg
    bot = await front_ends.start()  # no worker yet: the job waits
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, media / TINY_VIDEO, previews=0)
    query = tg.press(ann, card, "Split-n-Generate")
    await tg.wait_until(lambda: tg.callback_answer(query), timeout=30)
    (job,) = await user_history(bot.services.db, ann.id)
    assert job.state is JobState.QUEUED and job.progress_message_id is not None
    answer = await bot.say(ann, "/cancel")
    assert "cancelled" in (answer.text or "")
    assert (await user_history(bot.services.db, ann.id))[0].state is JobState.CANCELLED
    await bot.settled()
    assert "cancelled" in (tg.message(ann, job.progress_message_id).text or "")
    worker = await front_ends.workers.start("w1")  # its turn finds nothing to run
    await eventually(lambda: _logged(worker.text(), f"turn of job {job.id}: nothing is waiting"), "the spent turn")
    (after,) = await user_history(bot.services.db, ann.id)
    assert after.state is JobState.CANCELLED and after.attempts == 0
    assert not [c for c in tg.calls_of("sendDocument", chat=ann.id)]


async def _logged(text: str, words: str) -> bool:
    return words in text


async def test_one_update_sent_to_two_front_ends_makes_one_job(
    front_ends: FrontEnds, media: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.repeats")
    tg = front_ends.tg
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}/hook" for port in ports]
    started = [
        await front_ends.start(webhook_url=url, webhook_listen="127.0.0.1", webhook_port=port, webhook_secret=SECRET)
        for url, port in zip(urls, ports, strict=True)
    ]
    bot = started[1]  # the fake server posts updates to the last webhook set
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, media / TINY_VIDEO, previews=0)
    query = tg.press(ann, card, "Split-n-Generate")
    await tg.wait_until(lambda: tg.callback_answer(query), timeout=30)
    assert "cancelled" in ((await bot.say(ann, "/cancel")).text or "")  # Ann changes her mind
    update = next(u for u in tg.updates if u.payload.get("callback_query", {}).get("id") == query)
    since = tg.mark()
    # Telegram sends the press again, and the load balancer hands it to the other front end: handled once already,
    # it must not make the job Ann cancelled again
    async with (
        aiohttp.ClientSession() as session,
        session.post(urls[0], json=update.payload, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as reply,
    ):
        assert reply.status == 200
    await eventually(lambda: _logged(caplog.text, f"update {update.update_id}: handled already"), "the repeat")
    jobs = await user_history(started[0].services.db, ann.id)
    assert [job.state for job in jobs] == [JobState.CANCELLED]
    assert not [c for c in tg.calls[since:] if c.method != "getUpdates"]  # and nothing was said or answered
