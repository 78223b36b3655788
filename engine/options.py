"""The user's generation settings: one source of truth for names, ranges and defaults.

The engine validates requests with these, storage keeps them, the bot's /settings menu and `/set NAME VALUE`
and the CLI's flags read their ranges and words from here. A bad value raises `BadInput` whose message names
the allowed values; nothing is changed by a refused value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from engine import refusals
from engine.errors import BadInput

SEED_MAX = 2**32 - 1
SCHEDULERS = ("dpm", "ddim", "euler", "euler_a", "pndm")
LANGUAGES = ("en", "ru")

# The original demo's ranges and defaults (see README: sound quality could not be measured here).
GUIDANCE_MIN, GUIDANCE_MAX, GUIDANCE_DEFAULT = 0.0, 45.0, 6.5
STEPS_MIN, STEPS_MAX, STEPS_DEFAULT = 1, 100, 50
PREVIEWS_MAX, PREVIEWS_DEFAULT = 10, 3
REMIX_MIN, REMIX_MAX, REMIX_SUGGESTED = 0.1, 1.0, 0.55
TAKES_MAX = 4
KEEP_DB_MIN, KEEP_DB_MAX = -60.0, 0.0

WindowMode = Literal["batch", "chained"]


class UserOptions(BaseModel):
    """A user's settings; a job keeps a frozen copy of the ones it was made with."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    guidance: float = GUIDANCE_DEFAULT
    steps: int = STEPS_DEFAULT
    exact: bool = False
    previews: int = PREVIEWS_DEFAULT
    seed: int | None = None  # None: a new random seed for every job
    negative: str = ""
    remix: float | None = None  # None: off (start from noise)
    keep_original_db: float | None = None  # None: plain replacement
    full_cut: bool = False
    scheduler: str = "dpm"
    windows: WindowMode = "batch"
    takes: int = 1  # versions of the music made together, for the user to pick one
    language: str | None = None  # None: from Telegram's language_code

    def with_value(self, name: str, text_or_value: object) -> UserOptions:
        """A copy with one setting changed, checked by its spec; raises BadInput and changes nothing."""
        spec = SPECS_BY_NAME.get(name)
        if spec is None:
            raise BadInput(refusals.SETTING_UNKNOWN, name=name, names=", ".join(SPECS_BY_NAME))
        value = spec.parse(text_or_value) if isinstance(text_or_value, str) else spec.check(text_or_value)
        return self.model_copy(update={name: value})


# --- parsing --------------------------------------------------------------------------------------

_OFF_WORDS = {"off", "none", "no", "false", "0ff", "-", "disable", "disabled"}
_ON_WORDS = {"on", "yes", "true", "1", "enable", "enabled"}


def _number(text: str, setting: str, title: str, allowed: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise BadInput(
            refusals.SETTING_NOT_A_NUMBER, setting=setting, title=title, allowed=allowed, value=text.strip()
        ) from None
    if not math.isfinite(value):
        raise BadInput(refusals.SETTING_INVALID, setting=setting, title=title, allowed=allowed)
    return value


@dataclass(frozen=True)
class SettingSpec:
    name: str  # as in `/set NAME VALUE` and the UserOptions field
    title: str  # shown in menus
    allowed: str  # the allowed values, in words, used in every refusal
    help: str
    default: Any
    parse_text: Callable[[str], Any]
    check_value: Callable[[Any], Any]

    def parse(self, text: str) -> Any:
        return self.check_value(self.parse_text(text))

    def check(self, value: Any) -> Any:
        return self.check_value(value)

    def show(self, value: Any) -> str:
        if value is None:
            return {"seed": "random", "language": "auto", "remix": "off", "keep_original_db": "off"}.get(
                self.name, "none"
            )
        if isinstance(value, bool):
            return "on" if value else "off"
        if self.name == "negative":
            return value or "(empty)"
        if self.name == "keep_original_db":
            return f"{value:g} dB"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


def _range_checker(
    setting: str, title: str, lo: float, hi: float, allowed: str, integer: bool, optional: bool
) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadInput(refusals.SETTING_INVALID, setting=setting, title=title, allowed=allowed)
        if integer and float(value) != int(value):
            raise BadInput(refusals.SETTING_NOT_WHOLE, setting=setting, title=title, allowed=allowed)
        if not lo <= value <= hi:
            raise BadInput(refusals.SETTING_OUT_OF_RANGE, setting=setting, title=title, allowed=allowed, value=value)
        return int(value) if integer else float(value)

    return check


def _numeric_spec(
    name: str,
    title: str,
    lo: float,
    hi: float,
    default: Any,
    help_text: str,
    *,
    integer: bool = False,
    optional_word: str | None = None,
    allowed: str | None = None,
) -> SettingSpec:
    words = allowed or f"{lo:g} to {hi:g}"
    if optional_word:
        words = f"{optional_word}, or {words}"
    check = _range_checker(name, title, lo, hi, words, integer, optional_word is not None)

    def parse(text: str) -> Any:
        stripped = text.strip().lower()
        if optional_word and stripped in (_OFF_WORDS | {optional_word}):
            return None
        return _number(text, name, title, words)

    return SettingSpec(name, title, words, help_text, default, parse, check)


def _bool_spec(name: str, title: str, help_text: str) -> SettingSpec:
    def parse(text: str) -> bool:
        word = text.strip().lower()
        if word in _ON_WORDS:
            return True
        if word in _OFF_WORDS | {"0"}:
            return False
        raise BadInput(refusals.SETTING_NOT_ON_OFF, setting=name, title=title, value=text.strip())

    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise BadInput(refusals.SETTING_NOT_BOOL, setting=name, title=title)
        return value

    return SettingSpec(name, title, "on or off", help_text, False, parse, check)


def _choice_spec(
    name: str, title: str, choices: tuple[str, ...], default: Any, help_text: str, *, auto: bool = False
) -> SettingSpec:
    allowed = ", ".join(choices) + (", or auto" if auto else "")

    def check(value: Any) -> Any:
        if value is None and auto:
            return None
        if value not in choices:
            raise BadInput(refusals.SETTING_NOT_A_CHOICE, setting=name, title=title, allowed=allowed)
        return value

    def parse(text: str) -> Any:
        word = text.strip().lower()
        return None if auto and word == "auto" else word

    return SettingSpec(name, title, allowed, help_text, default, parse, check)


NEGATIVE_MAX_CHARS = 500


def _negative_check(value: Any) -> str:
    if not isinstance(value, str):
        raise BadInput(refusals.NEGATIVE_NOT_TEXT, setting="negative")
    text = value.strip()
    if len(text) > NEGATIVE_MAX_CHARS:
        raise BadInput(refusals.NEGATIVE_TOO_MANY_CHARS, setting="negative", limit=NEGATIVE_MAX_CHARS, count=len(text))
    return text


def _negative_parse(text: str) -> str:
    return "" if text.strip().lower() in {"off", "none", "-", "empty"} else text


SPECS: tuple[SettingSpec, ...] = (
    _numeric_spec(
        "guidance",
        "Guidance scale",
        GUIDANCE_MIN,
        GUIDANCE_MAX,
        GUIDANCE_DEFAULT,
        "How closely the music follows the prompt. 1 or less ignores the negative prompt.",
    ),
    _numeric_spec(
        "steps",
        "Diffusion steps",
        STEPS_MIN,
        STEPS_MAX,
        STEPS_DEFAULT,
        "More steps: slower, usually cleaner.",
        integer=True,
        allowed=f"a whole number {STEPS_MIN} to {STEPS_MAX}",
    ),
    _bool_spec("exact", "Exact split", "Re-encode so every part has exactly the same length (slower)."),
    _numeric_spec(
        "previews",
        "Previews",
        0,
        PREVIEWS_MAX,
        PREVIEWS_DEFAULT,
        "0: no part previews; 1: each part on its own; 2 to 10: parts per album.",
        integer=True,
        allowed=f"0 (none), 1 (each part on its own) or 2 to {PREVIEWS_MAX} (parts per album)",
    ),
    _numeric_spec(
        "seed",
        "Seed",
        0,
        SEED_MAX,
        None,
        "The same seed and settings give the same music.",
        integer=True,
        optional_word="random",
        allowed=f"a whole number 0 to {SEED_MAX}",
    ),
    SettingSpec(
        "negative",
        "Negative prompt",
        f"any text up to {NEGATIVE_MAX_CHARS} characters, or off",
        "What the music should not be like (ignored when guidance is 1 or less).",
        "",
        _negative_parse,
        _negative_check,
    ),
    _numeric_spec(
        "remix",
        "Remix strength",
        REMIX_MIN,
        REMIX_MAX,
        None,
        "Start from the part's own sound: low keeps its rhythm, 1.0 keeps little.",
        optional_word="off",
    ),
    _numeric_spec(
        "keep_original_db",
        "Keep original sound",
        KEEP_DB_MIN,
        KEEP_DB_MAX,
        None,
        "Keep the part's own sound under the music, this many dB below it.",
        optional_word="off",
        allowed=f"{KEEP_DB_MIN:g} to {KEEP_DB_MAX:g} dB",
    ),
    _bool_spec("full_cut", "Full cut", "Also send all parts joined back into one video."),
    _choice_spec("scheduler", "Scheduler", SCHEDULERS, "dpm", "The diffusion sampler (dpm is DPM-Solver++)."),
    _choice_spec(
        "windows",
        "Windows",
        ("batch", "chained"),
        "batch",
        "Long parts: independent windows in one batch, or each window from the one before (the demo's way).",
    ),
    _numeric_spec(
        "takes",
        "Takes",
        1,
        TAKES_MAX,
        1,
        "Several versions of the music, made together, to pick the one to keep (1: no choice).",
        integer=True,
        allowed=f"a whole number 1 to {TAKES_MAX}",
    ),
    _choice_spec("language", "Language", LANGUAGES, None, "The bot's language.", auto=True),
)
SPECS_BY_NAME: dict[str, SettingSpec] = {spec.name: spec for spec in SPECS}

# Short names people type in `/set` that mean the same setting.
ALIASES = {
    "guidance_scale": "guidance",
    "cfg": "guidance",
    "diffusion_steps": "steps",
    "exact_split": "exact",
    "negative_prompt": "negative",
    "keep_original": "keep_original_db",
    "keep": "keep_original_db",
    "fullcut": "full_cut",
    "lang": "language",
    "album": "previews",
}


def spec_for(name: str) -> SettingSpec:
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    spec = SPECS_BY_NAME.get(key)
    if spec is None:
        raise BadInput(refusals.SETTING_UNKNOWN, name=name, names=", ".join(SPECS_BY_NAME))
    return spec


def min_steps_for_strength(strength: float) -> int:
    """img2img runs int(steps x strength) steps: the fewest `steps` that run at least one."""
    n = 1
    while int(n * strength) < 1:
        n += 1
    return n
