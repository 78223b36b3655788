"""Every error Riffcut raises on purpose, in one tree, split by whose fault it is.

    RiffcutError
     ├── BadInput             the user's (a wrong file, a number out of range): a `Refusal` code and its values,
     │    │                   worded in English in `message`; the CLI prints it and exits 2, the bot words it
     │    │                   in the user's language by its code
     │    ├── LimitExceeded   over one of the operator's limits (`engine.media_limits`): `limit` names its
     │    │                   setting (MAX_VIDEO_SECONDS, ...), `value` is the input's, `allowed` the limit's
     │    └── MissingTool     the operator's machine lacks a tool, or has one too old (FFmpeg 5.1 or later)
     ├── EngineFailure        ours (ffmpeg crashed, the model would not load); the message is still fit for a
     │    │                   person; the CLI exits 1, the bot apologises and names the job
     │    ├── FfmpegError     ffmpeg or ffprobe exited non-zero (its exit status and the tail of its stderr)
     │    ├── FfmpegTimeout   ffmpeg or ffprobe ran past its time limit and was stopped
     │    └── OutOfGpuMemory  the GPU ran out of memory; the process stays usable
     ├── JobCancelled         the job was cancelled by its user or an admin (CLI exit 130)
     ├── Unreachable          a server the settings name (the Bot API, the database) cannot be reached, or refuses
     │                        us, so nothing can start; the message says which and why (CLI exit 2)
     └── ConfigError          a setting (environment, .env) cannot work; the message names it (CLI exit 2)
          └── ModelNotFound   the music model is neither a folder nor in the Hugging Face cache, and cannot be
                              downloaded; `model` and `cache` say what was looked for where (the composition
                              root adds which setting names it)

A refusal is made from a `Refusal`: a stable machine-readable code and an English template over named values,
declared once in its layer's catalogue (`engine.refusals`, `storage.refusals`, `jobs.refusals`,
`bot.refusals`, and the CLI's own in `riffcut.commands`)::

    PARTS_TOO_SHORT = Refusal("parts_too_short", "The video lasts {duration:.2f} s, too short to split: ...")
    raise BadInput(PARTS_TOO_SHORT, duration=0.07, min_s=1.0)

`BadInput.code` and `BadInput.values` let a front end word the refusal in its own language (the values are the
raw numbers and names, never pre-worded English, and may carry more than the English uses, such as the setting's
name); `BadInput.message` is the English sentence. `LimitExceeded` carries `limit`, `value` and `allowed` among
its values too. Besides `str.format`'s own, English templates know four conversions: `{x!T}` a time as HH:MM:SS
(`engine.words`), `{x!S}` seconds as "75 s (00:01:15)", `{x!R}` a (low, high) part count range as "2 to 6
parts", `{x!M}` a pixel count as "2.1 megapixels", and the format spec `{n:job|jobs}` picks the noun for the
count n. Messages are one sentence each, with no traceback.
"""

from __future__ import annotations

import errno
import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from engine.words import format_time, megapixels_words, part_range_words, seconds_words

Value = str | int | float | bool | tuple[int, int] | None


class _English(string.Formatter):
    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "T":
            return format_time(float(value))
        if conversion == "S":
            return seconds_words(float(value))
        if conversion == "R":
            low, high = value
            return part_range_words(int(low), int(high))
        if conversion == "M":
            return megapixels_words(float(value))
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        if "|" in format_spec:
            one, many = format_spec.split("|", 1)
            return one if value == 1 else many
        return super().format_field(value, format_spec)


_ENGLISH = _English()


@dataclass(frozen=True)
class Refusal:
    """A kind of refusal: its code (stable, machine-readable) and its English template over named values."""

    code: str
    english: str

    _known: ClassVar[dict[str, Refusal]] = {}

    def __post_init__(self) -> None:
        known = Refusal._known.setdefault(self.code, self)
        if known != self:
            raise ValueError(f"two refusals share the code {self.code!r}")

    @property
    def fields(self) -> frozenset[str]:
        """The names of the values the template needs."""
        return frozenset(name for _, name, _, _ in _ENGLISH.parse(self.english) if name)

    def words(self, values: Mapping[str, Value]) -> str:
        """The English sentence for these values."""
        return _ENGLISH.vformat(self.english, (), dict(values))

    @classmethod
    def known(cls) -> dict[str, Refusal]:
        """Every refusal made so far, by code (import the catalogues first to see them all)."""
        return dict(cls._known)


class RiffcutError(Exception):
    """Base of every error Riffcut raises on purpose."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class BadInput(RiffcutError):
    """The input cannot be used: `code` says which refusal, `values` its numbers, `message` the English."""

    def __init__(self, refusal: Refusal, /, **values: Value) -> None:
        missing = refusal.fields - set(values)
        if missing:
            raise TypeError(f"refusal {refusal.code!r} needs the values {sorted(missing)}")
        self.refusal = refusal
        self.values: Mapping[str, Value] = MappingProxyType(dict(values))
        super().__init__(refusal.words(values))

    @property
    def code(self) -> str:
        return self.refusal.code

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (worker processes), keyword values included
        return (_rebuild, (type(self), self.refusal, dict(self.values)))


def _rebuild(kind: type[BadInput], refusal: Refusal, values: dict[str, Value]) -> BadInput:
    return kind(refusal, **values)


class MissingTool(BadInput):
    """The machine lacks a tool the engine needs, or has one too old; the message says what to install."""


class LimitExceeded(BadInput):
    """The input is over one of the operator's limits (`engine.media_limits`). `limit` names it as its setting
    is named (MAX_VIDEO_SECONDS, MAX_PARTS, ...); `value` is what the input has, `allowed` the limit. All three
    are among the refusal's values too, so its template may use them."""

    def __init__(self, refusal: Refusal, /, *, limit: str, value: float, allowed: float, **values: Value) -> None:
        super().__init__(refusal, limit=limit, value=value, allowed=allowed, **values)
        self.limit = limit
        self.value = value
        self.allowed = allowed


class EngineFailure(RiffcutError):
    """Something failed on our side; the message is still fit for a person to read."""


class FfmpegError(EngineFailure):
    """ffmpeg or ffprobe exited with an error; `stderr` keeps the tail of what it printed."""

    def __init__(self, message: str, returncode: int | None, stderr: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class FfmpegTimeout(EngineFailure):
    """ffmpeg or ffprobe ran longer than its time limit and was stopped."""


class OutOfGpuMemory(EngineFailure):
    """The GPU ran out of memory; the process stays usable."""


class JobCancelled(RiffcutError):
    """The job was cancelled by its user or an admin."""


class Unreachable(RiffcutError):
    """A server the settings name (the Bot API, the database) cannot be reached, or refuses us (`refused`: it
    answered, and turned our credentials down): nothing can start."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


class ConfigError(RiffcutError):
    """A setting has a value that cannot work; the message names it (one line per bad variable)."""


class ModelNotFound(ConfigError):
    """The music model cannot be found: not a folder, not in the Hugging Face cache (`cache`), not downloadable."""

    def __init__(self, model: str, cache: str, reason: str) -> None:
        super().__init__(f"The music model {model} was not found: {reason}.")
        self.model = model
        self.cache = cache
        self.reason = reason


DISK_FULL_WORDS = ("No space left on device", "Disk quota exceeded")  # ffmpeg's words for ENOSPC and EDQUOT


def disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error that led to it, is a full disk: ENOSPC or EDQUOT, or ffmpeg saying so.

    A full disk is nobody's mistake and not a bug: users are told the server is short of space (never the path or
    ffmpeg's words), and the operator's log keeps the detail.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(error, FfmpegError) and any(w in error.stderr or w in error.message for w in DISK_FULL_WORDS):
            return True
        error = error.__cause__ or error.__context__
    return False
