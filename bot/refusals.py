"""The bot's own refusals, and how any refusal is worded for a user.

Every refusal (`engine.errors.Refusal`: a code and an English template) is in the catalogs with its code as the
message context (scripts/i18n extracts them from the engine, storage, jobs and here), so `words(lang, error)`
words any `BadInput` in the user's language from its code and raw values, and `reason_words(lang, reason)` a
failed job's reason likewise. A setting's refusal carries the setting's name (`setting`): its title and allowed
values are then worded in the user's language too. A code the catalogs do not know (a refusal made after the
catalogs were last extracted; tests/test_catalogs.py fails on that) is said in the English it was made with.
"""

from __future__ import annotations

from collections.abc import Mapping

import engine.refusals
import jobs.refusals
import storage.refusals
from bot.setting_words import setting_allowed, setting_title
from bot.texts import trc
from engine.errors import BadInput, Refusal, Value
from engine.options import SPECS_BY_NAME
from jobs.events import FailureReason

CATALOGUES = (engine.refusals, storage.refusals, jobs.refusals)  # and this module's own, below

NO_VIDEO = Refusal("no_video", "Send me a video first.")
PARTS_NOT_A_NUMBER = Refusal("parts_not_a_number", "The number of parts must be a whole number; '{value}' is not.")
PART_NOT_A_NUMBER = Refusal("part_not_a_number", "The chosen part must be a whole number; '{value}' is not.")
CHOSEN_PART_OUT_OF_RANGE = Refusal("chosen_part_out_of_range", "The chosen part must be 1 to {parts}; {value} is not.")
QUOTA = Refusal("quota", "You have used your {quota} {quota:job|jobs} for today; the quota resets at midnight UTC.")
TOO_BIG = Refusal(
    "too_big",
    "This video is {size}, over the {limit} a bot can download from Telegram. Send a shorter or smaller video, "
    "or ask the operator to run a local Bot API server, which lifts the limit.",
)
MISSING_PROMPT = Refusal("missing_prompt", "What music? Send /prompt TEXT or reply to my question with a prompt.")
MISSING_REMIX_AUDIO = Refusal(
    "missing_remix_audio", "Remix is on but this video has no sound to remix: turn it off with /set remix off."
)
BUTTON_UNKNOWN = Refusal(
    "button_unknown", "This button is not one I know (it may be from an older version of me); send /status."
)
BUTTON_WITHOUT_MESSAGE = Refusal(
    "button_without_message", "This button is on a message too old for me to change; send /status for a fresh one."
)
DOWNLOAD_TOO_BIG = Refusal("download_too_big", "This video is over the {limit} MB a bot can download from Telegram.")
DOWNLOAD_REFUSED = Refusal(
    "download_refused", "Telegram would not give me this video ({reason}); please send it again."
)
TELEGRAM_UNAVAILABLE = Refusal(
    "telegram_unavailable", "Telegram did not hand me the video just now; please try again in a few minutes."
)


def worded(lang: str, refusal: Refusal, values: Mapping[str, Value]) -> str:
    """The refusal in `lang`, filled in with its values (a setting's title and allowed values in `lang` too)."""
    shown: dict[str, Value] = dict(values)
    spec = SPECS_BY_NAME.get(str(values.get("setting", "")))
    if spec is not None:
        if "title" in shown:
            shown["title"] = setting_title(lang, spec)
        if "allowed" in shown:
            shown["allowed"] = setting_allowed(lang, spec)
    return trc(lang, refusal.code, refusal.english, **shown)


def words(lang: str, error: BadInput) -> str:
    return worded(lang, error.refusal, error.values)


def reason_words(lang: str, reason: FailureReason) -> str:
    """A failed job's reason in `lang`: by its code when it is a known refusal, else its English."""
    refusal = Refusal.known().get(reason.code)
    if refusal is None:
        return reason.message
    try:
        return worded(lang, refusal, reason.values)
    except (KeyError, IndexError, ValueError):  # values from another version of the refusal: its English then
        return reason.message
