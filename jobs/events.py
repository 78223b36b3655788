"""What a job queue tells its subscribers, as typed events, and how they reach them without slowing anything down.

    StateChanged     queued, running, done, failed (with a `FailureReason`), cancelled
    PositionChanged  `position` jobs will start before this waiting one
    StageStarted     the job entered `stage` (engine.stages.Stage: fetch, probe, split, generate, ...); stages
                     may overlap (the split and the music): `running` lists every stage under way
    StageEnded       the job left `stage`; `running` lists the stages still under way
    StepDone         diffusion step `step` of `total_steps`, with the music's `windows` (and `window`, the one
                     being made when they are made one after another; None when they are made together)
    FirstResultsReady  the job's first results (the chosen part with its new music, and the music) are kept
                     while the rest is made: deliver them now; `ReadyToDeliver` follows for the rest
    ReadyToDeliver   the job is done and its results wait for delivery (also re-offered after a restart)

Every event names its job, the job's user and chat. Events are plain frozen dataclasses of numbers, strings and
enums, so a queue whose workers live in other processes can ship them (`to_json` / `from_json`).

Publishing never waits: each subscriber has its own buffer. State, stage and position events are all kept, in
order; step events are coalesced, so a slow subscriber sees only the latest step of each job (a step is
dropped once a newer event of the same job arrives), and the GPU never waits for a reader.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.errors import BadInput, Refusal, Value
from engine.stages import Stage
from storage.models import JobState


@dataclass(frozen=True)
class FailureReason:
    """Why a job failed, for its user: a refusal's code and values, and its English sentence."""

    code: str
    message: str
    values: Mapping[str, Value] = field(default_factory=dict)

    @classmethod
    def of(cls, refusal: Refusal, **values: Value) -> FailureReason:
        return cls(refusal.code, refusal.words(values), dict(values))

    @classmethod
    def of_error(cls, error: BadInput) -> FailureReason:
        return cls(error.code, error.message, dict(error.values))


@dataclass(frozen=True)
class JobEvent:
    job_id: int
    user_id: int
    chat_id: int


@dataclass(frozen=True)
class StateChanged(JobEvent):
    state: JobState
    reason: FailureReason | None = None  # for a failed job


@dataclass(frozen=True)
class PositionChanged(JobEvent):
    position: int


@dataclass(frozen=True)
class StageStarted(JobEvent):
    stage: Stage
    progress: float = 0.0  # of the whole job, 0..1
    running: tuple[Stage, ...] = ()  # every stage under way now, in the order they started, this one included


@dataclass(frozen=True)
class StageEnded(JobEvent):
    stage: Stage
    progress: float = 0.0
    running: tuple[Stage, ...] = ()  # the stages still under way


@dataclass(frozen=True)
class StepDone(JobEvent):
    step: int
    total_steps: int
    windows: int = 1  # spectrogram windows the music is made of
    window: int | None = None  # the window being made, when they are made one after another
    progress: float = 0.0


@dataclass(frozen=True)
class FirstResultsReady(JobEvent):
    """The job still runs, and its first results are kept and recorded: each may be delivered now, once."""


@dataclass(frozen=True)
class ReadyToDeliver(JobEvent):
    pass


AnyEvent = StateChanged | PositionChanged | StageStarted | StageEnded | StepDone | FirstResultsReady | ReadyToDeliver
_KINDS: dict[str, type[AnyEvent]] = {
    kind.__name__: kind
    for kind in (StateChanged, PositionChanged, StageStarted, StageEnded, StepDone, FirstResultsReady, ReadyToDeliver)
}


def to_json(event: AnyEvent) -> dict[str, Any]:
    """A JSON-ready dict of the event (its kind under "kind")."""
    return {"kind": type(event).__name__, **asdict(event)}


def from_json(data: Mapping[str, Any]) -> AnyEvent:
    """The event `to_json` made; ValueError for anything else."""
    fields = dict(data)
    kind = _KINDS.get(str(fields.pop("kind", "")))
    if kind is None:
        raise ValueError(f"not a job event: {data!r}")
    if kind is StateChanged:
        reason = fields.get("reason")
        fields["state"] = JobState(fields["state"])
        fields["reason"] = FailureReason(**reason) if reason else None
    elif kind is StageStarted or kind is StageEnded:
        fields["stage"] = Stage(fields["stage"])
        fields["running"] = tuple(Stage(stage) for stage in fields.get("running", ()))
    return kind(**fields)


class Subscription:
    """One subscriber's events: `async for event in subscription`, or `await subscription.get()`."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub
        self._events: collections.deque[AnyEvent] = collections.deque()
        self._steps: dict[int, StepDone] = {}  # the latest undelivered step event per job
        self._wake = asyncio.Event()
        self._closed = False
        self.dropped_steps = 0

    def _put(self, event: AnyEvent) -> None:
        if self._closed:
            return
        if isinstance(event, StepDone):
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

    def get_nowait(self) -> AnyEvent | None:
        if self._events:
            return self._events.popleft()
        if self._steps:
            job_id = next(iter(self._steps))
            return self._steps.pop(job_id)
        return None

    async def get(self) -> AnyEvent:
        """The next event; raises StopAsyncIteration once the subscription (or the queue) is closed."""
        while True:
            event = self.get_nowait()
            if event is not None:
                return event
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()

    def __aiter__(self) -> AsyncIterator[AnyEvent]:
        return self

    async def __anext__(self) -> AnyEvent:
        return await self.get()

    def close(self) -> None:
        """Stop receiving; events already buffered can still be read."""
        if not self._closed:
            self._closed = True
            self._hub.discard(self)
            self._wake.set()


class EventHub:
    """Fan-out of job events to every subscription; `publish` is cheap and never waits."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self._subscriptions.add(subscription)
        return subscription

    def discard(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def publish(self, event: AnyEvent) -> None:
        for subscription in tuple(self._subscriptions):
            subscription._put(event)

    def close(self) -> None:
        for subscription in tuple(self._subscriptions):
            subscription.close()
