"""Each member's messages in a chat are handled one after another, in the order they were sent.

The bot handles updates concurrently (a slow video check never holds up anyone else), but a member's own
messages must not overtake each other: a `/parts 3` sent right after a video, while the video is still being
checked, waits for that check instead of being told "Send me a video first". `MemberOrder` is the application's
update processor: a message waits for the previous message of the same member in the same chat; presses on
buttons (a Cancel on a running job), and everyone else's messages, do not wait. At most `max_concurrent` handlers
run at once; a message waiting its turn takes no part of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

WAITING_LIMIT = 10_000  # updates held at once (running or waiting for their turn), all members together

Key = tuple[int, int]  # (chat id, user id)


def order_key(update: object) -> Key | None:
    """Whose turn a message takes: its chat and sender; None for what may run at once (a button press)."""
    if not isinstance(update, Update) or update.message is None:
        return None
    chat, user = update.effective_chat, update.effective_user
    return (chat.id, user.id) if chat is not None and user is not None else None


class MemberOrder(BaseUpdateProcessor):
    def __init__(self, max_concurrent: int) -> None:
        super().__init__(WAITING_LIMIT)
        self._running = asyncio.BoundedSemaphore(max_concurrent)
        self._last: dict[Key, asyncio.Future[None]] = {}  # each member's latest message, done when handled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = order_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        before = self._last.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = mine  # taken before the first await: in the order the updates arrived
        try:
            if before is not None:
                await asyncio.wait([before])
            async with self._running:
                await coroutine
        finally:
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                with contextlib.suppress(RuntimeError):
                    coroutine.close()  # cancelled while waiting its turn: it never ran
            mine.set_result(None)
            if self._last.get(key) is mine:
                del self._last[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
