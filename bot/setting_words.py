"""A setting's title, help, allowed values and shown value in the user's language.

The English words are `engine.options.SPECS`'; the catalogs translate them with the contexts below (scripts/i18n
adds every spec's words to the template, so a new setting cannot go untranslated: tests/test_catalogs.py).
"""

from __future__ import annotations

from typing import Any

from bot.texts import trc
from engine.options import SettingSpec

TITLE = "setting title"
HELP = "setting help"
ALLOWED = "setting allowed"
VALUE = "setting value"
# The words `SettingSpec.show` may answer with, translated as they are (numbers are shown as they are).
VALUE_WORDS = ("on", "off", "random", "auto", "none", "(empty)")


def setting_title(lang: str, spec: SettingSpec) -> str:
    return trc(lang, TITLE, spec.title)


def setting_help(lang: str, spec: SettingSpec) -> str:
    return trc(lang, HELP, spec.help)


def setting_allowed(lang: str, spec: SettingSpec) -> str:
    return trc(lang, ALLOWED, spec.allowed)


def shown(lang: str, spec: SettingSpec, value: Any) -> str:
    """The value as the menus show it: a word (on, off, random...) in `lang`, a number or text as it is."""
    text = spec.show(value)
    return trc(lang, VALUE, text) if text in VALUE_WORDS else text
