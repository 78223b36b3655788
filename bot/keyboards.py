"""Inline keyboards; their callback data comes from the typed codecs in bot.callbacks."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Answer, CardAction, CardPress, Codec, ForgetPress, JobAction, JobPress, MenuAction, MenuPress
from bot.texts import tr, trn


def button(text: str, press: Codec) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=press.encode())


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

    def card(action: CardAction, value: int = 0) -> CardPress:
        return CardPress(action, value, tag, owner)

    counts = list(part_counts)
    fewer = max((n for n in counts if n < parts), default=None)
    more = min((n for n in counts if n > parts), default=None)
    rows: list[list[InlineKeyboardButton]] = []
    row = []
    if fewer is not None:
        row.append(button(tr(lang, "✂️ −"), card(CardAction.PARTS, fewer)))
    row.append(button(trn(lang, "{n} part", "{n} parts", parts), card(CardAction.LABEL)))
    if more is not None:
        row.append(button(tr(lang, "✂️ +"), card(CardAction.PARTS, more)))
    rows.append(row)
    if parts > 1:
        row = []
        if part > 1:
            row.append(button(tr(lang, "🎯 −"), card(CardAction.PART, part - 1)))
        row.append(button(tr(lang, "part {part}", part=part), card(CardAction.LABEL)))
        if part < parts:
            row.append(button(tr(lang, "🎯 +"), card(CardAction.PART, part + 1)))
        rows.append(row)
    last = [button(tr(lang, "⚙️ Settings"), MenuPress(owner, MenuAction.HOME))]
    if needs_prompt:
        last.append(button(tr(lang, "🎵 Set the prompt"), card(CardAction.ASK_PROMPT)))
    rows.append(last)
    if can_generate:
        rows.append([button(tr(lang, "▶️ Split-n-Generate"), card(CardAction.GENERATE))])
    return InlineKeyboardMarkup(rows)


def cancel_keyboard(lang: str, job_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(tr(lang, "✖️ Cancel"), JobPress(JobAction.CANCEL, job_id))]])


def share_button(lang: str, job_id: int) -> InlineKeyboardButton:
    """Opens the chat picker with "@ThisBot #N" typed: the job's results, to send in the chat picked."""
    return InlineKeyboardButton(tr(lang, "↗️ Share"), switch_inline_query=f"#{job_id}")


def result_keyboard(lang: str, job_id: int, parts: int) -> InlineKeyboardMarkup:
    row = [button(tr(lang, "🎲 New seed"), JobPress(JobAction.NEW_SEED, job_id))]
    if parts > 1:
        row.append(button(tr(lang, "🎯 Another part"), JobPress(JobAction.PICK_PART, job_id)))
    return InlineKeyboardMarkup([row, [share_button(lang, job_id)]])


def take_keyboard(lang: str, job_id: int, take: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(tr(lang, "✅ Use this take"), JobPress(JobAction.USE_TAKE, job_id, take))]])


PICKER_ROW = 5
PICKER_PAGE = 20  # parts on one page of the part picker: four rows of five, and a row to turn the page


def pick_part_keyboard(job_id: int, parts: int, current: int, page: int = 0) -> InlineKeyboardMarkup:
    """Every part but the current one, a page of PICKER_PAGE at a time (MAX_PARTS may be far more than a keyboard
    should hold), with ‹ and › to turn the page when there are more."""
    choices = [k for k in range(1, parts + 1) if k != current]
    pages = max(1, -(-len(choices) // PICKER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = choices[page * PICKER_PAGE : (page + 1) * PICKER_PAGE]
    buttons = [button(str(k), JobPress(JobAction.RUN_PART, job_id, k)) for k in shown]
    rows = [buttons[i : i + PICKER_ROW] for i in range(0, len(buttons), PICKER_ROW)]
    if pages > 1:
        turn = [button(f"{page + 1}/{pages}", JobPress(JobAction.PICK_PAGE, job_id, page))]
        if page > 0:
            turn.insert(0, button("‹", JobPress(JobAction.PICK_PAGE, job_id, page - 1)))
        if page < pages - 1:
            turn.append(button("›", JobPress(JobAction.PICK_PAGE, job_id, page + 1)))
        rows.append(turn)
    return InlineKeyboardMarkup(rows)


def forget_keyboard(lang: str, owner: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(tr(lang, "🗑 Yes, delete everything"), ForgetPress(owner, Answer.YES)),
                button(tr(lang, "Keep it"), ForgetPress(owner, Answer.NO)),
            ]
        ]
    )
