"""The bot's own speed, measured through the fake Telegram server with the tiny model (no GPU needed).

Prints, side by side from one run:
- /status reply time (median, p95) with the bot idle, while a job is generating, and when 50 users send
  /status at once (from the update entering the server's queue to the end of the bot's sendMessage);
- the bot's overhead per job: wall time from the Generate press to the zip uploaded, minus the time the job
  spent in the engine's stages (probe, split, generate, remux, previews, zip), as recorded in the database;
  what is left is the bot's and the runner's: the download from Telegram, queueing, keeping the results,
  progress edits and the uploads.

Run: .venv/bin/python benchmarks/bench_bot.py [--jobs 3] [--steps 30]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot import app as bot_app  # noqa: E402
from bot.context import RiffcutApp  # noqa: E402
from riffcut.settings import load_settings  # noqa: E402
from riffcut.wiring import build_bot  # noqa: E402
from storage.history import user_history  # noqa: E402
from storage.migrate import upgrade_database  # noqa: E402
from storage.models import JobStageTime  # noqa: E402
from tests.fake_telegram import FakeTelegram, FakeUser  # noqa: E402

MEDIA = Path(os.environ.get("RIFFCUT_TEST_MEDIA", ROOT / "tests" / "data"))
VIDEO = MEDIA / "h264-aac-320x240-7s.mp4"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{name:<44} n={len(ms):<4} median {statistics.median(ms):7.1f} ms   p95 {pct(ms, 0.95):7.1f} ms"


async def status_time(tg: FakeTelegram, user: FakeUser) -> float:
    sent = tg.send_text(user, "/status")
    _, seconds = await tg.wait_for_reply(sent, methods=("sendMessage",), timeout=60)
    return seconds


async def ready_video(tg: FakeTelegram, user: FakeUser, steps: int) -> Any:
    for text in (f"/set steps {steps}", "/set previews 0"):
        sent = tg.send_text(user, text)
        await tg.wait_for_reply(sent, methods=("sendMessage",), timeout=60)
    sent = tg.send_video(user, VIDEO, caption="calm piano")
    await tg.wait_for_bot_message(user, lambda m: "Ready" in (m.text or ""), timeout=60, after=sent)
    sent = tg.send_text(user, "/parts 2")
    return await tg.wait_for_bot_message(user, lambda m: "Parts: 2." in (m.text or ""), timeout=60, after=sent)


async def run_job(tg: FakeTelegram, user: FakeUser, card: Any) -> float:
    """Seconds from the press to the zip's upload finished."""
    since = tg.mark()
    started = time.monotonic()
    tg.press(user, card, "Split-n-Generate")
    call = await tg.wait_for_call("sendDocument", chat=user.id, since=since, timeout=600)
    assert call.finished is not None
    return call.finished - started


ENGINE_STAGES = ("probe", "split", "generate", "remux", "preview", "full_cut", "zip")


async def engine_seconds(application: RiffcutApp, job_id: int) -> float:
    """Seconds the job spent in the engine's own stages (the download from Telegram is the bot's)."""
    db = application.bot_data.services.db
    async with db.sessions() as session:
        total = await session.scalar(
            select(func.sum(JobStageTime.seconds)).where(
                JobStageTime.job_id == job_id, JobStageTime.stage.in_(ENGINE_STAGES)
            )
        )
    return float(total or 0.0)


async def main(jobs: int, steps: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    from engine.tiny_model import write_tiny_model

    work = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    model = write_tiny_model(work / "model")
    os.environ.update(
        RIFFUSION_MODEL=str(model),
        DEVICE="cpu",
        DATA_DIR=str(work / "data"),
        TEMPORARY_DIRECTORY=str(work / "jobs"),
        HF_HUB_OFFLINE="1",
    )
    async with FakeTelegram(root=work / "telegram") as tg:
        settings = load_settings(
            telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url, telegram_file_base_url=tg.base_file_url
        )
        await upgrade_database(settings.resolved_database_url)  # as `riffcut bot`'s preflight does
        application = build_bot(settings, poll_timeout=1)
        await bot_app.start(application)
        try:
            ann, bob = tg.add_user("Ann"), tg.add_user("Bob")
            card = await ready_video(tg, ann, steps)
            await ready_video(tg, bob, steps)
            idle = [await status_time(tg, bob) for _ in range(20)]

            since = tg.mark()
            tg.press(ann, card, "Split-n-Generate")
            await tg.wait_for(
                lambda c: c.method == "editMessageText" and "generating" in (c.text or ""), timeout=120, since=since
            )
            busy: list[float] = []
            while not tg.calls_of("sendDocument", chat=ann.id) and len(busy) < 200:
                busy.append(await status_time(tg, bob))
            await tg.wait_for_call("sendDocument", chat=ann.id, since=since, timeout=600)

            crowd_users = [tg.add_user(f"User{i}") for i in range(50)]
            crowd = await asyncio.gather(*(status_time(tg, user) for user in crowd_users))

            overheads: list[float] = []
            walls: list[float] = []
            engines: list[float] = []
            for _ in range(jobs):
                sent = tg.send_text(bob, "/set seed random")
                await tg.wait_for_reply(sent, methods=("sendMessage",))
                card = await ready_video(tg, bob, steps)
                wall = await run_job(tg, bob, card)
                history = await _last_job(application, bob.id)
                engine = await engine_seconds(application, history)
                walls.append(wall)
                engines.append(engine)
                overheads.append(wall - engine)
        finally:
            await bot_app.stop(application)

    print(f"bot benchmark: tiny model on cpu, {steps} steps, a 7 s video in 2 parts, fake Telegram on 127.0.0.1")
    print(row("/status, bot idle", idle))
    print(row("/status while a job is generating", busy))
    print(row("/status, 50 users at once", list(crowd)))
    for index, (wall, engine, over) in enumerate(zip(walls, engines, overheads, strict=True), 1):
        print(f"job {index}: wall {wall:6.2f} s, engine stages {engine:6.2f} s, bot + runner overhead {over:5.2f} s")
    print(f"bot overhead per job: median {statistics.median(overheads):.2f} s")


async def _last_job(application: RiffcutApp, user_id: int) -> int:
    jobs = await user_history(application.bot_data.services.db, user_id, limit=1)
    return jobs[0].id


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.jobs, arguments.steps))
