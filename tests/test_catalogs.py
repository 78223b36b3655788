"""The gettext catalogs: up to date with the code, every message translated in every language with the same
placeholders, plural forms by each language's rule, and every refusal worded in Russian from its code."""

from __future__ import annotations

import string

import pytest
from babel.messages.catalog import Message

import bot.refusals
import engine.refusals
import jobs.refusals
import storage.refusals
from bot.catalog_tool import check, read, template
from bot.keyboards import card_keyboard
from bot.refusals import reason_words, words
from bot.texts import po_path, trc, trn
from engine.errors import BadInput, Refusal
from engine.options import LANGUAGES, UserOptions
from engine.parts import check_part_count
from jobs.events import FailureReason

CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def fields(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string or ""]


def ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def test_the_template_is_what_the_code_says() -> None:
    assert check() == [], "run scripts/i18n and translate the new messages"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    catalog = read(po_path(lang), lang)
    translated = {(m.id if isinstance(m.id, str) else tuple(m.id), m.context): m for m in catalog if m.id}
    wanted = [m for m in template() if m.id]
    assert len(wanted) > 200
    problems = []
    for message in wanted:
        key = (message.id if isinstance(message.id, str) else tuple(message.id), message.context)
        found = translated.get(key)
        if found is None or found.fuzzy or not all(forms(found)):
            problems.append(f"untranslated: {key}")
            continue
        expected = set().union(*(fields(text) for text in ids(message)))
        if message.pluralizable:
            expected.discard("n")  # a singular may say "one" instead of {n}; the count is passed anyway
            if len(forms(found)) != catalog.num_plurals:
                problems.append(f"{key}: {len(forms(found))} forms, {lang} has {catalog.num_plurals}")
        for text in forms(found):
            if not expected <= fields(text) <= expected | {"n"}:
                problems.append(f"{key}: {text!r} has {sorted(fields(text))}, wants {sorted(expected)}")
    assert problems == []


def test_plural_forms_follow_each_language() -> None:
    assert [trn("en", "{n} part", "{n} parts", n) for n in (1, 2, 5)] == ["1 part", "2 parts", "5 parts"]
    assert [trn("ru", "{n} part", "{n} parts", n) for n in (1, 2, 5, 11, 21, 22)] == [
        "1 часть", "2 части", "5 частей", "11 частей", "21 часть", "22 части"
    ]  # fmt: skip
    labels = [
        [b.text for row in card_keyboard(lang, owner=1, tag="t", parts=n, part=1, part_counts=range(1, 9),
                                         can_generate=False, needs_prompt=False).inline_keyboard for b in row]
        for lang, n in (("en", 1), ("ru", 1), ("ru", 3), ("ru", 5))
    ]  # fmt: skip
    assert "1 part" in labels[0] and "1 часть" in labels[1] and "3 части" in labels[2] and "5 частей" in labels[3]


def test_a_refusal_reads_in_russian_from_its_code_and_values() -> None:
    with pytest.raises(BadInput) as refused:
        check_part_count(7.04, 99, 1.0, 60.0)
    assert words("en", refused.value) == refused.value.message  # English as the engine says it
    russian = words("ru", refused.value)
    assert russian.startswith("99 частей по 0.07 с") and "от 1 до 7 частей" in russian, russian
    with pytest.raises(BadInput) as setting:
        UserOptions().with_value("steps", "lots")
    assert "Шаги диффузии" in words("ru", setting.value) and "целое число от 1 до 100" in words("ru", setting.value)
    reason = FailureReason.of(jobs.refusals.TIME_LIMIT_MINUTES, minutes=30)
    assert reason_words("ru", reason).startswith("Задание длилось дольше предела в 30 мин")
    assert reason_words("ru", FailureReason("from_elsewhere", "Some English.")) == "Some English."


def test_every_refusal_the_bot_may_word_has_russian() -> None:
    catalogues = (engine.refusals, storage.refusals, jobs.refusals, bot.refusals)
    made = [value for module in catalogues for value in vars(module).values() if isinstance(value, Refusal)]
    assert len(made) > 60
    for refusal in made:
        text = trc("ru", refusal.code, refusal.english)
        assert text != refusal.english or refusal.code == "job_engine_failure", refusal.code
        assert CYRILLIC & set(text.lower()) or refusal.code == "job_engine_failure", refusal.code
