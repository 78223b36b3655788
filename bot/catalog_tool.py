"""The catalogs' upkeep with Babel: extract the template from the code, merge it into each language, check.

`scripts/i18n` runs it (`scripts/i18n` updates, `scripts/i18n --check` only says what is behind). The template
`bot/locale/messages.pot` holds:
- every `tr(lang, "...")`, `trn(lang, "...", "...", n)`, `trc(lang, context, "...")` and `N_("...")` in bot/;
- every refusal of the engine's, storage's, jobs' and the bot's catalogues (`bot.refusals.CATALOGUES`), its
  English as the message id and its code as the context, read from the catalogues themselves, so an English
  template built from pieces is exact (the CLI's own refusals, in riffcut/, are said in English only);
- every setting's title, help and allowed values from `engine.options.SPECS`, and the words a value is shown
  with (contexts in `bot.setting_words`).
Each language's `.po` is then updated from the template (Babel's `Catalog.update`: new messages come in
untranslated, gone ones are dropped); English, the source language, gets each message id as its translation.
Locations are kept without line numbers, so moving code does not touch the catalogs.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

import bot.refusals
from bot.refusals import CATALOGUES
from bot.setting_words import ALLOWED, HELP, TITLE, VALUE, VALUE_WORDS
from bot.texts import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, po_path
from engine.errors import Refusal
from engine.options import LANGUAGES, SPECS

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = {
    "tr": (2,),
    "trn": (2, 3),
    "trc": ((2, "c"), 3),
    "N_": None,
    "Refusal": ((1, "c"), 2),  # for reading, not extraction: refusals come from their catalogues
}
SOURCES = {"bot": {name: spec for name, spec in KEYWORDS.items() if name != "Refusal"}}


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(
        locale=locale,
        domain=DOMAIN,
        project="Riffcut",
        version="",
        msgid_bugs_address="",
        copyright_holder="Riffcut",
        last_translator="Riffcut developers",
        language_team=f"{locale or 'all'}: Riffcut developers",
        charset="utf-8",
        fuzzy=False,
    )


def _extracted() -> Iterator[tuple[str, str | tuple[str, ...], str | None, int]]:
    """(file, message id, context, line) of every message in the code."""
    for folder, keywords in SOURCES.items():
        # Babel warns of f-strings among a call's arguments: those are values, never message ids.
        with contextlib.redirect_stderr(io.StringIO()):
            found = list(extract_from_dir(ROOT / folder, method_map=[("**.py", "python")], keywords=keywords))
        for filename, lineno, message, _comments, context in found:
            yield f"{folder}/{filename}", message, context, lineno


def template() -> Catalog:
    """The template as the code stands now."""
    catalog = _new_catalog()
    for filename, message, context, lineno in _extracted():
        catalog.add(message, locations=[(filename, lineno)], context=context)
    for module in (*CATALOGUES, bot.refusals):
        where = str(Path(str(module.__file__)).relative_to(ROOT))
        for refusal in vars(module).values():
            if isinstance(refusal, Refusal):
                catalog.add(refusal.english, locations=[(where, 0)], context=refusal.code)
    for spec in SPECS:
        for context, words in ((TITLE, spec.title), (HELP, spec.help), (ALLOWED, spec.allowed)):
            catalog.add(words, locations=[("engine/options.py", 0)], context=context)
    for word in VALUE_WORDS:
        catalog.add(word, locations=[("engine/options.py", 0)], context=VALUE)
    return catalog


def _keys(catalog: Catalog) -> set[tuple[object, str | None]]:
    return {(message.id, message.context) for message in catalog if message.id}


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, catalog, width=116, include_lineno=False, ignore_obsolete=True)


def _as_source(message: Message) -> None:
    """English: the message id is the translation."""
    if isinstance(message.id, tuple | list):
        message.string = tuple(message.id)
    else:
        message.string = message.id
    message.flags.discard("fuzzy")


def update() -> list[str]:
    """Write the template and update every language's catalog; returns what changed, in words."""
    fresh = template()
    said = []
    old = read(TEMPLATE) if TEMPLATE.is_file() else _new_catalog()
    added, gone = _keys(fresh) - _keys(old), _keys(old) - _keys(fresh)
    said += [f"new: {message_id!r} ({context})" for message_id, context in sorted(added, key=str)]
    said += [f"gone: {message_id!r} ({context})" for message_id, context in sorted(gone, key=str)]
    if TEMPLATE.is_file() and not added and not gone:
        fresh.creation_date = old.creation_date  # no change: no diff
    write(TEMPLATE, fresh)
    for lang in LANGUAGES:
        path = po_path(lang)
        catalog = read(path, lang) if path.is_file() else _new_catalog(lang)
        header = _new_catalog(lang)
        for name in ("project", "version", "msgid_bugs_address", "last_translator", "language_team", "fuzzy"):
            setattr(catalog, name, getattr(header, name))
        catalog.revision_date = catalog.creation_date
        catalog.update(copy.deepcopy(fresh), no_fuzzy_matching=True, update_header_comment=False)
        if lang == SOURCE_LANGUAGE:
            for message in catalog:
                if message.id:
                    _as_source(message)
        write(path, catalog)
        untranslated = [m for m in catalog if m.id and (not _translated(m) or m.fuzzy)]
        if untranslated:
            said.append(f"{lang}: {len(untranslated)} message(s) to translate in {path.relative_to(ROOT)}")
    return said


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(strings)


def said_in_code() -> Iterator[tuple[str, int, str | tuple[str, str]]]:
    """(file, line, message id) of every literal message of a `tr`/`trn`/`trc`/`N_` call in bot/, read with
    Python's own parser: what Babel must have extracted."""
    positions = {"tr": (1,), "trn": (1, 2), "trc": (2,), "N_": (0,)}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in positions):
                continue
            args = [node.args[i] for i in positions[node.func.id] if i < len(node.args)]
            texts = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if texts and len(texts) == len(args):
                message = (texts[0], texts[1]) if len(texts) == 2 else texts[0]
                yield str(path.relative_to(ROOT)), node.lineno, message


def check() -> list[str]:
    """What is behind: the template against the code (the translations are tests/test_catalogs.py's)."""
    if not TEMPLATE.is_file():
        return [f"{TEMPLATE.relative_to(ROOT)} is missing"]
    made = template()
    fresh, stored = _keys(made), _keys(read(TEMPLATE))
    extracted = {message_id for message_id, _ in fresh}
    missed = [
        f"{filename}:{line}: Babel cannot read this message (write the string without parentheses around it)"
        for filename, line, message in said_in_code()
        if message not in extracted
    ]
    return (
        missed
        + [f"not in the template: {key!r}" for key in sorted(fresh - stored, key=str)]
        + [f"no longer in the code: {key!r}" for key in sorted(stored - fresh, key=str)]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/i18n", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the template is behind the code")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for line in problems:
            print(line)
        if problems:
            print("run scripts/i18n, then translate the new messages", file=sys.stderr)
        return 1 if problems else 0
    for line in update():
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
