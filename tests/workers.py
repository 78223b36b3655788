"""Real `riffcut worker` processes for the tests (RUNNER=celery): on the CPU, one torch thread each, the tiny model,
the test's database and Redis, the fake Telegram server; their logs in the test's folder.

    workers = Workers(tmp_path, env)      # env: the settings both the front end and the workers use
    one = await workers.start("w1")       # returns once the worker takes messages
    one.kill()                            # kill -9
    await workers.stop()                  # SIGTERM to those left, waiting for them to exit
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import redis

from tests.fake_telegram import FakeTelegram
from tests.leaks import secrets_in
from tests.scratch_database import BACKENDS

# The database front ends and workers share: PostgreSQL where the test run has one (the database for more than one
# host), else SQLite; one run per test, not one per backend.
FLEET_BACKEND = BACKENDS[-1]

WAIT_S = 120.0  # only a guard against hanging forever; nothing is timed
POLL_S = 0.1  # between looks at the database: the workers need the CPU more
READY = "ready, taking jobs"

T = TypeVar("T")

HEARTBEAT_S = 0.5
LOST_S = 4.0  # a killed worker is taken for lost after this


def flush_redis(url: str) -> None:
    """An empty broker for each test (every test run has a Redis of its own)."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def celery_env(*, database_url: str, broker_url: str, model: Path, shared: Path, **more: str) -> dict[str, str]:
    """The settings a test's front end and workers share (as environment variables)."""
    return {
        "RUNNER": "celery",
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": database_url,
        "RIFFUSION_MODEL": str(model),
        "DEVICE": "cpu",
        "SHARED_DIR": str(shared),
        "WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT_S),
        "WORKER_LOST_SECONDS": str(LOST_S),
        "MIN_FREE_DISK_MB": "1",
        **more,
    }


def fleet(
    monkeypatch: pytest.MonkeyPatch,
    folder: Path,
    tg: FakeTelegram,
    *,
    database_url: str,
    broker_url: str,
    model: Path,
    **more: str,
) -> Workers:
    """This test's settings for RUNNER=celery, in the environment (the front end in this process reads them; the
    workers inherit them), and its workers (none started yet)."""
    env = celery_env(database_url=database_url, broker_url=broker_url, model=model, shared=folder / "shared", **more)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    telegram = {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_FILE_BASE_URL": tg.base_file_url,
    }
    return Workers(folder / "workers", telegram)


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, timeout: float = WAIT_S) -> T:  # noqa: ASYNC109
    """Until `check()` returns something (not None, not False); fails after `timeout` s naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(POLL_S)


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """kill -9: nothing of the worker runs after this."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    async def exited(self, timeout: float = WAIT_S) -> int:  # noqa: ASYNC109
        return await asyncio.wait_for(asyncio.to_thread(self.process.wait), timeout)


class Workers:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.started: list[WorkerProcess] = []

    def spawn(self, name: str, *args: str, **env: str) -> WorkerProcess:
        """Start a worker without waiting for it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        log = self.folder / f"{name}.log"
        environment = {
            **os.environ,
            **self.env,
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "TEMPORARY_DIRECTORY": str(self.folder / name / "jobs"),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "riffcut", "worker", "--name", name, *args],
                env=environment,
                cwd=self.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(name, process, log)
        self.started.append(worker)
        return worker

    async def start(self, name: str, **env: str) -> WorkerProcess:
        """Start a worker and wait until it takes messages."""
        worker = self.spawn(name, **env)
        await self.wait_ready(worker)
        return worker

    async def wait_ready(self, worker: WorkerProcess) -> None:
        name = worker.name

        async def ready() -> bool | None:
            if worker.process.poll() is not None:
                raise AssertionError(f"worker {name} exited {worker.process.returncode}:\n{worker.text()[-3000:]}")
            return READY in worker.text() or None

        await eventually(ready, f"worker {name} to be ready")

    async def stop(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.started:
            try:
                await worker.exited(timeout=60)
            except TimeoutError:
                worker.kill()
        assert self.leaks() == [], "a worker's output carries the bot token"

    def leaks(self) -> list[str]:
        """The workers whose output (every line, killed ones' too) carries the bot token or its secret part."""
        token = self.env.get("TELEGRAM_BOT_TOKEN", "")
        return [worker.name for worker in self.started if secrets_in([worker.text()], token)]
