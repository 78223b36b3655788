"""The pieces under the runner: queue order and positions, event buffers, results kept for delivery."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from engine.stages import Stage
from jobs.events import (
    AnyEvent,
    EventHub,
    FailureReason,
    FirstResultsReady,
    PositionChanged,
    ReadyToDeliver,
    StageEnded,
    StageStarted,
    StateChanged,
    StepDone,
    from_json,
    to_json,
)
from jobs.queue_order import Waiting, positions, start_order
from jobs.refusals import TIME_LIMIT_SECONDS
from jobs.results import keep_results
from jobs.work import OutputFile
from storage.models import JobState


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


def step(job: int, n: int) -> StepDone:
    return StepDone(job, 1, 1, step=n, total_steps=100)


async def test_a_slow_subscriber_gets_every_state_and_only_the_latest_step() -> None:
    hub = EventHub()
    slow = hub.subscribe()
    hub.publish(StateChanged(1, 1, 1, JobState.RUNNING))
    for n in range(1, 101):  # the GPU never waits for anyone reading
        hub.publish(step(1, n))
        hub.publish(step(2, n))
    hub.publish(StateChanged(2, 1, 1, JobState.DONE))
    assert slow.pending() == 3  # job 1's state, job 2's state, job 1's last step (job 2's went stale)
    got = [await slow.get() for _ in range(3)]
    assert got == [StateChanged(1, 1, 1, JobState.RUNNING), StateChanged(2, 1, 1, JobState.DONE), step(1, 100)]
    assert slow.dropped_steps == 199
    hub.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(slow.get(), 1)


@pytest.mark.parametrize(
    "event",
    [
        StateChanged(1, 2, -3, JobState.FAILED, FailureReason.of(TIME_LIMIT_SECONDS, seconds=0.5)),
        StateChanged(1, 2, -3, JobState.QUEUED),
        PositionChanged(1, 2, 3, 4),
        StageStarted(1, 2, 3, Stage.GENERATE, 0.25),
        StageStarted(1, 2, 3, Stage.GENERATE, 0.25, (Stage.SPLIT, Stage.GENERATE)),
        StageEnded(1, 2, 3, Stage.SPLIT, 0.5, (Stage.GENERATE,)),
        FirstResultsReady(4, 5, 6),
        StepDone(1, 2, 3, step=5, total_steps=10, windows=3, window=2, progress=0.5),
        ReadyToDeliver(7, 8, 9),
    ],
)
def test_events_travel_as_json_and_come_back_equal(event: AnyEvent) -> None:
    """What a queue with workers in other processes ships: every kind, with its enums, comes back the same."""
    back = from_json(json.loads(json.dumps(to_json(event))))
    assert back == event and type(back) is type(event)
    with pytest.raises(ValueError, match="not a job event"):
        from_json({"kind": "Nonsense"})


async def test_results_move_out_of_the_job_folder_once_each(tmp_path: Path) -> None:
    work = tmp_path / "job"
    work.mkdir()
    part, thumb, zipped = work / "part-2.mp4", work / "part-2.jpg", work / "clip.zip"
    for path in (part, thumb, zipped):
        path.write_bytes(b"data")
    kept = await keep_results(
        tmp_path / "results" / "7",
        [
            OutputFile("zip", zipped, None, {"summary": "text"}),
            OutputFile("part", part, 2),
            OutputFile("preview", part, 2, {"thumbnail": thumb, "width": 320}),  # the part is its own preview
        ],
    )
    assert not any(work.iterdir())
    assert [Path(k.path).relative_to(tmp_path / "results" / "7").as_posix() for k in kept] == [
        "zip/clip.zip",
        "part/part-2.mp4",
        "part/part-2.mp4",
    ]
    assert kept[2].meta == {"thumbnail": str(tmp_path / "results/7/preview/part-2.jpg"), "width": 320}
    assert await asyncio.to_thread(Path(kept[2].meta["thumbnail"]).read_bytes) == b"data"
    assert [k.size_bytes for k in kept] == [4, 4, 4]
