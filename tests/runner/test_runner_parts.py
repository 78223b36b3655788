"""The pieces under the runner: queue order and positions, event buffers, results kept for delivery."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.queue_order import Waiting, positions, start_order
from engine.runner import OutputFile, _keep_results
from engine.runner_events import EventHub, EventKind, RunnerEvent


def W(job: int, user: int) -> Waiting:
    return Waiting(job, user)


def test_first_come_first_served_with_one_job_per_user_at_a_time() -> None:
    queue = [W(1, 10), W(2, 10), W(3, 20), W(4, 30), W(5, 20)]
    # One slot: strictly in order of arrival.
    assert start_order(queue, [], 1) == [1, 2, 3, 4, 5]
    # Two slots: user 10's second job waits for the first; user 20 goes ahead meanwhile.
    assert start_order(queue, [], 2) == [1, 3, 2, 4, 5]
    # User 10 already has a job running: their waiting job lets the others pass.
    assert positions(queue[1:], [10], 2) == {3: 0, 2: 1, 4: 2, 5: 3}
    assert start_order([], [10, 20], 2) == []


def step(job: int, n: int) -> RunnerEvent:
    return RunnerEvent(EventKind.STEP, job, 1, 1, step=n, total_steps=100)


async def test_a_slow_subscriber_gets_every_state_and_only_the_latest_step() -> None:
    hub = EventHub()
    slow = hub.subscribe()
    hub.publish(RunnerEvent(EventKind.STATE, 1, 1, 1, state="running"))
    for n in range(1, 101):  # the GPU never waits for anyone reading
        hub.publish(step(1, n))
        hub.publish(step(2, n))
    hub.publish(RunnerEvent(EventKind.STATE, 2, 1, 1, state="done"))
    assert slow.pending() == 3  # job 1's state, job 2's state, job 1's last step (job 2's went stale)
    got = [await slow.get() for _ in range(3)]
    assert [(e.job_id, e.kind, e.state or e.step) for e in got] == [
        (1, EventKind.STATE, "running"), (2, EventKind.STATE, "done"), (1, EventKind.STEP, 100)
    ]
    assert slow.dropped_steps == 199
    hub.close()
    try:
        await asyncio.wait_for(slow.get(), 1)
        raise AssertionError("a closed subscription still gave an event")
    except StopAsyncIteration:
        pass


def test_results_move_out_of_the_job_folder_once_each(tmp_path: Path) -> None:
    work = tmp_path / "job"
    work.mkdir()
    part, thumb, zipped = work / "part-2.mp4", work / "part-2.jpg", work / "clip.zip"
    for path in (part, thumb, zipped):
        path.write_bytes(b"data")
    kept = _keep_results(tmp_path / "results" / "7", [
        OutputFile("zip", zipped, None, {"summary": "text"}),
        OutputFile("part", part, 2),
        OutputFile("preview", part, 2, {"thumbnail": thumb, "width": 320}),  # the part is its own preview
    ])
    assert not any(work.iterdir())
    assert [Path(k.path).relative_to(tmp_path / "results" / "7").as_posix() for k in kept] == [
        "zip/clip.zip", "part/part-2.mp4", "part/part-2.mp4"
    ]
    assert kept[2].meta == {"thumbnail": str(tmp_path / "results/7/preview/part-2.jpg"), "width": 320}
    assert Path(kept[2].meta["thumbnail"]).read_bytes() == b"data"
    assert [k.size_bytes for k in kept] == [4, 4, 4]
