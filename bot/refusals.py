"""The bot's own refusals, and how any refusal is worded for a user.

A bot refusal's code is its key in `bot.texts` (its English template is the English text there), so it is
translated like every other sentence of the bot. `words(lang, error)` words any `BadInput` for a user, and
`reason_words(lang, reason)` a failed job's reason: by the code when `bot.texts` has it (the bot's refusals; any
engine, storage or jobs refusal once given a translation there, with the same values), else in the English
the refusal was made with.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.texts import EN, TABLES, tr
from engine.errors import BadInput, Refusal, Value
from jobs.events import FailureReason


def _said(code: str) -> Refusal:
    return Refusal(code, EN[code])


NO_VIDEO = _said("no_video")
NOT_A_NUMBER = _said("not_a_number")
CHOSEN_PART_OUT_OF_RANGE = _said("chosen_part_out_of_range")
QUOTA = _said("quota")
TOO_BIG = _said("too_big")
MISSING_PROMPT = _said("missing_prompt")
MISSING_REMIX_AUDIO = _said("missing_remix_audio")
BUTTON_UNKNOWN = _said("button_unknown")
BUTTON_WITHOUT_MESSAGE = _said("button_without_message")
DOWNLOAD_TOO_BIG = _said("download_too_big")
DOWNLOAD_REFUSED = _said("download_refused")
TELEGRAM_UNAVAILABLE = _said("telegram_unavailable")


def say(lang: str, code: str, values: Mapping[str, Value], english: str) -> str:
    """A refusal in `lang` where the bot has words for its code (its own in every language, another layer's where
    `lang`'s table has them), else the English it was made with."""
    return tr(lang, code, **values) if code in EN or code in TABLES.get(lang, {}) else english


def words(lang: str, error: BadInput) -> str:
    return say(lang, error.code, error.values, error.message)


def reason_words(lang: str, reason: FailureReason) -> str:
    return say(lang, reason.code, reason.values, reason.message)
