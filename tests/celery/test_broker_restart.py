"""Redis killed (kill -9) and started again, with persistence on as docker-compose.yml configures it, while a worker
runs one job and four wait: no queued job is lost, all five finish, each delivered once."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from engine.stages import Stage
from storage.models import JobState
from tests.celery.conftest import Fleet
from tests.net import free_port
from tests.workers import eventually

pytestmark = pytest.mark.slow  # a real worker running five jobs

QUEUE = "riffcut"


@dataclass
class RedisServer:
    """A Redis of this test's own, on loopback, with its data in the test's folder (the compose file's flags)."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder)]
        command += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.05)  # until it listens
        finally:
            client.close()
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def waiting(self) -> int:
        client = redis.Redis.from_url(self.url)
        try:
            return int(client.llen(QUEUE))
        finally:
            client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", free_port())
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


@pytest.fixture
def broker_url(private_redis: RedisServer) -> str:
    """This module's fleet uses the test's own Redis, which it kills."""
    return private_redis.url


async def test_redis_killed_and_restarted_with_jobs_queued(fleet_of: Fleet, private_redis: RedisServer) -> None:
    fleet, tg = fleet_of, fleet_of.tg
    users = [tg.add_user(f"User{n}") for n in range(5)]
    await fleet.workers.start("w1")
    jobs = [await fleet.submit(users[0], steps=40)]
    await fleet.wait_job(jobs[0].id, lambda j: j.stage is Stage.GENERATE, "diffusing")
    jobs += [await fleet.submit(user) for user in users[1:]]
    assert private_redis.waiting() == 4

    private_redis.kill()
    private_redis.start()
    assert private_redis.waiting() == 4  # kept on disk (append-only file)

    await eventually(fleet.all_delivered, "all five jobs delivered after the restart")
    for user, job in zip(users, jobs, strict=True):
        finished = await fleet.job(job.id)
        assert finished.state is JobState.DONE and finished.attempts == 1
        assert [len(fleet.sent(user.id, m)) for m in ("sendVideo", "sendAudio", "sendDocument")] == [1, 1, 1]
