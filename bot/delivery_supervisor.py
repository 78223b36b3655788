"""Each finished job's results sent once, in a task of its own, then the job's last word on its progress message.

A delivery that the network holds up (`DeliveryPaused`: a file's retries or its flood wait ran out) is not given
up: the progress message says the bot is still sending, and the delivery starts again after DELIVERY_RETRY_SECONDS,
then twice as long each time up to ten minutes, for as long as the bot runs; each new start sends only what was
not sent (and a restart offers it again too). A delivery that finds the member gone (blocked the bot, left the
chat) ends quietly and counts as delivered. One that fails for another reason (a bug: Telegram refused a request
as malformed) ends with an apology naming the job; the results stay, and are offered again at the next start,
since the job is not marked delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Bot

from bot.config import DEFAULT_DELIVERY, DeliveryPolicy
from bot.delivery import Delivery, DeliveryPaused, DeliveryStopped
from bot.jobtexts import Phase
from bot.progress_presenter import JobTrack, ProgressPresenter
from bot.texts import tr
from storage.database import Database
from storage.jobs_repo import TAKE_KIND, get_job, mark_delivered
from storage.models import JobState

log = logging.getLogger(__name__)


class DeliverySupervisor:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        presenter: ProgressPresenter,
        upload_limit: int,
        policy: DeliveryPolicy = DEFAULT_DELIVERY,
    ) -> None:
        self.bot = bot
        self.db = db
        self.presenter = presenter
        self.upload_limit = upload_limit
        self.policy = policy
        self.deliveries: dict[int, asyncio.Task[None]] = {}
        self.paused: set[int] = set()  # jobs whose delivery waits to be tried again

    def deliver(self, track: JobTrack) -> None:
        """Start the job's delivery, unless it is already under way."""
        if track.job_id not in self.deliveries:
            self.deliveries[track.job_id] = asyncio.create_task(self._deliver(track), name=f"deliver-{track.job_id}")

    async def _deliver(self, track: JobTrack) -> None:
        wait = self.policy.retry_s
        try:
            while True:
                try:
                    await self._attempt(track)
                    return
                except DeliveryPaused as exc:
                    log.warning("job %s: delivery paused (%s); trying again in %.0f s", track.job_id, exc, wait)
                    self.paused.add(track.job_id)
                    self.presenter.still_sending(track)
                    await asyncio.sleep(wait)
                    self.paused.discard(track.job_id)
                    wait = min(wait * 2, max(self.policy.retry_max_s, self.policy.retry_s))
        finally:
            self.paused.discard(track.job_id)
            self.presenter.tracks.pop(track.job_id, None)
            self.deliveries.pop(track.job_id, None)

    async def _attempt(self, track: JobTrack) -> None:
        """One start of the delivery, from the first file not sent; DeliveryPaused to be started again later."""
        try:
            job = await get_job(self.db, track.job_id)
            if job is None:
                return
            self.presenter.uploading(track)
            delivery = Delivery(self.bot, self.db, job, track.lang, self.upload_limit, job.chat_id < 0, self.policy)
            await delivery.run()
            if job.state == JobState.CHOOSING:  # its takes were sent: the job waits for its member's pick
                takes = len([file for file in job.files if file.kind == TAKE_KIND])
                await self.presenter.finish(track, Phase.CHOOSING, takes=takes)
                log.info("job %s: %d takes delivered", job.id, takes)
                return
            seconds = round(time.time() - track.created_at)
            await self.presenter.finish(track, Phase.DONE, seconds=max(seconds, 1))
            log.info("job %s: delivered", job.id)
        except DeliveryPaused:
            raise
        except DeliveryStopped as exc:
            log.info("job %s: delivery ended, the member cannot be reached (%s)", track.job_id, exc)
            await mark_delivered(self.db, track.job_id)
            self.presenter.drop(track)
        except Exception:
            log.exception("job %s: delivery failed", track.job_id)
            reason = tr(
                track.lang,
                "Something went wrong on my side{job}; it has been logged. Please try again.",
                job=tr(track.lang, " (job #{job})", job=track.job_id),
            )
            with contextlib.suppress(Exception):
                await self.presenter.finish(track, Phase.FAILED, reason=reason)

    async def stop(self) -> None:
        for task in list(self.deliveries.values()):
            task.cancel()
        await asyncio.gather(*self.deliveries.values(), return_exceptions=True)
