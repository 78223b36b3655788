"""What the job runner tells its subscribers, and how it gets to them without slowing anything down.

Every change of a job's state, stage and queue position, and every diffusion step, becomes a `RunnerEvent`.
Publishing never waits: each subscriber has its own buffer. State, stage and position events are all kept, in
order; step events are coalesced, so a slow subscriber sees only the latest step of each job (a step is
dropped once a newer event of the same job arrives), and the GPU never waits for a reader.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    STATE = "state"  # queued, running, done, failed, cancelled (see `state`, `message` when failed)
    STAGE = "stage"  # the job entered `stage` (fetch, probe, split, generate, remux, previews, zip, ...)
    POSITION = "position"  # `position` jobs will start before this one
    STEP = "step"  # diffusion step `step` of `total_steps`
    DELIVER = "deliver"  # the job is done and its results wait for delivery (also re-offered after a restart)


@dataclass(frozen=True)
class RunnerEvent:
    kind: EventKind
    job_id: int
    user_id: int
    chat_id: int
    state: str | None = None
    stage: str | None = None
    position: int | None = None
    step: int | None = None
    total_steps: int | None = None
    progress: float | None = None  # 0..1 of the whole job, where known
    message: str | None = None  # for a failed job: the reason, for its user


class Subscription:
    """One subscriber's events: `async for event in subscription`, or `await subscription.get()`."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub
        self._events: collections.deque[RunnerEvent] = collections.deque()
        self._steps: dict[int, RunnerEvent] = {}  # the latest undelivered step event per job
        self._wake = asyncio.Event()
        self._closed = False
        self.dropped_steps = 0

    def _put(self, event: RunnerEvent) -> None:
        if self._closed:
            return
        if event.kind is EventKind.STEP:
            if self._steps.pop(event.job_id, None) is not None:
                self.dropped_steps += 1
            self._steps[event.job_id] = event
        else:
            if self._steps.pop(event.job_id, None) is not None:  # older than this event: stale now
                self.dropped_steps += 1
            self._events.append(event)
        self._wake.set()

    def pending(self) -> int:
        return len(self._events) + len(self._steps)

    def get_nowait(self) -> RunnerEvent | None:
        if self._events:
            return self._events.popleft()
        if self._steps:
            job_id = next(iter(self._steps))
            return self._steps.pop(job_id)
        return None

    async def get(self) -> RunnerEvent:
        """The next event; raises StopAsyncIteration once the subscription (or the runner) is closed."""
        while True:
            event = self.get_nowait()
            if event is not None:
                return event
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()

    def __aiter__(self) -> AsyncIterator[RunnerEvent]:
        return self

    async def __anext__(self) -> RunnerEvent:
        return await self.get()

    def close(self) -> None:
        """Stop receiving; events already buffered can still be read."""
        if not self._closed:
            self._closed = True
            self._hub._subscriptions.discard(self)
            self._wake.set()


class EventHub:
    """Fan-out of runner events to every subscription; `publish` is cheap and never waits."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self._subscriptions.add(subscription)
        return subscription

    def publish(self, event: RunnerEvent) -> None:
        for subscription in tuple(self._subscriptions):
            subscription._put(event)

    def close(self) -> None:
        for subscription in tuple(self._subscriptions):
            subscription.close()
