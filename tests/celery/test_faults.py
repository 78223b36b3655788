"""Workers killed with kill -9: in the middle of the diffusion (the job runs again on another worker), in the middle
of sending the results (another worker sends only what is missing), and twice in a row (the job fails, with one
message). Every file reaches its user exactly once, as the fake Telegram server counts them."""

from __future__ import annotations

import pytest

from engine.stages import Stage
from storage.models import JobState
from tests.celery.conftest import Fleet
from tests.fake_telegram import FakeUser

pytestmark = pytest.mark.slow  # real worker processes, killed and replaced


def finished_words(fleet: Fleet, user: FakeUser, words: str) -> list[str]:
    return [call.text or "" for call in fleet.sent(user.id, "sendMessage") if words in (call.text or "")]


async def test_killed_mid_diffusion_then_mid_sending(fleet_of: Fleet) -> None:
    fleet, tg = fleet_of, fleet_of.tg
    ann, bob = tg.add_user("Ann"), tg.add_user("Bob")
    for name in ("w1", "w2"):
        fleet.workers.spawn(name)
    for worker in fleet.workers.started:
        await fleet.workers.wait_ready(worker)

    # kill -9 while the job diffuses: the other worker runs it again and delivers it, once
    job = await fleet.submit(ann, steps=40)
    diffusing = await fleet.wait_job(job.id, lambda j: j.stage is Stage.GENERATE, "diffusing")
    (await fleet.worker_of(diffusing)).kill()
    done = await fleet.wait_job(job.id, lambda j: j.delivered_at is not None, "delivered after the kill")
    assert done.state is JobState.DONE and done.attempts == 2 and done.worker_id != diffusing.worker_id
    counts = [len(fleet.sent(ann.id, method)) for method in ("sendVideo", "sendAudio", "sendDocument")]
    assert counts == [1, 1, 1]
    assert len(finished_words(fleet, ann, "done in")) == 1

    # kill -9 while the results go out: the zip's upload, the last, is under way (held by the server) after the
    # result, the music and the preview went out, and dies with the worker before Telegram takes it. Another worker
    # finishes the delivery: the zip once, nothing sent twice. (Had Telegram taken the zip before the worker died,
    # that one file would arrive twice, as tests/bot/test_bot_process.py shows for the bot.)
    await fleet.workers.start("w3")
    tg.slow("sendDocument", delay=15.0, times=1, chat=bob)  # received, held 15 s...
    tg.drop("sendDocument", times=1, chat=bob)  # ...then its connection closes without it being taken
    job = await fleet.submit(bob, previews=1)
    held = await tg.wait_until(  # received, not yet answered
        lambda: next((c for c in tg.calls if c.method == "sendDocument" and c.chat_id == bob.id), None), timeout=120
    )
    sending = await fleet.job(job.id)
    assert sending.state is JobState.DONE and sending.delivered_at is None
    (await fleet.worker_of(sending)).kill()
    assert held.finished is None  # killed while its send was under way
    done = await fleet.wait_job(job.id, lambda j: j.delivered_at is not None, "delivered by another worker")
    assert done.attempts == 1 and done.worker_id != sending.worker_id  # not made again: only its delivery moved
    await tg.wait_until(lambda: held.finished is not None, timeout=30)  # the held upload ended, not taken
    counts = [len(fleet.sent(bob.id, method)) for method in ("sendVideo", "sendAudio", "sendDocument")]
    assert counts == [2, 1, 1]  # the result and the other part's preview, the music, the zip: each once
    await tg.wait_until(lambda: finished_words(fleet, bob, "done in"), timeout=30)  # the other worker's last word
    assert len(finished_words(fleet, bob, "done in")) == 1


async def test_a_job_interrupted_twice_fails_with_one_message(fleet_of: Fleet) -> None:
    fleet, tg = fleet_of, fleet_of.tg
    ann = tg.add_user("Ann")
    await fleet.workers.start("w1")
    job = await fleet.submit(ann, steps=40)
    first = await fleet.wait_job(job.id, lambda j: j.stage is Stage.GENERATE, "diffusing")
    (await fleet.worker_of(first)).kill()
    await fleet.workers.start("w2")  # finds w1 lost, queues the job again and takes it
    second = await fleet.wait_job(
        job.id, lambda j: j.attempts == 2 and j.stage is Stage.GENERATE, "diffusing a second time"
    )
    (await fleet.worker_of(second)).kill()
    await fleet.workers.start("w3")
    failed = await fleet.wait_job(job.id, lambda j: j.state is JobState.FAILED, "failed")
    assert failed.attempts == 2 and "interrupted twice" in (failed.error or "")
    words = await tg.wait_until(lambda: finished_words(fleet, ann, "interrupted twice"), timeout=60)
    assert len(words) == 1
    assert not fleet.sent(ann.id, "sendDocument")
