"""Running the real bot (riffcut.wiring.build_bot: the composition root's) against the fake Telegram server, as
its users would: with the in-process runner (RUNNER=local), or as a front end of real `riffcut worker` processes
(RUNNER=celery, `workers` given)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import app as bot_app
from bot.context import RiffcutApp
from bot.services import Services
from jobs.events import AnyEvent, Subscription
from jobs.local_runner import JobRunner
from riffcut.settings import Settings, load_settings
from riffcut.wiring import build_bot
from storage import workers_repo
from storage.jobs_repo import get_job, jobs_in_state, undelivered_jobs
from storage.migrate import upgrade_database
from storage.models import UNFINISHED, Job, JobState
from tests.fake_telegram import Call, FakeTelegram, FakeUser, ViewMessage
from tests.workers import Workers, eventually

SHORT_VIDEO = "h264-aac-320x240-7s.mp4"
WAIT_S = 240.0  # only a guard against hanging forever; nothing is timed


class BotUnderTest:
    """Starts, stops and restarts the bot on the same database; sends and waits as a user would."""

    def __init__(self, tg: FakeTelegram, overrides: dict[str, Any], workers: Workers | None = None) -> None:
        self.tg = tg
        self.overrides = overrides
        self.workers = workers  # the worker processes of a front end (RUNNER=celery)
        self.application: RiffcutApp | None = None

    def settings(self) -> Settings:
        return load_settings(
            telegram_bot_token=self.tg.token,
            telegram_api_base_url=self.tg.base_url,
            telegram_file_base_url=self.tg.base_file_url,
            **self.overrides,
        )

    async def start(self) -> None:
        settings = self.settings()
        await upgrade_database(settings.resolved_database_url)  # as `riffcut bot`'s preflight does
        self.application = build_bot(settings, poll_timeout=1)
        await bot_app.start(self.application)

    async def stop(self) -> None:
        if self.application is not None:
            await bot_app.stop(self.application)
            self.application = None

    async def __aenter__(self) -> BotUnderTest:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def services(self) -> Services:
        assert self.application is not None
        return self.application.bot_data.services

    @property
    def runner(self) -> JobRunner:
        """The job queue behind the bot (the in-process runner, as riffcut.wiring builds it)."""
        jobs = self.services.jobs
        assert isinstance(jobs, JobRunner)
        return jobs

    def events(self) -> Subscription:
        """The job queue's events from now on."""
        return self.services.jobs.subscribe()

    async def settled(self) -> None:
        """Until no job waits or runs, every delivery has ended and every progress message shows its last state."""
        if self.workers is None:
            await self.runner.wait_idle()
        else:
            await eventually(self.workers_idle, "the workers to finish, deliver and report every job")
        job_events = self.application.bot_data.job_events if self.application is not None else None
        if job_events is not None:
            await job_events.settled()

    async def workers_idle(self) -> bool:
        """No job waits, runs or waits for delivery, and no worker holds one (each job's last word shown)."""
        db = self.services.db
        if await jobs_in_state(db, *UNFINISHED) or await undelivered_jobs(db):
            return False
        return all(worker.current_job_id is None for worker in await workers_repo.running_workers(db))

    async def running_ids(self) -> list[int]:
        return [job.id for job in await jobs_in_state(self.services.db, JobState.RUNNING)]

    async def wait_for_job(self, matches: Callable[[Job], bool], what: str) -> Job:
        """The first job (oldest first) whose row matches, from the database both runners keep up to date."""

        async def found() -> Job | None:
            jobs = await jobs_in_state(self.services.db, *JobState)
            return next((job for job in jobs if matches(job)), None)

        return await eventually(found, what)

    async def delivered(self, job_id: int) -> bool:
        job = await get_job(self.services.db, job_id)
        return job is not None and job.delivered_at is not None

    async def say(self, user: FakeUser, text: str, *, chat: Any = None, reply_to: Any = None) -> ViewMessage:
        """Send a text and return the first bot message that answers it."""
        sent = self.tg.send_text(user, text, chat=chat, reply_to=reply_to)
        return await self.tg.wait_for_bot_message(chat or user, after=sent)

    async def answer_to(
        self, sent: ViewMessage, where: Callable[[ViewMessage], Any] = lambda m: True, wait_s: float = 30.0
    ) -> ViewMessage:
        return await self.tg.wait_for_bot_message(sent.chat_id, where, timeout=wait_s, after=sent)


async def next_event(subscription: Subscription, matches: Callable[[AnyEvent], bool]) -> AnyEvent:
    """The next event of the subscription that matches (the queue's own word, not a throttled message)."""
    async with asyncio.timeout(WAIT_S):
        async for event in subscription:
            if matches(event):
                return event
    raise AssertionError("the job queue stopped before the event came")


async def ready_card(
    bot: BotUnderTest,
    user: FakeUser,
    video: Path,
    *,
    steps: int = 2,
    parts: int = 2,
    previews: int | None = None,
    prompt: str = "calm piano",
) -> ViewMessage:
    """Steps, previews, a video with its prompt, N parts: the card that offers Split-n-Generate."""
    tg = bot.tg
    await bot.say(user, f"/set steps {steps}")
    if previews is not None:
        await bot.say(user, f"/set previews {previews}")
    sent = tg.send_video(user, video, caption=prompt)
    await bot.answer_to(sent, lambda m: "Ready" in m.content)
    return await bot.say(user, f"/parts {parts}")


async def wait_for_zip(tg: FakeTelegram, chat_id: int, since: int, wait_s: float = 180.0) -> Call:
    """The zip sent to the chat after `since`; fails at once, with the reason, if a job fails instead."""

    def found() -> Call | None:
        for call in tg.calls[since:]:
            if call.method == "sendDocument" and call.ok and call.chat_id == chat_id:
                return call
            text = call.text or ""
            if call.chat_id == chat_id and "❌" in text:
                raise AssertionError(f"the job failed: {text}")
        return None

    return await tg.wait_until(found, wait_s, what="the zip")


def uploads(tg: FakeTelegram, user: FakeUser) -> Counter[str]:
    """How many times each result file reached the member, by file name: one count per upload (a file sent again
    is a second upload, with a new file id)."""
    seen: dict[str, str] = {}
    for message in tg.bot_messages(user):
        if message.media and message.media_type in ("video", "audio", "document"):
            seen[str(message.media["file_id"])] = str(message.media.get("file_name"))
    return Counter(seen.values())
