"""Every sentence the bot says, in the user's language: gettext catalogs managed with Babel.

The English sentence is the message id, written where it is said; the catalogs translate it::

    tr(me.lang, "Job #{job} queued.", job=job.id)
    trn(me.lang, "{n} part", "{n} parts", parts)           # plural forms by the language's rule; {n} is the count
    STATE = N_("queued")  ...  tr(me.lang, STATE)           # marked here, translated where it is shown

The catalogs are `bot/locale/<lang>/LC_MESSAGES/messages.po` (English and Russian), made from the template
`bot/locale/messages.pot` that `scripts/i18n` extracts from the code (Babel: the calls above, every
`Refusal(code, english)` of the engine, storage, jobs and the bot, with its code as the message context, and the
settings' titles, help and allowed values from `engine.options.SPECS`). They are compiled when first used, in
memory (Babel's `read_po` and `write_mo`), so a .po edit needs no build step; fuzzy entries are not used.
tests/test_catalogs.py fails when the template is behind the code, when a message lacks a translation in any
language, or when a translation drops or adds a placeholder. How to add a sentence: docs/TRANSLATING.md.

Values are filled in with `str.format`, with the conversions worded in the user's language: `{x!T}` a time
as HH:MM:SS, `{x!S}` seconds as "75 s (00:01:15)", `{x!R}` a (low, high) part count range as "2 to 6 parts",
`{x!M}` pixels as "2.1 megapixels",
and a format spec `{n:one|few|many}` that picks a noun form by the language's plural rule (English has two
forms, Russian three). A text given no values is returned as it is (braces and all).
"""

from __future__ import annotations

import functools
import gettext
import io
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from engine.options import LANGUAGES
from engine.words import format_time

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks a sentence for the catalogs where it is defined; `tr` translates it where it is shown."""
    return message


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The language's catalog, compiled from its .po once per process (English: the ids themselves)."""
    path = po_path(lang)
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@functools.cache
def plural_index(lang: str) -> Callable[[int], int]:
    """The language's gettext plural rule: which form (0, 1, ...) a count takes."""
    return gettext.c2py(get_plural(lang).plural_expr)


class _Words(string.Formatter):
    """`str.format` with the conversions and plural format spec worded in one language."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "T":
            return format_time(float(value))
        if conversion == "S":
            return seconds_words(self.lang, float(value))
        if conversion == "R":
            low, high = value
            return part_range_words(self.lang, int(low), int(high))
        if conversion == "M":
            return tr(self.lang, "{megapixels:.1f} megapixels", megapixels=float(value) / 1e6)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        if "|" in format_spec:
            forms = format_spec.split("|")
            return forms[min(plural_index(self.lang)(abs(int(value))), len(forms) - 1)]
        return super().format_field(value, format_spec)


@functools.cache
def _formatter(lang: str) -> _Words:
    return _Words(lang)


def language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else SOURCE_LANGUAGE


def fill(lang: str | None, text: str, values: Mapping[str, object]) -> str:
    """A translated template filled in with `values`, worded in `lang`."""
    return _formatter(language(lang)).vformat(text, (), dict(values)) if values else text


def tr(lang: str | None, message: str, **values: object) -> str:
    """`message` (the English sentence) in `lang`, filled in with `values`."""
    return fill(lang, translations(language(lang)).gettext(message), values)


def trn(lang: str | None, singular: str, plural: str, count: int, **values: object) -> str:
    """The form of the sentence for `count` in `lang` (its value is `{n}` unless given)."""
    text = translations(language(lang)).ngettext(singular, plural, count)
    return fill(lang, text, {"n": count, **values})


def trc(lang: str | None, context: str, message: str, **values: object) -> str:
    """`message` in `lang` as the catalogs translate it in `context` (a refusal's code, a setting's word)."""
    return fill(lang, translations(language(lang)).pgettext(context, message), values)


def seconds_words(lang: str, value: float) -> str:
    """`5 s`, or `75 s (00:01:15)` from a minute up."""
    if value < 60:
        return tr(lang, "{seconds} s", seconds=f"{value:g}")
    return tr(lang, "{seconds} s ({time})", seconds=f"{value:g}", time=format_time(value))


def part_range_words(lang: str, low: int, high: int) -> str:
    """`exactly 1 part`, `exactly 3 parts`, or `2 to 6 parts`."""
    if low == high:
        return trn(lang, "exactly {n} part", "exactly {n} parts", low)
    return trn(lang, "{low} to {n} part", "{low} to {n} parts", high, low=low)


def language_of(setting: str | None, telegram_code: str | None) -> str:
    """The user's language setting, else Telegram's language_code when it is one we speak, else English."""
    if setting in LANGUAGES:
        return setting
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else SOURCE_LANGUAGE


def human_size(size: int | None) -> str:
    """A size as Telegram's apps show it, in the unit its limits are given in (1 MB = 2**20 bytes)."""
    if not size:
        return "?"
    if size < 1 << 10:
        return f"{size} B"
    if size < 1 << 20:
        return f"{size / (1 << 10):.1f} KB"
    return f"{size / (1 << 20):.1f} MB"
