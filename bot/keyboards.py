"""Inline keyboards and their callback data (at most 64 bytes, `|`-separated, parsed back by `parse`).

Prefixes: `k` the status card, `s` the settings menu, `j` a job (cancel, new seed, another part), `f` /forget.
Every keyboard that belongs to one member carries that member's id, so a group's other members are told
politely that it is not theirs. Card buttons carry absolute values (parts=3, not "+1"), so a double tap does
the same thing twice instead of moving twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import tr

MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Callback:
    prefix: str
    fields: tuple[str, ...]

    def field(self, index: int, default: str = "") -> str:
        return self.fields[index] if index < len(self.fields) else default

    def int_field(self, index: int) -> int:
        return int(self.fields[index])


def data(prefix: str, *fields: object) -> str:
    text = "|".join([prefix, *(str(f) for f in fields)])
    if len(text.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {text!r}")
    return text


def parse(text: str | None) -> Callback:
    parts = (text or "").split("|")
    return Callback(parts[0], tuple(parts[1:]))


def video_tag(file_unique_id: str | None) -> str:
    """A short tag of a video, so that a card's buttons can tell they are about an older video."""
    return format(zlib.crc32((file_unique_id or "").encode()), "08x")


def button(text: str, callback: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callback)


def card_keyboard(
    lang: str,
    *,
    owner: int,
    tag: str,
    parts: int,
    part: int,
    part_counts: Sequence[int],
    can_generate: bool,
    needs_prompt: bool,
) -> InlineKeyboardMarkup:
    """Parts -/+, chosen part -/+, settings, and Split-n-Generate only when everything is valid."""
    counts = list(part_counts)
    fewer = max((n for n in counts if n < parts), default=None)
    more = min((n for n in counts if n > parts), default=None)
    rows: list[list[InlineKeyboardButton]] = []
    row = []
    if fewer is not None:
        row.append(button(tr(lang, "btn_parts_minus"), data("k", "n", fewer, tag, owner)))
    row.append(button(tr(lang, "btn_parts_now", parts=parts), data("k", "x", 0, tag, owner)))
    if more is not None:
        row.append(button(tr(lang, "btn_parts_plus"), data("k", "n", more, tag, owner)))
    rows.append(row)
    if parts > 1:
        row = []
        if part > 1:
            row.append(button(tr(lang, "btn_part_minus"), data("k", "p", part - 1, tag, owner)))
        row.append(button(tr(lang, "btn_part_now", part=part), data("k", "x", 0, tag, owner)))
        if part < parts:
            row.append(button(tr(lang, "btn_part_plus"), data("k", "p", part + 1, tag, owner)))
        rows.append(row)
    last = [button(tr(lang, "btn_settings"), data("s", owner, "home"))]
    if needs_prompt:
        last.append(button(tr(lang, "btn_prompt"), data("k", "q", 0, tag, owner)))
    rows.append(last)
    if can_generate:
        rows.append([button(tr(lang, "btn_generate"), data("k", "g", 0, tag, owner))])
    return InlineKeyboardMarkup(rows)


def cancel_keyboard(lang: str, job_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(tr(lang, "btn_cancel"), data("j", "c", job_id))]])


def result_keyboard(lang: str, job_id: int, parts: int) -> InlineKeyboardMarkup:
    row = [button(tr(lang, "btn_new_seed"), data("j", "seed", job_id))]
    if parts > 1:
        row.append(button(tr(lang, "btn_another_part"), data("j", "parts", job_id)))
    return InlineKeyboardMarkup([row])


def pick_part_keyboard(job_id: int, parts: int, current: int) -> InlineKeyboardMarkup:
    buttons = [button(str(k), data("j", "pk", job_id, k)) for k in range(1, parts + 1) if k != current]
    return InlineKeyboardMarkup([buttons[i : i + 5] for i in range(0, len(buttons), 5)])


def forget_keyboard(lang: str, owner: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(tr(lang, "btn_forget_yes"), data("f", owner, "y")),
                button(tr(lang, "btn_forget_no"), data("f", owner, "n")),
            ]
        ]
    )
