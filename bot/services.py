"""What the handlers share for the life of the application, reached as `context.services` (bot.context).

The composition root hands the bot an `OpenBackend`: given the bot's `FetchVideo` (downloads from Telegram), it
opens the database, loads what checks a prompt, and makes the job queue. The bot then depends on the
`jobs.queue.JobQueue` protocol only, never on a concrete runner.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.bounded import BoundedDict
from bot.config import BotConfig
from bot.progress import ProgressBoard, SharedSlots
from jobs.queue import JobQueue
from jobs.work import FetchVideo
from storage.database import Database

PromptCheck = Callable[[str], str]  # the prompt, stripped; BadInput when the model cannot take it


@dataclass(frozen=True)
class Backend:
    """What the composition root opens for the bot when it starts; the bot closes the database at shutdown."""

    db: Database
    jobs: JobQueue
    check_prompt: PromptCheck
    chat_slots: SharedSlots | None = None  # progress edit slots shared with workers elsewhere


OpenBackend = Callable[[FetchVideo], Awaitable[Backend]]


class UserLocks:
    """One state change at a time per (chat, user): a double tap waits for the first tap's answer.

    A lock is dropped when no handler holds or waits for it (the map never grows with every member ever seen).
    """

    def __init__(self) -> None:
        self._locks: dict[tuple[int, int], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int, user_id: int) -> AsyncIterator[None]:
        key = (chat_id, user_id)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        """How many (chat, user) locks are in use (held or waited for)."""
        return len(self._locks)


@dataclass
class Services:
    config: BotConfig
    db: Database
    jobs: JobQueue
    check_prompt: PromptCheck
    board: ProgressBoard
    languages: BoundedDict[int, str] = field(default_factory=lambda: BoundedDict(10_000))  # job id -> language
    locks: UserLocks = field(default_factory=UserLocks)
    refused: BoundedDict[int, float] = field(default_factory=lambda: BoundedDict(10_000))  # user -> when told no
