"""Refusals a request for a new job can meet; each is BadInput, so the bot shows the message as it is."""

from __future__ import annotations

from engine.errors import BadInput


class TooManyJobs(BadInput):
    """The user already has MAX_JOBS_PER_USER jobs waiting or running."""

    def __init__(self, limit: int) -> None:
        noun = "job" if limit == 1 else "jobs"
        super().__init__(
            f"You already have {limit} {noun} waiting or running; wait for one to finish or cancel one first."
        )
        self.limit = limit


class QueueFull(BadInput):
    """MAX_QUEUE jobs are waiting or running in all."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The queue is full ({limit} jobs); nothing was added, please try again in a few minutes.")
        self.limit = limit
