"""`riffcut worker` refuses what cannot work, in one line: no broker (exit 2, naming CELERY_BROKER_URL), a visibility
timeout that does not exceed the job time limit (exit 2), a model that does not load (exit 1, the reason; the
queued jobs wait for a healthy worker)."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
import redis

from riffcut.cli import main
from storage.models import JobState
from tests.celery.conftest import Fleet


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_broker_exits_2_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RUNNER", "celery")
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://:hunter2@127.0.0.1:{closed_port()}/0")
    assert main(["worker"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CELERY_BROKER_URL=redis://:**@127.0.0.1" in err[0], err
    assert "hunter2" not in err[0]  # the password stays out of the message


def test_a_worker_needs_runner_celery(capsys: pytest.CaptureFixture[str]) -> None:
    """A worker beside a bot that runs its own jobs would take those for a lost worker's."""
    assert main(["worker"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "set RUNNER=celery" in err[0], err


@pytest.mark.parametrize("command", ["worker", "bot"])
def test_a_visibility_timeout_within_the_job_time_limit_is_refused(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RUNNER", "celery")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("JOB_TIME_LIMIT_SECONDS", "3600")
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT_SECONDS", "3600")
    assert main([command]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CELERY_VISIBILITY_TIMEOUT_SECONDS (3600) must exceed JOB_TIME_LIMIT_SECONDS" in err[0]


def broken_copy(model: Path, folder: Path) -> Path:
    """The tiny model with its UNet's weights cut short: found, but it cannot load."""
    shutil.copytree(model, folder)
    weights = next((folder / "unet").glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:1000])
    return folder


@pytest.mark.slow  # a worker process that starts and fails
async def test_a_model_that_does_not_load_exits_1_and_the_job_waits(
    fleet_of: Fleet, broker_url: str, tiny_model: Path, tmp_path: Path
) -> None:
    ann = fleet_of.tg.add_user("Ann")
    job = await fleet_of.submit(ann)
    broken = broken_copy(tiny_model, tmp_path / "broken-model")
    worker = fleet_of.workers.spawn("broken", RIFFUSION_MODEL=str(broken))
    assert await worker.exited() == 1
    lines = worker.text().splitlines()
    failure = [line for line in lines if line.startswith("riffcut: ")]
    assert len(failure) == 1 and "could not be loaded" in failure[0] and "broken-model" in failure[0], failure
    if "sqlite" in fleet_of.db.url:
        assert len([line for line in lines if "the database is SQLite" in line]) == 1
    assert (await fleet_of.job(job.id)).state is JobState.QUEUED  # untouched, its turn still in the broker
    client = redis.Redis.from_url(broker_url)
    try:
        assert client.llen("riffcut") == 1
    finally:
        client.close()
