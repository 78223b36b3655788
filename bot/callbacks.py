"""The inline buttons' callback data: one small typed codec per button kind.

Each kind is a frozen dataclass with a one-letter prefix: `press.encode()` is its callback data
(`prefix|field|field...`, at most 64 bytes, trailing fields left out when they hold their default) and
`Kind.decode(data)` reads it back, field by field as the dataclass types them, or raises
`BadInput(button_unknown)` (forged, cut or from another version), so a handler never splits data by position.
`Kind.matches` is the pattern its CallbackQueryHandler is registered with.

    CardPress    k|action|value|video tag|owner   the status card (parts, chosen part, prompt, generate)
    MenuPress    s|owner|action|setting|value     the /settings menu
    JobPress     j|action|job id|part             a job's buttons (cancel, new seed, another part, part k, take k,
                                                  a page of the part picker)
    ForgetPress  f|owner|y or n                   /forget's confirmation

A keyboard that belongs to one member carries that member's id, so a group's other members are told politely
that it is not theirs. Card buttons carry absolute values (parts=3, not "+1"), so a double tap does the same
thing twice instead of moving twice; they carry the video's tag, so a card about an older video is known.
"""

from __future__ import annotations

import dataclasses
import typing
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Self

from bot import refusals
from engine.errors import BadInput

MAX_CALLBACK_BYTES = 64
SEPARATOR = "|"


class Codec:
    """Encoding and decoding by the dataclass's own fields (int, str or a StrEnum each)."""

    PREFIX: ClassVar[str]

    def encode(self) -> str:
        values = [getattr(self, item.name) for item in dataclasses.fields(self)]  # type: ignore[arg-type]
        defaults = [item.default for item in dataclasses.fields(self)]  # type: ignore[arg-type]
        while values and values[-1] == defaults[len(values) - 1]:
            values.pop()
        text = SEPARATOR.join([self.PREFIX, *(str(value) for value in values)])
        if len(text.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {text!r}")
        return text

    @classmethod
    def matches(cls, data: object) -> bool:
        return isinstance(data, str) and data.split(SEPARATOR, 1)[0] == cls.PREFIX

    @classmethod
    def decode(cls, data: object) -> Self:
        if not cls.matches(data):
            raise BadInput(refusals.BUTTON_UNKNOWN)
        assert isinstance(data, str)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        texts = data.split(SEPARATOR, len(fields))[1:]
        hints = typing.get_type_hints(cls)
        if not len([f for f in fields if f.default is dataclasses.MISSING]) <= len(texts) <= len(fields):
            raise BadInput(refusals.BUTTON_UNKNOWN)
        values: dict[str, Any] = {}
        try:
            for item, text in zip(fields, texts, strict=False):
                kind = hints[item.name]
                values[item.name] = int(text) if kind is int else kind(text)
        except ValueError:
            raise BadInput(refusals.BUTTON_UNKNOWN) from None
        return cls(**values)


class CardAction(StrEnum):
    PARTS = "n"  # value: the new number of parts
    PART = "p"  # value: the new chosen part
    ASK_PROMPT = "q"
    GENERATE = "g"
    LABEL = "x"  # a button that only shows a value


@dataclass(frozen=True)
class CardPress(Codec):
    PREFIX: ClassVar[str] = "k"
    action: CardAction
    value: int
    tag: str  # the video's tag (video_tag)
    owner: int


class MenuAction(StrEnum):
    HOME = "home"
    OPEN = "o"  # one setting's screen
    SET = "v"  # set `setting` to `value` (the words `/set` reads)
    CLOSE = "close"


@dataclass(frozen=True)
class MenuPress(Codec):
    PREFIX: ClassVar[str] = "s"
    owner: int
    action: MenuAction
    setting: str = ""
    value: str = ""


class JobAction(StrEnum):
    CANCEL = "c"
    NEW_SEED = "seed"
    PICK_PART = "parts"  # ask which part
    PICK_PAGE = "pp"  # show page `part` (from 0) of the part picker
    RUN_PART = "pk"  # run again on `part`
    USE_TAKE = "t"  # finish the job with take `part` (its number)


@dataclass(frozen=True)
class JobPress(Codec):
    PREFIX: ClassVar[str] = "j"
    action: JobAction
    job_id: int
    part: int = 0


class Answer(StrEnum):
    YES = "y"
    NO = "n"


@dataclass(frozen=True)
class ForgetPress(Codec):
    PREFIX: ClassVar[str] = "f"
    owner: int
    answer: Answer


def video_tag(file_unique_id: str | None) -> str:
    """A short tag of a video, so that a card's buttons can tell they are about an older video."""
    return format(zlib.crc32((file_unique_id or "").encode()), "08x")
