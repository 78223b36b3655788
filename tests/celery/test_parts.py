"""The parts front ends and workers share, each on its own: progress-edit slots shared through Redis, queue positions
announced once, and the progress board waiting for its shared slot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram import Bot

from bot.progress import ProgressBoard
from engine.options import UserOptions
from jobs.chat_slots import RedisChatSlots
from jobs.events import AnyEvent, PositionChanged
from jobs.fleet import refresh_positions
from storage import claims, open_database, workers_repo
from storage.jobs_repo import JobRequest, QueueLimits, create_job
from storage.video_ref import VideoRef
from storage.workers_repo import NewWorker
from tests.fake_telegram import FakeTelegram


async def test_chat_slots_are_shared_by_every_client(broker_url: str) -> None:
    """Two processes (two clients) editing in one group: their slots follow one another, an interval apart."""
    first, second = RedisChatSlots(broker_url), RedisChatSlots(broker_url)
    try:
        waits = [
            await first.reserve(-100, 6.0),
            await second.reserve(-100, 6.0),
            await first.reserve(-100, 6.0),
        ]
        assert waits[0] == pytest.approx(0.0, abs=0.5)
        assert waits[1] == pytest.approx(6.0, abs=0.5) and waits[2] == pytest.approx(12.0, abs=0.5)
        assert await first.reserve(-200, 6.0) == pytest.approx(0.0, abs=0.5)  # another chat: its own slots
        await second.hold(-300, 30.0)  # Telegram said wait 30 s in that chat
        assert await first.reserve(-300, 1.5) == pytest.approx(30.0, abs=0.5)
    finally:
        await first.close()
        await second.close()


async def test_a_position_change_is_announced_once(fleet_database_url: str, tmp_path: Path) -> None:
    db = await open_database(fleet_database_url)
    try:
        jobs = []
        for user in (1, 2, 3):
            request = JobRequest(user, user, VideoRef(f"v{user}"), "jazz", 2, 1, UserOptions())
            jobs.append((await create_job(db, request, QueueLimits())).job)
        heard: list[AnyEvent] = []
        front_end: list[AnyEvent] = []
        await refresh_positions(db, heard.append)
        assert [(e.job_id, e.position) for e in heard if isinstance(e, PositionChanged)] == [
            (jobs[0].id, 0),
            (jobs[1].id, 1),
            (jobs[2].id, 2),
        ]
        await refresh_positions(db, front_end.append)
        assert front_end == []  # nothing changed: nothing to say
        worker = await workers_repo.register(db, NewWorker("w1", "host", 1, "cpu", 30.0))
        await claims.claim_next(db, worker)  # the first job starts: the others move up, announced by one process
        heard.clear()
        await asyncio.gather(refresh_positions(db, heard.append), refresh_positions(db, front_end.append))
        moves = sorted((e.job_id, e.position) for e in [*heard, *front_end] if isinstance(e, PositionChanged))
        assert moves == [(jobs[1].id, 0), (jobs[2].id, 1)]
    finally:
        await db.close()


class RecordedSlots:
    def __init__(self) -> None:
        self.reserved: list[tuple[int, float]] = []

    async def reserve(self, chat_id: int, interval: float) -> float:
        self.reserved.append((chat_id, interval))
        return 0.0

    async def hold(self, chat_id: int, seconds: float) -> None:
        return None


async def test_the_progress_board_waits_for_the_shared_slot(tg: FakeTelegram) -> None:
    ann = tg.add_user("Ann")
    chat = tg.private_chat(ann)
    shared = RecordedSlots()
    async with Bot(tg.token, base_url=tg.base_url) as bot:
        message = await bot.send_message(chat.id, "queued")
        board = ProgressBoard(bot, private_interval=0.0, shared=shared)
        board.attach(1, chat.id, message.message_id, in_group=False)
        board.show(1, "running")
        await board.settled(1)
    assert shared.reserved == [(chat.id, 0.0)]
    assert tg.message(chat.id, message.message_id).text == "running"
