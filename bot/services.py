"""What the handlers share for the life of the application: settings, database, model, runner, progress.

One `Services` lives in `application.bot_data["services"]`; handlers reach it with `services(context)`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from telegram.ext import Application, CallbackContext

from riffcut.settings import Settings

if TYPE_CHECKING:
    from bot.progress import ProgressBoard
    from engine.generator import Generator
    from engine.runner import JobRunner
    from storage.database import Database

KEY = "services"

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(OrderedDict[K, V]):
    """A dict that forgets its oldest entries beyond `limit` (in-memory notes that must not grow forever)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


@dataclass
class Services:
    settings: Settings
    database: Database | None = None
    generator: Generator | None = None
    runner: JobRunner | None = None
    progress: ProgressBoard | None = None
    languages: BoundedDict[int, str] = field(default_factory=lambda: BoundedDict(10_000))  # job id -> language
    # (chat, user) -> its lock and how many handlers hold or wait for it; dropped when none do.
    _locks: dict[tuple[int, int], tuple[asyncio.Lock, int]] = field(default_factory=dict)

    @asynccontextmanager
    async def user_lock(self, chat_id: int, user_id: int) -> AsyncIterator[None]:
        """One state change at a time per (chat, user): a double tap waits for the first tap's answer."""
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

    @property
    def locks_held(self) -> int:
        """How many (chat, user) locks are in use (held or waited for)."""
        return len(self._locks)

    @property
    def db(self) -> Database:
        if self.database is None:
            raise RuntimeError("the database is not open yet")
        return self.database

    @property
    def jobs(self) -> JobRunner:
        if self.runner is None:
            raise RuntimeError("the job runner is not started yet")
        return self.runner

    @property
    def board(self) -> ProgressBoard:
        if self.progress is None:
            raise RuntimeError("the progress board is not started yet")
        return self.progress

    @property
    def download_limit(self) -> int | None:
        """Bytes a bot may download with getFile; None with a local Bot API server."""
        return None if self.settings.telegram_local_mode else DOWNLOAD_LIMIT_BYTES

    @property
    def upload_limit(self) -> int:
        return LOCAL_UPLOAD_LIMIT_BYTES if self.settings.telegram_local_mode else UPLOAD_LIMIT_BYTES


# The Bot API server's own constants (telegram-bot-api: 20 << 20, 50 << 20, 2000 << 20).
DOWNLOAD_LIMIT_BYTES = 20 << 20
UPLOAD_LIMIT_BYTES = 50 << 20
LOCAL_UPLOAD_LIMIT_BYTES = 2000 << 20


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return context.application.bot_data[KEY]


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    return application.bot_data[KEY]
