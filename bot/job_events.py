"""The bot's side of the job queue: one subscription to its events, each handed to the presenter or delivery.

`JobEvents.start()` subscribes before starting the queue (so results a restart left undelivered are offered
again), then reads the events in a task of its own: positions, stages and steps go to the job's progress
message, the end of a failed or cancelled job to its last word, `FirstResultsReady` to an early delivery of
the first results while the job goes on, and `ReadyToDeliver` to the delivery of the rest. One bad event
never stops the progress of every other job. Every job ends with a sentence on its progress message: done in
N s, cancelled, or the reason it failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, assert_never

from telegram import Bot

from bot.bounded import BoundedDict
from bot.config import DEFAULT_DELIVERY, DeliveryPolicy
from bot.delivery_supervisor import DeliverySupervisor
from bot.jobtexts import Phase
from bot.progress import ProgressBoard
from bot.progress_presenter import ProgressPresenter
from bot.refusals import reason_words
from jobs.events import (
    AnyEvent,
    FirstResultsReady,
    PositionChanged,
    ReadyToDeliver,
    StageEnded,
    StageStarted,
    StateChanged,
    StepDone,
    Subscription,
)
from jobs.queue import JobQueue
from storage.database import Database
from storage.models import JobState

log = logging.getLogger(__name__)


def job_reporting(
    bot: Bot,
    db: Database,
    jobs: JobQueue,
    board: ProgressBoard,
    languages: BoundedDict[int, str],
    upload_limit: int,
    policy: DeliveryPolicy = DEFAULT_DELIVERY,
) -> JobEvents:
    """What tells members about their jobs, in any process that runs them (the bot's; a worker's on another host):
    progress messages on `board`, the last words, the deliveries (through a bad network as `policy` says)."""
    presenter = ProgressPresenter(bot, db, board, languages)
    return JobEvents(jobs, presenter, DeliverySupervisor(bot, db, presenter, upload_limit, policy))


class JobEvents:
    def __init__(self, jobs: JobQueue, presenter: ProgressPresenter, delivery: DeliverySupervisor) -> None:
        self.jobs = jobs
        self.presenter = presenter
        self.delivery = delivery
        self.subscription: Subscription | None = None
        self.reader: asyncio.Task[None] | None = None
        self.finishing: set[asyncio.Task[None]] = set()
        self._handling = False

    async def start(self) -> int:
        """Subscribe, start the queue; returns how many finished jobs were offered for delivery again."""
        self.subscription = self.jobs.subscribe()
        self.reader = asyncio.create_task(self._read(self.subscription), name="job-events")
        return len(await self.jobs.start())

    async def stop(self) -> None:
        await self.jobs.stop()
        await self.delivery.stop()
        await asyncio.gather(*self.finishing, return_exceptions=True)
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)

    async def settled(self) -> None:
        """Until every event read so far is handled: deliveries ended, each job's last word shown (for tests
        and a graceful drain; the queue itself may still be running jobs)."""
        while True:
            busy = [*self.delivery.deliveries.values(), *self.finishing]
            if busy:
                await asyncio.gather(*busy, return_exceptions=True)
            elif self._handling or (self.subscription is not None and self.subscription.pending()):
                await asyncio.sleep(0)  # let the reader take the next event
            else:
                return

    async def _read(self, subscription: Subscription) -> None:
        async for event in subscription:
            self._handling = True
            try:
                await self.on_event(event)
            except Exception:
                log.exception("job %s: could not handle the queue's %s event", event.job_id, type(event).__name__)
            finally:
                self._handling = False

    async def on_event(self, event: AnyEvent) -> None:
        track = await self.presenter.track(event)
        if track is None:
            return
        match event:
            case PositionChanged():
                self.presenter.position(track, event)
            case StageStarted() | StageEnded():
                self.presenter.stage(track, event)
            case StepDone():
                self.presenter.step(track, event)
            case StateChanged(state=JobState.FAILED):
                reason = reason_words(track.lang, event.reason) if event.reason is not None else ""
                self._finish(self.presenter.finish(track, Phase.FAILED, reason=reason), track.job_id)
            case StateChanged(state=JobState.CANCELLED):
                self._finish(self.presenter.finish(track, Phase.CANCELLED), track.job_id)
            case StateChanged():
                pass  # queued, running, done: the stages and the delivery say more
            case FirstResultsReady():
                self.delivery.deliver(track, final=False)
            case ReadyToDeliver():
                self.delivery.deliver(track)
            case _:
                assert_never(event)

    def _finish(self, last_word: Coroutine[Any, Any, None], job_id: int) -> None:
        task = asyncio.create_task(last_word, name=f"finish-{job_id}")
        self.finishing.add(task)
        task.add_done_callback(self.finishing.discard)
