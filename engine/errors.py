"""Errors the engine raises, split by whose fault they are.

`BadInput` is the user's (a wrong file, a number out of range; `MissingTool`: the operator's machine lacks
a tool, such as ffmpeg 5.1 or later): the CLI exits 2 with its message, the bot shows the message as it is.
`EngineFailure` is ours (ffmpeg crashed, the GPU ran out of memory): the CLI exits 1, the bot apologises and
names the job. Messages are written for the person, one sentence, no traceback.
"""

from __future__ import annotations


class RiffcutError(Exception):
    """Base of every error the engine raises on purpose."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class BadInput(RiffcutError):
    """The input cannot be used; the message says what is wrong and, where it can, what would work."""


class MissingTool(BadInput):
    """The machine lacks a tool the engine needs, or has one too old; the message says what to install."""


class LimitExceeded(BadInput):
    """The input is over one of the operator's limits (`engine.media_limits`). `limit` names it as its setting
    is named (MAX_VIDEO_SECONDS, MAX_PARTS, ...); `value` is what the input has, `allowed` the limit."""

    def __init__(self, message: str, *, limit: str, value: float, allowed: float) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.allowed = allowed


class EngineFailure(RiffcutError):
    """Something failed on our side; the message is still fit for a person to read."""


class OutOfGpuMemory(EngineFailure):
    """The GPU ran out of memory; the process stays usable."""


class JobCancelled(RiffcutError):
    """The job was cancelled by its user or an admin."""
