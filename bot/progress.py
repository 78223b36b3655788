"""One progress message per job, edited as the job moves, within Telegram's flood limits.

`ProgressBoard.show(job_id, text, keyboard)` records what the message should say now; a per-job task edits the
message when the chat's next slot comes. Slots are per chat, across all the jobs in that chat: at least 1.5 s
apart in private chats and 6 s in groups (20 messages a minute there). An edit is skipped when the text and
buttons are what the message already shows. A final state (`finish`) waits for its slot and is always shown.
Edits that fail (429 after the rate limiter's retries, a deleted message, a blocked bot) are logged and never
raised into the job. Where other processes edit messages in the same chats (workers on other hosts), `shared`
slots (`SharedSlots`, e.g. jobs.chat_slots.RedisChatSlots) space the edits of all of them, each edit waiting for
both its local and its shared slot; the board forgets its oldest jobs beyond `MAX_JOBS` (a front end whose jobs
end on workers never sees their end).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.bounded import BoundedDict

log = logging.getLogger(__name__)

PRIVATE_INTERVAL_S = 1.5
GROUP_INTERVAL_S = 6.0
MAX_JOBS = 10_000


class SharedSlots(Protocol):
    """A chat's edit slots shared with other processes."""

    async def reserve(self, chat_id: int, interval: float) -> float:
        """Claim the chat's next slot, `interval` after the previous one; the seconds to wait for it."""
        ...

    async def hold(self, chat_id: int, seconds: float) -> None:
        """No slot in the chat for `seconds` (Telegram asked to wait)."""
        ...


@dataclass
class _Entry:
    job_id: int
    chat_id: int
    message_id: int
    in_group: bool
    shown: tuple[str, str] | None = None  # (text, buttons) last sent
    pending: tuple[str, InlineKeyboardMarkup | None] | None = None
    task: asyncio.Task[None] | None = None
    dead: bool = False  # the message cannot be edited any more (deleted, bot blocked)
    edits: int = 0
    skipped: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)


def flood_wait_seconds(exc: RetryAfter) -> float:
    """The seconds a 429 asks to wait: `retry_after` is an int in PTB 22 and a timedelta with PTB_TIMEDELTA=1
    (the coming default); read once (each read of the int form warns)."""
    wait = exc.retry_after
    return float(wait.total_seconds() if isinstance(wait, dt.timedelta) else wait)


def _markup_key(markup: InlineKeyboardMarkup | None) -> str:
    return "" if markup is None else str(markup.to_dict())


class ProgressBoard:
    def __init__(
        self,
        bot: Bot,
        *,
        private_interval: float = PRIVATE_INTERVAL_S,
        group_interval: float = GROUP_INTERVAL_S,
        shared: SharedSlots | None = None,
    ) -> None:
        self.bot = bot
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.shared = shared
        self._entries: BoundedDict[int, _Entry] = BoundedDict(MAX_JOBS)  # a front end never sees some jobs end
        self._next_slot: dict[int, float] = {}  # chat id -> monotonic time of its next free slot

    def has(self, job_id: int) -> bool:
        return job_id in self._entries

    def message_id(self, job_id: int) -> int | None:
        entry = self._entries.get(job_id)
        return entry.message_id if entry else None

    def attach(self, job_id: int, chat_id: int, message_id: int, *, in_group: bool, text: str = "") -> None:
        """Take over an existing message (one just sent, or one from before a restart)."""
        entry = _Entry(job_id, chat_id, message_id, in_group)
        entry.idle.set()
        if text:
            entry.shown = (text, "")
        self._entries[job_id] = entry
        self.reserve(chat_id, in_group)

    def reserve(self, chat_id: int, in_group: bool) -> float:
        """Claim the chat's next slot; returns the seconds to wait for it."""
        now = time.monotonic()
        at = max(now, self._next_slot.get(chat_id, 0.0))
        self._next_slot[chat_id] = at + (self.group_interval if in_group else self.private_interval)
        return at - now

    async def _slot(self, entry: _Entry) -> float:
        """Seconds until the entry's chat may be edited: its local slot, and its shared one where there is one."""
        wait = self.reserve(entry.chat_id, entry.in_group)
        if self.shared is not None:
            interval = self.group_interval if entry.in_group else self.private_interval
            try:
                wait = max(wait, await self.shared.reserve(entry.chat_id, interval))
            except Exception as exc:  # the shared clock is down: the local slot still keeps this process in budget
                log.warning("progress of job %s: shared edit slots unavailable (%s)", entry.job_id, exc)
        return wait

    def show(self, job_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        entry = self._entries.get(job_id)
        if entry is None or entry.dead:
            return
        entry.pending = (text, keyboard)
        if entry.task is None or entry.task.done():
            entry.idle.clear()
            entry.task = asyncio.get_running_loop().create_task(self._flush(entry), name=f"progress-{job_id}")

    async def finish(self, job_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        """Show a final state and forget the job once it is shown."""
        entry = self._entries.get(job_id)
        if entry is None:
            return
        self.show(job_id, text, keyboard)
        await entry.idle.wait()
        self._entries.pop(job_id, None)

    async def settled(self, job_id: int) -> None:
        """Until what was last asked for the job's message is shown (or skipped)."""
        entry = self._entries.get(job_id)
        if entry is not None:
            await entry.idle.wait()

    def drop(self, job_id: int) -> None:
        """Stop editing a job's message (its chat cannot be reached)."""
        entry = self._entries.pop(job_id, None)
        if entry is not None and entry.task is not None and not entry.task.done():
            entry.task.cancel()

    async def close(self) -> None:
        for entry in list(self._entries.values()):
            if entry.task is not None and not entry.task.done():
                entry.task.cancel()
        self._entries.clear()

    def stats(self) -> tuple[int, int]:
        entries = list(self._entries.values())
        return sum(e.edits for e in entries), sum(e.skipped for e in entries)

    async def _flush(self, entry: _Entry) -> None:
        try:
            while entry.pending is not None and not entry.dead:
                await asyncio.sleep(await self._slot(entry))
                pending, entry.pending = entry.pending, None
                if pending is None:
                    break
                text, keyboard = pending
                key = (text, _markup_key(keyboard))
                if key == entry.shown:
                    entry.skipped += 1
                    continue
                if await self._edit(entry, text, keyboard):
                    entry.shown = key
        finally:
            entry.idle.set()

    async def _edit(self, entry: _Entry, text: str, keyboard: InlineKeyboardMarkup | None) -> bool:
        """Edit the message; True when it now shows `text` (sent, or Telegram says it already did)."""
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=entry.chat_id,
                message_id=entry.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
            entry.edits += 1
            return True
        except RetryAfter as exc:  # still flooded after the rate limiter's retries: wait the chat out
            wait = flood_wait_seconds(exc)
            self._next_slot[entry.chat_id] = time.monotonic() + wait
            if self.shared is not None:
                with contextlib.suppress(Exception):
                    await self.shared.hold(entry.chat_id, wait)
            if entry.pending is None:
                entry.pending = (text, keyboard)
            log.info("progress of job %s: flood wait %.0f s", entry.job_id, wait)
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            log.warning("progress of job %s: %s", entry.job_id, exc.message)
            if "not found" in exc.message.lower() or "can't be edited" in exc.message.lower():
                entry.dead = True
        except Forbidden as exc:
            log.info("progress of job %s: %s", entry.job_id, exc.message)
            entry.dead = True
        except TelegramError as exc:  # network trouble: the next state will try again
            log.warning("progress of job %s: %s", entry.job_id, exc)
        return False
